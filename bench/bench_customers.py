"""Server time of the customer screens and API on the database named by DATABASE_URL, and the
time of the grading job over every customer.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python run.py bench run --requests 200

Requests go through Flask's test client in this process, so the figures are the application's
own time (routing, security, SQL, templates, JSON) without network or a WSGI server. Each
endpoint is asked as an admin (scope all), a sales manager (scope department) and a sales
person (scope own), with page numbers spread over the first and deeper pages (up to page 40).
BENCH_SHOW_SQL=1 prints each endpoint's slowest SQL statement for EXPLAIN ANALYZE.

The customer page (detail with its timeline tab: the first 50 of interactions, field and grade
changes, plus the profile tab) is asked for customers of each user's scope, a fifth of them the
longest timelines (thousands of interactions). The grading job then grades every customer
from scratch (all grades reset first, not timed) and once more with nothing left to change
(target ≤ 60 s in one process), then single customers' paid amount and start of cooperation
change and each is graded again at once (target ≤ 1 s; the changes are undone afterwards);
BENCH_GRADE=0 skips it (it rewrites the grade of every customer).
"""
from __future__ import annotations

import os
import random
import statistics
import time
import unicodedata
from collections import defaultdict
from urllib.parse import quote

import prison
import psutil
from sqlalchemy import event, func, select

from bench.seed_customers import STAFF_PASSWORD

WARMUP = 5
NAME_PART = "华信"
LIST_TARGET_MS, FILTERED_TARGET_MS, RSS_TARGET_MB = 150, 200, 250
CUSTOMER_PAGE_TARGET_MS, GRADE_TARGET_S = 200, 60


def _page(rng: random.Random) -> int:
    """Mostly the first pages, sometimes deep ones, as people page through a list."""
    roll = rng.random()
    if roll < 0.6:
        return 0
    if roll < 0.85:
        return rng.randint(1, 4)
    return rng.randint(5, 39)


def _rest(page: int, *filters) -> str:
    args = {"page": page, "page_size": 25}
    if filters:
        args["filters"] = [{"col": c, "opr": o, "value": v} for c, o, v in filters]
    return "/api/v1/customers/?q=" + quote(prison.dumps(args))


# (name, kind, target ms, URL for a page number); kind "web" uses the session, "api" the JWT.
ENDPOINTS = [
    ("list page", "web", LIST_TARGET_MS, lambda p: f"/customers/list/?page_CustomerView={p}"),
    ("list industry=manufacturing", "web", FILTERED_TARGET_MS,
     lambda p: f"/customers/list/?_flt_3_industry=manufacturing&page_CustomerView={p}"),
    (f"list name contains {NAME_PART}", "web", FILTERED_TARGET_MS,
     lambda p: f"/customers/list/?_flt_2_name={quote(NAME_PART)}&page_CustomerView={p}"),
    ("REST list", "api", LIST_TARGET_MS, lambda p: _rest(p)),
    ("REST industry eq", "api", FILTERED_TARGET_MS, lambda p: _rest(p, ("industry", "eq", "manufacturing"))),
    (f"REST name ct {NAME_PART}", "api", FILTERED_TARGET_MS, lambda p: _rest(p, ("name", "ct", NAME_PART))),
    ("chart by_industry", "web", None, lambda p: "/customers/chart/by_industry.json"),
    ("chart by_month", "web", None, lambda p: "/customers/chart/by_month.json"),
]


class SqlClock:
    """Time spent in the database driver, per request, and the slowest statement seen."""

    def __init__(self, engine):
        self.total = 0.0
        self.statements = 0
        self.slowest: dict[str, tuple[float, str, object]] = {}
        self.endpoint = ""
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self, endpoint: str) -> None:
        self.total, self.statements, self.endpoint = 0.0, 0, endpoint

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
        self.total += took
        self.statements += 1
        if took > self.slowest.get(self.endpoint, (0.0,))[0]:
            self.slowest[self.endpoint] = (took, statement, parameters)


