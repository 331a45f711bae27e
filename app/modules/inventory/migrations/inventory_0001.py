"""inventory: warehouses, zones, bins, stock levels, stock moves (never changed) and reservations

Revision ID: inventory_0001
Revises:
Depends on: products_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'inventory_0001'
down_revision = None
branch_labels = ('inventory',)
depends_on = ('products_0001',)

QTY = sa.Numeric(precision=16, scale=4)


def upgrade():
    op.create_table('warehouse',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['manager_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sqlite_autoincrement=True
    )
    op.create_table('warehouse_zone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('warehouse_id', 'code', name='uq_warehouse_zone_code'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_warehouse_zone_warehouse_id', 'warehouse_zone', ['warehouse_id'], unique=False)
    op.create_table('warehouse_bin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.ForeignKeyConstraint(['zone_id'], ['warehouse_zone.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('warehouse_id', 'code', name='uq_warehouse_bin_code'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_warehouse_bin_warehouse_id', 'warehouse_bin', ['warehouse_id'], unique=False)
    op.create_index('ix_warehouse_bin_zone_id', 'warehouse_bin', ['zone_id'], unique=False)
    op.create_table('stock_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('bin_id', sa.Integer(), nullable=True),
    sa.Column('bin_key', sa.Integer(), nullable=False),
    sa.Column('on_hand', QTY, nullable=False),
    sa.Column('reserved', QTY, nullable=False),
    sa.Column('in_transit', QTY, nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name='ck_stock_level_on_hand'),
    sa.CheckConstraint('reserved >= 0', name='ck_stock_level_reserved'),
    sa.CheckConstraint('reserved <= on_hand', name='ck_stock_level_available'),
    sa.CheckConstraint('in_transit >= 0', name='ck_stock_level_in_transit'),
    sa.ForeignKeyConstraint(['bin_id'], ['warehouse_bin.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('product_id', 'warehouse_id', 'bin_key', name='uq_stock_level_place'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_stock_level_warehouse_product', 'stock_level', ['warehouse_id', 'product_id'], unique=False)
    op.create_table('stock_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('bin_id', sa.Integer(), nullable=True),
    sa.Column('quantity', QTY, nullable=False),
    sa.Column('doc_type', sa.String(length=32), nullable=True),
    sa.Column('doc_ref', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bin_id'], ['warehouse_bin.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_stock_move_document', 'stock_move', ['doc_type', 'doc_ref'], unique=False)
    op.create_index('ix_stock_move_product_created', 'stock_move', ['product_id', 'created_at'], unique=False)
    op.create_index('ix_stock_move_warehouse_created', 'stock_move', ['warehouse_id', 'created_at'], unique=False)
    op.create_table('stock_reservation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=32), nullable=False),
    sa.Column('doc_ref', sa.String(length=64), nullable=False),
    sa.Column('quantity', QTY, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('quantity >= 0', name='ck_stock_reservation_quantity'),
    sa.ForeignKeyConstraint(['level_id'], ['stock_level.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('doc_type', 'doc_ref', 'level_id', name='uq_stock_reservation_doc_level'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_stock_reservation_level_id', 'stock_reservation', ['level_id'], unique=False)
    # Stock moves are never changed or deleted, whoever writes to the database.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION stock_move_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'stock moves are never changed or deleted' USING ERRCODE = 'P0001';
            END $$""")
        op.execute("CREATE TRIGGER stock_move_immutable BEFORE UPDATE OR DELETE ON stock_move "
                   "FOR EACH ROW EXECUTE FUNCTION stock_move_immutable()")
    else:
        for action in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER stock_move_no_{action.lower()} BEFORE {action} ON stock_move "
                       "BEGIN SELECT RAISE(ABORT, 'stock moves are never changed or deleted'); END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS stock_move_immutable ON stock_move")
        op.execute("DROP FUNCTION IF EXISTS stock_move_immutable()")
    op.drop_table('stock_reservation')
    op.drop_table('stock_move')
    op.drop_table('stock_level')
    op.drop_table('warehouse_bin')
    op.drop_table('warehouse_zone')
    op.drop_table('warehouse')
