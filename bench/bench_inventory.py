"""Inventory figures on the database seeded by bench/seed_inventory.py (PostgreSQL), printed beside their
targets:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench_inv python -m bench.bench_inventory \
        --runs 300 --rate 200 --seconds 60

1. a product's availability across warehouses (service.availability), p95 target 50 ms;
2. the stock list filtered by warehouse and category (one page of 25 with on hand, reserved, available),
   p95 target 60 ms;
3. stock moves (shipments and receipts on a small hot set of levels, so workers collide) at a steady
   rate from parallel workers with their own connections; afterwards no level is negative and every
   touched level equals the sum of its moves (no lost update);
4. the pages themselves, through the application (signed in, permissions and all), p95 with the SQL time
   of the same requests beside it: the product page's 库存 tab refresh and GET /api/v1/stock/availability/<id>
   as a Sales user (target 50 ms), and the 库存 list filtered by warehouse and category (page 1 and page 20)
   as a Warehouse user (target 60 ms).

CI runs it small on PostgreSQL (tests/modules/inventory/test_stock_bench.py: 2,000 products, 40,000 moves).
"""
from __future__ import annotations

import argparse
import random
import threading
import time

from sqlalchemy import event, func, select

from bench.common import load

AVAILABILITY_MS, LIST_MS, RATE_TARGET = 50, 60, 200
PASSWORD = "Bench-Passw0rd!"


def _p95(samples):
    samples = sorted(samples)
    return samples[int(len(samples) * 0.95) - 1] * 1000


def main(runs: int, rate: int, seconds: int, workers: int) -> None:
    from app import create_app
    from app.extensions import db
    from app.modules.inventory import service
    from app.modules.inventory.models import StockLevel, StockMove
    from app.modules.products.models import Product

    app = create_app()
    rng = random.Random(11)
    with app.app_context():
        products = db.session.scalar(select(func.max(Product.id)))
        moves = db.session.scalar(select(func.count()).select_from(StockMove))
        print(f"Database: {products:,} products, {moves:,} stock moves; load {load()}")
        samples = []
        for i in range(runs + 20):
            product_id = rng.randrange(1, products + 1)
            started = time.perf_counter()
            rows = service.availability(product_id)
            if i >= 20:
                samples.append(time.perf_counter() - started)
            assert rows
        print(f"availability across warehouses: p95 {_p95(samples):.1f} ms (target {AVAILABILITY_MS} ms)")
        samples = []
        for i in range(runs + 20):
            warehouse_id, category_id, page = rng.randrange(1, 21), rng.randrange(1, 201), rng.randrange(0, 5)
            started = time.perf_counter()
            db.session.execute(
                select(StockLevel.id, Product.sku, Product.name, StockLevel.bin_id, StockLevel.on_hand,
                       StockLevel.reserved, StockLevel.on_hand - StockLevel.reserved)
                .join(Product, Product.id == StockLevel.product_id)
                .where(StockLevel.warehouse_id == warehouse_id, Product.category_id == category_id)
                .order_by(StockLevel.product_id).limit(25).offset(page * 25)).all()
            if i >= 20:
                samples.append(time.perf_counter() - started)
        print(f"stock list by warehouse and category: p95 {_p95(samples):.1f} ms (target {LIST_MS} ms)")
        hot = db.session.execute(select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.bin_id)
                                 .order_by(StockLevel.id).limit(40)).all()
        db.session.remove()
    pages(app, runs, products, rng)

    done, refused, errors, lock = [0], [0], [], threading.Lock()
    interval = workers / rate
    stop_at = time.perf_counter() + seconds

    def worker(n):
        local = random.Random(n)
        next_at = time.perf_counter() + local.random() * interval
        with app.app_context():
            while time.perf_counter() < stop_at:
                product_id, warehouse_id, bin_id = local.choice(hot)
                try:
                    if local.random() < 0.5:
                        service.ship(None, product_id, warehouse_id, local.randrange(1, 6), bin_id=bin_id,
                                     doc_type="bench", doc_ref=str(n))
                    else:
                        service.receive(None, product_id, warehouse_id, local.randrange(1, 6), bin_id=bin_id,
                                        doc_type="bench", doc_ref=str(n))
                    with lock:
                        done[0] += 1
                except service.InsufficientStock:
                    with lock:
                        refused[0] += 1
                except Exception as exc:  # reported below
                    db.session.rollback()
                    errors.append(repr(exc))
                next_at += interval
                pause = next_at - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            db.session.remove()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with app.app_context():
        negative = db.session.scalar(select(func.count()).select_from(StockLevel).where(StockLevel.on_hand < 0))
        mismatched = 0
        for product_id, warehouse_id, bin_id in hot:
            moved = db.session.scalar(select(func.sum(StockMove.quantity)).where(
                StockMove.product_id == product_id, StockMove.warehouse_id == warehouse_id,
                StockMove.bin_id == bin_id))
            level = db.session.scalar(select(StockLevel.on_hand).where(
                StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id,
                StockLevel.bin_key == bin_id))
            mismatched += moved != level
    print(f"stock moves: {done[0]:,} committed + {refused[0]:,} refused (not enough stock) in {elapsed:.1f}s = "
          f"{(done[0] + refused[0]) / elapsed:.0f}/s attempted, {done[0] / elapsed:.0f}/s committed "
          f"(target {RATE_TARGET}/s for 60 s) by {workers} workers; errors {len(errors)}; "
          f"negative levels {negative}; levels whose moves do not add up {mismatched}; load {load()}")
    for error in errors[:3]:
        print("  ", error)


