"""inventory documents: transfers (调拨单) with their lines

Revision ID: inventory_docs_0001
Revises:
Depends on: inventory_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'inventory_docs_0001'
down_revision = None
branch_labels = ('inventory_docs',)
depends_on = ('inventory_0001',)

QTY = sa.Numeric(precision=16, scale=4)


def upgrade():
    op.create_table('stock_transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('from_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('from_bin_id', sa.Integer(), nullable=True),
    sa.Column('to_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('to_bin_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('arrived_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['from_bin_id'], ['warehouse_bin.id'], ),
    sa.ForeignKeyConstraint(['from_warehouse_id'], ['warehouse.id'], ),
    sa.ForeignKeyConstraint(['to_bin_id'], ['warehouse_bin.id'], ),
    sa.ForeignKeyConstraint(['to_warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_stock_transfer_status_id', 'stock_transfer', ['status', 'id'], unique=False)
    op.create_index('ix_stock_transfer_from_warehouse_id', 'stock_transfer', ['from_warehouse_id'], unique=False)
    op.create_index('ix_stock_transfer_to_warehouse_id', 'stock_transfer', ['to_warehouse_id'], unique=False)
    op.create_table('stock_transfer_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', QTY, nullable=False),
    sa.CheckConstraint('quantity > 0', name='ck_stock_transfer_line_quantity'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['transfer_id'], ['stock_transfer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_stock_transfer_line_transfer_id', 'stock_transfer_line', ['transfer_id'], unique=False)


def downgrade():
    op.drop_index('ix_stock_transfer_line_transfer_id', table_name='stock_transfer_line')
    op.drop_table('stock_transfer_line')
    op.drop_index('ix_stock_transfer_to_warehouse_id', table_name='stock_transfer')
    op.drop_index('ix_stock_transfer_from_warehouse_id', table_name='stock_transfer')
    op.drop_index('ix_stock_transfer_status_id', table_name='stock_transfer')
    op.drop_table('stock_transfer')
