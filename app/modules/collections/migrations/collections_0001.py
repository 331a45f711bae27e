"""collections: payments received, the invoices they settle, collection reminder rules and bank statement lines

Revision ID: collections_0001
Revises:
Depends on: invoices_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'collections_0001'
down_revision = None
branch_labels = ('collections',)
depends_on = ('invoices_0001',)

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade():
    op.create_table(
        'payment',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(length=32), nullable=False, unique=True),
        sa.Column('customer_id', sa.Integer(), sa.ForeignKey('customer.id'), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('bank_ref', sa.String(length=64)),
        sa.Column('payer', sa.String(length=200)),
        sa.Column('idempotency_key', sa.String(length=64), unique=True),
        sa.Column('unallocated', MONEY, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('refund_state', sa.String(length=16), nullable=False, server_default='none'),
        sa.Column('notes', sa.Text()),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=False),
        sa.Column('department_id', sa.Integer(), sa.ForeignKey('department.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('amount > 0', name='ck_payment_amount'),
        sqlite_autoincrement=True,
    )
    for name, columns in (('ix_payment_owner_id_id', ['owner_id', 'id']),
                          ('ix_payment_department_id_id', ['department_id', 'id']),
                          ('ix_payment_customer_id_id', ['customer_id', 'id']),
                          ('ix_payment_created_at', ['created_at'])):
        op.create_index(name, 'payment', columns)
    op.create_index('uq_payment_customer_bank_ref', 'payment', ['customer_id', 'bank_ref'], unique=True)
    if op.get_bind().dialect.name == 'postgresql':
        # Bank statement matching: a transfer's reference over all customers, and earlier payments of a payer.
        op.create_index('ix_payment_bank_ref_search', 'payment', ['bank_ref'])
        op.create_index('ix_payment_payer_search', 'payment', ['payer'])
    op.create_table(
        'payment_allocation',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('payment_id', sa.Integer(), sa.ForeignKey('payment.id', ondelete='CASCADE'), nullable=False),
        sa.Column('invoice_id', sa.Integer(), sa.ForeignKey('invoice.id'), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('amount > 0', name='ck_payment_allocation_amount'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_payment_allocation_payment_id', 'payment_allocation', ['payment_id'])
    op.create_index('ix_payment_allocation_invoice_id', 'payment_allocation', ['invoice_id'])
    op.create_table(
        'dunning_rule',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(length=60), nullable=False, unique=True),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('notify_owner', sa.Boolean(), nullable=False),
        sa.Column('mail_contact', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.CheckConstraint('days BETWEEN -365 AND 3650', name='ck_dunning_rule_days'),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'bank_line',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('booked_on', sa.Date(), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('payer', sa.String(length=200)),
        sa.Column('payer_account', sa.String(length=64)),
        sa.Column('bank_ref', sa.String(length=64)),
        sa.Column('memo', sa.String(length=255)),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('customer_id', sa.Integer(), sa.ForeignKey('customer.id')),
        sa.Column('payment_id', sa.Integer(), sa.ForeignKey('payment.id')),
        sa.Column('note', sa.String(length=255)),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=False),
        sa.Column('department_id', sa.Integer(), sa.ForeignKey('department.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('amount > 0', name='ck_bank_line_amount'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_bank_line_status_id', 'bank_line', ['status', 'id'])
    op.create_index('ix_bank_line_owner_id_id', 'bank_line', ['owner_id', 'id'])
    op.create_index('uq_bank_line_bank_ref', 'bank_line', ['bank_ref'], unique=True)


def downgrade():
    op.drop_table('bank_line')
    op.drop_table('dunning_rule')
    op.drop_table('payment_allocation')
    op.drop_table('payment')
