"""custom_fields: fields admins add to any module (自定义字段)

Revision ID: custom_fields_0001
Revises:
Depends on: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'custom_fields_0001'
down_revision = None
branch_labels = ('custom_fields',)
depends_on = '0001'


def upgrade():
    op.create_table('custom_field',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('default', sa.JSON(), nullable=True),
    sa.Column('help_text', sa.String(length=500), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('module', 'name', name='uq_custom_field_module_name')
    )
    op.create_index('ix_custom_field_module', 'custom_field', ['module'], unique=False)


def downgrade():
    op.drop_index('ix_custom_field_module', table_name='custom_field')
    op.drop_table('custom_field')
