"""print templates per kind of record (a default per invoice type)

Revision ID: printing_0002
Revises: printing_0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'printing_0002'
down_revision = 'printing_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('print_template') as batch_op:
        batch_op.add_column(sa.Column('variant', sa.String(length=32), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('print_template') as batch_op:
        batch_op.drop_column('variant')
