"""orders: the approval of an order over its customer's credit or beyond the discount limit

Revision ID: orders_0004
Revises: orders_0003
"""
from alembic import op
import sqlalchemy as sa

revision = 'orders_0004'
down_revision = 'orders_0003'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs: no copy of the table.
    op.add_column('sales_order', sa.Column('approval', sa.String(length=16), nullable=False, server_default='draft'))
    op.add_column('sales_order', sa.Column('credit_excess', sa.Numeric(precision=18, scale=2), nullable=True))


def downgrade():
    op.drop_column('sales_order', 'credit_excess')
    op.drop_column('sales_order', 'approval')
