"""platform: bigram function for "contains" searches on PostgreSQL

ILIKE '%华信%' can use no index, and trigram indexes do not help two-character Chinese terms.
Modules index zwt_bigrams(column) with GIN; the data layer then narrows a contains search with
`zwt_bigrams(column) @> zwt_bigrams(term)` before the exact ILIKE.

Revision ID: 0004
Revises: 0001
"""
from alembic import op

revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE OR REPLACE FUNCTION zwt_bigrams(t text) RETURNS text[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')
                FROM generate_series(1, greatest(length(t) - 1, 1)) AS i
            $$""")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS zwt_bigrams(text)")
