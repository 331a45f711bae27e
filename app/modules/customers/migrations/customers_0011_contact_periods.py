"""customers: the contacts list's period filter within each data-scope branch along an index

A contacts list narrowed to this week, month or quarter (its quick filter on created_at) read every
contact of each branch of the reader's scope to keep that period's: a department manager's
contacts of this week read 124,000 contacts from disk, 110–140 ms at two million. Each branch now
has (owner_id, created_at), (department_id, created_at) and, for the shared pool, a partial
(created_at): the period's few rows are found in its range and sorted by key (1–3 ms).
As lists_0007 for the status filter of customers and contracts.

Built by app.core.online_indexes (CONCURRENTLY on a table that holds rows). PostgreSQL only;
names end in _sort, so the models do not declare them (datamodel.include_in_migrations).

Revision ID: customers_0011
Revises: customers_0010
"""
from app.core import online_indexes

revision = 'customers_0011'
down_revision = 'customers_0010'
branch_labels = None
depends_on = None

# (name, table, what follows "ON table")
INDEXES = [
    ("ix_contact_owner_id_created_at_sort", "contact", "(owner_id, created_at)"),
    ("ix_contact_department_id_created_at_sort", "contact", "(department_id, created_at)"),
    ("ix_contact_pooled_created_at_sort", "contact", "(created_at) WHERE pooled_at IS NOT NULL"),
]


def upgrade():
    online_indexes.build(INDEXES)


def downgrade():
    online_indexes.drop(INDEXES)
