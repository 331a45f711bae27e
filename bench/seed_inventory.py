"""Stock at scale on PostgreSQL: products (minimal rows with a cost, in 200 categories), 20 warehouses with 2,000 bins,
stock levels and stock moves loaded with COPY, then VACUUM ANALYZE. Seed a fresh database:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench_inv python -m bench.seed_inventory \
        --products 200000 --moves 20000000

The moves of each product × place add up to its level, so the benchmark can check totals after.
"""
from __future__ import annotations

import argparse
import random
import sys
import time

from sqlalchemy import func, select, text

WAREHOUSES, BINS_PER_WAREHOUSE, CATEGORIES = 20, 100, 200
KINDS = ["receipt", "shipment", "adjustment", "count"]


def _copy(cur, table, columns, rows):
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def main(products: int, moves: int) -> None:
    from app import create_app
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.products.models import Product

    started = time.perf_counter()
    app = create_app()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            sys.exit("The inventory bench runs on PostgreSQL (DATABASE_URL).")
        initialise("admin", "")
        if db.session.scalar(select(func.count()).select_from(Product)):
            sys.exit("The database already has products: seed into a fresh database.")
        rng = random.Random(16)
        conn = db.session.connection().connection.driver_connection
        with conn.cursor() as cur:
            _copy(cur, "product_category", ["id", "code", "name", "sort_order"],
                  ((i, f"BC{i:04d}", f"分类{i}", i) for i in range(1, CATEGORIES + 1)))
            # A cost of 1.00 to 999.99 each, so that stock has a value.
            _copy(cur, "product", ["id", "sku", "name", "status", "category_id", "cost", "params", "created_at",
                                   "updated_at"],
                  ((i, f"B{i:07d}", f"产品{i}", "on_sale", i % CATEGORIES + 1, f"{rng.randrange(100, 100000) / 100:.2f}",
                    "{}", "2026-01-01", "2026-01-01") for i in range(1, products + 1)))
            _copy(cur, "warehouse", ["id", "code", "name", "active"],
                  ((w, f"BW{w:02d}", f"仓库{w:02d}", True) for w in range(1, WAREHOUSES + 1)))
            _copy(cur, "warehouse_zone", ["id", "warehouse_id", "code", "name"],
                  ((w, w, "A", "A区") for w in range(1, WAREHOUSES + 1)))
            _copy(cur, "warehouse_bin", ["id", "warehouse_id", "zone_id", "code", "active"],
                  (((w - 1) * BINS_PER_WAREHOUSE + b, w, w, f"A-{b:03d}", True)
                   for w in range(1, WAREHOUSES + 1) for b in range(1, BINS_PER_WAREHOUSE + 1)))
            # Each product is stocked in 3 warehouses, one bin each; its moves are spread over those places.
            places = []
            for p in range(1, products + 1):
                for w in rng.sample(range(1, WAREHOUSES + 1), 3):
                    places.append((p, w, (w - 1) * BINS_PER_WAREHOUSE + rng.randrange(1, BINS_PER_WAREHOUSE + 1)))
            per_place, extra = divmod(moves, len(places))
            levels = {}

            def move_rows():
                move_id = 0
                for index, (p, w, b) in enumerate(places):
                    count = per_place + (1 if index < extra else 0)
                    on_hand = 0
                    for k in range(count):
                        qty = rng.randrange(10, 100) if k == 0 or on_hand < 10 else -rng.randrange(1, min(on_hand, 20))
                        on_hand += qty
                        move_id += 1
                        kind = "receipt" if qty > 0 else "shipment"
                        yield (move_id, kind, p, w, b, qty, "order" if qty < 0 else "purchase", str(move_id),
                               f"2026-{1 + move_id % 11:02d}-{1 + move_id % 28:02d}")
                    levels[index] = on_hand

            _copy(cur, "stock_move", ["id", "kind", "product_id", "warehouse_id", "bin_id", "quantity", "doc_type",
                                      "doc_ref", "created_at"], move_rows())
            _copy(cur, "stock_level", ["id", "product_id", "warehouse_id", "bin_id", "bin_key", "on_hand",
                                       "reserved", "in_transit", "updated_at"],
                  ((i + 1, p, w, b, b, levels.get(i, 0), 0, 0, "2026-01-01") for i, (p, w, b) in enumerate(places)))
            for table in ("product_category", "product", "warehouse", "warehouse_zone", "warehouse_bin",
                          "stock_move", "stock_level"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            auto.execute(text("VACUUM ANALYZE"))
    print(f"Seeded {products:,} products, {WAREHOUSES} warehouses with {WAREHOUSES * BINS_PER_WAREHOUSE:,} bins, "
          f"{len(places):,} stock levels and {moves:,} stock moves in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=200_000)
    parser.add_argument("--moves", type=int, default=20_000_000)
    args = parser.parse_args()
    main(args.products, args.moves)
