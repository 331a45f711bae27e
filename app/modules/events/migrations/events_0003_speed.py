"""events: bigram indexes for searching events by title and registrations by name or mobile (PostgreSQL), and the
registrations linked to a customer by event, for the effect analysis

活动效果分析 reads, for the events shown, only their registrations linked to a customer: with this partial index
(carrying the contact, the time of registering and the status) it reads them from the index alone instead of
every registration of the events from the table.

Revision ID: events_0003
Revises: events_0002
Depends on: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = 'events_0003'
down_revision = 'events_0002'
branch_labels = None
depends_on = '0004'

BIGRAMS = (('event', 'title'), ('event_registration', 'name'), ('event_registration', 'phone'))


def upgrade():
    op.create_index('ix_event_registration_linked', 'event_registration', ['event_id', 'customer_id'],
                    postgresql_include=['contact_id', 'created_at', 'status'],
                    postgresql_where=sa.text('customer_id IS NOT NULL'), sqlite_where=sa.text('customer_id IS NOT NULL'))
    if op.get_bind().dialect.name == 'postgresql':
        for table, column in BIGRAMS:
            op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_bigram ON {table} "
                       f"USING gin (zwt_bigrams({column}))")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table, column in BIGRAMS:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_bigram")
    op.drop_index('ix_event_registration_linked', table_name='event_registration')
