"""events: marketing events, their registrations with a waiting list and check-in

Revision ID: events_0001
Revises:
Depends on: customers_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'events_0001'
down_revision = None
branch_labels = ('events',)
depends_on = ('customers_0001',)

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade():
    op.create_table(
        'event',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(length=32), nullable=False, unique=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('venue', sa.String(length=300)),
        sa.Column('online_url', sa.String(length=500)),
        sa.Column('capacity', sa.Integer()),
        sa.Column('registration_deadline', sa.DateTime()),
        sa.Column('budget', MONEY, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('description', sa.Text()),
        sa.Column('asked', sa.String(length=200), nullable=False),
        sa.Column('consent_text', sa.Text()),
        sa.Column('public_key', sa.String(length=32), nullable=False, unique=True),
        sa.Column('registered', sa.Integer(), nullable=False),
        sa.Column('waiting', sa.Integer(), nullable=False),
        sa.Column('checked_in', sa.Integer(), nullable=False),
        sa.Column('cancel_reason', sa.Text()),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=False),
        sa.Column('department_id', sa.Integer(), sa.ForeignKey('department.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('capacity IS NULL OR capacity > 0', name='ck_event_capacity'),
        sa.CheckConstraint('capacity IS NULL OR registered <= capacity', name='ck_event_not_overbooked'),
        sa.CheckConstraint('ends_at >= starts_at', name='ck_event_dates'),
        sqlite_autoincrement=True,
    )
    for name, columns in (('ix_event_owner_id_id', ['owner_id', 'id']),
                          ('ix_event_department_id_id', ['department_id', 'id']),
                          ('ix_event_starts_at', ['starts_at']), ('ix_event_status_id', ['status', 'id']),
                          ('ix_event_created_at', ['created_at'])):
        op.create_index(name, 'event', columns)
    op.create_table(
        'event_registration',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('event.id', ondelete='CASCADE'), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False, unique=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('email', sa.String(length=200)),
        sa.Column('company', sa.String(length=200)),
        sa.Column('title', sa.String(length=100)),
        sa.Column('remark', sa.String(length=500)),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('consented', sa.Boolean(), nullable=False),
        sa.Column('customer_id', sa.Integer(), sa.ForeignKey('customer.id', ondelete='SET NULL')),
        sa.Column('contact_id', sa.Integer(), sa.ForeignKey('contact.id', ondelete='SET NULL')),
        sa.Column('checked_in_at', sa.DateTime()),
        sa.Column('checked_in_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('cancelled_at', sa.DateTime()),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index('uq_event_registration_phone', 'event_registration', ['event_id', 'phone'], unique=True)
    op.create_index('ix_event_registration_event_status_id', 'event_registration', ['event_id', 'status', 'id'])
    op.create_index('ix_event_registration_customer_id', 'event_registration', ['customer_id'])


def downgrade():
    op.drop_table('event_registration')
    op.drop_table('event')
