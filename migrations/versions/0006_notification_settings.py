"""security: each user's notification settings (notices by e-mail or in the app only)

Revision ID: security_0002
Revises: security_0001
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'security_0002'
down_revision = 'security_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_setting',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('by_mail', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade():
    op.drop_table('notification_setting')
