"""lists: the status quick filter within each data-scope branch along an index

A list's status quick filter (客户, 合同) narrows every branch of the reader's data scope. Each
branch had an index of its own rows in list order and read them all to keep the filtered ones: a
department manager's archived contracts read 250,000 contracts (35 ms of a 100 ms page at a
million). These give each branch the status behind its own column: (owner_id, status, id) and
(department_id, status, id), with a partial (status, id) for the customers' shared pool. The
contacts' period filter has the same per branch: customers_0011.

Built by app.core.online_indexes (CONCURRENTLY on a table that holds rows). PostgreSQL only
(SQLite scans its few thousand rows); names end in _sort, so the models do not declare them
(datamodel.include_in_migrations).

Revision ID: lists_0007
Revises: lists_0006
"""
from app.core import online_indexes

revision = 'lists_0007'
down_revision = 'lists_0006'
branch_labels = None
depends_on = None

# (name, table, what follows "ON table")
INDEXES = [
    ("ix_customer_owner_id_status_sort", "customer", "(owner_id, status, id)"),
    ("ix_customer_department_id_status_sort", "customer", "(department_id, status, id)"),
    ("ix_customer_pooled_status_sort", "customer", "(status, id) WHERE pooled_at IS NOT NULL"),
    ("ix_contract_owner_id_status_sort", "contract", "(owner_id, status, id)"),
    ("ix_contract_department_id_status_sort", "contract", "(department_id, status, id)"),
]


def upgrade():
    online_indexes.build(INDEXES)


def downgrade():
    online_indexes.drop(INDEXES)
