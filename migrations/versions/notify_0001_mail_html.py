"""notifications: mails keep an HTML part (clickable links) next to their plain text

Revision ID: notify_0001
Revises:
Depends on: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'notify_0001'
down_revision = None
branch_labels = ('notify',)
depends_on = '0001'


def upgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_column('html')
