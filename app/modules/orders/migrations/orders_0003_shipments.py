"""orders: shipments (发货单) with their lines, and how much of each order line has shipped

Revision ID: orders_0003
Revises: orders_0002
"""
from alembic import op
import sqlalchemy as sa

revision = 'orders_0003'
down_revision = 'orders_0002'
branch_labels = None
depends_on = None

QUANTITY = sa.Numeric(precision=16, scale=4)


def upgrade():
    # A plain ADD COLUMN (a batch copy of the table on SQLite could lose its CHECK constraints).
    op.add_column('sales_order_line', sa.Column('shipped', QUANTITY, nullable=False, server_default='0'))
    op.execute("UPDATE sales_order_line SET shipped = quantity WHERE order_id IN "
               "(SELECT id FROM sales_order WHERE status IN ('shipped', 'received', 'completed'))")
    op.create_table('order_shipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=60), nullable=True),
    sa.Column('tracking_no', sa.String(length=60), nullable=True),
    sa.Column('shipped_at', sa.DateTime(), nullable=False),
    sa.Column('shipped_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipped_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('order_shipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_shipment_order_id'), ['order_id'], unique=False)
    op.create_table('order_shipment_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', QUANTITY, nullable=False),
    sa.CheckConstraint('quantity > 0', name='ck_order_shipment_line_quantity'),
    sa.ForeignKeyConstraint(['order_line_id'], ['sales_order_line.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['shipment_id'], ['order_shipment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('order_shipment_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_shipment_line_shipment_id'), ['shipment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('order_shipment_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_shipment_line_shipment_id'))
    op.drop_table('order_shipment_line')
    with op.batch_alter_table('order_shipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_shipment_order_id'))
    op.drop_table('order_shipment')
    op.drop_column('sales_order_line', 'shipped')
