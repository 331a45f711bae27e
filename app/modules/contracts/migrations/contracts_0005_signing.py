"""contracts: electronic signing (电子签名): the parties and their signing record, stored signatures, company seals

Revision ID: contracts_0005
Revises: contracts_0004
"""
import warnings

from alembic import op
import sqlalchemy as sa

revision = 'contracts_0005'
down_revision = 'contracts_0004'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('contract', sa.Column('signing_state', sa.String(length=16), nullable=True))
    op.add_column('contract', sa.Column('signing_sha256', sa.String(length=64), nullable=True))
    op.create_index('ix_contract_signing_state_id', 'contract', ['signing_state', 'id'])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning)
        with op.batch_alter_table('contract_type', table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.add_column(sa.Column('sign_order', sa.String(length=16), nullable=False, server_default='ours_first'))
            batch.add_column(sa.Column('signer_id', sa.Integer(), nullable=True))
            batch.create_foreign_key('fk_contract_type_signer_id', 'ab_user', ['signer_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'contract_signer',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('contract_id', sa.Integer(), sa.ForeignKey('contract.id', ondelete='CASCADE'), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('party', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('ab_user.id', ondelete='SET NULL')),
        sa.Column('contact_id', sa.Integer(), sa.ForeignKey('contact.id', ondelete='SET NULL')),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('mobile', sa.String(length=32)),
        sa.Column('email', sa.String(length=120)),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('field_name', sa.String(length=40), nullable=False),
        sa.Column('box', sa.String(length=80), nullable=False),
        sa.Column('link_hash', sa.String(length=64), unique=True),
        sa.Column('link_expires_at', sa.DateTime()),
        sa.Column('link_sent_at', sa.DateTime()),
        sa.Column('link_used_at', sa.DateTime()),
        sa.Column('code_hash', sa.String(length=200)),
        sa.Column('code_expires_at', sa.DateTime()),
        sa.Column('code_attempts', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('codes_sent', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('code_sent_at', sa.DateTime()),
        sa.Column('signed_at', sa.DateTime()),
        sa.Column('ip', sa.String(length=64)),
        sa.Column('user_agent', sa.String(length=300)),
        sa.Column('method', sa.String(length=40)),
        sa.Column('picture', sa.String(length=16)),
        sa.Column('document_sha256', sa.String(length=64)),
        sa.Column('signed_sha256', sa.String(length=64)),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_contract_signer_contract_id', 'contract_signer', ['contract_id'])
    op.create_table(
        'signing_picture',
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('ab_user.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'contract_seal',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(length=60), nullable=False, unique=True),
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('notes', sa.String(length=255)),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade():
    op.drop_table('contract_seal')
    op.drop_table('signing_picture')
    op.drop_index('ix_contract_signer_contract_id', table_name='contract_signer')
    op.drop_table('contract_signer')
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning)
        with op.batch_alter_table('contract_type', table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.drop_constraint('fk_contract_type_signer_id', type_='foreignkey')
            batch.drop_column('signer_id')
            batch.drop_column('sign_order')
    op.drop_index('ix_contract_signing_state_id', table_name='contract')
    op.drop_column('contract', 'signing_sha256')
    op.drop_column('contract', 'signing_state')
