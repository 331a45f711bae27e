"""products: bigram indexes for searching the catalogue by any part of a name, SKU, brand or model (PostgreSQL)

Revision ID: products_0002
Revises: products_0001
Depends on: 0004
"""
from alembic import op

revision = 'products_0002'
down_revision = 'products_0001'
branch_labels = None
depends_on = '0004'

COLUMNS = ('name', 'sku', 'brand', 'model')


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for column in COLUMNS:
            op.execute(f"CREATE INDEX IF NOT EXISTS ix_product_{column}_bigram ON product USING gin (zwt_bigrams({column}))")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for column in COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS ix_product_{column}_bigram")