def _pick_people(db):
    """A sales person with a median-sized book, and their manager."""
    from app.core.org import User
    from app.modules.customers.models import Customer

    books = db.session.execute(select(Customer.owner_id, func.count()).group_by(Customer.owner_id)).all()
    sales = {u.id: u for u in db.session.scalars(select(User)) if any(r.name == "Sales" for r in u.roles)}
    mine = sorted((n, uid) for uid, n in books if uid in sales)
    if not mine:
        raise SystemExit("No Sales user owns customers: run `python run.py bench seed` first.")
    n, uid = mine[len(mine) // 2]
    person = sales[uid]
    manager = db.session.get(User, person.manager_id) if person.manager_id else None
    return person, manager, n


def _sign_in(app, username: str, password: str):
    """A session client through the login form, and a JWT header from the security API."""
    client = app.test_client()
    resp = client.post("/login/", data={"username": username, "password": password})
    if resp.status_code != 302 or "/login" in resp.headers.get("Location", ""):
        raise SystemExit(f"Login form refused {username}")
    api = app.test_client()
    resp = api.post("/api/v1/security/login", json={"username": username, "password": password, "provider": "db"})
    if resp.status_code != 200:
        raise SystemExit(f"API login refused {username}: {resp.get_json()}")
    return client, api, {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal where CJK characters take two columns."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")
    return text + " " * max(0, width - len(text) - wide)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def measure_pages(sessions: dict, points: list, clock, count: int, rng: random.Random,
                  heavy=lambda name: False) -> tuple:
    """Each endpoint requested as each user: WARMUP times unrecorded, then `count` times recorded (an endpoint
    `heavy(name)` says takes seconds: warmed once, recorded max(3, count // 10) times). Returns timings, SQL time,
    statements and non-200 answers per (endpoint, user), and the seconds the recorded requests took."""
    import gc

    timings, sql_ms, queries, failures = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(int)
    gc.freeze()   # as a web process does once the app is loaded (deploy/gunicorn.conf.py, post_worker_init)

    def call(kind, endpoint, page, record):
        name, _how, _target, make = endpoint
        web, _api, _header = sessions[kind]
        clock.reset(name)
        started = time.perf_counter()
        resp = web.get(make(page, kind))
        took = (time.perf_counter() - started) * 1000
        resp.close()
        if record:
            key = (name, kind)
            if resp.status_code != 200:
                failures[key] += 1
            timings[key].append(took)
            sql_ms[key].append(clock.total * 1000)
            queries[key].append(clock.statements)

    for kind in sessions:
        for endpoint in points:
            for i in range(1 if heavy(endpoint[0]) else WARMUP):
                call(kind, endpoint, i, False)
    started = time.perf_counter()
    for i in range(count):
        for kind in sessions:
            for endpoint in points:
                if heavy(endpoint[0]) and i >= max(3, count // 10):
                    continue
                call(kind, endpoint, _page(rng), True)
    return timings, sql_ms, queries, failures, time.perf_counter() - started


def print_report(points, sessions, timings, sql_ms, queries, failures, count: int, chart_count: int,
                 elapsed: float, rss: float) -> None:
    """The p50/p95 table of every endpoint × user, the process memory and the missed targets."""
    header = f"{'endpoint':32} {'user':8} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7} {'sql p50':>8} {'q/req':>5} {'target':>7}  ok"
    print(f"\n{count} requests per endpoint, {chart_count} per chart, per user; times in ms\n")
    print(header)
    print("-" * len(header))
    missed = []
    for name, _how, target, _make in points:
        for kind in sessions:
            key = (name, kind)
            values = timings[key]
            p95 = _pct(values, 0.95)
            verdict = "-" if target is None else ("yes" if p95 < target else "NO")
            if verdict == "NO":
                missed.append(f"{name} ({kind})")
            print(f"{_pad(name, 32)} {kind:8} {len(values):>4} {statistics.median(values):>7.1f} {p95:>7.1f} "
                  f"{max(values):>7.1f} {statistics.median(sql_ms[key]):>8.1f} {statistics.median(queries[key]):>5.0f} "
                  f"{target or '-':>7}  {verdict}" + (f"  ({failures[key]} non-200)" if failures[key] else ""))
    print(f"\nProcess RSS after the run: {rss:.0f} MB (target < {RSS_TARGET_MB} MB: {'yes' if rss < RSS_TARGET_MB else 'NO'})")
    total = sum(len(v) for v in timings.values())
    print(f"{total} measured requests in {elapsed:.1f}s; load average after: "
          "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print("Targets missed (p95): " + (", ".join(missed) if missed else "none"))


def main(count: int = 200) -> None:
    from app import create_app
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.customers.models import Customer

    # The login form's CSRF token would need an HTML scrape per client; the benchmark measures
    # list and API speed, not the login form, so CSRF is switched off for this in-process app.
    app = create_app(WTF_CSRF_ENABLED=False)
    admin_password = os.environ.get("ADMIN_PASSWORD") or "admin123"
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
        # A database seeded by an older checkout needs the newer migrations before anyone can sign in.
        initialise("admin", admin_password)
        clock = SqlClock(db.engine)
        rows = db.session.scalar(select(func.count()).select_from(Customer))
        person, manager, book = _pick_people(db)
        people = [("admin", "admin", admin_password)]
        if manager is not None:
            people.append(("manager", manager.username, STAFF_PASSWORD))
        people.append(("sales", person.username, STAFF_PASSWORD))
        names = {"admin": "admin", "sales": person.username, "manager": manager.username if manager else "-"}
        db.session.remove()
    print(f"Database: {url}  customers: {rows:,}")
    print(f"Users: admin (scope all), {names['manager']} (Manager, scope department), "
          f"{names['sales']} (Sales, scope own, {book:,} customers)")
    print("CSRF is disabled in this in-process app (create_app(WTF_CSRF_ENABLED=False)) so the login form "
          "can be posted directly; everything else is the production configuration.")
    credentials = {kind: (username, password) for kind, username, password in people}
    sessions = {kind: _sign_in(app, username, password) for kind, username, password in people}
    for kind, (_web, api, header) in sessions.items():
        # The capped count must say "more than the cap" on a big table, never a small number.
        body = api.get(_rest(0), headers=header).get_json()
        print(f"REST count for {kind} (no filter): {body.get('count')}")
    print("Load average before: {:.2f} {:.2f} {:.2f} (other work on the machine inflates every figure)".format(
        *os.getloadavg()))

    rng = random.Random(42)
    timings: dict[tuple, list[float]] = defaultdict(list)
    sql_ms: dict[tuple, list[float]] = defaultdict(list)
    queries: dict[tuple, list[int]] = defaultdict(list)
    failures: dict[tuple, int] = defaultdict(int)

    def call(kind, endpoint, page, record):
        name, how, _target, make = endpoint
        path = make(page)
        for _attempt in range(2):
            web, api, header = sessions[kind]
            clock.reset(name)
            t0 = time.perf_counter()
            resp = web.get(path) if how == "web" else api.get(path, headers=header)
            took = (time.perf_counter() - t0) * 1000
            resp.close()
            if resp.status_code != 401 or how != "api":
                break
            # A long run outlives the access token (JWT_ACCESS_TOKEN_EXPIRES): sign in again.
            sessions[kind] = _sign_in(app, *credentials[kind])
        if not record:
            return
        key = (name, kind)
        if resp.status_code != 200:
            failures[key] += 1
        timings[key].append(took)
        sql_ms[key].append(clock.total * 1000)
        queries[key].append(clock.statements)

    for kind in sessions:
        for endpoint in ENDPOINTS:
            for i in range(WARMUP):
                call(kind, endpoint, i, False)
    chart_count = min(count, max(10, count // 4))  # charts are opened far less often than lists
    started = time.perf_counter()
    for i in range(count):
        for kind in sessions:
            for endpoint in ENDPOINTS:
                if endpoint[0].startswith("chart") and i >= chart_count:
                    continue
                call(kind, endpoint, _page(rng), True)
    elapsed = time.perf_counter() - started
    rss = psutil.Process().memory_info().rss / 2**20

    print_report(ENDPOINTS, sessions, timings, sql_ms, queries, failures, count, chart_count, elapsed, rss)
    customer_pages(app, sessions, names, clock, count)
    if os.environ.get("BENCH_GRADE", "1") != "0":
        grade_job(app)
    if os.environ.get("BENCH_SHOW_SQL"):
        for name, (took, statement, parameters) in clock.slowest.items():
            print(f"\n-- {name}: slowest statement {took * 1000:.1f} ms, parameters {parameters}\n{statement}")


def _pages_of(app, username: str, rng: random.Random, count: int) -> list[int]:
    """Customer ids the user may see: mostly ordinary ones, a fifth the longest timelines."""
    from app.core.org import User
    from app.core.registry import registry
    from app.core.scope import scope_clause
    from app.extensions import db
    from app.modules.customers.models import Customer
    from bench.seed_customers import HEAVY_CUSTOMERS

    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        clause = scope_clause(registry.get("customers"), user)
        top = db.session.scalar(select(func.max(Customer.id))) or 0
        heavy = [(i * 7919) % top + 1 for i in range(HEAVY_CUSTOMERS)] if top else []
        if clause is None:
            ordinary = [rng.randint(1, top) for _ in range(count)]
        else:
            ordinary = list(db.session.scalars(select(Customer.id).where(clause).order_by(func.random()).limit(count)))
            heavy = list(db.session.scalars(select(Customer.id).where(clause, Customer.id.in_(heavy))))
        db.session.remove()
    picked = [rng.choice(heavy) if heavy and rng.random() < 0.2 else rng.choice(ordinary) for _ in range(count)]
    return picked, len(heavy)


def customer_pages(app, sessions, names, clock, count: int) -> None:
    """p50/p95 of the customer page with its timeline, and of the whole-timeline page."""
    rng = random.Random(7)
    pages = [("customer page + timeline", "/customers/show/{}"), ("timeline page", "/customer_timeline/{}/")]
    header = f"{'page':28} {'user':8} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7} {'sql p50':>8} {'q/req':>5} {'target':>7}  ok"
    print(f"\nCustomer pages ({count} per user; a fifth of the ids are the longest timelines when in scope); ms\n")
    print(header)
    print("-" * len(header))
    for kind, (web, _api, _header) in sessions.items():
        ids, heavy = _pages_of(app, names[kind], rng, count)
        if not ids:
            continue
        for name, pattern in pages:
            for pk in ids[:WARMUP]:
                web.get(pattern.format(pk)).close()
            took, sql, statements, bad = [], [], [], 0
            for pk in ids:
                clock.reset(name)
                t0 = time.perf_counter()
                resp = web.get(pattern.format(pk))
                took.append((time.perf_counter() - t0) * 1000)
                bad += resp.status_code != 200
                resp.close()
                sql.append(clock.total * 1000)
                statements.append(clock.statements)
            p95 = _pct(took, 0.95)
            target = CUSTOMER_PAGE_TARGET_MS
            print(f"{_pad(name, 28)} {kind:8} {len(took):>4} {statistics.median(took):>7.1f} {p95:>7.1f} "
                  f"{max(took):>7.1f} {statistics.median(sql):>8.1f} {statistics.median(statements):>5.0f} "
                  f"{target:>7}  {'yes' if p95 < target else 'NO'}" + (f"  ({bad} non-200)" if bad else "")
                  + (f"  [{heavy} long timelines in scope]" if heavy else ""))


def grade_job(app) -> None:
    """Time of grading every customer from scratch, then of a run with nothing to change, then
    of one customer graded again after its figures changed."""
    from sqlalchemy import text

    from app.extensions import db
    from app.modules.customers.grading import regrade
    from app.modules.customers.models import Customer

    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Customer))
        print(f"\nGrading job over {total:,} customers (target ≤ {GRADE_TARGET_S} s)")
        t0 = time.perf_counter()
        db.session.execute(text("DELETE FROM grade_change"))
        db.session.execute(text("DELETE FROM customer_grade"))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE customer_grade"))
                conn.execute(text("VACUUM ANALYZE grade_change"))
        print(f"  reset (not timed): {time.perf_counter() - t0:.1f}s")
        for label in ("from scratch", "again, nothing to change"):
            t0 = time.perf_counter()
            changed = regrade(None)
            took = time.perf_counter() - t0
            rss = psutil.Process().memory_info().rss / 2**20
            print(f"  {label:26} {took:7.1f}s  {changed:>9,} grades changed  RSS {rss:.0f} MB  "
                  f"target ≤ {GRADE_TARGET_S}s  {'yes' if took <= GRADE_TARGET_S else 'NO'}")
        rows = db.session.execute(text("SELECT g.grade, count(*) FROM customer c LEFT JOIN customer_grade g "
                                       "ON g.customer_id = c.id GROUP BY g.grade ORDER BY g.grade")).all()
        print("  grades: " + ", ".join(f"{g or '-'} {n:,}" for g, n in rows))
        from bench.bench_grading import DriverClock, incremental
        from app.modules.customers.grading import rules

        clock = DriverClock(db.engine)
        for kind in ("paid", "since"):
            incremental(db, rules(), kind, clock, count=20)
        db.session.remove()


if __name__ == "__main__":
    import sys

    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
