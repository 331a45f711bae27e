"""customers: custom field values of customers and contacts (one JSON column; JSONB on PostgreSQL)

Adding a column with a constant default rewrites no rows on PostgreSQL 11 and later.

Revision ID: customers_0007
Revises: customers_0006
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'customers_0007'
down_revision = 'customers_0006'
branch_labels = None
depends_on = None

CUSTOM = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    for table in ('customer', 'contact'):
        op.add_column(table, sa.Column('custom', CUSTOM, nullable=False, server_default=sa.text("'{}'")))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would lose its expression
    # indexes (lower(name)).
    for table in ('contact', 'customer'):
        op.drop_column(table, 'custom')
