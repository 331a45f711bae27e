"""customers: the current grade in its own narrow table

Grading may change the grade of every customer in one run; rewriting a million customer rows
updates every index of the customer table (the name's bigram index above all) and took longer
than the job may. A two-column table rewrites in a fraction of the time.

Revision ID: customers_0006
Revises: customers_0005
"""
from alembic import op
import sqlalchemy as sa

revision = 'customers_0006'
down_revision = 'customers_0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('customer_grade',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id')
    )
    op.create_index('ix_customer_grade_grade', 'customer_grade', ['grade', 'customer_id'], unique=False)
    op.execute("INSERT INTO customer_grade (customer_id, grade) SELECT id, grade FROM customer WHERE grade IS NOT NULL")
    op.drop_index('ix_customer_grade_id', table_name='customer')
    op.drop_column('customer', 'grade')


def downgrade():
    op.add_column('customer', sa.Column('grade', sa.String(length=8), nullable=True))
    op.create_index('ix_customer_grade_id', 'customer', ['grade', 'id'], unique=False)
    op.execute("UPDATE customer SET grade = (SELECT g.grade FROM customer_grade g WHERE g.customer_id = customer.id)")
    op.drop_index('ix_customer_grade_grade', table_name='customer_grade')
    op.drop_table('customer_grade')
