"""orders: sales orders with their lines

Revision ID: orders_0001
Revises:
Depends on: customers_0001, products_0001, inventory_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'orders_0001'
down_revision = None
branch_labels = ('orders',)
depends_on = ('customers_0001', 'products_0001', 'inventory_0001')

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade():
    op.create_table('sales_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('order_date', sa.Date(), nullable=False),
    sa.Column('delivery_address', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('untaxed', MONEY, nullable=False),
    sa.Column('tax', MONEY, nullable=False),
    sa.Column('total', MONEY, nullable=False),
    sa.Column('discount_rate', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('shipped_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_sales_order_owner_id_id', 'sales_order', ['owner_id', 'id'], unique=False)
    op.create_index('ix_sales_order_department_id_id', 'sales_order', ['department_id', 'id'], unique=False)
    op.create_index('ix_sales_order_customer_id_id', 'sales_order', ['customer_id', 'id'], unique=False)
    op.create_index('ix_sales_order_status_id', 'sales_order', ['status', 'id'], unique=False)
    op.create_index('ix_sales_order_created_at', 'sales_order', ['created_at'], unique=False)
    op.create_table('sales_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=16, scale=4), nullable=False),
    sa.Column('unit_price', MONEY, nullable=False),
    sa.Column('discount', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('tax', MONEY, nullable=False),
    sa.Column('total', MONEY, nullable=False),
    sa.CheckConstraint('quantity > 0', name='ck_sales_order_line_quantity'),
    sa.CheckConstraint('discount >= 0 AND discount <= 100', name='ck_sales_order_line_discount'),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_sales_order_line_order_id', 'sales_order_line', ['order_id'], unique=False)
    op.create_index('ix_sales_order_line_product_order', 'sales_order_line', ['product_id', 'order_id'], unique=False)


def downgrade():
    op.drop_index('ix_sales_order_line_product_order', table_name='sales_order_line')
    op.drop_index('ix_sales_order_line_order_id', table_name='sales_order_line')
    op.drop_table('sales_order_line')
    op.drop_index('ix_sales_order_created_at', table_name='sales_order')
    op.drop_index('ix_sales_order_status_id', table_name='sales_order')
    op.drop_index('ix_sales_order_customer_id_id', table_name='sales_order')
    op.drop_index('ix_sales_order_department_id_id', table_name='sales_order')
    op.drop_index('ix_sales_order_owner_id_id', table_name='sales_order')
    op.drop_table('sales_order')
