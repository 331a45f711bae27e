"""contracts: custom field values (one JSON column; JSONB on PostgreSQL)

Revision ID: contracts_0002
Revises: contracts_0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'contracts_0002'
down_revision = 'contracts_0001'
branch_labels = None
depends_on = None

CUSTOM = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    op.add_column('contract', sa.Column('custom', CUSTOM, nullable=False, server_default=sa.text("'{}'")))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would lose its expression indexes.
    op.drop_column('contract', 'custom')
