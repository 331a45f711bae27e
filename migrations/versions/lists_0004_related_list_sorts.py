"""lists: sort indexes of the contacts and interactions lists

The interactions list opens newest first (occurred_at, then the key) and the contacts list sorts
by name or title: without an index each page sorted the whole table (ten million interactions:
0.5–1.6 s a page). As in lists_0002 the key is in the index, so a page's keys come in list order,
and the parent's key rides along (INCLUDE customer_id): these lists' data scope is "the customer
is one the user may see" (scope.ScopeSpec via customer_id), checked from the index alone.

PostgreSQL only, and not declared by the models (names end in _sort).

Revision ID: lists_0004
Revises: lists_0003
"""
from alembic import op

revision = 'lists_0004'
down_revision = 'lists_0003'
branch_labels = None
depends_on = None

# (table, column)
SORT_COLUMNS = [
    ("interaction", "occurred_at"),
    ("contact", "name"),
    ("contact", "title"),
]


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, column in SORT_COLUMNS:
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_id_sort ON {table} ({column}, id) "
                   "INCLUDE (customer_id)")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, column in SORT_COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_id_sort")
