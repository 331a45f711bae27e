"""events: registrations searched by any part of the mobile number through a trigram index (PostgreSQL)

A mobile number is eleven digits: its bigrams are a hundred pairs, each found in most of a few million numbers,
so a search for a part of one ("0004242") intersected bitmaps of millions of rows (60–140 ms at 5,000,000
registrations). pg_trgm's trigrams of the digits are a thousand, each in a few per cent of the numbers: the
same search reads a few thousand index entries. The expression is the search's (global_search.digits_of), as
the customers' and contacts' phone indexes of search_0001 are; the bigram index of the mobile number goes (the
name keeps its own). Where pg_trgm cannot be created the bigram index stays and the search uses it as before.

Revision ID: events_0004
Revises: events_0003
Depends on: lists_0003
"""
from alembic import op
from sqlalchemy import text

revision = 'events_0004'
down_revision = 'events_0003'
branch_labels = None
depends_on = 'lists_0003'

INDEX = "ix_event_registration_phone_trgm_search"
DIGITS = "replace(replace(phone, '-', ''), ' ', '')"


def _trigram_schema(bind) -> str | None:
    savepoint = bind.begin_nested()
    try:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception:
        savepoint.rollback()
        return None
    savepoint.commit()
    return bind.execute(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                             "WHERE e.extname = 'pg_trgm'")).scalar()


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    schema = _trigram_schema(bind)
    if not schema:
        return
    op.execute(f'CREATE INDEX IF NOT EXISTS {INDEX} ON event_registration USING gin ({DIGITS} "{schema}".gin_trgm_ops) '
               'WITH (gin_pending_list_limit = 256)')
    op.execute("DROP INDEX IF EXISTS ix_event_registration_phone_bigram")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("CREATE INDEX IF NOT EXISTS ix_event_registration_phone_bigram ON event_registration "
               "USING gin (zwt_bigrams(phone)) WITH (gin_pending_list_limit = 256)")
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
