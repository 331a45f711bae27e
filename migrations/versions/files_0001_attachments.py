"""files: attachments (附件) on any record of any module, and the blobs they store once

Revision ID: files_0001
Revises:
Depends on: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'files_0001'
down_revision = None
branch_labels = ('files',)
depends_on = '0001'


def upgrade():
    op.create_table('file_blob',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spec', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=120), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['sha256'], ['file_blob.sha256'], ),
    sa.ForeignKeyConstraint(['uploader_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_attachment_record', 'attachment', ['spec', 'record_id', 'id'], unique=False)
    op.create_index(op.f('ix_attachment_sha256'), 'attachment', ['sha256'], unique=False)
    op.create_index(op.f('ix_attachment_uploader_id'), 'attachment', ['uploader_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_attachment_uploader_id'), table_name='attachment')
    op.drop_index(op.f('ix_attachment_sha256'), table_name='attachment')
    op.drop_index('ix_attachment_record', table_name='attachment')
    op.drop_table('attachment')
    op.drop_table('file_blob')
