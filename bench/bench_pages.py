"""Server time, statements and SQL time of every generated list and detail page, per user.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python -m bench.bench_pages [requests] [module...]

Each page is asked through Flask's test client in this process with a signed-in session (admin,
a sales manager, a sales person), after a warm-up that fills the per-user caches. For each page
the table prints p50/p95 of the server time, the statements of one request, the summed time of
its SQL and the overhead (p50 time minus p50 SQL), each beside its target:
list pages p95 <= 60 ms, <= 6 statements, overhead <= 15 ms; detail pages p95 <= 60 ms and
<= 10 statements; REST list and detail p95 <= 30 ms; list HTML <= 40 KB (gz: the same page
gzip-compressed, as it travels to a browser).
Lists (customers, contracts, contacts, interactions): default page, each status quick filter,
mine, each period, search by name (its first page and its last, page 40), by code and by phone,
sorted by each sortable column, page 2 and page 2,000. BENCH_SHOW_SQL=1 prints each page's
statements once.
"""
from __future__ import annotations

import gzip
import os
import statistics
import sys
import time
from collections import defaultdict
from urllib.parse import quote

import prison
import psutil
from sqlalchemy import event, func, select

from bench.bench_customers import _pad, _pct, _pick_people, _sign_in
from bench.seed_customers import STAFF_PASSWORD

LIST_MS, LIST_STATEMENTS, OVERHEAD_MS, LIST_KB = 60, 6, 15, 40
SEARCH_PAGES = 40  # a search shows its first 1,000 matches: 40 pages of 25
DETAIL_MS, DETAIL_STATEMENTS, REST_MS = 60, 10, 30
WARMUP = 3


