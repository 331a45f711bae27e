"""global search: indexes behind the top bar search (PostgreSQL)

The search box matches codes exactly or by their start whatever the case, phone numbers by
their digits (spaces and dashes left out) from the start or anywhere, and names by any part
(app/core/global_search.py). On PostgreSQL each of those is served by an index:

- lower(code) with text_pattern_ops: equality and LIKE 'x%' whatever the database's collation;
- the phone's digits, replace(replace(phone, '-', ''), ' ', ''), with text_pattern_ops for the
  start, and with pg_trgm's gin_trgm_ops for any part (skipped when the extension cannot be
  created; the search then bounds that branch by its statement timeout);
- contact names by the bigrams of migration 0004, as customer names and contract titles have.

The expressions must stay exactly those of global_search.py, or the planner will not use them.
SQLite needs none of this: at its sizes a scan is fast. Models do not declare these indexes (they
exist on PostgreSQL only); their names end in _search (or _bigram) so that autogenerate can
leave them alone (datamodel.include_in_migrations).

Revision ID: search_0001
Revises: 0004
Depends on: customers_0001, contracts_0001
"""
from alembic import op
from sqlalchemy import text

revision = 'search_0001'
down_revision = '0004'
branch_labels = ('search',)
depends_on = ('customers_0001', 'contracts_0001')

DIGITS = "replace(replace({column}, '-', ''), ' ', '')"
PATTERN_INDEXES = [
    ("ix_customer_code_lower_search", "customer", "lower(code)"),
    ("ix_contract_code_lower_search", "contract", "lower(code)"),
    ("ix_customer_phone_digits_search", "customer", DIGITS.format(column="phone")),
    ("ix_contact_phone_digits_search", "contact", DIGITS.format(column="phone")),
]
TRIGRAM_INDEXES = [
    ("ix_customer_phone_trgm_search", "customer", DIGITS.format(column="phone")),
    ("ix_contact_phone_trgm_search", "contact", DIGITS.format(column="phone")),
]


def _trigram_schema(bind) -> str | None:
    """The schema of pg_trgm's operator classes, creating the extension when it is missing.
    pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it. Where that
    is refused, None: the phone's "any part" branch goes without an index."""
    savepoint = bind.begin_nested()
    try:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception:
        savepoint.rollback()
        return None
    savepoint.commit()
    # Installed earlier it may live in a schema outside the search path: name it.
    return bind.execute(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                             "WHERE e.extname = 'pg_trgm'")).scalar()


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    for name, table, expression in PATTERN_INDEXES:
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({expression} text_pattern_ops)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_contact_name_bigram ON contact USING gin (zwt_bigrams(name))")
    schema = _trigram_schema(bind)
    if schema:
        for name, table, expression in TRIGRAM_INDEXES:
            op.execute(f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} "{schema}".gin_trgm_ops)')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, _table, _expression in TRIGRAM_INDEXES + PATTERN_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("DROP INDEX IF EXISTS ix_contact_name_bigram")
