"""lists: the sort indexes hold the key and the data scope's columns; owners' row counts known

A list sorted by a column is ordered by the column and then by the key (FAB's tie-break), and a
page is read as its keys first (app/core/datamodel.py, page_keys). With the key in the index the
order is the index's own (no sort of equal names) and a deep page (page 2,000: 50,000 keys
skipped) is read from the index alone, without the table. The owner and department ride along
(INCLUDE), so that a page of one data scope (app/core/scope.py, scope_branches) is picked from
the index too. They replace the one-column indexes of lists_0001; the region, whose few values
each hold tens of thousands of customers, gets one too (its plain index leaves every region's
rows to be sorted by key).

Each owner's number of rows is kept in the statistics (up to 1,000 owners), so that the planner
knows a person with 300 customers from one with 20,000: it reads the first of them from the
owner's index and sorts them, the second along the sort index until the page is full. With the
default statistics a person outside the 100 most frequent owners is guessed at the average, and
a small book is read along the sort index through the whole table.

PostgreSQL only, and not declared by the models, as in lists_0001 (names end in _sort).

Revision ID: lists_0002
Revises: lists_0001
"""
from alembic import op

revision = 'lists_0002'
down_revision = 'lists_0001'
branch_labels = None
depends_on = None

# (table, column, replaces lists_0001's one-column index)
SORT_COLUMNS = [
    ("customer", "name", True),
    ("customer", "credit_limit", True),
    ("customer", "last_interaction_at", True),
    ("customer", "next_follow_up_on", True),
    ("customer", "region", False),
    ("contract", "title", True),
    ("contract", "amount", True),
    ("contract", "signed_on", True),
    ("contract", "ends_on", True),
]
OWNED = ("customer", "contract")
OWNER_STATISTICS = 1000


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, column, replaces in SORT_COLUMNS:
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_id_sort ON {table} ({column}, id) "
                   "INCLUDE (owner_id, department_id)")
        if replaces:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_sort")
    for table in OWNED:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN owner_id SET STATISTICS {OWNER_STATISTICS}")
        op.execute(f"ANALYZE {table} (owner_id)")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in OWNED:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN owner_id SET STATISTICS -1")
    for table, column, replaces in SORT_COLUMNS:
        if replaces:
            op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_sort ON {table} ({column})")
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_id_sort")
