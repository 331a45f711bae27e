"""lists: indexes behind sorting a list by any of its sortable columns (PostgreSQL)

A list sorted by a column reads its first page from an index on that column instead of sorting
a million rows (FAB orders by the one column; a btree serves both directions). Columns that
already have one (codes, status, industry, region, created_at) are left out. The data scope
"own, or in the shared pool" (app/core/scope.py) is served by (owner_id, id) and the index of
pooled_at (customers_0005); department and all walk these indexes in list order.

PostgreSQL only, as the search indexes of migrations 0004 and 0008: SQLite's lists are small.
Models do not declare them; their names end in _sort so that autogenerate leaves them alone
(datamodel.include_in_migrations).

Revision ID: lists_0001
Revises: 0001
Depends on: customers_0006, contracts_0001
"""
from alembic import op

revision = 'lists_0001'
down_revision = '0001'
branch_labels = ('lists',)
depends_on = ('customers_0006', 'contracts_0001')

SORT_INDEXES = [
    ("ix_customer_name_sort", "customer", "name"),
    ("ix_customer_credit_limit_sort", "customer", "credit_limit"),
    ("ix_customer_last_interaction_at_sort", "customer", "last_interaction_at"),
    ("ix_customer_next_follow_up_on_sort", "customer", "next_follow_up_on"),
    ("ix_contract_title_sort", "contract", "title"),
    ("ix_contract_amount_sort", "contract", "amount"),
    ("ix_contract_signed_on_sort", "contract", "signed_on"),
    ("ix_contract_ends_on_sort", "contract", "ends_on"),
]


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, table, column in SORT_INDEXES:
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, _table, _column in SORT_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
