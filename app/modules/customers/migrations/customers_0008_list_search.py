"""customers: search and scope indexes of the interactions and contacts lists (PostgreSQL)

- interaction subjects by any part: the bigrams of migration 0004 in a GIN index, as customer and
  contact names have (pg_trgm does not serve two-character Chinese terms). Without it a subject
  no interaction holds read all ten million rows (2.7 s).
- contacts by customer with their key, (customer_id, id): a data-scope branch ("contacts of the
  customers I may see", scope.scope_branches) reads its contacts' keys customer by customer from
  this index alone; from (customer_id) each contact's row had to be read for its key (a department's
  65,000 contacts: 1.1 s, now 0.3–0.4 s on a busy machine). Interactions have the like
  (customer_id, occurred_at, id) for the timeline; a sales person's interactions of a week are
  their customers' ranges of it.
- customers by owner and by department in name order, (owner_id, name, id) and (department_id,
  name, id): a search sorted by name in the own or department scope reads its window's keys
  (app/core/listing_search.py) as a range of one of these, not as every row of the branch
  sorted (a book of 19,500 customers: 82 ms, now 6 ms).

On a table that holds rows the indexes are built CONCURRENTLY (writes go on meanwhile), outside
the migration's transaction; an index a failed build left invalid is dropped and built again. An
empty or small table gets a plain CREATE INDEX in the transaction. SQLite needs none of this (a
plain scan at its sizes). Names end in _bigram and _sort: the models do not declare them
(datamodel.include_in_migrations).

Revision ID: customers_0008
Revises: customers_0007
Depends on: 0004
"""
from alembic import op
from sqlalchemy import text

revision = 'customers_0008'
down_revision = 'customers_0007'
branch_labels = None
depends_on = '0004'

# (name, table, what follows "ON table")
INDEXES = [
    ("ix_interaction_subject_bigram", "interaction", "USING gin (zwt_bigrams(subject))"),
    ("ix_contact_customer_id_id_sort", "contact", "(customer_id, id)"),
    ("ix_customer_owner_id_name_sort", "customer", "(owner_id, name, id)"),
    ("ix_customer_department_id_name_sort", "customer", "(department_id, name, id)"),
]
# Below this many rows (the planner's estimate) a table is indexed inside the transaction.
SMALL = 100_000


def _rows(bind, table: str) -> float:
    return bind.execute(text("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                        {"t": table}).scalar() or 0


def _invalid(bind, name: str) -> bool:
    return bool(bind.execute(text(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = :n AND c.relnamespace = CAST(current_schema() AS regnamespace)"), {"n": name}).scalar())


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    for name, table, definition in INDEXES:
        if _rows(bind, table) < SMALL:
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}")
            continue
        with op.get_context().autocommit_block():
            if _invalid(bind, name):
                op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute("SET maintenance_work_mem = '256MB'")
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {definition}")
            op.execute("RESET maintenance_work_mem")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, _table, _definition in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
