"""customers: search and scope indexes of the interactions and contacts lists (PostgreSQL)

- interaction subjects by any part: the bigrams of migration 0004 in a GIN index, as customer and
  contact names have (pg_trgm does not serve two-character Chinese terms). Without it a subject
  no interaction holds read all ten million rows (2.7 s).
- contacts by customer with their key, (customer_id, id): a data-scope branch ("contacts of the
  customers I may see", scope.scope_branches) reads its contacts' keys customer by customer from
  this index alone; from (customer_id) each contact's row had to be read for its key (a department's
  65,000 contacts: 1.1 s, now 0.3–0.4 s on a busy machine). Interactions have the like
  (customer_id, occurred_at, id) for the timeline; a sales person's interactions of a week are
  their customers' ranges of it.
- customers by owner and by department in name order, (owner_id, name, id) and (department_id,
  name, id): a search sorted by name in the own or department scope reads its window's keys
  (app/core/listing_search.py) as a range of one of these, not as every row of the branch
  sorted (a book of 19,500 customers: 82 ms, now 6 ms).

On a table that holds rows the indexes are built CONCURRENTLY (writes go on meanwhile), outside
the migration's transaction; an index a failed build left invalid is dropped and built again. An
empty or small table gets a plain CREATE INDEX in the transaction. SQLite needs none of this (a
plain scan at its sizes). Names end in _bigram and _sort: the models do not declare them
(datamodel.include_in_migrations).

Revision ID: customers_0008
Revises: customers_0007
Depends on: 0004
"""
from app.core import online_indexes

revision = 'customers_0008'
down_revision = 'customers_0007'
branch_labels = None
depends_on = '0004'

# (name, table, what follows "ON table")
INDEXES = [
    ("ix_interaction_subject_bigram", "interaction", "USING gin (zwt_bigrams(subject))"),
    ("ix_contact_customer_id_id_sort", "contact", "(customer_id, id)"),
    ("ix_customer_owner_id_name_sort", "customer", "(owner_id, name, id)"),
    ("ix_customer_department_id_name_sort", "customer", "(department_id, name, id)"),
]


def upgrade():
    online_indexes.build(INDEXES)


def downgrade():
    online_indexes.drop(INDEXES)
