"""purchasing: goods receipts (入库单) of purchase orders

Revision ID: purchasing_0003
Revises: purchasing_0002
"""
from alembic import op
import sqlalchemy as sa

revision = 'purchasing_0003'
down_revision = 'purchasing_0002'
branch_labels = None
depends_on = None

QTY = sa.Numeric(precision=16, scale=4)


def upgrade():
    op.create_table(
        'goods_receipt',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(length=32), nullable=False, unique=True),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('purchase_order.id'), nullable=False),
        sa.Column('warehouse_id', sa.Integer(), sa.ForeignKey('warehouse.id'), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('received_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('note', sa.String(length=255)),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_goods_receipt_order_id', 'goods_receipt', ['order_id'])
    op.create_table(
        'goods_receipt_line',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('receipt_id', sa.Integer(), sa.ForeignKey('goods_receipt.id', ondelete='CASCADE'), nullable=False),
        sa.Column('order_line_id', sa.Integer(), sa.ForeignKey('purchase_order_line.id'), nullable=False),
        sa.Column('product_id', sa.Integer(), sa.ForeignKey('product.id'), nullable=False),
        sa.Column('accepted', QTY, nullable=False),
        sa.Column('rejected', QTY, nullable=False),
        sa.Column('reject_reason', sa.String(length=255)),
        sa.Column('bin_id', sa.Integer(), sa.ForeignKey('warehouse_bin.id')),
        sa.CheckConstraint('accepted >= 0', name='ck_goods_receipt_line_accepted'),
        sa.CheckConstraint('rejected >= 0', name='ck_goods_receipt_line_rejected'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_goods_receipt_line_receipt_id', 'goods_receipt_line', ['receipt_id'])
    op.create_index('ix_goods_receipt_line_order_line_id', 'goods_receipt_line', ['order_line_id'])


def downgrade():
    op.drop_table('goods_receipt_line')
    op.drop_table('goods_receipt')
