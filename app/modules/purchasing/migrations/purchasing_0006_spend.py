"""purchasing: purchase spend kept per month, supplier, department and buyer, and per product category, for the
purchasing analysis; a supplier's quotes of a product in date order along an index

Revision ID: purchasing_0006
Revises: purchasing_0005
"""
from alembic import op
import sqlalchemy as sa

revision = 'purchasing_0006'
down_revision = 'purchasing_0005'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=2)
PLACED = "('ordered', 'partial', 'received', 'closed')"


def upgrade():
    op.create_table(
        'purchase_spend',
        sa.Column('month', sa.String(length=7), primary_key=True),
        sa.Column('supplier_id', sa.Integer(), primary_key=True),
        sa.Column('department_id', sa.Integer(), primary_key=True),
        sa.Column('owner_id', sa.Integer(), primary_key=True),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('lines', sa.Integer(), nullable=False),
        sa.Column('quoted', MONEY, nullable=False),
        sa.Column('quoted_amount', MONEY, nullable=False),
    )
    op.create_index('ix_purchase_spend_month', 'purchase_spend', ['month'])
    op.create_table(
        'purchase_category_spend',
        sa.Column('month', sa.String(length=7), primary_key=True),
        sa.Column('category_id', sa.Integer(), primary_key=True),
        sa.Column('department_id', sa.Integer(), primary_key=True),
        sa.Column('owner_id', sa.Integer(), primary_key=True),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('lines', sa.Integer(), nullable=False),
    )
    op.create_index('ix_purchase_category_spend_month', 'purchase_category_spend', ['month'])
    op.create_index('ix_supplier_quote_first', 'supplier_quote', ['supplier_id', 'product_id', 'valid_from', 'id'])
    month = ("to_char(o.order_date, 'YYYY-MM')" if op.get_bind().dialect.name == "postgresql"
             else "strftime('%Y-%m', o.order_date)")
    first = ("(SELECT q.price FROM supplier_quote q WHERE q.supplier_id = o.supplier_id AND q.product_id = "
             "l.product_id AND q.currency = 'CNY' ORDER BY q.valid_from, q.id LIMIT 1)")
    op.execute(
        "INSERT INTO purchase_spend (month, supplier_id, department_id, owner_id, amount, orders, lines, quoted, "
        "quoted_amount) SELECT month, supplier_id, department_id, owner_id, sum(amount), count(DISTINCT order_id), "
        "count(*), coalesce(sum(quoted), 0), coalesce(sum(CASE WHEN quoted IS NULL THEN 0 ELSE amount END), 0) FROM "
        f"(SELECT {month} AS month, o.supplier_id, coalesce(o.department_id, 0) AS department_id, o.owner_id, "
        f"l.order_id, l.amount, round({first} * l.quantity, 2) AS quoted FROM purchase_order_line l "
        f"JOIN purchase_order o ON o.id = l.order_id WHERE o.status IN {PLACED}) x "
        "GROUP BY month, supplier_id, department_id, owner_id")
    op.execute(
        "INSERT INTO purchase_category_spend (month, category_id, department_id, owner_id, amount, lines) "
        f"SELECT {month}, coalesce(p.category_id, 0), coalesce(o.department_id, 0), o.owner_id, sum(l.amount), "
        "count(*) FROM purchase_order_line l JOIN purchase_order o ON o.id = l.order_id "
        f"JOIN product p ON p.id = l.product_id WHERE o.status IN {PLACED} "
        f"GROUP BY {month}, coalesce(p.category_id, 0), coalesce(o.department_id, 0), o.owner_id")


def downgrade():
    op.drop_index('ix_supplier_quote_first', table_name='supplier_quote')
    op.drop_table('purchase_category_spend')
    op.drop_table('purchase_spend')
