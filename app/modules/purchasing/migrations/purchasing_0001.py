"""purchasing: suppliers with their contacts, categories and certificates, and their quotes

Revision ID: purchasing_0001
Revises:
Depends on: products_0003
"""
from alembic import op
import sqlalchemy as sa

revision = 'purchasing_0001'
down_revision = None
branch_labels = ('purchasing',)
depends_on = ('products_0003',)

MONEY = sa.Numeric(precision=18, scale=2)
QTY = sa.Numeric(precision=16, scale=4)


def upgrade():
    op.create_table(
        'supplier',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(length=32), nullable=False, unique=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('tax_id', sa.String(length=20), unique=True),
        sa.Column('address', sa.String(length=255)),
        sa.Column('phone', sa.String(length=32)),
        sa.Column('bank_name', sa.String(length=100)),
        sa.Column('bank_account', sa.String(length=64)),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('notes', sa.Text()),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=False),
        sa.Column('department_id', sa.Integer(), sa.ForeignKey('department.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_supplier_name', 'supplier', ['name'])
    op.create_index('ix_supplier_phone', 'supplier', ['phone'])
    op.create_index('ix_supplier_created_at', 'supplier', ['created_at'])
    op.create_index('ix_supplier_owner_id_id', 'supplier', ['owner_id', 'id'])
    op.create_index('ix_supplier_department_id_id', 'supplier', ['department_id', 'id'])
    op.create_table(
        'supplier_category',
        sa.Column('supplier_id', sa.Integer(), sa.ForeignKey('supplier.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('category_id', sa.Integer(), sa.ForeignKey('product_category.id', ondelete='CASCADE'),
                  primary_key=True),
    )
    op.create_table(
        'supplier_contact',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('supplier_id', sa.Integer(), sa.ForeignKey('supplier.id', ondelete='CASCADE'), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('title', sa.String(length=60)),
        sa.Column('phone', sa.String(length=32)),
        sa.Column('email', sa.String(length=120)),
        sa.Column('notes', sa.String(length=255)),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_supplier_contact_supplier_id', 'supplier_contact', ['supplier_id'])
    op.create_index('ix_supplier_contact_phone', 'supplier_contact', ['phone'])
    op.create_table(
        'supplier_certificate',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('supplier_id', sa.Integer(), sa.ForeignKey('supplier.id', ondelete='CASCADE'), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('number', sa.String(length=64)),
        sa.Column('expires_on', sa.Date()),
        sa.Column('reminded_for', sa.Date()),
        sa.Column('notes', sa.String(length=255)),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_supplier_certificate_supplier_id', 'supplier_certificate', ['supplier_id'])
    op.create_index('ix_supplier_certificate_expires', 'supplier_certificate', ['expires_on'])
    op.create_table(
        'supplier_quote',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('supplier_id', sa.Integer(), sa.ForeignKey('supplier.id', ondelete='CASCADE'), nullable=False),
        sa.Column('product_id', sa.Integer(), sa.ForeignKey('product.id'), nullable=False),
        sa.Column('price', MONEY, nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('min_quantity', QTY, nullable=False),
        sa.Column('lead_days', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_to', sa.Date()),
        sa.Column('notes', sa.String(length=255)),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('price >= 0', name='ck_supplier_quote_price'),
        sa.CheckConstraint('min_quantity > 0', name='ck_supplier_quote_min_quantity'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_supplier_quote_supplier_id', 'supplier_quote', ['supplier_id'])
    op.create_index('ix_supplier_quote_product_valid', 'supplier_quote', ['product_id', 'valid_to'])


def downgrade():
    op.drop_table('supplier_quote')
    op.drop_table('supplier_certificate')
    op.drop_table('supplier_contact')
    op.drop_table('supplier_category')
    op.drop_table('supplier')
