"""Server time of the contract screens and API, and of a customer's page with its contracts tab,
on the database named by DATABASE_URL (seed it with bench/seed_customers.py, then
bench/seed_contracts.py).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python -m bench.bench_contracts 200

Measured like bench/bench_customers.py: Flask's test client in this process (the application's
own time, no network or WSGI server), as an admin (scope all), a sales manager (scope
department) and a sales person (scope own), pages spread over the first and deeper ones.
BENCH_SHOW_SQL=1 prints each endpoint's slowest SQL statement for EXPLAIN ANALYZE.
"""
from __future__ import annotations

import os
import random
import time
from collections import defaultdict
from urllib.parse import quote

import prison
import psutil
from sqlalchemy import func, select

from bench.bench_customers import WARMUP, SqlClock, _page, _pick_people, _sign_in, print_report
from bench.seed_customers import STAFF_PASSWORD

TITLE_PART = "设备"
LIST_TARGET_MS, FILTERED_TARGET_MS, SHOW_TARGET_MS = 150, 200, 200


def _rest(page: int, *filters) -> str:
    args = {"page": page, "page_size": 25}
    if filters:
        args["filters"] = [{"col": c, "opr": o, "value": v} for c, o, v in filters]
    return "/api/v1/contracts/?q=" + quote(prison.dumps(args))


def endpoints(customers: dict) -> list:
    """(name, kind, target ms, URL for a page number); kind "web" uses the session, "api" the
    JWT. `customers` maps a user kind to customers of theirs that have contracts."""
    rng = random.Random(7)
    return [
        ("list page", "web", LIST_TARGET_MS, lambda p, k: f"/contracts/list/?page_ContractView={p}"),
        ("list status=signed", "web", FILTERED_TARGET_MS,
         lambda p, k: f"/contracts/list/?_flt_3_status=signed&page_ContractView={p}"),
        ("list amount>500000", "web", FILTERED_TARGET_MS,
         lambda p, k: f"/contracts/list/?_flt_1_amount=500000&page_ContractView={p}"),
        (f"list title contains {TITLE_PART}", "web", FILTERED_TARGET_MS,
         lambda p, k: f"/contracts/list/?_flt_2_title={quote(TITLE_PART)}&page_ContractView={p}"),
        ("REST list", "api", LIST_TARGET_MS, lambda p, k: _rest(p)),
        ("REST status eq in_approval", "api", FILTERED_TARGET_MS, lambda p, k: _rest(p, ("status", "eq", "in_approval"))),
        (f"REST title ct {TITLE_PART}", "api", FILTERED_TARGET_MS, lambda p, k: _rest(p, ("title", "ct", TITLE_PART))),
        ("customer page + contracts tab", "web", SHOW_TARGET_MS,
         lambda p, k: f"/customers/show/{rng.choice(customers[k])}"),
        ("chart by_status", "web", None, lambda p, k: "/contracts/chart/by_status.json"),
        ("chart amount_by_month", "web", None, lambda p, k: "/contracts/chart/amount_by_month.json"),
    ]


def _customers_with_contracts(db, user_id: int | None) -> list[int]:
    from app.modules.contracts.models import Contract

    stmt = select(Contract.customer_id).group_by(Contract.customer_id).having(func.count() >= 2).limit(200)
    if user_id is not None:
        stmt = stmt.where(Contract.owner_id == user_id)
    return list(db.session.scalars(stmt))


def main(count: int = 200) -> None:
    from app import create_app
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.contracts.models import Contract

    # As in bench_customers: CSRF off so the login form can be posted without scraping a token.
    app = create_app(WTF_CSRF_ENABLED=False)
    admin_password = os.environ.get("ADMIN_PASSWORD") or "admin123"
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
        initialise("admin", admin_password)
        clock = SqlClock(db.engine)
        rows = db.session.scalar(select(func.count()).select_from(Contract))
        if not rows:
            raise SystemExit("No contracts: run `python -m bench.seed_contracts N` first.")
        person, manager, book = _pick_people(db)
        people = [("admin", "admin", admin_password)]
        if manager is not None:
            people.append(("manager", manager.username, STAFF_PASSWORD))
        people.append(("sales", person.username, STAFF_PASSWORD))
        theirs = {"admin": _customers_with_contracts(db, None), "sales": _customers_with_contracts(db, person.id)}
        if manager is not None:
            theirs["manager"] = theirs["sales"]  # the person is in the manager's department
        contracts_of_person = db.session.scalar(select(func.count()).select_from(Contract)
                                                .where(Contract.owner_id == person.id))
        db.session.remove()
    print(f"Database: {url}  contracts: {rows:,}")
    print(f"Users: admin (scope all), {manager.username if manager else '-'} (Manager, scope department), "
          f"{person.username} (Sales, scope own, {book:,} customers, {contracts_of_person:,} contracts)")
    sessions = {kind: _sign_in(app, username, password) for kind, username, password in people}
    credentials = {kind: (username, password) for kind, username, password in people}
    print("Load average before: {:.2f} {:.2f} {:.2f} (other work on the machine inflates every figure)".format(
        *os.getloadavg()))

    rng = random.Random(42)
    points = endpoints(theirs)
    timings: dict[tuple, list[float]] = defaultdict(list)
    sql_ms: dict[tuple, list[float]] = defaultdict(list)
    queries: dict[tuple, list[int]] = defaultdict(list)
    failures: dict[tuple, int] = defaultdict(int)

    def call(kind, endpoint, page, record):
        name, how, _target, make = endpoint
        path = make(page, kind)
        for _attempt in range(2):
            web, api, header = sessions[kind]
            clock.reset(name)
            t0 = time.perf_counter()
            resp = web.get(path) if how == "web" else api.get(path, headers=header)
            took = (time.perf_counter() - t0) * 1000
            resp.close()
            if resp.status_code != 401 or how != "api":
                break
            sessions[kind] = _sign_in(app, *credentials[kind])  # the access token expired
        if not record:
            return
        key = (name, kind)
        if resp.status_code != 200:
            failures[key] += 1
        timings[key].append(took)
        sql_ms[key].append(clock.total * 1000)
        queries[key].append(clock.statements)

    for kind in sessions:
        for endpoint in points:
            for i in range(WARMUP):
                call(kind, endpoint, i, False)
    chart_count = min(count, max(10, count // 4))
    started = time.perf_counter()
    for i in range(count):
        for kind in sessions:
            for endpoint in points:
                if endpoint[0].startswith("chart") and i >= chart_count:
                    continue
                call(kind, endpoint, _page(rng), True)
    elapsed = time.perf_counter() - started
    rss = psutil.Process().memory_info().rss / 2**20

    print_report(points, sessions, timings, sql_ms, queries, failures, count, chart_count, elapsed, rss)
    if os.environ.get("BENCH_SHOW_SQL"):
        for name, (took, statement, parameters) in clock.slowest.items():
            print(f"\n-- {name}: slowest statement {took * 1000:.1f} ms, parameters {parameters}\n{statement}")


if __name__ == "__main__":
    import sys

    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
