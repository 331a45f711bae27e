"""customers: contacts and interactions carry their customer's scope columns

A contact and an interaction get owner_id, department_id and pooled_at, always equal to their
customer's, so the data scope of their lists is declared on their own columns: each scope branch
(own, department, department and below, the pool) is a range of one index, as on the customer list,
instead of "the customer is in my scope" read customer by customer along the list's order.

Kept equal by triggers, whoever writes (services, the bulk import's COPY, raw SQL):
- on the child, a row inserted or moved to another customer copies its customer's three columns;
- on the customer, a change of owner, department or pool moves them to all its children.

The rows already there are filled in batches of id ranges; on PostgreSQL with a large table each
batch commits on its own (outside the migration's transaction), then the indexes
(owner_id, <list order>, id) and (department_id, <list order>, id) are built CONCURRENTLY (see
customers_0008). Names end in _sort: the models do not declare them.

Revision ID: customers_0009
Revises: customers_0008
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from app.core import online_indexes

revision = 'customers_0009'
down_revision = 'customers_0008'
branch_labels = None
depends_on = None

CHILDREN = ("contact", "interaction")
COLUMNS = ("owner_id", "department_id", "pooled_at")
# (name, table, what follows "ON table"): the lists' default orders (contacts: id desc;
# interactions: occurred_at desc, id)
INDEXES = [
    ("ix_contact_owner_id_id_sort", "contact", "(owner_id, id)"),
    ("ix_contact_department_id_id_sort", "contact", "(department_id, id)"),
    ("ix_contact_pooled_id_sort", "contact", "(id) WHERE pooled_at IS NOT NULL"),
    ("ix_interaction_owner_occurred_sort", "interaction", "(owner_id, occurred_at, id)"),
    ("ix_interaction_department_occurred_sort", "interaction", "(department_id, occurred_at, id)"),
    ("ix_interaction_pooled_occurred_sort", "interaction", "(occurred_at, id) WHERE pooled_at IS NOT NULL"),
]
BATCH = 200_000

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION zwt_child_scope_copy() RETURNS trigger AS $$
BEGIN
    SELECT c.owner_id, c.department_id, c.pooled_at INTO NEW.owner_id, NEW.department_id, NEW.pooled_at
      FROM customer c WHERE c.id = NEW.customer_id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION zwt_customer_scope_spread() RETURNS trigger AS $$
BEGIN
    UPDATE contact SET owner_id = NEW.owner_id, department_id = NEW.department_id, pooled_at = NEW.pooled_at
     WHERE customer_id = NEW.id;
    UPDATE interaction SET owner_id = NEW.owner_id, department_id = NEW.department_id, pooled_at = NEW.pooled_at
     WHERE customer_id = NEW.id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def _pg_triggers() -> list[str]:
    out = []
    for child in CHILDREN:
        out.append(f"CREATE TRIGGER {child}_scope_copy BEFORE INSERT OR UPDATE OF customer_id "
                   f"ON {child} FOR EACH ROW EXECUTE FUNCTION zwt_child_scope_copy()")
    out.append("CREATE TRIGGER customer_scope_spread AFTER UPDATE OF owner_id, department_id, pooled_at ON customer "
               "FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id "
               "OR OLD.department_id IS DISTINCT FROM NEW.department_id "
               "OR OLD.pooled_at IS DISTINCT FROM NEW.pooled_at) "
               "EXECUTE FUNCTION zwt_customer_scope_spread()")
    return out


def _sqlite_triggers() -> list[str]:
    copy = ("SET owner_id = (SELECT owner_id FROM customer WHERE id = NEW.customer_id), "
            "department_id = (SELECT department_id FROM customer WHERE id = NEW.customer_id), "
            "pooled_at = (SELECT pooled_at FROM customer WHERE id = NEW.customer_id)")
    out = []
    for child in CHILDREN:
        out.append(f"CREATE TRIGGER {child}_scope_insert AFTER INSERT ON {child} "
                   f"BEGIN UPDATE {child} {copy} WHERE id = NEW.id; END")
        out.append(f"CREATE TRIGGER {child}_scope_move AFTER UPDATE OF customer_id "
                   f"ON {child} BEGIN UPDATE {child} {copy} WHERE id = NEW.id; END")
    spread = " ".join(
        f"UPDATE {child} SET owner_id = NEW.owner_id, department_id = NEW.department_id, "
        f"pooled_at = NEW.pooled_at WHERE customer_id = NEW.id;" for child in CHILDREN)
    out.append("CREATE TRIGGER customer_scope_spread AFTER UPDATE OF owner_id, department_id, pooled_at ON customer "
               "WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.department_id IS NOT NEW.department_id "
               f"OR OLD.pooled_at IS NOT NEW.pooled_at BEGIN {spread} END")
    return out


def _backfill(bind, child: str, postgres: bool):
    if postgres:
        fill = (f"UPDATE {child} x SET owner_id = c.owner_id, department_id = c.department_id, "
                f"pooled_at = c.pooled_at FROM customer c WHERE c.id = x.customer_id "
                f"AND x.id >= :lo AND x.id < :hi AND (x.owner_id IS DISTINCT FROM c.owner_id "
                f"OR x.department_id IS DISTINCT FROM c.department_id OR x.pooled_at IS DISTINCT FROM c.pooled_at)")
    else:
        fill = (f"UPDATE {child} SET owner_id = (SELECT owner_id FROM customer c WHERE c.id = customer_id), "
                f"department_id = (SELECT department_id FROM customer c WHERE c.id = customer_id), "
                f"pooled_at = (SELECT pooled_at FROM customer c WHERE c.id = customer_id) "
                f"WHERE id >= :lo AND id < :hi")
    low, high = bind.execute(text(f"SELECT min(id), max(id) FROM {child}")).one()
    if low is None:
        return
    large = postgres and online_indexes.rows(bind, child) >= online_indexes.SMALL
    for lo in range(low, high + 1, BATCH):
        if large:
            with op.get_context().autocommit_block():
                bind.execute(text(fill), {"lo": lo, "hi": lo + BATCH})
        else:
            bind.execute(text(fill), {"lo": lo, "hi": lo + BATCH})


def upgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    if postgres:
        # An upgrade stopped during the backfill (its batches are committed) is run again: what
        # it made is kept, the rows already in step are not written twice.
        for child in CHILDREN:
            op.execute(f"ALTER TABLE {child} ADD COLUMN IF NOT EXISTS owner_id INTEGER, "
                       f"ADD COLUMN IF NOT EXISTS department_id INTEGER, "
                       f"ADD COLUMN IF NOT EXISTS pooled_at TIMESTAMP WITHOUT TIME ZONE")
            op.execute(f"DROP TRIGGER IF EXISTS {child}_scope_copy ON {child}")
        op.execute("DROP TRIGGER IF EXISTS customer_scope_spread ON customer")
        op.execute(PG_FUNCTIONS)
        for statement in _pg_triggers():
            op.execute(statement)
    else:
        for child in CHILDREN:
            with op.batch_alter_table(child) as batch:
                batch.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
                batch.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
                batch.add_column(sa.Column('pooled_at', sa.DateTime(), nullable=True))
        for statement in _sqlite_triggers():
            op.execute(statement)
    for child in CHILDREN:
        _backfill(bind, child, postgres)
    if not postgres:
        for name, table, definition in INDEXES:
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}")
        return
    online_indexes.build(INDEXES)


def downgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    for name, _table, _definition in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    if postgres:
        for child in CHILDREN:
            op.execute(f"DROP TRIGGER IF EXISTS {child}_scope_copy ON {child}")
        op.execute("DROP TRIGGER IF EXISTS customer_scope_spread ON customer")
        op.execute("DROP FUNCTION IF EXISTS zwt_child_scope_copy()")
        op.execute("DROP FUNCTION IF EXISTS zwt_customer_scope_spread()")
    else:
        for child in CHILDREN:
            op.execute(f"DROP TRIGGER IF EXISTS {child}_scope_insert")
            op.execute(f"DROP TRIGGER IF EXISTS {child}_scope_move")
        op.execute("DROP TRIGGER IF EXISTS customer_scope_spread")
    for child in CHILDREN:
        with op.batch_alter_table(child) as batch:
            for column in COLUMNS:
                batch.drop_column(column)