class StatementClock:
    """Statements and time spent in the database driver during one request."""

    def __init__(self, engine):
        self.total, self.statements, self.log = 0.0, 0, []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self):
        self.total, self.statements, self.log = 0.0, 0, []

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["pages_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info.pop("pages_t0", time.perf_counter())
        self.total += took
        self.statements += 1
        self.log.append((took, statement))


def list_pages(module: str, view: str, search: str) -> list[tuple[str, str]]:
    """(label, URL) of every list page the bench asks for."""
    from app.core.listing import owner_column, search_columns, status_choices
    from app.core.registry import registry

    spec = registry.get(module)
    base = f"/{module}/list/"
    pages = [("default", base), ("page 2", f"{base}?page_{view}=1"), ("page 2,000", f"{base}?page_{view}=1999")]
    pages += [(f"status={value}", f"{base}?status={value}") for value, _label in status_choices(spec)]
    if owner_column(spec) is not None:
        pages.append(("mine", f"{base}?mine=1"))
    if spec.date_column:
        pages += [(f"period={p}", f"{base}?period={p}") for p in ("week", "month", "quarter")]
    pages.append(("search name", f"{base}?q={quote(search)}"))
    pages.append((f"search name, page {SEARCH_PAGES}", f"{base}?q={quote(search)}&page_{view}={SEARCH_PAGES - 1}"))
    if spec.code_column:
        pages.append(("search code", f"{base}?q={quote('KH-2025-0001' if module == 'customers' else 'HT-2025-0001')}"))
    if search_columns(spec)["phone"]:
        pages.append(("search phone", f"{base}?q=139"))
    pages += [(f"sort {col}", f"{base}?_oc_{view}={col}&_od_{view}=desc") for col in spec.order_columns]
    return pages


def _first_id(app, username, module, model):
    from app.core.org import User
    from app.core.registry import registry
    from app.core.scope import scope_clause
    from app.extensions import db

    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        spec = registry.get(module)
        clause = scope_clause(spec, user)
        query = select(model.id).order_by(model.id.desc()).limit(1)
        pk = db.session.scalar(query if clause is None else query.where(clause))
        db.session.remove()
    return pk


def main(count: int = 30, modules: tuple = ("customers", "contracts", "contacts", "interactions")) -> None:
    from app import create_app
    from app.extensions import db
    from app.modules.contracts.models import Contract
    from app.core import collection
    from app.modules.customers.models import Contact, Customer, Interaction

    app = create_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        clock = StatementClock(db.engine)
        person, manager, _book = _pick_people(db)
        rows = db.session.scalar(select(func.count()).select_from(Customer))
        url = db.engine.url.render_as_string(hide_password=True)
        db.session.remove()
    people = [("admin", "admin", os.environ.get("ADMIN_PASSWORD") or "admin123")]
    if manager is not None:
        people.append(("manager", manager.username, STAFF_PASSWORD))
    people.append(("sales", person.username, STAFF_PASSWORD))
    collection.after_load()   # as a web process does once the app is loaded (deploy/gunicorn.conf.py)
    served = 0
    print(f"Database: {url}  customers: {rows:,}; {count} requests per page and user, times in ms")
    print("Users: " + ", ".join(f"{kind}={name}" for kind, name, _ in people))
    print("Load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    header = (f"{'page':34} {'user':7} {'p50':>6} {'p95':>6} {'target':>6} {'stmts':>5} {'max':>4} "
              f"{'sql':>6} {'over':>6} {'KB':>5} {'gz':>4}  ok")
    print(header)
    print("-" * len(header))
    missed = []
    cpu0 = time.process_time()
    measured = 0
    show_sql = bool(os.environ.get("BENCH_SHOW_SQL"))
    views = {"customers": ("CustomerView", "华信", Customer), "contracts": ("ContractView", "合同", Contract),
             "contacts": ("ContactView", "海燕", Contact), "interactions": ("InteractionView", "采购", Interaction)}
    for kind, username, password in people:
        web, api, header_jwt = _sign_in(app, username, password)
        with app.app_context():
            pages = []
            for module in modules:
                view, search, model = views[module]
                pages += [(f"{module} list {label}", "list", link) for label, link in list_pages(module, view, search)]
                pk = _first_id(app, username, module, model)
                pages.append((f"{module} detail", "detail", f"/{module}/show/{pk}"))
                # a tab's content, fetched when it is opened
                for key in {"customers": ("ContactView", "timeline"), "contracts": ("approval",)}.get(module, ()):
                    pages.append((f"{module} detail tab {key}", "detail", f"/{module}/show/{pk}/tab/{key}"))
                pages.append((f"{module} REST list", "rest", f"/api/v1/{module}/?q=" + quote(prison.dumps({"page": 0, "page_size": 25}))))
                pages.append((f"{module} REST detail", "rest", f"/api/v1/{module}/{pk}"))
        for name, how, link in pages:
            client = api if how == "rest" else web
            headers = header_jwt if how == "rest" else {}
            for _ in range(WARMUP):
                client.get(link, headers=headers).close()
                served += 1
                collection.after_request(served)
            took, sql, statements, size, packed, bad = [], [], [], 0, 0, 0
            for _ in range(count):
                clock.reset()
                t0 = time.perf_counter()
                resp = client.get(link, headers=headers)
                took.append((time.perf_counter() - t0) * 1000)
                size = len(resp.data)
                packed = len(gzip.compress(resp.data, 6))
                bad += resp.status_code != 200
                resp.close()
                sql.append(clock.total * 1000)
                statements.append(clock.statements)
                measured += 1
                served += 1
                collection.after_request(served)   # between requests, as the web process's post_request
            if show_sql:
                print(f"-- {name} ({kind}):")
                for t, s in clock.log:
                    print(f"   {t * 1000:6.2f} ms  {' '.join(s.split())[:160]}")
            p50, p95, sql50 = statistics.median(took), _pct(took, 0.95), statistics.median(sql)
            target = REST_MS if how == "rest" else (LIST_MS if how == "list" else DETAIL_MS)
            most = LIST_STATEMENTS if how == "list" else (DETAIL_STATEMENTS if how == "detail" else None)
            over = p50 - sql50
            ok = p95 <= target and (most is None or max(statements) <= most) and not bad
            if how == "list":
                ok = ok and over <= OVERHEAD_MS and size <= LIST_KB * 1024
            if not ok:
                missed.append(f"{name} ({kind})")
            print(f"{_pad(name, 34)} {kind:7} {p50:6.1f} {p95:6.1f} {target:>6} {max(statements):>5} "
                  f"{most or '-':>4} {sql50:6.1f} {over:6.1f} {size / 1024:5.1f} {packed / 1024:4.1f}  {'yes' if ok else 'NO'}"
                  + (f"  ({bad} non-200)" if bad else ""))
    cpu = (time.process_time() - cpu0) * 1000 / max(1, measured)
    print(f"\nCPU per request {cpu:.1f} ms; RSS {psutil.Process().memory_info().rss / 2**20:.0f} MB; "
          "load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"Targets: list p95 <= {LIST_MS} ms, <= {LIST_STATEMENTS} statements, overhead <= {OVERHEAD_MS} ms, "
          f"HTML <= {LIST_KB} KB; detail p95 <= {DETAIL_MS} ms, <= {DETAIL_STATEMENTS} statements; REST p95 <= {REST_MS} ms")
    print("Missed: " + (", ".join(missed) if missed else "none"))


if __name__ == "__main__":
    args = sys.argv[1:]
    n = int(args.pop(0)) if args and args[0].isdigit() else 30
    main(n, tuple(args) or ("customers", "contracts", "contacts", "interactions"))
