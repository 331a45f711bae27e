"""workflow: the people a submitter chose for a chain's submitter_picks rules (发起人自选)

Revision ID: workflow_0003
Revises: workflow_0002
"""
from alembic import op
import sqlalchemy as sa


revision = 'workflow_0003'
down_revision = 'workflow_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wf_instance') as batch:
        batch.add_column(sa.Column('picks', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('wf_instance') as batch:
        batch.drop_column('picks')
