"""The reports centre, dashboards and the home workbench (issue 21), on whatever data DATABASE_URL holds (the module
benches' seeds at full size; `run.py demo` for a quick look):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python -m bench.bench_reports 30

Through the application in this process (Flask's test client, signed in, permissions and data scope applied) as an
admin (scope all), as the Sales user who owns the most orders (scope own) and as their manager (their
department and below): the first page of every report the centre draws (target p95 < 500 ms), the role's dashboard — 经营驾驶舱 for the admin and the manager, 销售看板 for
Sales — (target
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
EXPORT_RSS_MB = 300

# The records behind a report's biggest group exported to Excel as the RQ job does it, in a process of its own so
# that its peak RSS is the job's (the application loaded, the rows streamed in batches).
EXPORT_SCRIPT = """
import json, resource, sys, time
from sqlalchemy import select
from app import create_app
app = create_app()
with app.app_context():
    from app.core import reports
    from app.core.files import store
    from app.core.org import User
    from app.extensions import db
    from app.modules.reports import exports
    from app.modules.reports.catalogue import saved_spec
    from app.modules.reports.models import SavedReport
    user = db.session.scalar(select(User).where(User.username == "admin"))
    report = saved_spec(SavedReport(id=0, name="bench", module=sys.argv[1], group_by=sys.argv[2], measure="count"))
    params = reports.parse_params({}, report)
    biggest = max(reports.run(report, user, params).rows, key=lambda row: row.values["value"] or 0)
    started = time.perf_counter()
    made = exports.export_rows(None, user, report, params, biggest.key, "xlsx")
    took = time.perf_counter() - started
    size = store().size(made["key"])
    store().delete(made["key"])
print(json.dumps({"seconds": took, "rows": made["rows"], "group": str(biggest.label), "bytes": size,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def endpoints(report_names: list[str], dashboards: dict) -> list:
    """`dashboards`: shipped code -> id; the admin opens 经营驾驶舱, the Sales user their 销售看板."""
    points = [("home workbench", "web", HOME_MS, lambda p, k: "/")]
    if dashboards:
        points.append(("role dashboard", "web", DASHBOARD_MS,
                       lambda p, k: f"/dashboards/{dashboards['sales' if k == 'sales' else 'management']}"))
    points += [(f"report {name}", "web", REPORT_MS, (lambda n: lambda p, k: f"/reports/view/{n}")(name))
               for name in report_names]
    points.append(("reports centre", "web", REPORT_MS, lambda p, k: "/reports/"))
    return points


def _sales_person(db) -> tuple[str | None, int, str | None]:
    """The Sales user who owns the most orders, how many, and their manager (a department head, role Manager)."""
    from app.core.org import User
    from app.modules.orders.models import SalesOrder

    books = db.session.execute(select(SalesOrder.owner_id, func.count()).group_by(SalesOrder.owner_id)
                               .order_by(func.count().desc())).all()
    for owner_id, count in books:
        user = db.session.get(User, owner_id)
        if user is not None and any(r.name == "Sales" for r in user.roles):
            manager = db.session.get(User, user.manager_id) if user.manager_id else None
            return user.username, count, manager.username if manager is not None else None
    return None, 0, None


def export_figure(module: str, group_by: str) -> None:
    """Print the time and peak RSS of exporting the biggest group of `module` grouped by `group_by` to Excel."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", EXPORT_SCRIPT, module, group_by], capture_output=True, text=True,
                          timeout=7200)
    if done.returncode != 0:
        say("export failed: " + done.stderr[-2000:])
        return
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    say(f"export of {figures['rows']:,} {module} (group {figures['group']}) to Excel, streamed in a process of its "
        f"own: {figures['seconds']:.0f} s ({figures['rows'] / max(figures['seconds'], 0.001):,.0f} rows/s), "
        f"{figures['bytes'] / 2 ** 20:.0f} MB file, peak RSS {figures['rss_mb']:.0f} MB (target {EXPORT_RSS_MB} MB)")


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
        sales, owned, manager = _sales_person(db)
        clock = SqlClock(db.engine)
        dialect = db.engine.dialect.name
        db.session.remove()
    say(f"Data ({dialect}): " + ", ".join(f"{n:,} {name}" for name, n in sizes.items()) + f"; {load()}")
    sessions = {"admin": _sign_in(app, "admin", admin_password)}
    if manager:
        say(f"Manager: {manager} (their department's orders)")
        sessions["manager"] = _sign_in(app, manager, sales_password)
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
    parser.add_argument("--export", metavar="MODULE:COLUMN",
                        help="also export the biggest group of MODULE grouped by COLUMN to Excel (e.g. orders:status)")
    parser.add_argument("--skip-pages", action="store_true", help="only the export")
    args = parser.parse_args()
    if not args.skip_pages:
        main(args.count, args.sales_password)
    if args.export:
        export_figure(*args.export.split(":", 1))
