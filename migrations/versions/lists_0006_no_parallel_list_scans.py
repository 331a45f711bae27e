"""lists: the listed tables are read without parallel workers

A list page reads at most a few thousand rows along an index and stops at its LIMIT. The
planner still starts parallel workers for a page whose matches it expects to be rare (a sales
person's contacts sorted by phone, a search's count): each worker walks its own part of the index
and the leader waits for a row from every one of them before it can merge, so a page that reads
7,000 index entries alone read 250,000 with two workers (2.2 s instead of 85 ms), and starting
the workers costs more than a short walk on a busy two-core machine. Reports and charts read
kept totals (app/core/chart_cache), not these tables.

PostgreSQL only: a table storage parameter.

Revision ID: lists_0006
Revises: lists_0005
"""
from alembic import op

revision = 'lists_0006'
down_revision = 'lists_0005'
branch_labels = None
depends_on = None

TABLES = ("customer", "contract", "contact", "interaction")


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET (parallel_workers = 0)")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET (parallel_workers)")
