"""inventory documents: stock counts (盘点单) with their lines

Revision ID: inventory_docs_0002
Revises: inventory_docs_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'inventory_docs_0002'
down_revision = 'inventory_docs_0001'
branch_labels = None
depends_on = None

QTY = sa.Numeric(precision=16, scale=4)


def upgrade():
    op.create_table('stock_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('bin_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('posted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['bin_id'], ['warehouse_bin.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.ForeignKeyConstraint(['zone_id'], ['warehouse_zone.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_stock_count_warehouse_status', 'stock_count', ['warehouse_id', 'status'], unique=False)
    op.create_table('stock_count_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('bin_id', sa.Integer(), nullable=True),
    sa.Column('bin_key', sa.Integer(), nullable=False),
    sa.Column('expected', QTY, nullable=False),
    sa.Column('counted', QTY, nullable=True),
    sa.Column('counted_by_id', sa.Integer(), nullable=True),
    sa.Column('counted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['bin_id'], ['warehouse_bin.id'], ),
    sa.ForeignKeyConstraint(['count_id'], ['stock_count.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['counted_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('count_id', 'product_id', 'bin_key', name='uq_stock_count_line_place'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_stock_count_line_count_id', 'stock_count_line', ['count_id'], unique=False)


def downgrade():
    op.drop_index('ix_stock_count_line_count_id', table_name='stock_count_line')
    op.drop_table('stock_count_line')
    op.drop_index('ix_stock_count_warehouse_status', table_name='stock_count')
    op.drop_table('stock_count')
