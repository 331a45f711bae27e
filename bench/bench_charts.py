"""Server time of every module's charts (the JSON each chart of /<module>/chart/ asks for) on the
database named by DATABASE_URL, per user scope, next to the target; how soon a new customer is
counted; and what the kept totals cost a write.

    # the full run: a PostgreSQL copy with 1,000,000 customers and 1,000,000 contracts
    # (it installs the chart triggers, rebuilds the totals and adds and removes a customer:
    # never point it at a database others are measuring)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench_copy python -m bench.bench_charts --full
    # the bounded run for CI: 20,000 customers and contracts, fixed seed, into an empty
    # DATABASE_URL (a temporary SQLite file when unset: there charts are grouped directly)
    python -m bench.bench_charts

On PostgreSQL each chart reads the totals the frame keeps per group, owner and department
(app/core/chart_cache), plus the changes the minute job has not folded yet, under the user's
data scope. The table shows each chart's request time and, beside it, the summed time of its
SQL and their number, for an admin (scope all), a sales manager (department) and a sales person
(own); then the same chart grouped directly over the table (what a chart with list filters
does, and what every chart did before), the time to count a customer just added (target: within
a minute), the minute job's fold, and the extra time the triggers add to one INSERT / UPDATE.
"""
from __future__ import annotations

import argparse
import functools
import inspect
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict

from sqlalchemy import select, text

from bench.common import say as _say, cpu as _cpu, load as _load

TARGET_MS, FRESH_TARGET_S = 100, 60
WARMUP = 3
CI_CUSTOMERS, CI_REQUESTS = 20_000, 20
FULL_REQUESTS = 100
CHARTS = [("customers", "by_industry"), ("customers", "by_month"), ("contracts", "by_status"),
          ("contracts", "amount_by_month")]


