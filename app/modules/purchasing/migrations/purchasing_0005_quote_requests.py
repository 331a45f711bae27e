"""purchasing: requests for quotation (询价单) to several suppliers, answered by quotes

Revision ID: purchasing_0005
Revises: purchasing_0004
"""
from alembic import op
import sqlalchemy as sa

revision = 'purchasing_0005'
down_revision = 'purchasing_0004'
branch_labels = None
depends_on = None

QTY = sa.Numeric(precision=16, scale=4)


def upgrade():
    op.create_table(
        'quote_request',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(length=32), nullable=False, unique=True),
        sa.Column('product_id', sa.Integer(), sa.ForeignKey('product.id'), nullable=False),
        sa.Column('quantity', QTY, nullable=False),
        sa.Column('needed_by', sa.Date()),
        sa.Column('reply_by', sa.Date()),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('notes', sa.Text()),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=False),
        sa.Column('department_id', sa.Integer(), sa.ForeignKey('department.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('quantity > 0', name='ck_quote_request_quantity'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_quote_request_product_id', 'quote_request', ['product_id'])
    op.create_index('ix_quote_request_created_at', 'quote_request', ['created_at'])
    op.create_index('ix_quote_request_owner_id_id', 'quote_request', ['owner_id', 'id'])
    op.create_index('ix_quote_request_department_id_id', 'quote_request', ['department_id', 'id'])
    op.create_table(
        'quote_request_supplier',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('request_id', sa.Integer(), sa.ForeignKey('quote_request.id', ondelete='CASCADE'), nullable=False),
        sa.Column('supplier_id', sa.Integer(), sa.ForeignKey('supplier.id', ondelete='CASCADE'), nullable=False),
        sa.Column('invited_at', sa.DateTime(), nullable=False),
        sa.Column('mailed_to', sa.String(length=255)),
        sa.Column('quote_id', sa.Integer(), sa.ForeignKey('supplier_quote.id', ondelete='SET NULL')),
        sa.UniqueConstraint('request_id', 'supplier_id', name='uq_quote_request_supplier'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_quote_request_supplier_request_id', 'quote_request_supplier', ['request_id'])
    op.create_index('ix_quote_request_supplier_supplier_id', 'quote_request_supplier', ['supplier_id'])
    with op.batch_alter_table('supplier_quote') as batch:
        batch.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_supplier_quote_request_id', 'quote_request', ['request_id'], ['id'],
                                 ondelete='SET NULL')
        batch.create_index('ix_supplier_quote_request_id', ['request_id'])


def downgrade():
    with op.batch_alter_table('supplier_quote') as batch:
        batch.drop_index('ix_supplier_quote_request_id')
        batch.drop_constraint('fk_supplier_quote_request_id', type_='foreignkey')
        batch.drop_column('request_id')
    op.drop_table('quote_request_supplier')
    op.drop_table('quote_request')
