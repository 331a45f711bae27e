"""charts: totals per chart group, owner and department, kept current by triggers

The triggers and their functions are generated from the modules' chart declarations by
app.core.chart_cache.maintain.ensure() (run.py init and the minute job), not here: they follow
the declarations, which change without a migration.

Revision ID: charts_0001
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'charts_0001'
down_revision = '0001'
branch_labels = ('charts',)
depends_on = None


def upgrade():
    op.create_table('chart_aggregate',
    sa.Column('module', sa.String(length=64), nullable=False),
    sa.Column('chart', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('group_key', sa.Text(), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.Numeric(), nullable=False),
    sa.PrimaryKeyConstraint('module', 'chart', 'owner_id', 'department_id', 'shared', 'group_key')
    )
    op.create_table('chart_delta',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('module', sa.String(length=64), nullable=False),
    sa.Column('chart', sa.String(length=64), nullable=False),
    sa.Column('group_key', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.Numeric(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('chart_delta', schema=None) as batch_op:
        batch_op.create_index('ix_chart_delta_module_chart', ['module', 'chart'], unique=False)
    op.create_table('chart_state',
    sa.Column('module', sa.String(length=64), nullable=False),
    sa.Column('chart', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('built_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('module', 'chart')
    )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # The generated functions, and with them their triggers on the modules' tables.
        names = bind.execute(sa.text(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE 'zwt\\_chart\\_%'")).scalars().all()
        for name in names:
            op.execute(f'DROP FUNCTION IF EXISTS "{name}"() CASCADE')
    op.drop_table('chart_state')
    with op.batch_alter_table('chart_delta', schema=None) as batch_op:
        batch_op.drop_index('ix_chart_delta_module_chart')
    op.drop_table('chart_delta')
    op.drop_table('chart_aggregate')
