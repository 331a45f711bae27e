"""approval_forms: approval forms, their field versions and the requests made with them

Revision ID: approval_forms_0001
Revises:
Depends on: 0001, files_0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'approval_forms_0001'
down_revision = None
branch_labels = ('approval_forms',)
depends_on = ('0001', 'files_0001')


def upgrade():
    op.create_table('approval_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('icon', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('group_name', sa.String(length=40), nullable=False),
    sa.Column('chain', sa.String(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('approval_form_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['form_id'], ['approval_form.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('form_id', 'version', name='uq_approval_form_version')
    )
    op.create_table('approval_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=40), nullable=False),
    sa.Column('form_version', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('days', sa.Numeric(precision=8, scale=1), nullable=True),
    sa.Column('total', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('category', sa.String(length=60), nullable=True),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('submitter_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['approval_form.id'], ),
    sa.ForeignKeyConstraint(['submitter_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('approval_request', schema=None) as batch_op:
        batch_op.create_index('ix_approval_request_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_approval_request_submitter_id_id', ['submitter_id', 'id'], unique=False)
        batch_op.create_index('ix_approval_request_department_id_id', ['department_id', 'id'], unique=False)
        batch_op.create_index('ix_approval_request_status_id', ['status', 'id'], unique=False)


def downgrade():
    op.drop_table('approval_request')
    op.drop_table('approval_form_version')
    op.drop_table('approval_form')
