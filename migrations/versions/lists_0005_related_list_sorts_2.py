"""lists: the other sort indexes of the interactions and contacts lists

The interactions list sorted by kind, outcome or next follow-up, and the contacts list by
"primary contact", sorted ten (two) million rows for each page: 1.2–1.9 s. As lists_0004: the
column, then the key, with the parent's key included for the data scope.

PostgreSQL only, and not declared by the models (names end in _sort).

Revision ID: lists_0005
Revises: lists_0004
"""
from alembic import op

revision = 'lists_0005'
down_revision = 'lists_0004'
branch_labels = None
depends_on = None

# (table, column)
SORT_COLUMNS = [
    ("interaction", "kind"),
    ("interaction", "outcome"),
    ("interaction", "next_follow_up_on"),
    ("contact", "is_primary"),
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
