"""Server time of the global search (/search/?q=…, JSON, as the Ctrl+K dialog asks) on the
database named by DATABASE_URL, per kind of query and per user, next to the target.

    # the full run: 1,000,000 customers, 2,000,000 contacts, 1,000,000 contracts on PostgreSQL
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_searchbench python -m bench.bench_global_search --full
    # the bounded run for CI: 20,000 customers, fixed seed, a temporary SQLite file unless DATABASE_URL is set
    python -m bench.bench_global_search

An empty database is seeded first with bench/seed_customers.py (customers, two contacts each,
next to no interactions: the search does not read them) and bench/seed_contracts.py (one contract
per customer), then VACUUM ANALYZE. A database that already has customers is searched as it is.

Requests go through Flask's test client in this process, signed in through the login form, so
the figures are the application's own time (routing, security, scope, SQL, JSON) without
network or a WSGI server. Each kind of query is asked by a sales manager (scope department) and
a sales person (scope own), with values drawn from records of their own scope (a code, the
start of a code, the start of a mobile number, a rare part of a name), a common two-character
name part (科技) and a text no record holds. The table shows the request's time and, beside it,
the summed time of its SQL statements and their number. --explain prints EXPLAIN ANALYZE of
each kind's slowest search statement.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from urllib.parse import quote

from sqlalchemy import func, select, text

TARGET_MS = 200
WARMUP = 3
COMMON_PART = "科技"
NO_HIT = "科技餐饮连锁宇航"
CI_CUSTOMERS, CI_REQUESTS = 20_000, 20
FULL_CUSTOMERS, FULL_REQUESTS = 1_000_000, 100
KINDS = ["exact code", "code prefix", "phone prefix", f"common part {COMMON_PART}", "rare name part", "no hit"]


def _say(message: str) -> None:
    print(message, flush=True)


def seed(customers: int) -> None:
    """Customers with two contacts each, then as many contracts, then VACUUM ANALYZE."""
    from bench import seed_contracts, seed_customers

    # Interactions play no part in the search; a handful keep the generator's long timelines
    # (the generator divides by this figure: it cannot be 0).
    if float(os.environ.get("BENCH_INTERACTIONS_PER_CUSTOMER") or 0) <= 0:
        os.environ["BENCH_INTERACTIONS_PER_CUSTOMER"] = "0.01"
    seed_customers.main(customers, 2)
    seed_contracts.main(customers)


def vacuum(engine) -> None:
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("customer", "contact", "contract"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))


def _scoped(db, user, spec_name: str, stmt):
    from app.core.registry import registry
    from app.core.scope import scope_clause

    clause = scope_clause(registry.get(spec_name), user)
    return stmt if clause is None else stmt.where(clause)


def query_values(app, username: str, rng: random.Random, count: int) -> dict[str, list[str]]:
    """For each kind of query, `count` values a user of that scope would type."""
    from app.core.org import User
    from app.extensions import db
    from app.modules.customers.models import Contact, Customer

    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        top = db.session.scalar(select(func.max(Customer.id))) or 0
        # A sample of the user's customers, drawn from random points of the table.
        picks = []
        for start in (rng.randint(1, top) for _ in range(count)):
            stmt = _scoped(db, user, "customers", select(Customer.id, Customer.code, Customer.name)
                           .where(Customer.id >= start).order_by(Customer.id).limit(1))
            row = db.session.execute(stmt).first() or db.session.execute(
                _scoped(db, user, "customers", select(Customer.id, Customer.code, Customer.name)
                        .order_by(Customer.id).limit(1))).first()
            picks.append(row)
        phones = []
        for cid, _code, _name in picks:
            phone = db.session.scalar(select(Contact.phone).where(Contact.customer_id == cid,
                                                                  Contact.phone.isnot(None)).limit(1))
            phones.append(phone or "13800000000")
        db.session.remove()
    return {
        "exact code": [code.lower() if i % 2 else code for i, (_cid, code, _n) in enumerate(picks)],
        # KH-2025-0012: the year and the first digits of the sequence, a hundred or more codes.
        "code prefix": [code[:12] for _cid, code, _n in picks],
        "phone prefix": [p[:3] + " " + p[3:7] for p in phones],
        f"common part {COMMON_PART}": [COMMON_PART] * count,
        # Four characters from the middle of the name: the brand and the start of the trade.
        "rare name part": [name[2:6] if len(name) >= 6 else name for _cid, _code, name in picks],
        "no hit": [NO_HIT] * count,
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main(full: bool = False, customers: int | None = None, count: int | None = None, explain: bool = False) -> None:
    customers = customers or (FULL_CUSTOMERS if full else CI_CUSTOMERS)
    count = count or (FULL_REQUESTS if full else CI_REQUESTS)
    if not os.environ.get("DATABASE_URL"):
        if full:
            raise SystemExit("The full run needs DATABASE_URL (PostgreSQL), e.g. "
                             "postgresql://postgres@127.0.0.1:5432/zwt_searchbench")
        folder = tempfile.mkdtemp(prefix="zwt-search-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
        os.environ.setdefault("ZWT_INSTANCE_DIR", folder)

    from app import create_app
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.contracts.models import Contract
    from app.modules.customers.models import Contact, Customer
    from bench.bench_customers import _pad, _pick_people, _sign_in
    from bench.seed_customers import STAFF_PASSWORD

    app = create_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        initialise("admin", os.environ.get("ADMIN_PASSWORD") or "admin123")
        have = db.session.scalar(select(func.count()).select_from(Customer))
        db.session.remove()
    if not have:
        _say(f"Seeding {customers:,} customers, {2 * customers:,} contacts and {customers:,} contracts")
        seed(customers)
        with app.app_context():
            vacuum(db.engine)
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
        sizes = [db.session.scalar(select(func.count()).select_from(m)) for m in (Customer, Contact, Contract)]
        clock = SearchClock(db.engine)
        person, manager, book = _pick_people(db)
        people = [("manager", manager.username)] if manager is not None else []
        people.append(("sales", person.username))
        db.session.remove()
    _say(f"Database: {url}\nRows: {sizes[0]:,} customers, {sizes[1]:,} contacts, {sizes[2]:,} contracts")
    _say(f"Users: {people[0][1]} (Manager, scope department)" if manager is not None else "Users: no manager")
    _say(f"       {person.username} (Sales, scope own, {book:,} customers)")
    _say("CSRF is off in this in-process app so the login form can be posted directly.")
    _say("Load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    rng = random.Random(2026)
    sessions = {kind: _sign_in(app, username, STAFF_PASSWORD)[0] for kind, username in people}
    values = {kind: query_values(app, username, rng, count) for kind, username in people}
    timings, sql_ms, statements, hits, failures = (defaultdict(list), defaultdict(list), defaultdict(list),
                                                   defaultdict(list), defaultdict(int))

    def ask(who: str, kind: str, value: str, record: bool) -> None:
        clock.reset(f"{kind}|{who}")
        t0 = time.perf_counter()
        resp = sessions[who].get(f"/search/?format=json&q={quote(value)}")
        took = (time.perf_counter() - t0) * 1000
        if not record:
            return
        key = (kind, who)
        body = resp.get_json(silent=True) or {}
        if resp.status_code != 200:
            failures[key] += 1
        timings[key].append(took)
        sql_ms[key].append(clock.total * 1000)
        statements[key].append(clock.statements)
        hits[key].append(body.get("total", 0))

    for who in sessions:
        for kind in KINDS:
            for value in values[who][kind][:WARMUP]:
                ask(who, kind, value, False)
    started = time.perf_counter()
    for i in range(count):
        for who in sessions:
            for kind in KINDS:
                ask(who, kind, values[who][kind][i], True)
    elapsed = time.perf_counter() - started

    header = (f"{'query':22} {'user':8} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7} {'sql p50':>8} {'sql p95':>8} "
              f"{'q/req':>5} {'hits':>5} {'target':>7}  ok")
    _say(f"\n{count} requests per query kind and user; times in ms (the request, and its SQL beside it)\n")
    _say(header)
    _say("-" * len(header))
    missed = []
    for kind in KINDS:
        for who in sessions:
            key = (kind, who)
            p95 = _pct(timings[key], 0.95)
            ok = p95 < TARGET_MS
            if not ok:
                missed.append(f"{kind} ({who})")
            _say(f"{_pad(kind, 22)} {who:8} {len(timings[key]):>4} {statistics.median(timings[key]):>7.1f} "
                 f"{p95:>7.1f} {max(timings[key]):>7.1f} {statistics.median(sql_ms[key]):>8.1f} "
                 f"{_pct(sql_ms[key], 0.95):>8.1f} {statistics.median(statements[key]):>5.0f} "
                 f"{statistics.mean(hits[key]):>5.1f} {TARGET_MS:>7}  {'yes' if ok else 'NO'}"
                 + (f"  ({failures[key]} non-200)" if failures[key] else ""))
    _say(f"\n{sum(len(v) for v in timings.values())} measured requests in {elapsed:.1f}s; load average after: "
         "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    _say("Targets missed (p95): " + (", ".join(missed) if missed else "none"))
    if explain:
        explain_slowest(app, clock)


class SearchClock:
    """Time spent in the database driver per request, its statements, and the slowest search
    statement (the one reading the "hits") per kind of query and user."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.total, self.statements, self.key = 0.0, 0, ""
        self.slowest: dict[str, tuple[float, str, object]] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self, key: str) -> None:
        self.total, self.statements, self.key = 0.0, 0, key

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
        self.total += took
        self.statements += 1
        if " hits" in statement and took > self.slowest.get(self.key, (0.0,))[0]:
            self.slowest[self.key] = (took, statement, parameters)


def explain_slowest(app, clock) -> None:
    """EXPLAIN ANALYZE of the slowest statement each kind of query ran (PostgreSQL)."""
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            _say("EXPLAIN ANALYZE is printed on PostgreSQL only.")
            return
        with db.engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
            for name, (took, statement, parameters) in sorted(clock.slowest.items()):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                _say(f"\n-- {name}: {took * 1000:.1f} ms\n{plan}")
            conn.rollback()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 customers and 100 requests per kind and user")
    parser.add_argument("--customers", type=int, help="customers to seed into an empty database")
    parser.add_argument("--requests", type=int, help="requests per kind of query and user")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each kind's slowest statement")
    args = parser.parse_args()
    main(args.full, args.customers, args.requests, args.explain)
