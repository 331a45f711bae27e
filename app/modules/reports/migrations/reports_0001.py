"""reports: favourite and pinned reports, reports built in the centre, dashboards, scheduled reports

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
    op.create_table(
        'report_subscription',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('ab_user.id', ondelete='CASCADE'), nullable=False, index=True),
        sa.Column('report', sa.String(length=80), nullable=False),
        sa.Column('query', sa.String(length=255), nullable=False, server_default=''),
        sa.Column('schedule', sa.String(length=16), nullable=False),
        sa.Column('cron', sa.String(length=100)),
        sa.Column('fmt', sa.String(length=8), nullable=False, server_default='xlsx'),
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'report_delivery',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('subscription_id', sa.Integer(), sa.ForeignKey('report_subscription.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('period', sa.String(length=32), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('subscription_id', 'period', name='uq_report_delivery_period'),
    )


def downgrade():
    op.drop_table('report_delivery')
    op.drop_table('report_subscription')
    op.drop_table('dashboard')
    op.drop_table('saved_report')
    op.drop_table('report_favourite')
