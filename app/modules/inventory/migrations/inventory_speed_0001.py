"""inventory: the stock list by warehouse newest first, along an index; stock lists read without parallel workers

A warehouse's stock narrowed by a category (a product in a few hundred places out of 600,000) was read by
walking the whole table's primary key backwards with two parallel workers (48 ms of SQL for a page); the
(warehouse_id, id) index walks that warehouse's places only, and without parallel workers (see lists_0006)
the page takes 9 ms.

Revision ID: inventory_speed_0001
Revises:
Depends on: inventory_0001
"""
from alembic import op

revision = 'inventory_speed_0001'
down_revision = None
branch_labels = ('inventory_speed',)
depends_on = ('inventory_0001',)

TABLES = ("stock_level", "stock_move")


def upgrade():
    op.create_index('ix_stock_level_warehouse_id_id', 'stock_level', ['warehouse_id', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (parallel_workers = 0)")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (parallel_workers)")
    op.drop_index('ix_stock_level_warehouse_id_id', table_name='stock_level')
