"""purchasing: supplier invoices with their three-way match, supplier payments (付款单), supplier ratings

Revision ID: purchasing_0004
Revises: purchasing_0003
"""
from alembic import op
import sqlalchemy as sa

revision = 'purchasing_0004'
down_revision = 'purchasing_0003'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=2)
QTY = sa.Numeric(precision=16, scale=4)
SCORE = sa.Numeric(precision=5, scale=1)
RATE = sa.Numeric(precision=7, scale=4)


def upgrade():
    with op.batch_alter_table('purchase_order_line') as batch:
        batch.add_column(sa.Column('invoiced', QTY, nullable=False, server_default='0'))
    with op.batch_alter_table('goods_receipt') as batch:
        batch.add_column(sa.Column('quality_rating', sa.SmallInteger()))
        batch.add_column(sa.Column('service_rating', sa.SmallInteger()))
    with op.batch_alter_table('supplier') as batch:
        batch.add_column(sa.Column('score', SCORE))
        batch.add_column(sa.Column('grade', sa.String(length=1)))
    op.create_table(
        'supplier_invoice',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(length=32), nullable=False, unique=True),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('supplier_id', sa.Integer(), sa.ForeignKey('supplier.id'), nullable=False),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('purchase_order.id'), nullable=False),
        sa.Column('invoice_date', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('untaxed', MONEY, nullable=False),
        sa.Column('tax', MONEY, nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('expected', MONEY, nullable=False),
        sa.Column('paid', MONEY, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('match_status', sa.String(length=16), nullable=False),
        sa.Column('match_note', sa.Text()),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=False),
        sa.Column('department_id', sa.Integer(), sa.ForeignKey('department.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('supplier_id', 'number', name='uq_supplier_invoice_number'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_supplier_invoice_supplier_id', 'supplier_invoice', ['supplier_id'])
    op.create_index('ix_supplier_invoice_order_id', 'supplier_invoice', ['order_id'])
    op.create_index('ix_supplier_invoice_created_at', 'supplier_invoice', ['created_at'])
    op.create_index('ix_supplier_invoice_owner_id_id', 'supplier_invoice', ['owner_id', 'id'])
    op.create_index('ix_supplier_invoice_department_id_id', 'supplier_invoice', ['department_id', 'id'])
    op.create_index('ix_supplier_invoice_status_due', 'supplier_invoice', ['status', 'due_date'])
    op.create_table(
        'supplier_invoice_line',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('invoice_id', sa.Integer(), sa.ForeignKey('supplier_invoice.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('order_line_id', sa.Integer(), sa.ForeignKey('purchase_order_line.id'), nullable=False),
        sa.Column('product_id', sa.Integer(), sa.ForeignKey('product.id'), nullable=False),
        sa.Column('quantity', QTY, nullable=False),
        sa.Column('unit_price', MONEY, nullable=False),
        sa.Column('tax_rate', sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('tax', MONEY, nullable=False),
        sa.Column('ordered_price', MONEY, nullable=False),
        sa.Column('received_open', QTY, nullable=False),
        sa.Column('quantity_diff', QTY, nullable=False),
        sa.Column('price_diff', MONEY, nullable=False),
        sa.Column('flagged', sa.Boolean(), nullable=False),
        sa.CheckConstraint('quantity > 0', name='ck_supplier_invoice_line_quantity'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_supplier_invoice_line_invoice_id', 'supplier_invoice_line', ['invoice_id'])
    op.create_index('ix_supplier_invoice_line_order_line_id', 'supplier_invoice_line', ['order_line_id'])
    op.create_table(
        'supplier_payment',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(length=32), nullable=False, unique=True),
        sa.Column('supplier_id', sa.Integer(), sa.ForeignKey('supplier.id'), nullable=False),
        sa.Column('invoice_id', sa.Integer(), sa.ForeignKey('supplier_invoice.id'), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('pay_on', sa.Date()),
        sa.Column('paid_on', sa.Date()),
        sa.Column('reference', sa.String(length=64)),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('notes', sa.Text()),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=False),
        sa.Column('department_id', sa.Integer(), sa.ForeignKey('department.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('amount > 0', name='ck_supplier_payment_amount'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_supplier_payment_supplier_id', 'supplier_payment', ['supplier_id'])
    op.create_index('ix_supplier_payment_invoice_id', 'supplier_payment', ['invoice_id'])
    op.create_index('ix_supplier_payment_created_at', 'supplier_payment', ['created_at'])
    op.create_index('ix_supplier_payment_owner_id_id', 'supplier_payment', ['owner_id', 'id'])
    op.create_index('ix_supplier_payment_department_id_id', 'supplier_payment', ['department_id', 'id'])
    op.create_table(
        'supplier_rating',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('supplier_id', sa.Integer(), sa.ForeignKey('supplier.id', ondelete='CASCADE'), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('receipt_lines', sa.Integer(), nullable=False),
        sa.Column('received', QTY, nullable=False),
        sa.Column('rejected', QTY, nullable=False),
        sa.Column('on_time_rate', RATE),
        sa.Column('rejection_rate', RATE),
        sa.Column('price_index', RATE),
        sa.Column('quality', SCORE),
        sa.Column('delivery', SCORE),
        sa.Column('price', SCORE),
        sa.Column('service', SCORE),
        sa.Column('score', SCORE),
        sa.Column('grade', sa.String(length=1)),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('supplier_id', 'period', name='uq_supplier_rating_period'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_supplier_rating_supplier_id', 'supplier_rating', ['supplier_id'])


def downgrade():
    op.drop_table('supplier_rating')
    op.drop_table('supplier_payment')
    op.drop_table('supplier_invoice_line')
    op.drop_table('supplier_invoice')
    with op.batch_alter_table('supplier') as batch:
        batch.drop_column('grade')
        batch.drop_column('score')
    with op.batch_alter_table('goods_receipt') as batch:
        batch.drop_column('service_rating')
        batch.drop_column('quality_rating')
    with op.batch_alter_table('purchase_order_line') as batch:
        batch.drop_column('invoiced')
