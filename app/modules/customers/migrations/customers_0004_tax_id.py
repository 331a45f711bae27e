"""customers: tax id (税号), looked up when checking for duplicates

Revision ID: customers_0004
Revises: customers_0003
"""
from alembic import op
import sqlalchemy as sa

revision = 'customers_0004'
down_revision = 'customers_0003'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: a batch copy of the table on SQLite would lose the
# expression index ix_customer_name_lower, which cannot be reflected.
def upgrade():
    op.add_column('customer', sa.Column('tax_id', sa.String(length=32), nullable=True))
    op.create_index('ix_customer_tax_id', 'customer', ['tax_id'], unique=False)


def downgrade():
    op.drop_index('ix_customer_tax_id', table_name='customer')
    op.drop_column('customer', 'tax_id')
