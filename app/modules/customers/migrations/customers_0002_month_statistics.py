"""customers: statistics for grouping customers by month of creation

Without them PostgreSQL expects a million distinct months, sorts every row and spills to disk
for the "new customers by month" chart; with them it hashes a few dozen groups.

Revision ID: customers_0002
Revises: customers_0001
"""
from alembic import op

revision = 'customers_0002'
down_revision = 'customers_0001'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE STATISTICS IF NOT EXISTS customer_created_month "
                   "ON (to_char(created_at, 'YYYY-MM')) FROM customer")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP STATISTICS IF EXISTS customer_created_month")
