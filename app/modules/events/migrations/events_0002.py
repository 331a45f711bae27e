"""events: the budget approval, the agenda, preparation tasks and milestones, resources and their bookings, expenses

Revision ID: events_0002
Revises: events_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'events_0002'
down_revision = 'events_0001'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade():
    op.add_column('event', sa.Column('approval', sa.String(length=16), nullable=False, server_default='draft'))
    # Events already past preparation were let through before the approval existed.
    op.execute("UPDATE event SET approval = 'approved' WHERE status <> 'preparing'")
    op.create_table(
        'event_session',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('event.id', ondelete='CASCADE'), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('speaker', sa.String(length=100)),
        sa.Column('room', sa.String(length=100)),
        sa.CheckConstraint('ends_at >= starts_at', name='ck_event_session_times'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_event_session_event_starts', 'event_session', ['event_id', 'starts_at'])
    op.create_table(
        'event_task',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('event.id', ondelete='CASCADE'), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('milestone', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reminded_on', sa.Date()),
        sa.Column('done_at', sa.DateTime()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('due_on >= starts_on', name='ck_event_task_dates'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_event_task_event_due', 'event_task', ['event_id', 'due_on'])
    op.create_index('ix_event_task_due_status', 'event_task', ['due_on', 'status'])
    op.create_table(
        'event_resource',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False, unique=True),
        sa.Column('unit', sa.String(length=20)),
        sa.Column('unit_cost', MONEY, nullable=False),
        sa.Column('stock', sa.Integer()),
        sa.Column('capacity', sa.Integer()),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('notes', sa.Text()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('stock IS NULL OR stock >= 0', name='ck_event_resource_stock'),
        sa.CheckConstraint('unit_cost >= 0', name='ck_event_resource_cost'),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'event_allocation',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('event.id', ondelete='CASCADE'), nullable=False),
        sa.Column('resource_id', sa.Integer(), sa.ForeignKey('event_resource.id'), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('cost', MONEY, nullable=False),
        sa.Column('notes', sa.String(length=300)),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('ends_at > starts_at', name='ck_event_allocation_times'),
        sa.CheckConstraint('quantity > 0', name='ck_event_allocation_quantity'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_event_allocation_resource_starts', 'event_allocation', ['resource_id', 'starts_at'])
    op.create_index('ix_event_allocation_event', 'event_allocation', ['event_id'])
    op.create_table(
        'event_expense',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('event.id', ondelete='CASCADE'), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('spent_on', sa.Date(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('amount > 0', name='ck_event_expense_amount'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_event_expense_event', 'event_expense', ['event_id'])


def downgrade():
    for table in ('event_expense', 'event_allocation', 'event_resource', 'event_task', 'event_session'):
        op.drop_table(table)
    with op.batch_alter_table('event') as batch:
        batch.drop_column('approval')
