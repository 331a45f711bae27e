"""saved views: a list's search, filters, sort, page size and columns kept under a name, shared with roles

Revision ID: views_0001
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'views_0001'
down_revision = '0001'
branch_labels = ('views',)
depends_on = None


def upgrade():
    op.create_table('saved_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('args', sa.Text(), nullable=False),
    sa.Column('columns', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner_id', 'module', 'name', name='uq_saved_view_owner_module_name')
    )
    op.create_index(op.f('ix_saved_view_module'), 'saved_view', ['module'], unique=False)
    op.create_table('saved_view_role',
    sa.Column('view_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['ab_role.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['view_id'], ['saved_view.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('view_id', 'role_id')
    )


def downgrade():
    op.drop_table('saved_view_role')
    op.drop_index(op.f('ix_saved_view_module'), table_name='saved_view')
    op.drop_table('saved_view')
