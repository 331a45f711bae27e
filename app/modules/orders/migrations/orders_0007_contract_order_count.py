"""orders: a contract counts its orders confirmed or beyond

订单统计's "signed contracts turned into orders" looked for an order of every signed contract on each request
(0.8 s over a million contracts). A contract's order_count, kept by triggers on the orders whoever writes them,
makes it a chart of the contract table, whose totals app/core/chart_cache keeps current on PostgreSQL. Kept as a
count, changed by +1 / −1 under the contract's row lock, so orders of one contract written at once never leave it
wrong.

Revision ID: orders_0007
Revises: orders_0006
"""
import sqlalchemy as sa
from alembic import op

revision = 'orders_0007'
down_revision = 'orders_0006'
branch_labels = None
depends_on = None

UNCOUNTED = "('draft', 'cancelled')"
COUNTED_CHANGE = (f"OLD.contract_id IS DISTINCT FROM NEW.contract_id "
                  f"OR (OLD.status IN {UNCOUNTED}) IS DISTINCT FROM (NEW.status IN {UNCOUNTED})")

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION zwt_contract_order_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.contract_id IS NOT NULL AND OLD.status NOT IN {UNCOUNTED} THEN
        UPDATE contract SET order_count = order_count - 1 WHERE id = OLD.contract_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.contract_id IS NOT NULL AND NEW.status NOT IN {UNCOUNTED} THEN
        UPDATE contract SET order_count = order_count + 1 WHERE id = NEW.contract_id;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
"""
PG_TRIGGERS = [
    ("sales_order_counted_insert", "CREATE TRIGGER sales_order_counted_insert AFTER INSERT ON sales_order "
     "FOR EACH ROW EXECUTE FUNCTION zwt_contract_order_count()"),
    ("sales_order_counted_update", "CREATE TRIGGER sales_order_counted_update AFTER UPDATE OF contract_id, status "
     f"ON sales_order FOR EACH ROW WHEN ({COUNTED_CHANGE}) EXECUTE FUNCTION zwt_contract_order_count()"),
    ("sales_order_counted_delete", "CREATE TRIGGER sales_order_counted_delete AFTER DELETE ON sales_order "
     "FOR EACH ROW EXECUTE FUNCTION zwt_contract_order_count()"),
]
_LESS = f"UPDATE contract SET order_count = order_count - 1 WHERE id = OLD.contract_id AND OLD.status NOT IN {UNCOUNTED};"
_MORE = f"UPDATE contract SET order_count = order_count + 1 WHERE id = NEW.contract_id AND NEW.status NOT IN {UNCOUNTED};"
SQLITE_TRIGGERS = [
    ("sales_order_counted_insert", f"CREATE TRIGGER sales_order_counted_insert AFTER INSERT ON sales_order "
                                   f"BEGIN {_MORE} END"),
    ("sales_order_counted_update", f"CREATE TRIGGER sales_order_counted_update AFTER UPDATE OF contract_id, status "
                                   f"ON sales_order WHEN {COUNTED_CHANGE.replace('IS DISTINCT FROM', 'IS NOT')} "
                                   f"BEGIN {_LESS} {_MORE} END"),
    ("sales_order_counted_delete", f"CREATE TRIGGER sales_order_counted_delete AFTER DELETE ON sales_order "
                                   f"BEGIN {_LESS} END"),
]
FILL = {
    "postgresql": ("UPDATE contract c SET order_count = x.n FROM (SELECT contract_id, count(*) AS n FROM sales_order "
                   f"WHERE contract_id IS NOT NULL AND status NOT IN {UNCOUNTED} GROUP BY contract_id) x "
                   "WHERE c.id = x.contract_id AND c.order_count <> x.n"),
    "sqlite": ("UPDATE contract SET order_count = (SELECT count(*) FROM sales_order o WHERE o.contract_id = contract.id "
               f"AND o.status NOT IN {UNCOUNTED}) WHERE id IN (SELECT contract_id FROM sales_order)"),
}


def upgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    if postgres:
        op.execute("ALTER TABLE contract ADD COLUMN IF NOT EXISTS order_count INTEGER NOT NULL DEFAULT 0")
        for name, _statement in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON sales_order")
        op.execute(PG_FUNCTION)
        for _name, statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        with op.batch_alter_table('contract') as batch:
            batch.add_column(sa.Column('order_count', sa.Integer(), nullable=False, server_default='0'))
        for _name, statement in SQLITE_TRIGGERS:
            op.execute(statement)
    op.execute(FILL['postgresql' if postgres else 'sqlite'])


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        for name, _statement in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON sales_order")
        op.execute("DROP FUNCTION IF EXISTS zwt_contract_order_count()")
    else:
        for name, _statement in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('contract') as batch:
        batch.drop_column('order_count')
