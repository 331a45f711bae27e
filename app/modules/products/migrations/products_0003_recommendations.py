"""products: product views per user and customer served, and the suggestions kept per product (智能推荐)

Revision ID: products_0003
Revises: products_0002
Depends on: customers_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'products_0003'
down_revision = 'products_0002'
branch_labels = None
depends_on = 'customers_0001'


def upgrade():
    op.create_table('product_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('viewed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_product_view_customer_viewed', 'product_view', ['customer_id', 'viewed_at'], unique=False)
    op.create_index('ix_product_view_user_viewed', 'product_view', ['user_id', 'viewed_at'], unique=False)
    op.create_index('ix_product_view_product', 'product_view', ['product_id'], unique=False)
    op.create_table('product_suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['other_id'], ['product.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_product_suggestion_product_kind_rank', 'product_suggestion', ['product_id', 'kind', 'rank'],
                    unique=False)


def downgrade():
    op.drop_index('ix_product_suggestion_product_kind_rank', table_name='product_suggestion')
    op.drop_table('product_suggestion')
    op.drop_index('ix_product_view_product', table_name='product_view')
    op.drop_index('ix_product_view_user_viewed', table_name='product_view')
    op.drop_index('ix_product_view_customer_viewed', table_name='product_view')
    op.drop_table('product_view')
