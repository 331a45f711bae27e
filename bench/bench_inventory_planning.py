"""The nightly safety-stock job (app.modules.inventory.planning_jobs.check_safety_stock) over the inventory
bench data, its time and peak RSS printed beside the targets (under 5 minutes, RSS under 500 MB).

Full size, on the database seeded by bench/seed_inventory.py (PostgreSQL; its moves are dated in 2025, so
the computed lines read the 90 days before --today):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench_inv python -m bench.bench_inventory_planning

Small, for CI (seconds; a fresh SQLite file unless DATABASE_URL names an empty database):

    python -m bench.bench_inventory_planning --small

Before the first run the bench gives every product × warehouse with stock a safety stock line (half set by
hand, about 2% of those above the stock, so they breach; half "computed" from shipments) and makes a
warehouse clerk and a buyer to be told. It then runs the job twice: the first run recomputes and alerts,
the second finds every breach already alerted and alerts nothing (the job is idempotent).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time

from sqlalchemy import func, insert, select, text

from bench.common import load, say

SECONDS_TARGET, RSS_TARGET_MB = 300, 500


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1024 / 1024


def seed_small(today: dt.date, products: int = 300, warehouses: int = 3) -> None:
    """A small catalogue with stock and 90 days of shipments before `today` (plain inserts, any database)."""
    from app.extensions import db
    from app.modules.inventory.models import StockLevel, StockMove, Warehouse
    from app.modules.products.models import Product

    if db.session.scalar(select(func.count()).select_from(Product)):
        sys.exit("--small seeds its own data: give it an empty database (or no DATABASE_URL).")
    rng = random.Random(8)
    now = dt.datetime(2026, 1, 1)
    db.session.execute(insert(Warehouse), [{"code": f"SW{w}", "name": f"小仓{w}", "active": True}
                                           for w in range(1, warehouses + 1)])
    db.session.execute(insert(Product), [{"sku": f"S{i:05d}", "name": f"小产品{i}", "status": "on_sale", "params": {},
                                          "cost": rng.randrange(5, 500), "created_at": now, "updated_at": now}
                                         for i in range(1, products + 1)])
    product_ids = db.session.scalars(select(Product.id).order_by(Product.id)).all()
    warehouse_ids = db.session.scalars(select(Warehouse.id).order_by(Warehouse.id)).all()
    levels, moves = [], []
    start = dt.datetime.combine(today, dt.time.min) - dt.timedelta(days=90)
    for product_id in product_ids:
        for warehouse_id in rng.sample(warehouse_ids, 2):
            levels.append({"product_id": product_id, "warehouse_id": warehouse_id, "bin_key": 0,
                           "on_hand": rng.randrange(0, 200), "reserved": 0, "in_transit": 0, "updated_at": now})
            for _ in range(rng.randrange(0, 30)):
                moves.append({"kind": "shipment", "product_id": product_id, "warehouse_id": warehouse_id,
                              "quantity": -rng.randrange(1, 10), "doc_type": "order", "doc_ref": "bench",
                              "created_at": start + dt.timedelta(minutes=rng.randrange(0, 90 * 24 * 60))})
    db.session.execute(insert(StockLevel), levels)
    for i in range(0, len(moves), 5000):
        db.session.execute(insert(StockMove), moves[i:i + 5000])
    db.session.commit()


def prepare_lines() -> int:
    """Safety stock lines for every product × warehouse with stock, unless there are lines already; and the
    people the alerts go to. Returns the number of lines."""
    from flask import current_app

    from app.extensions import db
    from app.modules.inventory.models import StockLevel
    from app.modules.inventory.planning_models import SafetyStock

    sm = current_app.appbuilder.sm
    for username, role in (("bench_clerk", "Warehouse"), ("bench_buyer", "Purchasing")):
        if sm.find_user(username=username) is None:
            sm.add_user(username, "库管" if role == "Warehouse" else "采购", "测试", f"{username}@example.com",
                        sm.find_role(role), password="Bench-pass-123")
    lines = db.session.scalar(select(func.count()).select_from(SafetyStock))
    if lines:
        return lines
    on_hand = func.sum(StockLevel.on_hand)
    odd = (StockLevel.product_id + StockLevel.warehouse_id) % 50 == 0
    from sqlalchemy import Integer, case, cast, literal

    line = case((odd, on_hand + 5), else_=cast(on_hand / 2, Integer))
    method = case((StockLevel.product_id % 2 == 0, literal("computed")), else_=literal("manual"))
    rows = (select(StockLevel.product_id, StockLevel.warehouse_id, line, literal(20), method, literal(90), literal(7),
                   literal(1.65), literal(dt.datetime(2026, 1, 1)))
            .group_by(StockLevel.product_id, StockLevel.warehouse_id))
    db.session.execute(insert(SafetyStock).from_select(
        ["product_id", "warehouse_id", "warning_line", "reorder_qty", "method", "history_days", "lead_time_days",
         "safety_factor", "updated_at"], rows))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            auto.execute(text("VACUUM ANALYZE safety_stock"))
    return db.session.scalar(select(func.count()).select_from(SafetyStock))


def main(small: bool, today: dt.date) -> dict:
    from app import create_app
    from app.extensions import db
    from app.modules.inventory.models import StockMove
    from app.modules.inventory.planning_jobs import check_safety_stock
    from app.modules.products.models import Product

    overrides = {}
    if small and not os.environ.get("DATABASE_URL"):
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tempfile.mkdtemp(prefix='zwt-planning-')}/bench.db"
    app = create_app(**overrides)
    with app.app_context():
        if small:
            from app.core.setup import initialise

            initialise("admin", "")
            seed_small(today)
        lines = prepare_lines()
        products = db.session.scalar(select(func.count()).select_from(Product))
        moves = db.session.scalar(select(func.max(StockMove.id))) or 0
        say(f"Database: {db.engine.dialect.name}, {products:,} products, about {moves:,} stock moves, "
            f"{lines:,} safety stock lines; shipments read before {today}; {load()}")
        db.session.remove()
        rss_before = _rss_now_mb()
        results = []
        for run in (1, 2):
            started = time.perf_counter()
            result = check_safety_stock(today=today.isoformat())
            elapsed = time.perf_counter() - started
            results.append(result)
            say(f"run {run}: {elapsed:.1f} s (target < {SECONDS_TARGET} s) — {result['recomputed']:,} lines "
                f"recomputed, {result['lines']:,} checked, {result['below']:,} below the line, "
                f"{result['alerted']:,} alerted now")
        say(f"RSS: {rss_before:.0f} MB with the app loaded, peak {_rss_peak_mb():.0f} MB "
            f"(target < {RSS_TARGET_MB} MB)")
        say(f"second run alerted {results[1]['alerted']} (a breach alerts once until stock recovers)")
        say(load())
    return {"runs": results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="seed a small data set and run in seconds (CI)")
    parser.add_argument("--today", default=None,
                        help="computed lines read the shipments of the days before this date "
                             "(default: 2026-01-01 for the seeded bench data, today with --small)")
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.today) if args.today else (
        dt.datetime.now(dt.timezone.utc).date() if args.small else dt.date(2026, 1, 1))
    main(args.small, day)
