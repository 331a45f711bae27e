"""lists: search indexes keep a small list of pending entries

A GIN index (the bigram and trigram indexes of the search) collects new rows in a pending list
(4 MB by default) until VACUUM or the list's limit merges them into the index, and every search
reads the whole pending list: a few thousand newly written customers cost each search about 10 ms
per index, and a list page with a search reads the index once per data-scope branch and again
for its count. A limit of 256 kB keeps that read under a millisecond; writers merge smaller lists
more often.

Every GIN index of the schema when the migration runs; PostgreSQL only.

Revision ID: lists_0003
Revises: lists_0002
"""
from alembic import op
import sqlalchemy as sa

revision = 'lists_0003'
down_revision = 'lists_0002'
branch_labels = None
depends_on = ('search_0001',)

PENDING_LIST_KB = 256


def _gin_indexes():
    return [name for (name,) in op.get_bind().execute(sa.text(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexdef LIKE '%USING gin%'"))]


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name in _gin_indexes():
        op.execute(f'ALTER INDEX "{name}" SET (gin_pending_list_limit = {PENDING_LIST_KB})')
        # Merge what is pending now.
        op.execute(sa.text("SELECT gin_clean_pending_list(CAST(:name AS regclass))").bindparams(name=name))


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name in _gin_indexes():
        op.execute(f'ALTER INDEX "{name}" RESET (gin_pending_list_limit)')
