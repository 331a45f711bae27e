"""orders: a status filter within a person's or a department's orders along an index

A sales manager's order list narrowed to one status (已发货, say) read every order of their departments and sorted
them; (owner_id, status, id) and (department_id, status, id) give each scope branch its first rows of that status
in list order.

Revision ID: orders_0005
Revises: orders_0004
"""
from alembic import op

revision = 'orders_0005'
down_revision = 'orders_0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_sales_order_owner_status_id', 'sales_order', ['owner_id', 'status', 'id'], unique=False)
    op.create_index('ix_sales_order_department_status_id', 'sales_order', ['department_id', 'status', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_sales_order_department_status_id', table_name='sales_order')
    op.drop_index('ix_sales_order_owner_status_id', table_name='sales_order')
