"""shell: each user's stored choices (sidebar, columns, theme) and the site's settings (name, logo)

Revision ID: shell_0001
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'shell_0001'
down_revision = '0001'
branch_labels = ('shell',)
depends_on = None


def upgrade():
    op.create_table('user_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'key')
    )
    op.create_table('site_setting',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade():
    op.drop_table('site_setting')
    op.drop_table('user_preference')
