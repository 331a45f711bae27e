"""purchasing: the kept spend of given suppliers along an index (the supplier ranking reads only the suppliers it
shows)

Revision ID: purchasing_0007
Revises: purchasing_0006
"""
from alembic import op

revision = 'purchasing_0007'
down_revision = 'purchasing_0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_purchase_spend_supplier', 'purchase_spend', ['supplier_id', 'month'])


def downgrade():
    op.drop_index('ix_purchase_spend_supplier', table_name='purchase_spend')
