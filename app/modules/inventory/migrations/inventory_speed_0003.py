"""inventory: stock kept per product × warehouse for the reports (PostgreSQL)

库存分析's largest stocks and each warehouse's stock value grouped every stock level on every request (0.6–1.8 s
over 600,000 places). On PostgreSQL statement triggers on stock_level now append each write's net change per
product × warehouse to stock_total_delta, which the minute job folds into stock_total (with its value at the
product's cost, kept right by a trigger on product); app/modules/inventory/stock_totals.py reads them. On SQLite
the tables stay empty and the reports group stock_level.

Revision ID: inventory_speed_0003
Revises: inventory_speed_0002
"""
import zlib

import sqlalchemy as sa
from alembic import op

revision = 'inventory_speed_0003'
down_revision = 'inventory_speed_0002'
branch_labels = None
depends_on = None

LOCK_KEY = zlib.crc32(b"inventory.stock_totals")
_APPEND = """
    INSERT INTO stock_total_delta (product_id, warehouse_id, on_hand, reserved)
    SELECT product_id, warehouse_id, sum(on_hand), sum(reserved) FROM ({rows}) AS changed
    GROUP BY product_id, warehouse_id HAVING sum(on_hand) <> 0 OR sum(reserved) <> 0;"""
_NEW = "SELECT product_id, warehouse_id, on_hand, reserved FROM new_rows"
_OLD = "SELECT product_id, warehouse_id, -on_hand AS on_hand, -reserved AS reserved FROM old_rows"
FUNCTIONS = {
    "zwt_stock_total_insert": _APPEND.format(rows=_NEW),
    "zwt_stock_total_update": _APPEND.format(rows=f"{_NEW} UNION ALL {_OLD}"),
    "zwt_stock_total_delete": _APPEND.format(rows=_OLD),
    "zwt_stock_total_truncate": "DELETE FROM stock_total_delta; DELETE FROM stock_total;",
    # A new cost revalues the product's totals, under the fold's lock (the fold adds changes at the cost it reads).
    "zwt_stock_total_cost": f"""
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    UPDATE stock_total SET value = on_hand * coalesce(NEW.cost, 0) WHERE product_id = NEW.id;""",
}
TRIGGERS = [
    ("stock_total_insert", "stock_level", "AFTER INSERT ON stock_level REFERENCING NEW TABLE AS new_rows "
                                          "FOR EACH STATEMENT", "zwt_stock_total_insert"),
    ("stock_total_update", "stock_level", "AFTER UPDATE ON stock_level REFERENCING OLD TABLE AS old_rows "
                                          "NEW TABLE AS new_rows FOR EACH STATEMENT", "zwt_stock_total_update"),
    ("stock_total_delete", "stock_level", "AFTER DELETE ON stock_level REFERENCING OLD TABLE AS old_rows "
                                          "FOR EACH STATEMENT", "zwt_stock_total_delete"),
    ("stock_total_truncate", "stock_level", "AFTER TRUNCATE ON stock_level FOR EACH STATEMENT",
     "zwt_stock_total_truncate"),
    ("stock_total_cost", "product", "AFTER UPDATE OF cost ON product FOR EACH ROW "
                                    "WHEN (OLD.cost IS DISTINCT FROM NEW.cost)", "zwt_stock_total_cost"),
]


def upgrade():
    amount = sa.Numeric(20, 4)
    op.create_table('stock_total',
                    sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('warehouse_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('on_hand', amount, nullable=False),
                    sa.Column('reserved', amount, nullable=False),
                    sa.Column('value', amount, nullable=False),
                    sa.PrimaryKeyConstraint('product_id', 'warehouse_id'))
    op.create_index('ix_stock_total_value', 'stock_total', ['value', 'product_id', 'warehouse_id'])
    op.create_index('ix_stock_total_on_hand', 'stock_total', ['on_hand', 'product_id', 'warehouse_id'])
    op.create_table('stock_total_delta',
                    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
                    sa.Column('product_id', sa.Integer(), nullable=False),
                    sa.Column('warehouse_id', sa.Integer(), nullable=False),
                    sa.Column('on_hand', amount, nullable=False),
                    sa.Column('reserved', amount, nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, body in FUNCTIONS.items():
        op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {body} RETURN NULL; END $$ "
                   "LANGUAGE plpgsql")
    # Writers wait while the totals are counted and the triggers added, so no write is counted twice or missed.
    op.execute("LOCK TABLE stock_level IN SHARE MODE")
    for name, table, when, function in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {function}()")
    op.execute("""
        INSERT INTO stock_total (product_id, warehouse_id, on_hand, reserved, value)
        SELECT s.product_id, s.warehouse_id, s.on_hand, s.reserved, s.on_hand * coalesce(p.cost, 0)
        FROM (SELECT product_id, warehouse_id, sum(on_hand) AS on_hand, sum(reserved) AS reserved
              FROM stock_level GROUP BY product_id, warehouse_id) s
        JOIN product p ON p.id = s.product_id""")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name, table, _when, _function in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table('stock_total_delta')
    op.drop_index('ix_stock_total_on_hand', table_name='stock_total')
    op.drop_index('ix_stock_total_value', table_name='stock_total')
    op.drop_table('stock_total')
