"""workflow: index for the inbox's "handled by me"

Revision ID: workflow_0002
Revises: workflow_0001
"""
from alembic import op


revision = 'workflow_0002'
down_revision = 'workflow_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_wf_task_decided_by', 'wf_task', ['decided_by_id', 'decided_at'], unique=False)


def downgrade():
    op.drop_index('ix_wf_task_decided_by', table_name='wf_task')
