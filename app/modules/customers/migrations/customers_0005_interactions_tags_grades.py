"""customers: interactions, tags, grade rules and changes, follow-up and shared-pool fields

Revision ID: customers_0005
Revises: customers_0004
"""
from alembic import op
import sqlalchemy as sa

revision = 'customers_0005'
down_revision = 'customers_0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('customer_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inactive_days', sa.Integer(), nullable=False),
    sa.Column('auto_release', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('grade_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('min_paid_12m', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('min_months', sa.Integer(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sqlite_autoincrement=True
    )
    op.create_table('tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('colour', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sqlite_autoincrement=True
    )
    op.create_table('customer_tags',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', 'tag_id')
    )
    with op.batch_alter_table('customer_tags', schema=None) as batch_op:
        batch_op.create_index('ix_customer_tags_tag_id', ['tag_id', 'customer_id'], unique=False)

    op.create_table('grade_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('old_grade', sa.String(length=8), nullable=True),
    sa.Column('new_grade', sa.String(length=8), nullable=True),
    sa.Column('paid_12m', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('grade_change', schema=None) as batch_op:
        batch_op.create_index('ix_grade_change_customer_at', ['customer_id', 'at'], unique=False)

    op.create_table('interaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('next_follow_up_on', sa.Date(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('mail_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mail_id'], ['mail_outbox.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mail_id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_interaction_customer_occurred', ['customer_id', 'occurred_at', 'id'], unique=False)
        batch_op.create_index('ix_interaction_user_occurred', ['user_id', 'occurred_at'], unique=False)

    for column in (
        sa.Column('grade', sa.String(length=8), nullable=True),
        sa.Column('paid_12m', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
        sa.Column('cooperating_since', sa.Date(), nullable=True),
        sa.Column('total_ordered', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
        sa.Column('total_paid', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
        sa.Column('total_outstanding', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
        sa.Column('last_interaction_at', sa.DateTime(), nullable=True),
        sa.Column('next_follow_up_on', sa.Date(), nullable=True),
        sa.Column('pooled_at', sa.DateTime(), nullable=True),
        sa.Column('lost_at', sa.DateTime(), nullable=True),
    ):
        op.add_column('customer', column)
    op.create_index('ix_customer_grade_id', 'customer', ['grade', 'id'], unique=False)
    op.create_index('ix_customer_owner_follow_up', 'customer', ['owner_id', 'next_follow_up_on'], unique=False)
    op.create_index('ix_customer_pooled_at', 'customer', ['pooled_at'], unique=False)
    # Mails sent to these addresses are recorded on the customer's timeline.
    op.create_index('ix_customer_email', 'customer', ['email'], unique=False)
    op.create_index('ix_contact_email', 'contact', ['email'], unique=False)
    _owner_nullable(True)

    dialect = op.get_bind().dialect.name
    day_of = "CAST(created_at AS DATE)" if dialect == 'postgresql' else "date(created_at)"
    op.execute(f"UPDATE customer SET cooperating_since = {day_of}")
    op.execute("UPDATE customer SET lost_at = updated_at WHERE status = 'lost'")
    rules = sa.table('grade_rule', sa.column('code'), sa.column('name'), sa.column('min_paid_12m'),
                     sa.column('min_months'), sa.column('sort_order'))
    op.bulk_insert(rules, [
        {'code': 'A', 'name': '重要客户', 'min_paid_12m': 1000000, 'min_months': 24, 'sort_order': 10},
        {'code': 'B', 'name': '主要客户', 'min_paid_12m': 300000, 'min_months': 12, 'sort_order': 20},
        {'code': 'C', 'name': '普通客户', 'min_paid_12m': 50000, 'min_months': 0, 'sort_order': 30},
        {'code': 'D', 'name': '一般客户', 'min_paid_12m': 0, 'min_months': 0, 'sort_order': 40},
    ])


def _owner_nullable(nullable: bool):
    """Pooled customers have no owner. SQLite can only change a column's NOT NULL by copying the
    table: foreign keys are switched off meanwhile (dropping the old copy would otherwise delete
    every contact by cascade), and the expression index, which the copy cannot carry over, is
    dropped and made again."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        op.alter_column('customer', 'owner_id', existing_type=sa.Integer(), nullable=nullable)
        return
    if bind.connection.dbapi_connection.in_transaction:
        bind.connection.dbapi_connection.commit()
    op.execute('PRAGMA foreign_keys=OFF')
    op.drop_index('ix_customer_name_lower', table_name='customer')
    with op.batch_alter_table('customer', recreate='always', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.alter_column('owner_id', existing_type=sa.Integer(), nullable=nullable)
    op.create_index('ix_customer_name_lower', 'customer', [sa.text('lower(name)')], unique=False)
    # The copy began a transaction, inside which SQLite ignores the pragma: end it first, or the
    # pooled connection would keep foreign keys off.
    bind.connection.dbapi_connection.commit()
    op.execute('PRAGMA foreign_keys=ON')



def downgrade():
    # A pooled customer goes back to whoever created it (else to the first user): an owner is
    # required again.
    op.execute("UPDATE customer SET owner_id = COALESCE((SELECT a.actor_id FROM audit_log a "
               "WHERE a.table_name = 'customer' AND a.record_id = CAST(customer.id AS VARCHAR(64)) "
               "AND a.action = 'create' AND a.actor_id IS NOT NULL ORDER BY a.id LIMIT 1), "
               "(SELECT MIN(id) FROM ab_user)) WHERE owner_id IS NULL")
    _owner_nullable(False)
    op.drop_index('ix_contact_email', table_name='contact')
    op.drop_index('ix_customer_email', table_name='customer')
    op.drop_index('ix_customer_pooled_at', table_name='customer')
    op.drop_index('ix_customer_owner_follow_up', table_name='customer')
    op.drop_index('ix_customer_grade_id', table_name='customer')
    for name in ('lost_at', 'pooled_at', 'next_follow_up_on', 'last_interaction_at', 'total_outstanding',
                 'total_paid', 'total_ordered', 'cooperating_since', 'paid_12m', 'grade'):
        op.drop_column('customer', name)

    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_index('ix_interaction_user_occurred')
        batch_op.drop_index('ix_interaction_customer_occurred')
        batch_op.drop_index(batch_op.f('ix_interaction_contact_id'))

    op.drop_table('interaction')
    with op.batch_alter_table('grade_change', schema=None) as batch_op:
        batch_op.drop_index('ix_grade_change_customer_at')

    op.drop_table('grade_change')
    with op.batch_alter_table('customer_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_tags_tag_id')

    op.drop_table('customer_tags')
    op.drop_table('tag')
    op.drop_table('grade_rule')
    op.drop_table('customer_settings')
