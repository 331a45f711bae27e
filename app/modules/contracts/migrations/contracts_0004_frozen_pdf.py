"""contracts: the SHA-256 of the contract's PDF as approved

Revision ID: contracts_0004
Revises: contracts_0003
"""
from alembic import op
import sqlalchemy as sa

revision = 'contracts_0004'
down_revision = 'contracts_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('contract', sa.Column('pdf_sha256', sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column('contract', 'pdf_sha256')
