"""invoices: invoices with their lines, and the void reasons

Revision ID: invoices_0001
Revises:
Depends on: orders_0004, contracts_0005
"""
from alembic import op
import sqlalchemy as sa

revision = 'invoices_0001'
down_revision = None
branch_labels = ('invoices',)
depends_on = ('orders_0004', 'contracts_0005')

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade():
    op.create_table(
        'invoice_void_reason',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(length=60), nullable=False, unique=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'invoice',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(length=40), nullable=False, unique=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('red', sa.Boolean(), nullable=False),
        sa.Column('original_id', sa.Integer(), sa.ForeignKey('invoice.id')),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('customer_id', sa.Integer(), sa.ForeignKey('customer.id'), nullable=False),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('sales_order.id')),
        sa.Column('contract_id', sa.Integer(), sa.ForeignKey('contract.id')),
        sa.Column('issue_date', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('buyer_name', sa.String(length=200), nullable=False),
        sa.Column('buyer_tax_id', sa.String(length=32)),
        sa.Column('buyer_address_phone', sa.String(length=255)),
        sa.Column('buyer_bank_account', sa.String(length=255)),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('tax', MONEY, nullable=False),
        sa.Column('total', MONEY, nullable=False),
        sa.Column('paid', MONEY, nullable=False, server_default='0'),
        sa.Column('notes', sa.Text()),
        sa.Column('platform_ref', sa.String(length=64)),
        sa.Column('void_state', sa.String(length=16), nullable=False),
        sa.Column('void_reason_id', sa.Integer(), sa.ForeignKey('invoice_void_reason.id')),
        sa.Column('void_note', sa.Text()),
        sa.Column('voided_at', sa.DateTime()),
        sa.Column('print_count', sa.Integer(), nullable=False),
        sa.Column('printed_at', sa.DateTime()),
        sa.Column('printed_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=False),
        sa.Column('department_id', sa.Integer(), sa.ForeignKey('department.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    for name, columns in (('ix_invoice_owner_id_id', ['owner_id', 'id']),
                          ('ix_invoice_department_id_id', ['department_id', 'id']),
                          ('ix_invoice_customer_id_id', ['customer_id', 'id']),
                          ('ix_invoice_status_id', ['status', 'id']),
                          ('ix_invoice_issue_date_id', ['issue_date', 'id']),
                          ('ix_invoice_original_id', ['original_id']),
                          ('ix_invoice_order_id', ['order_id']),
                          ('ix_invoice_contract_id', ['contract_id']),
                          ('ix_invoice_created_at', ['created_at'])):
        op.create_index(name, 'invoice', columns)
    open_only = sa.text("status = 'issued' AND NOT red AND paid < total")
    op.create_index('ix_invoice_open', 'invoice', ['customer_id', 'due_date'], postgresql_where=open_only,
                    sqlite_where=open_only)
    if op.get_bind().dialect.name == 'postgresql':
        # Bank statement matching looks an amount up among what open invoices still owe.
        op.execute("CREATE INDEX ix_invoice_owed_search ON invoice ((total - paid)) "
                   "WHERE status = 'issued' AND NOT red AND paid < total")
    op.create_table(
        'invoice_line',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('invoice_id', sa.Integer(), sa.ForeignKey('invoice.id', ondelete='CASCADE'), nullable=False),
        sa.Column('order_line_id', sa.Integer(), sa.ForeignKey('sales_order_line.id')),
        sa.Column('instalment_id', sa.Integer(), sa.ForeignKey('contract_instalment.id')),
        sa.Column('product_id', sa.Integer(), sa.ForeignKey('product.id')),
        sa.Column('description', sa.String(length=200), nullable=False),
        sa.Column('unit', sa.String(length=16)),
        sa.Column('quantity', sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column('unit_price', sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column('tax_rate', sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('tax', MONEY, nullable=False),
        sa.Column('total', MONEY, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_invoice_line_invoice_id', 'invoice_line', ['invoice_id'])
    op.create_index('ix_invoice_line_order_line_id', 'invoice_line', ['order_line_id'])
    op.create_index('ix_invoice_line_instalment_id', 'invoice_line', ['instalment_id'])


def downgrade():
    op.drop_table('invoice_line')
    op.drop_table('invoice')
    op.drop_table('invoice_void_reason')