def _pct(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def seed(customers: int) -> None:
    from bench import seed_contracts, seed_customers

    if float(os.environ.get("BENCH_INTERACTIONS_PER_CUSTOMER") or 0) <= 0:
        os.environ["BENCH_INTERACTIONS_PER_CUSTOMER"] = "0.01"   # charts do not read interactions
    seed_customers.main(customers, 1)
    seed_contracts.main(customers)


def _route_through_cache() -> bool:
    """True when the chart views read through chart_rows(); else route ModuleInterface's own
    GROUP BY through it in this process (the one-line change to app/core/views.py)."""
    from app.core import chart_cache
    from app.core.datamodel import ModuleInterface
    from app.core.views import ModuleModelView

    if "chart_rows(self.datamodel" in inspect.getsource(ModuleModelView.chart_data):
        return True
    direct = ModuleInterface.chart_rows

    def routed(self, chart, filters=None):
        return chart_cache.chart_rows(self, chart, filters, direct=functools.partial(direct, self))

    ModuleInterface.chart_rows = routed
    ModuleInterface.direct_chart_rows = direct
    return False


def main(full: bool = False, customers: int | None = None, count: int | None = None) -> None:
    if not os.environ.get("DATABASE_URL"):
        if full:
            raise SystemExit("The full run needs DATABASE_URL (a PostgreSQL copy with 1,000,000 customers).")
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='zwt-charts-bench-')}/bench.db"
    count = count or (FULL_REQUESTS if full else CI_REQUESTS)
    from app import create_app
    from app.core.chart_cache import maintain
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.customers.models import Customer
    from bench.bench_customers import SqlClock, _pick_people, _sign_in
    from bench.seed_customers import STAFF_PASSWORD

    app = create_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        initialise("admin", os.environ.get("ADMIN_PASSWORD") or "admin123")
        if not db.session.scalar(select(Customer.id).limit(1)):
            if full:
                raise SystemExit("The database has no customers: seed a copy with `run.py bench seed` first.")
            db.session.remove()
            seed(customers or CI_CUSTOMERS)
        postgres = db.engine.dialect.name == "postgresql"
        rows = db.session.scalar(text("SELECT count(*) FROM customer"))
        contracts = db.session.scalar(text("SELECT count(*) FROM contract"))
        url = db.engine.url.render_as_string(hide_password=True)
        person, manager, book = _pick_people(db)
        names = {"admin": "admin", "manager": manager.username if manager else None, "sales": person.username}
        db.session.remove()
    _say(f"Database: {url}  customers: {rows:,}  contracts: {contracts:,}")
    _say(f"Users: admin (scope all), {names['manager']} (Manager, department), {names['sales']} (Sales, own, "
         f"{book:,} customers)")
    routed = _route_through_cache()
    if not routed:
        _say("app/core/views.py still groups directly: this run reads charts through chart_cache.chart_rows(), "
             "as the one-line change there does.")
    with app.app_context():
        t0, c0 = time.perf_counter(), _cpu()
        rebuilt = maintain.ensure()
        maintain.fold()
        if postgres:
            _say(f"Totals built for {', '.join(rebuilt) or 'nothing (already current)'} in "
                 f"{time.perf_counter() - t0:.1f}s (once, at `run.py init` or when a chart's declaration changes)")
        else:
            _say("SQLite: no kept totals, every chart is grouped directly (documented).")
        clock = SqlClock(db.engine)
        db.session.remove()
    admin_password = os.environ.get("ADMIN_PASSWORD") or "admin123"
    sessions = {"admin": _sign_in(app, "admin", admin_password)[0]}
    if names["manager"]:
        sessions["manager"] = _sign_in(app, names["manager"], STAFF_PASSWORD)[0]
    sessions["sales"] = _sign_in(app, names["sales"], STAFF_PASSWORD)[0]
    _say(f"Before: {_load()} (other work on the machine inflates every figure)")

    timings, sql_ms, statements, cpu, failures = (defaultdict(list), defaultdict(list), defaultdict(list),
                                                  defaultdict(list), defaultdict(int))
    for kind, client in sessions.items():
        for module, name in CHARTS:
            path = f"/{module}/chart/{name}.json"
            for _ in range(WARMUP):
                client.get(path).close()
            for _ in range(count):
                clock.reset(name)
                t0, c0 = time.perf_counter(), _cpu()
                resp = client.get(path)
                key = (module, name, kind)
                timings[key].append((time.perf_counter() - t0) * 1000)
                cpu[key].append((_cpu() - c0) * 1000)
                sql_ms[key].append(clock.total * 1000)
                statements[key].append(clock.statements)
                failures[key] += resp.status_code != 200
                resp.close()
    header = (f"{'chart':28} {'user':8} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7} {'sql p50':>8} {'q/req':>5} "
              f"{'cpu p50':>8} {'target':>7}  ok")
    _say(f"\nChart JSON, {count} requests per chart and user; ms (cpu: this process)\n")
    _say(header)
    _say("-" * len(header))
    missed = []
    for (module, name, kind), values in timings.items():
        p95 = _pct(values, 0.95)
        ok = p95 <= TARGET_MS and not failures[(module, name, kind)]
        missed += [] if ok else [f"{module}.{name} as {kind}"]
        _say(f"{module + '.' + name:28} {kind:8} {len(values):>4} {statistics.median(values):>7.1f} {p95:>7.1f} "
             f"{max(values):>7.1f} {statistics.median(sql_ms[(module, name, kind)]):>8.1f} "
             f"{statistics.median(statements[(module, name, kind)]):>5.0f} "
             f"{statistics.median(cpu[(module, name, kind)]):>8.1f} {TARGET_MS:>7}  {'yes' if ok else 'NO'}"
             + (f"  ({failures[(module, name, kind)]} non-200)" if failures[(module, name, kind)] else ""))
    _say(f"After: {_load()}")
    if postgres:
        direct_groups(app, names["admin"])
        freshness(app, sessions["sales"], names["sales"])
        write_cost(app)
    _say("\nMissed: " + (", ".join(missed) if missed else "none"))


def direct_groups(app, username: str, samples: int = 3) -> None:
    """The same charts grouped over the whole table, as before the totals (and as a chart with
    list filters still is)."""
    from flask import g
    from flask_login import login_user

    from app.core.datamodel import ModuleInterface
    from app.core.org import User
    from app.core.registry import registry
    from app.extensions import db

    _say(f"\nThe same charts grouped directly over the table (as {username}, {samples} runs; ms)")
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        login_user(user)
        g.user = user
        for module, name in CHARTS:
            spec = registry.get(module)
            chart = next(c for c in spec.charts if c.name == name)
            datamodel = ModuleInterface.for_spec(spec)
            direct = getattr(ModuleInterface, "direct_chart_rows", ModuleInterface.chart_rows)
            took = []
            for _ in range(samples):
                t0 = time.perf_counter()
                direct(datamodel, chart)
                took.append((time.perf_counter() - t0) * 1000)
            _say(f"  {module + '.' + name:28} median {statistics.median(took):7.1f}")
        db.session.remove()


