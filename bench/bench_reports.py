"""The reports centre, dashboards and the home workbench (issue 21), on whatever data DATABASE_URL holds (the module
benches' seeds at full size; `run.py demo` for a quick look):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python -m bench.bench_reports 30

Through the application in this process (Flask's test client, signed in, permissions and data scope applied) as an
admin (scope all) and as the Sales user who owns the most orders (scope own): the first page of every report the
centre draws (target p95 < 500 ms), the role's dashboard — 经营驾驶舱 for the admin, 销售看板 for Sales — (target
< 300 ms: its KPI numbers are drawn in the page, its charts' data are the reports' JSON, timed as the report pages) and the home workbench (target
< 100 ms). Each figure is printed beside its target with the page's SQL time and statements, so the overhead
above the SQL shows.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import time

import psutil
from sqlalchemy import func, select

from bench.bench_customers import SqlClock, _sign_in, measure_pages, print_report
from bench.common import load, say

REPORT_MS, DASHBOARD_MS, HOME_MS = 500, 300, 100


def endpoints(report_names: list[str], dashboards: dict) -> list:
    """`dashboards`: shipped code -> id; the admin opens 经营驾驶舱, the Sales user their 销售看板."""
    points = [("home workbench", "web", HOME_MS, lambda p, k: "/")]
    if dashboards:
        points.append(("role dashboard", "web", DASHBOARD_MS,
                       lambda p, k: f"/dashboards/{dashboards['management' if k == 'admin' else 'sales']}"))
    points += [(f"report {name}", "web", REPORT_MS, (lambda n: lambda p, k: f"/reports/view/{n}")(name))
               for name in report_names]
    points.append(("reports centre", "web", REPORT_MS, lambda p, k: "/reports/"))
    return points


def _sales_person(db) -> tuple[str | None, int]:
    from app.core.org import User
    from app.modules.orders.models import SalesOrder

    books = db.session.execute(select(SalesOrder.owner_id, func.count()).group_by(SalesOrder.owner_id)
                               .order_by(func.count().desc())).all()
    for owner_id, count in books:
        user = db.session.get(User, owner_id)
        if user is not None and any(r.name == "Sales" for r in user.roles):
            return user.username, count
    return None, 0


def main(count: int, sales_password: str) -> None:
    from app import create_app
    from app.core import reports
    from app.extensions import db
    from app.modules.customers.models import Customer
    from app.modules.invoices.models import Invoice
    from app.modules.orders.models import SalesOrder
    from app.modules.reports.models import Dashboard

    app = create_app(WTF_CSRF_ENABLED=False)
    admin_password = os.environ.get("ADMIN_PASSWORD") or "admin123"
    with app.app_context():
        sizes = {name: db.session.scalar(select(func.count()).select_from(model))
                 for name, model in (("customers", Customer), ("orders", SalesOrder), ("invoices", Invoice))}
        names = [r.name for r in reports.all_reports() if r.compute is not None or r.dimensions]
        dashboards = dict(db.session.execute(select(Dashboard.code, Dashboard.id).where(Dashboard.code.isnot(None))).all())
        sales, owned = _sales_person(db)
        clock = SqlClock(db.engine)
        dialect = db.engine.dialect.name
        db.session.remove()
    say(f"Data ({dialect}): " + ", ".join(f"{n:,} {name}" for name, n in sizes.items()) + f"; {load()}")
    sessions = {"admin": _sign_in(app, "admin", admin_password)}
    if sales:
        say(f"Sales user: {sales} ({owned:,} orders)")
        sessions["sales"] = _sign_in(app, sales, sales_password)
    for kind, session in sessions.items():
        # each user's own reports: those the centre lists for them
        listed = set(re.findall(r'/reports/view/([\w.]+)"', session[0].get("/reports/").get_data(as_text=True)))
        points = endpoints([n for n in names if n in listed], dashboards)
        started = time.perf_counter()
        timings, sql_ms, queries, failures, _took = measure_pages({kind: session}, points, clock, count,
                                                                  random.Random(21))
        print_report(points, {kind: session}, timings, sql_ms, queries, failures, count, count,
                     time.perf_counter() - started, psutil.Process().memory_info().rss / 2 ** 20)
    say(f"\n{load()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=30)
    parser.add_argument("--sales-password", default=os.environ.get("SALES_PASSWORD", "demo1234"))
    args = parser.parse_args()
    main(args.count, args.sales_password)
