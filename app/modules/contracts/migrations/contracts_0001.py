"""contracts: contracts with customers

On PostgreSQL also a bigram index for searching titles by any part, and statistics for
grouping contracts by month of creation (the amount-by-month chart), as customers have.

Revision ID: contracts_0001
Revises:
Depends on: customers_0001, 0004
"""
from alembic import op
import sqlalchemy as sa


revision = 'contracts_0001'
down_revision = None
branch_labels = ('contracts',)
depends_on = ('customers_0001', '0004')


def upgrade():
    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('standard_terms', sa.Boolean(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_contract_customer_id_id', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_contract_department_id_id', ['department_id', 'id'], unique=False)
        batch_op.create_index('ix_contract_owner_id_id', ['owner_id', 'id'], unique=False)
        batch_op.create_index('ix_contract_status_id', ['status', 'id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE INDEX IF NOT EXISTS ix_contract_title_bigram ON contract USING gin (zwt_bigrams(title))")
        op.execute("CREATE STATISTICS IF NOT EXISTS contract_created_month "
                   "ON (to_char(created_at, 'YYYY-MM')) FROM contract")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP STATISTICS IF EXISTS contract_created_month")
        op.execute("DROP INDEX IF EXISTS ix_contract_title_bigram")
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_status_id')
        batch_op.drop_index('ix_contract_owner_id_id')
        batch_op.drop_index('ix_contract_department_id_id')
        batch_op.drop_index('ix_contract_customer_id_id')
        batch_op.drop_index(batch_op.f('ix_contract_created_at'))

    op.drop_table('contract')
