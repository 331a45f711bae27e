"""customers: bigram index for searching customer names by any part (PostgreSQL)

Revision ID: customers_0003
Revises: customers_0002
Depends on: 0004
"""
from alembic import op

revision = 'customers_0003'
down_revision = 'customers_0002'
branch_labels = None
depends_on = '0004'


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE INDEX IF NOT EXISTS ix_customer_name_bigram ON customer USING gin (zwt_bigrams(name))")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_customer_name_bigram")
