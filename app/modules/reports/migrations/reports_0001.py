"""reports: favourite and pinned reports, reports built in the centre, dashboards

Revision ID: reports_0001
Revises:
Depends on: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'reports_0001'
down_revision = None
branch_labels = ('reports',)
depends_on = ('0001',)


def upgrade():
    op.create_table(
        'report_favourite',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('ab_user.id', ondelete='CASCADE'), nullable=False),
        sa.Column('report', sa.String(length=80), nullable=False),
        sa.Column('pinned', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('query', sa.String(length=255), nullable=False, server_default=''),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('user_id', 'report', name='uq_report_favourite'),
    )
    op.create_table(
        'saved_report',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(length=100), nullable=False, unique=True),
        sa.Column('module', sa.String(length=64), nullable=False),
        sa.Column('group_by', sa.String(length=64), nullable=False),
        sa.Column('measure', sa.String(length=80), nullable=False, server_default='count'),
        sa.Column('chart', sa.String(length=8), nullable=False, server_default='bar'),
        sa.Column('description', sa.Text()),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('ab_user.id', ondelete='SET NULL')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'dashboard',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(length=40), unique=True),
        sa.Column('name', sa.String(length=100), nullable=False, unique=True),
        sa.Column('role_name', sa.String(length=64)),
        sa.Column('layout', sa.Text(), nullable=False, server_default='[]'),
        sa.Column('refresh', sa.Integer(), nullable=False, server_default='300'),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )


def downgrade():
    op.drop_table('dashboard')
    op.drop_table('saved_report')
    op.drop_table('report_favourite')
