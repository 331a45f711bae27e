"""contracts: types, contact, lines, payment plan, the lifecycle after signing

Revision ID: contracts_0003
Revises: contracts_0002
Depends on: products_0001
"""
import warnings
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa

revision = 'contracts_0003'
down_revision = 'contracts_0002'
branch_labels = None
depends_on = ('products_0001',)

MONEY = sa.Numeric(precision=18, scale=2)
TYPES = [("销售合同", 30, "30,15,7,0", 10), ("框架协议", 60, "60,30,15,7,0", 20), ("服务合同", 30, "30,15,7,0", 30),
         ("技术开发合同", 30, "30,15,7,0", 40), ("代理协议", 60, "60,30,15,7,0", 50)]


@contextmanager
def _quiet_reflection():
    """A batch copy on SQLite reflects the tables the copied one refers to; the customers' expression index
    cannot be reflected there and needs not be (it stays as it is)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index",
                                sa.exc.SAWarning)
        yield


def upgrade():
    types = op.create_table('contract_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('reminder_days', sa.String(length=60), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sqlite_autoincrement=True
    )
    op.bulk_insert(types, [{"name": n, "notice_days": d, "reminder_days": r, "active": True, "sort_order": o}
                           for n, d, r, o in TYPES])
    with _quiet_reflection(), op.batch_alter_table('contract', schema=None,
                                                 table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('type_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('terms', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('terminate_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('renewed_from_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ended_as', sa.String(length=16), nullable=True))
        batch_op.create_foreign_key('fk_contract_type_id', 'contract_type', ['type_id'], ['id'])
        batch_op.create_foreign_key('fk_contract_contact_id', 'contact', ['contact_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_contract_renewed_from_id', 'contract', ['renewed_from_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_contract_renewed_from_id'), ['renewed_from_id'], unique=False)

    op.create_table('contract_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=16, scale=4), nullable=False),
    sa.Column('unit_price', MONEY, nullable=False),
    sa.Column('discount', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('tax', MONEY, nullable=False),
    sa.Column('total', MONEY, nullable=False),
    sa.CheckConstraint('quantity > 0', name='ck_contract_line_quantity'),
    sa.CheckConstraint('discount >= 0 AND discount <= 100', name='ck_contract_line_discount'),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('contract_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_line_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index('ix_contract_line_product_contract', ['product_id', 'contract_id'], unique=False)

    op.create_table('contract_instalment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('percent', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('notes', sa.String(length=255), nullable=True),
    sa.CheckConstraint('amount >= 0', name='ck_contract_instalment_amount'),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('contract_instalment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_instalment_contract_id'), ['contract_id'], unique=False)

    # The expiry job reads the contracts in force by end date.
    op.create_index('ix_contract_status_ends_on', 'contract', ['status', 'ends_on'], unique=False)


def downgrade():
    op.drop_index('ix_contract_status_ends_on', table_name='contract')
    with op.batch_alter_table('contract_instalment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_instalment_contract_id'))
    op.drop_table('contract_instalment')
    with op.batch_alter_table('contract_line', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_line_product_contract')
        batch_op.drop_index(batch_op.f('ix_contract_line_contract_id'))
    op.drop_table('contract_line')
    with _quiet_reflection(), op.batch_alter_table('contract', schema=None,
                                                 table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_renewed_from_id'))
        batch_op.drop_constraint('fk_contract_renewed_from_id', type_='foreignkey')
        batch_op.drop_constraint('fk_contract_contact_id', type_='foreignkey')
        batch_op.drop_constraint('fk_contract_type_id', type_='foreignkey')
        batch_op.drop_column('ended_as')
        batch_op.drop_column('renewed_from_id')
        batch_op.drop_column('terminate_reason')
        batch_op.drop_column('terms')
        batch_op.drop_column('contact_id')
        batch_op.drop_column('type_id')
    op.drop_table('contract_type')
