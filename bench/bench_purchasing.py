"""Purchasing at scale (issue 19), on the database seeded by bench/seed_purchasing.py (PostgreSQL):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench19 python -m bench.bench_purchasing 50

Server time of the purchase order, supplier and quote lists, the quote comparison of a product (with ~1,000
quotes each), and the purchasing analysis (its page, grouped each way, and its chart), through the application in
this process (Flask's test client, signed in, permissions and data scope applied) as an admin (scope all), a
purchasing manager (department) and a buyer (scope all, the Purchasing role's), p50/p95 with the SQL time of the
same requests beside it. Each figure is printed beside its target.
"""
from __future__ import annotations

import os
import random

import psutil
from sqlalchemy import func, select

from bench.bench_customers import SqlClock, _sign_in, measure_pages, print_report
from bench.common import load
from bench.seed_customers import STAFF_PASSWORD

LIST_MS, COMPARE_MS, ANALYSIS_MS = 60, 100, 300


def endpoints(products: list[int]) -> list:
    rng = random.Random(7)
    return [
        ("purchase order list", "web", LIST_MS, lambda p, k: f"/purchase_orders/list/?page_PurchaseOrderView={p}"),
        ("purchase orders status=ordered", "web", LIST_MS,
         lambda p, k: f"/purchase_orders/list/?_flt_0_status=ordered&page_PurchaseOrderView={p}"),
        ("supplier list", "web", LIST_MS, lambda p, k: f"/suppliers/list/?page_SupplierView={p}"),
        ("quote list", "web", LIST_MS, lambda p, k: f"/supplier_quotes/list/?page_SupplierQuoteView={p}"),
        ("quote comparison", "web", COMPARE_MS,
         lambda p, k: f"/supplier_quotes_compare/?product={rng.choice(products)}&quantity=100"),
        ("quote comparison best score", "web", COMPARE_MS,
         lambda p, k: f"/supplier_quotes_compare/?product={rng.choice(products)}&quantity=100&rule=score"),
        ("analysis by month", "web", ANALYSIS_MS, lambda p, k: "/purchase_analysis/"),
        ("analysis by supplier", "web", ANALYSIS_MS, lambda p, k: "/purchase_analysis/?by=supplier"),
        ("analysis by category", "web", ANALYSIS_MS, lambda p, k: "/purchase_analysis/?by=category"),
        ("analysis by department", "web", ANALYSIS_MS, lambda p, k: "/purchase_analysis/?by=department"),
        ("analysis price trend", "web", ANALYSIS_MS,
         lambda p, k: f"/purchase_analysis/?report=trend&product={rng.choice(products)}"),
        ("analysis supplier ranking", "web", ANALYSIS_MS, lambda p, k: "/purchase_analysis/?report=ranking"),
        ("analysis savings", "web", ANALYSIS_MS, lambda p, k: "/purchase_analysis/?report=savings"),
        ("analysis chart", "web", ANALYSIS_MS, lambda p, k: "/purchase_analysis/chart.json?by=month"),
        ("payables aging", "web", ANALYSIS_MS, lambda p, k: "/purchase_payables/"),
    ]


def main(count: int = 50) -> None:
    from app import create_app
    from app.core.org import User
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.purchasing.models import Supplier, SupplierQuote
    from app.modules.purchasing.order_models import PurchaseOrder, PurchaseOrderLine

    app = create_app(WTF_CSRF_ENABLED=False)
    admin_password = os.environ.get("ADMIN_PASSWORD") or "admin123"
    with app.app_context():
        initialise("admin", admin_password)
        clock = SqlClock(db.engine)
        sizes = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                 for model in (Supplier, SupplierQuote, PurchaseOrder, PurchaseOrderLine)}
        if not sizes["purchase_order"]:
            raise SystemExit("No purchase orders: run `python -m bench.seed_purchasing` first.")
        products = list(db.session.scalars(select(SupplierQuote.product_id).group_by(SupplierQuote.product_id)
                                           .limit(500)))
        manager = db.session.scalar(select(User.username).where(User.username == "pmgr_buy1"))
        buyer = db.session.scalar(select(User.username).where(User.username == "buyer_buy1_01"))
        db.session.remove()
    print(f"Database: {sizes['supplier']:,} suppliers, {sizes['supplier_quote']:,} quotes, "
          f"{sizes['purchase_order']:,} purchase orders with {sizes['purchase_order_line']:,} lines; {load()}")
    people = [("admin", "admin", admin_password)]
    if manager:
        people.append(("manager", manager, STAFF_PASSWORD))
    if buyer:
        people.append(("buyer", buyer, STAFF_PASSWORD))
    sessions = {kind: _sign_in(app, username, password) for kind, username, password in people}
    points = endpoints(products)
    rng = random.Random(42)
    timings, sql_ms, queries, failures, elapsed = measure_pages(sessions, points, clock, count, rng)
    print_report(points, sessions, timings, sql_ms, queries, failures, count, count, elapsed,
                 psutil.Process().memory_info().rss / 2**20)
    print(f"Load average after: {load()}")


if __name__ == "__main__":
    import sys

    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
