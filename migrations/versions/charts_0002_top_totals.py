"""chart aggregates: the largest totals of a chart over every owner, along an index

A chart of the top groups (say the ten customers with the largest order amount) over a whole company summed a
million totals to keep ten. With (module, chart, owner_id, total) and (…, n) indexes, those who see every row read
the first totals in order, plus the groups with changes not yet folded (app/core/chart_cache).

Revision ID: charts_0002
Revises: charts_0001
"""
from alembic import op

revision = 'charts_0002'
down_revision = 'charts_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_chart_aggregate_top_total', 'chart_aggregate', ['module', 'chart', 'owner_id', 'total'])
    op.create_index('ix_chart_aggregate_top_n', 'chart_aggregate', ['module', 'chart', 'owner_id', 'n'])


def downgrade():
    op.drop_index('ix_chart_aggregate_top_n', table_name='chart_aggregate')
    op.drop_index('ix_chart_aggregate_top_total', table_name='chart_aggregate')
