"""orders: an order made from a contract names it

Revision ID: orders_0002
Revises: orders_0001
Depends on: contracts_0003
"""
import warnings
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa

revision = 'orders_0002'
down_revision = 'orders_0001'
branch_labels = None
depends_on = ('contracts_0003',)


@contextmanager
def _quiet_reflection():
    """A batch copy on SQLite reflects the tables the copied one refers to; the customers' expression index
    cannot be reflected there and needs not be (it stays as it is)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index",
                                sa.exc.SAWarning)
        yield


def upgrade():
    with _quiet_reflection(), op.batch_alter_table('sales_order', schema=None,
                                                 table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('contract_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_sales_order_contract_id', 'contract', ['contract_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_sales_order_contract_id'), ['contract_id'], unique=False)


def downgrade():
    with _quiet_reflection(), op.batch_alter_table('sales_order', schema=None,
                                                 table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_contract_id'))
        batch_op.drop_constraint('fk_sales_order_contract_id', type_='foreignkey')
        batch_op.drop_column('contract_id')
