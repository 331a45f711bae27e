"""purchasing: purchase orders and their lines

Revision ID: purchasing_0002
Revises: purchasing_0001
Depends on: inventory_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'purchasing_0002'
down_revision = 'purchasing_0001'
branch_labels = None
depends_on = ('inventory_0001',)

MONEY = sa.Numeric(precision=18, scale=2)
QTY = sa.Numeric(precision=16, scale=4)


def upgrade():
    op.create_table(
        'purchase_order',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(length=32), nullable=False, unique=True),
        sa.Column('supplier_id', sa.Integer(), sa.ForeignKey('supplier.id'), nullable=False),
        sa.Column('warehouse_id', sa.Integer(), sa.ForeignKey('warehouse.id')),
        sa.Column('quote_id', sa.Integer(), sa.ForeignKey('supplier_quote.id', ondelete='SET NULL')),
        sa.Column('order_date', sa.Date(), nullable=False),
        sa.Column('expected_date', sa.Date()),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('untaxed', MONEY, nullable=False),
        sa.Column('tax', MONEY, nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('cancel_reason', sa.Text()),
        sa.Column('notes', sa.Text()),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=False),
        sa.Column('department_id', sa.Integer(), sa.ForeignKey('department.id')),
        sa.Column('ordered_at', sa.DateTime()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_purchase_order_created_at', 'purchase_order', ['created_at'])
    op.create_index('ix_purchase_order_owner_id_id', 'purchase_order', ['owner_id', 'id'])
    op.create_index('ix_purchase_order_department_id_id', 'purchase_order', ['department_id', 'id'])
    op.create_index('ix_purchase_order_supplier_id_id', 'purchase_order', ['supplier_id', 'id'])
    op.create_index('ix_purchase_order_status_id', 'purchase_order', ['status', 'id'])
    op.create_table(
        'purchase_order_line',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('purchase_order.id', ondelete='CASCADE'), nullable=False),
        sa.Column('product_id', sa.Integer(), sa.ForeignKey('product.id'), nullable=False),
        sa.Column('quantity', QTY, nullable=False),
        sa.Column('unit_price', MONEY, nullable=False),
        sa.Column('tax_rate', sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('tax', MONEY, nullable=False),
        sa.Column('delivery_date', sa.Date()),
        sa.Column('received', QTY, nullable=False),
        sa.CheckConstraint('quantity > 0', name='ck_purchase_order_line_quantity'),
        sa.CheckConstraint('received >= 0', name='ck_purchase_order_line_received'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_purchase_order_line_order_id', 'purchase_order_line', ['order_id'])
    op.create_index('ix_purchase_order_line_product_order', 'purchase_order_line', ['product_id', 'order_id'])


def downgrade():
    op.drop_table('purchase_order_line')
    op.drop_table('purchase_order')
