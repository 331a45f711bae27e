"""print templates (打印模板) with their versions

Revision ID: printing_0001
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'printing_0001'
down_revision = '0001'
branch_labels = ('printing',)
depends_on = None


def upgrade():
    op.create_table('print_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=64), nullable=False),
    sa.Column('document', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('module', 'document', 'name', name='uq_print_template_name')
    )
    op.create_table('print_template_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['print_template.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('template_id', 'number', name='uq_print_template_version')
    )
    op.create_index(op.f('ix_print_template_version_template_id'), 'print_template_version', ['template_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_print_template_version_template_id'), table_name='print_template_version')
    op.drop_table('print_template_version')
    op.drop_table('print_template')
