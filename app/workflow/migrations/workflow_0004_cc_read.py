"""workflow: when a user read an approval copied to them (抄送我的 read / unread)

Revision ID: workflow_0004
Revises: workflow_0003
"""
from alembic import op
import sqlalchemy as sa


revision = 'workflow_0004'
down_revision = 'workflow_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wf_cc_read',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['wf_instance.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id', 'user_id')
    )


def downgrade():
    op.drop_table('wf_cc_read')