def _user(app, username, role):
    sm = app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        user = sm.add_user(username, username, "bench", f"{username}@bench.invalid", [sm.find_role(role)], PASSWORD)
    else:
        sm.reset_password(user.id, PASSWORD)
    return user


def pages(app, runs: int, products: int, rng) -> None:
    """The pages through the application, with the SQL time of each request."""
    from app.core.registry import registry
    from app.extensions import db
    from app.modules.inventory.stock_views import FilterStockInCategory

    app.config["WTF_CSRF_ENABLED"] = False
    sql = {"seconds": 0.0}
    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def _start(conn, cursor, statement, parameters, context, executemany):
            conn.info["zwt_t"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _stop(conn, cursor, statement, parameters, context, executemany):
            sql["seconds"] += time.perf_counter() - conn.info.pop("zwt_t", time.perf_counter())

        _user(app, "bench_sales", "Sales")
        _user(app, "bench_keeper", "Warehouse")
        db.session.commit()
        filters = registry.views["stock_levels"].datamodel.get_filters(["product"])
        index = next(i for i, f in enumerate(filters.get_search_filters()["product"])
                     if isinstance(f, FilterStockInCategory))
        db.session.remove()
    clients = {}
    for name in ("bench_sales", "bench_keeper"):
        client = app.test_client()
        if client.post("/login/", data={"username": name, "password": PASSWORD}).status_code != 302:
            raise SystemExit(f"Log in as {name} failed.")
        clients[name] = client
    kinds = [
        ("库存 tab refresh (/inventory/stock/<id>.json), Sales", "bench_sales", AVAILABILITY_MS,
         lambda: f"/inventory/stock/{rng.randrange(1, products + 1)}.json"),
        ("GET /api/v1/stock/availability/<id>, Sales", "bench_sales", AVAILABILITY_MS,
         lambda: f"/api/v1/stock/availability/{rng.randrange(1, products + 1)}"),
        ("库存 list by warehouse + category, page 1, Warehouse", "bench_keeper", LIST_MS,
         lambda: f"/stock_levels/list/?_flt_0_warehouse={rng.randrange(1, 21)}"
                 f"&_flt_{index}_product={rng.randrange(1, 201)}"),
        ("库存 list by warehouse + category, page 20, Warehouse", "bench_keeper", LIST_MS,
         lambda: f"/stock_levels/list/?_flt_0_warehouse={rng.randrange(1, 21)}"
                 f"&_flt_{index}_product={rng.randrange(1, 201)}&page_StockLevelView=4"),
        ("库存 list by warehouse, page 20, Warehouse", "bench_keeper", LIST_MS,
         lambda: f"/stock_levels/list/?_flt_0_warehouse={rng.randrange(1, 21)}&page_StockLevelView=19"),
    ]
    print(f"{'page':58} {'p95 ms':>8} {'SQL p95 ms':>11} {'target':>7}")
    for label, who, target, url_of in kinds:
        totals, sqls = [], []
        for run in range(runs + 5):
            url = url_of()
            sql["seconds"] = 0.0
            started = time.perf_counter()
            resp = clients[who].get(url)
            elapsed = time.perf_counter() - started
            if resp.status_code != 200:
                raise SystemExit(f"{url} answered {resp.status_code}")
            if run >= 5:
                totals.append(elapsed)
                sqls.append(sql["seconds"])
        print(f"{label:58} {_p95(totals):8.1f} {_p95(sqls):11.1f} {target:>5} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--rate", type=int, default=RATE_TARGET)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=12)
    args = parser.parse_args()
    main(args.runs, args.rate, args.seconds, args.workers)
