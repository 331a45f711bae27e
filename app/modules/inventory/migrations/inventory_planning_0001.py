"""inventory planning: safety stock per product × warehouse with its alert state; shipments by time

Revision ID: inventory_planning_0001
Revises:
Depends on: inventory_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'inventory_planning_0001'
down_revision = None
branch_labels = ('inventory_planning',)
depends_on = ('inventory_0001',)

QTY = sa.Numeric(precision=16, scale=4)


def upgrade():
    op.create_table('safety_stock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('warning_line', QTY, nullable=False),
    sa.Column('reorder_qty', QTY, nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('history_days', sa.Integer(), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('safety_factor', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=True),
    sa.Column('alerted_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('warning_line >= 0', name='ck_safety_stock_warning_line'),
    sa.CheckConstraint('reorder_qty >= 0', name='ck_safety_stock_reorder_qty'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('product_id', 'warehouse_id', name='uq_safety_stock_place'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_safety_stock_warehouse_id', 'safety_stock', ['warehouse_id'], unique=False)
    op.create_index('ix_stock_move_kind_created', 'stock_move', ['kind', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_stock_move_kind_created', table_name='stock_move')
    op.drop_index('ix_safety_stock_warehouse_id', table_name='safety_stock')
    op.drop_table('safety_stock')