def _chart_total(client, path: str) -> int:
    resp = client.get(path)
    total = sum(int(v) for _, v in resp.get_json()["table"])
    resp.close()
    return total


def freshness(app, client, username: str) -> None:
    """A customer added by a sales person is counted in their chart within the minute."""
    from app.core.chart_cache.jobs import refresh_chart_totals
    from app.core.org import User
    from app.extensions import db
    from app.modules.customers.models import Customer
    from app.modules.customers.service import create_customer

    path = "/customers/chart/by_month.json"
    before = _chart_total(client, path)
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == username))
        customer = create_customer(owner, Customer(name=f"图表新客户{random.randint(1, 10**9)}", kind="company",
                                                   owner_id=owner.id, credit_limit=0))
        added = time.perf_counter()
        customer_id = customer.id
        db.session.remove()
    seen = None
    while time.perf_counter() - added < FRESH_TARGET_S:
        if _chart_total(client, path) == before + 1:
            seen = time.perf_counter() - added
            break
        time.sleep(0.05)
    verdict = "yes" if seen is not None else "NO"
    _say(f"\nNew customer counted in its owner's chart after "
         f"{'never within the minute' if seen is None else f'{seen * 1000:.0f} ms'} "
         f"(target ≤ {FRESH_TARGET_S} s)  {verdict}")
    with app.app_context():
        t0, c0 = time.perf_counter(), _cpu()
        folded = refresh_chart_totals()
        _say(f"Minute job (rebuild check + fold of {folded} total(s)): {(time.perf_counter() - t0) * 1000:.0f} ms, "
             f"cpu {(_cpu() - c0) * 1000:.0f} ms")
        after_fold = _chart_total(client, path)
        db.session.delete(db.session.get(Customer, customer_id))
        db.session.commit()
        refresh_chart_totals()
        _say(f"Count after the fold {after_fold - before:+d} (expected +1); after removing the customer "
             f"{_chart_total(client, path) - before:+d} (expected +0)")
        db.session.remove()


def write_cost(app, n: int = 1000) -> None:
    """Extra time per single-row statement with the triggers on, measured in transactions that
    are rolled back (so nothing stays)."""
    from app.extensions import db

    with app.app_context():
        ids = list(db.session.scalars(text("SELECT id FROM customer ORDER BY random() LIMIT :n"), {"n": n}))
        db.session.remove()
        statements = {
            "UPDATE of a charted column (industry)": "UPDATE customer SET industry = CASE WHEN industry = 'it' "
                                                     "THEN 'retail' ELSE 'it' END WHERE id = :id",
            "UPDATE of another column (notes)": "UPDATE customer SET notes = coalesce(notes, '') WHERE id = :id",
        }
        _say(f"\nWhat the triggers add to a write ({n} statements each, rolled back, better of two; ms per statement)")
        for label, sql in statements.items():
            took = {}
            for triggers in ("on", "off") * 2:   # twice each, the better kept: the first warms the cache
                with db.engine.connect() as conn:
                    conn.begin()
                    if triggers == "off":
                        conn.execute(text("ALTER TABLE customer DISABLE TRIGGER zwt_chart_customer_update"))
                    for pk in ids[:20]:   # the session's first call compiles the trigger's function
                        conn.execute(text(sql), {"id": pk})
                    t0 = time.perf_counter()
                    for pk in ids:
                        conn.execute(text(sql), {"id": pk})
                    took[triggers] = min(took.get(triggers, 1e9), (time.perf_counter() - t0) * 1000 / n)
                    conn.rollback()
            _say(f"  {label:40} with {took['on']:.3f}  without {took['off']:.3f}  "
                 f"added {took['on'] - took['off']:+.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="the run at 1,000,000 rows (DATABASE_URL must have them)")
    parser.add_argument("--customers", type=int, help="customers to seed into an empty database (CI run)")
    parser.add_argument("--count", type=int, help="requests per chart and user")
    args = parser.parse_args()
    main(full=args.full, customers=args.customers, count=args.count)
