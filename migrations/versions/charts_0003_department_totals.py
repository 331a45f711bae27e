"""chart aggregates: a department's largest totals along an index

The totals of a module scoped by department are also kept per department (owner -1, the department's id), so a
department manager's top groups (say their ten customers with the largest order amount) are read in order instead
of summing every group of their department. The (module, chart, owner_id, total) and (…, n) indexes take the
department after the owner: totals over every owner (owner and department -1) are read along them as before.
The totals themselves are rebuilt by `run.py init` and the minute job (their definition changed).

Revision ID: charts_0003
Revises: charts_0002
"""
from alembic import op

revision = 'charts_0003'
down_revision = 'charts_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_chart_aggregate_top_n', table_name='chart_aggregate')
    op.drop_index('ix_chart_aggregate_top_total', table_name='chart_aggregate')
    op.create_index('ix_chart_aggregate_top_total', 'chart_aggregate',
                    ['module', 'chart', 'owner_id', 'department_id', 'total'])
    op.create_index('ix_chart_aggregate_top_n', 'chart_aggregate', ['module', 'chart', 'owner_id', 'department_id', 'n'])


def downgrade():
    op.drop_index('ix_chart_aggregate_top_n', table_name='chart_aggregate')
    op.drop_index('ix_chart_aggregate_top_total', table_name='chart_aggregate')
    op.create_index('ix_chart_aggregate_top_total', 'chart_aggregate', ['module', 'chart', 'owner_id', 'total'])
    op.create_index('ix_chart_aggregate_top_n', 'chart_aggregate', ['module', 'chart', 'owner_id', 'n'])
