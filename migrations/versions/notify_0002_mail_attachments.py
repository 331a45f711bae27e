"""notifications: mails carry attachments (files in the file store, e.g. a purchase order's PDF to the supplier)

Revision ID: notify_0002
Revises: notify_0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'notify_0002'
down_revision = 'notify_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachments', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_column('attachments')
