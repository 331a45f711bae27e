"""The catalogue at scale on PostgreSQL: 200,000 products with parameters in a two-level category tree
(10 × 10), three parameters per sub-category (a choice, a number, a text, two shown on cards), a price
list with a price for every product; loaded with COPY, then VACUUM ANALYZE. Seed a fresh database:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench_products python -m bench.seed_products \
        --products 200000
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time

from sqlalchemy import func, select, text

PARENTS, CHILDREN = 10, 10
COLOURS = ["黑色", "白色", "灰色", "红色", "蓝色"]


def _copy(cur, table, columns, rows):
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def main(products: int) -> None:
    from app import create_app
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.products.models import Product

    started = time.perf_counter()
    app = create_app()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            sys.exit("The products bench runs on PostgreSQL (DATABASE_URL).")
        initialise("admin", "")
        if db.session.scalar(select(func.count()).select_from(Product)):
            sys.exit("The database already has products: seed into a fresh database.")
        rng = random.Random(7)
        children = [PARENTS + p * CHILDREN + c + 1 for p in range(PARENTS) for c in range(CHILDREN)]
        conn = db.session.connection().connection.driver_connection
        with conn.cursor() as cur:
            _copy(cur, "product_category", ["id", "parent_id", "code", "name", "sort_order"],
                  [(p + 1, None, f"P{p + 1:02d}", f"大类{p + 1}", p) for p in range(PARENTS)]
                  + [(cid, (cid - PARENTS - 1) // CHILDREN + 1, f"C{cid:03d}", f"小类{cid}", cid) for cid in children])
            params = []
            for cid in children:
                params += [(len(params) + 1, cid, "颜色", "choice", None, json.dumps(COLOURS, ensure_ascii=False), True, True, 0),
                           (len(params) + 2, cid, "功率", "number", "W", None, False, True, 1),
                           (len(params) + 3, cid, "型号说明", "text", None, None, False, False, 2)]
            _copy(cur, "category_parameter", ["id", "category_id", "name", "kind", "unit", "choices", "required", "key",
                                              "sort_order"], params)
            _copy(cur, "product", ["id", "sku", "name", "brand", "status", "category_id", "list_price", "cost", "params",
                                   "created_at", "updated_at"],
                  ((i, f"P{i:07d}", f"产品{i}", f"品牌{i % 50}", "on_sale" if i % 10 else "draft", children[i % len(children)],
                    f"{rng.randrange(100, 20000)}.00", f"{rng.randrange(50, 9000)}.00",
                    json.dumps({"颜色": COLOURS[i % 5], "功率": str(rng.randrange(10, 3000)), "型号说明": f"M{i}"},
                               ensure_ascii=False), "2026-01-01", "2026-01-01")
                   for i in range(1, products + 1)))
            _copy(cur, "price_list", ["id", "name"], [(1, "经销价")])
            _copy(cur, "price_list_item", ["id", "price_list_id", "product_id", "price"],
                  ((i, 1, i, f"{rng.randrange(80, 18000)}.00") for i in range(1, products + 1)))
            for table in ("product_category", "category_parameter", "product", "price_list", "price_list_item"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            for table in ("product_category", "category_parameter", "product", "price_list_item"):
                auto.execute(text(f"VACUUM ANALYZE {table}"))
    print(f"{products:,} products seeded in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=200_000)
    main(parser.parse_args().products)
