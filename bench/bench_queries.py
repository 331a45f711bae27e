"""SQL time of the customer, contract, contact and interaction lists' queries — text search (name,
title or subject contains, phone, code) and sorting by each sortable column, page 1 and a deep page
— per data scope, next to the target. Each figure is one page as the list reads it: the data layer's query
(app/core/datamodel.py), its capped count and its rows, signed in as the person of the scope.

    # the full run on a seeded database (1,000,000 customers and contracts), 10 runs of each query
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python -m bench.bench_queries --full
    # the bounded run for CI: 20,000 customers, fixed seed, a temporary SQLite file unless DATABASE_URL is set
    python -m bench.bench_queries
    # add --explain for EXPLAIN ANALYZE of each statement, --module contracts for one list

The statements are the ones the list runs: ModuleInterface.query with the search of
app/core/listing.py (search_condition) among its filters, the data scope of app/core/scope.py,
ordered by the column, 25 rows, page 1 or page 2,000 (a search: page 1 and page 40, the last a
search shows). Searches: a common word (科技 in a tenth of the customers' names, 合同 in most
contract titles, 海燕 in one contact name of 24, 采购 in a tenth of the interactions' subjects), a rare
part of a name (a whole contact name; for interactions a part no subject holds), a whole code, the shared start of this year's codes and
of the oldest year's, the start of a phone number. Scopes: own (a sales person, with the shared
pool), department (the manager of a team without sub-teams), department and below (the head of
sales), all (admin). An empty database is seeded first with bench/seed_customers.py, then VACUUM
ANALYZE; a list without rows (contracts, there) is left out. On SQLite the search is a plain scan
(no bigram or trigram index there); its figures are printed for information.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time

from sqlalchemy import func, select, text

from bench.bench_customers import _pad

TARGET_MS = 80
PAGE_SIZE = 25
DEEP_PAGE = 2000
CI_CUSTOMERS, CI_RUNS = 20_000, 3
FULL_CUSTOMERS, FULL_RUNS = 1_000_000, 10


def _say(message: str) -> None:
    print(message, flush=True)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _people(db):
    """(label, user) for each scope, from the seeded staff."""
    from app.core.org import AppUser, Department

    def user(name):
        return db.session.scalar(select(AppUser).where(AppUser.username == name))

    people = [("all", user("admin"))]
    top = db.session.scalar(select(AppUser).where(AppUser.username == "mgr_sales"))
    if top is not None:
        people.append(("department and below", top))
        parents = set(db.session.scalars(select(Department.parent_id).where(Department.parent_id.isnot(None))))
        leaf = db.session.scalar(select(AppUser).where(AppUser.username.like("mgr\\_%"), AppUser.id != top.id,
                                                       AppUser.department_id.notin_(parents or {-1}))
                                 .order_by(AppUser.id).limit(1))
        if leaf is not None:
            people.append(("department", leaf))
    from app.modules.customers.models import Customer
    busiest = db.session.execute(select(Customer.owner_id, func.count()).where(Customer.owner_id.isnot(None))
                                 .group_by(Customer.owner_id).order_by(func.count().desc()).limit(1)).first()
    rarest = db.session.execute(select(Customer.owner_id, func.count()).where(Customer.owner_id.isnot(None))
                                .group_by(Customer.owner_id).order_by(func.count()).limit(1)).first()
    for label, row in (("own (largest book)", busiest), ("own (smallest book)", rarest)):
        if row is not None:
            people.append((f"{label}, {row[1]:,} rows", db.session.get(AppUser, row[0])))
    return [(label, u) for label, u in people if u is not None]


# (text column, a common word in it, a part of it few rows hold or none)
COMMON = {"customers": ("name", "科技", None), "contracts": ("title", "合同", None),
          # a given name in one contact of 24; the newest contact's whole name is rarer
          "contacts": ("name", "海燕", None),
          # every subject is one of ten, so a part is in a tenth of the rows or in none
          "interactions": ("subject", "采购", "年度框架")}
MODULES = tuple(COMMON)


def _terms(db, spec):
    """{kind: term} searched in `spec`'s list: a common word, a rare part of the newest row's
    name (or a part no row holds), the start of a phone number, and for a list with codes a whole
    code, the shared start of this year's codes and of the oldest year's."""
    model = spec.model
    column, common, rare = COMMON[spec.name]
    phone = getattr(model, "phone", None)
    code_column = getattr(model, "code", None)
    code, text_value, number = db.session.execute(
        select(code_column if code_column is not None else model.id, getattr(model, column),
               phone if phone is not None else model.id)
        .where(*([phone.isnot(None)] if phone is not None else [])).order_by(model.id.desc()).limit(1)).first()
    terms = {f"{column} contains {common}": common}
    if rare is not None:
        terms[f"{column} contains {rare} (no row)"] = rare
    elif code_column is None:
        terms[f"{column} contains (a whole name)"] = text_value
    else:
        terms[f"{column} contains (rare part)"] = text_value[2:5]
    if code_column is not None:
        oldest = db.session.scalar(select(func.min(code_column)))
        terms.update({"code (whole)": code, "code (shared start)": code[:7],
                      "code (start of the oldest year)": oldest[:7]})
    if phone is not None:
        terms["phone (start of a number)"] = number.replace("-", "")[:7]
    return terms


def pages(spec, dialect: str, terms: dict):
    """(kind, search term or None, order column, direction, page index) of every measured page.
    A search's pages stop at the count cap (datamodel.SEARCH_PAGES_NOTE): its deepest page is
    measured, not page 2,000."""
    text_column, common, _rare = COMMON[spec.name]
    # the list's own order (interactions: newest first), and a sortable text column
    first, way = spec.base_order or ("id", "desc")
    sorted_by = text_column if text_column in spec.order_columns else spec.order_columns[0]
    last = (spec.count_cap or 1000) // PAGE_SIZE - 1
    out = [("default, page 1", None, first, way, 0),
           (f"default, page {DEEP_PAGE:,}", None, first, way, DEEP_PAGE - 1)]
    for column in spec.order_columns:
        out.append((f"sort {column} ↑", None, column, "asc", 0))
        out.append((f"sort {column} ↓", None, column, "desc", 0))
    out.append((f"sort {sorted_by} ↑, page {DEEP_PAGE:,}", None, sorted_by, "asc", DEEP_PAGE - 1))
    for kind, term in terms.items():
        out.append((f"search {kind}", term, first, way, 0))
    out.append((f"search {text_column} contains {common}, page {last + 1}", common, first, way, last))
    out.append((f"search {text_column} contains {common}, sort {sorted_by} ↑", common, sorted_by, "asc", 0))
    out.append((f"search {text_column} contains {common}, sort {sorted_by} ↑, page {last + 1}", common, sorted_by,
                "asc", last))
    if "code (start of the oldest year)" in terms:
        out.append((f"search code (oldest year), page {last + 1}", terms["code (start of the oldest year)"], first,
                    way, last))
    return out


def _measure(app, db, spec, terms, dialect, label, user_id, runs, explain, only) -> int:
    """Print the figures of every page of `spec`'s list read as the user; the number over target."""
    from flask import g
    from flask_login import login_user
    from sqlalchemy import event

    from app.core.datamodel import ModuleInterface
    from app.core.org import AppUser

    over = 0
    with app.test_request_context():
        user = db.session.get(AppUser, user_id)
        login_user(user)
        g.user = user
        datamodel = ModuleInterface.for_spec(spec)
        seen = []

        def remember(conn, cursor, statement, parameters, context, executemany):
            seen.append((statement, parameters))

        _say(f"\n== {spec.name}, scope {label}: {user.username}")
        _say(f"{'page':46} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>7} {'stmts':>5}  target")
        for kind, term, column, direction, page in pages(spec, dialect, terms):
            if only and only not in kind:
                continue
            read_page(datamodel, spec, dialect, term, column, direction, page)  # the user's access, cached
            times, cpu = [], _cpu()
            event.listen(db.engine, "before_cursor_execute", remember)
            try:
                for _ in range(runs):
                    seen.clear()
                    started = time.perf_counter()
                    read_page(datamodel, spec, dialect, term, column, direction, page)
                    times.append((time.perf_counter() - started) * 1000)
            finally:
                event.remove(db.engine, "before_cursor_execute", remember)
            cpu = (_cpu() - cpu) * 1000 / runs
            p95 = _pct(times, 0.95)
            ok = p95 <= TARGET_MS
            over += not ok
            _say(f"{_pad(kind, 46)} {statistics.median(times):8.1f} {p95:8.1f} {cpu:7.1f} {len(seen):5}  "
                 f"{'≤' if ok else '>'} {TARGET_MS}{'' if ok else '  OVER'}")
            if explain and dialect == "postgresql":
                for statement, parameters in list(seen):
                    raw = db.session.connection().connection.driver_connection
                    with raw.cursor() as cursor:
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                        _say("    " + "\n    ".join(row[0] for row in cursor.fetchall()))
                    _say("")
        db.session.rollback()
        db.session.remove()
    return over


def read_page(datamodel, spec, dialect: str, term, column: str, direction: str, page: int):
    """The page as the list reads it: (count, rows)."""
    from app.core.listing import _Search, search_condition

    filters = datamodel.get_filters([])
    if term is not None:
        filters._add_filter(_Search("id", datamodel), search_condition(spec, term, dialect))
    return datamodel.query(filters, column, direction, page=page, page_size=PAGE_SIZE)


def _pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(full: bool = False, runs: int | None = None, explain: bool = False, only: str = "",
         modules: tuple = MODULES) -> None:
    runs = runs or (FULL_RUNS if full else CI_RUNS)
    if not os.environ.get("DATABASE_URL"):
        if full:
            raise SystemExit("The full run needs DATABASE_URL (PostgreSQL).")
        folder = tempfile.mkdtemp(prefix="zwt-queries-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
        os.environ.setdefault("ZWT_INSTANCE_DIR", folder)
    from app import create_app
    from app.core.registry import registry
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.customers.models import Customer

    app = create_app()
    with app.app_context():
        initialise("admin", os.environ.get("ADMIN_PASSWORD") or "admin123")
        have = db.session.scalar(select(func.count()).select_from(Customer))
        db.session.remove()
    if not have:
        from bench import seed_customers

        os.environ.setdefault("BENCH_INTERACTIONS_PER_CUSTOMER", "0.01")
        _say(f"Seeding {CI_CUSTOMERS if not full else FULL_CUSTOMERS:,} customers")
        seed_customers.main(CI_CUSTOMERS if not full else FULL_CUSTOMERS, 1)
        with app.app_context():
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
    with app.app_context(), app.test_request_context():
        dialect = db.engine.dialect.name
        rows = db.session.scalar(select(func.count()).select_from(Customer))
        _say(f"Database: {db.engine.url.render_as_string(hide_password=True)} ({dialect}), {rows:,} customers")
        _say(f"Runs per query: {runs}; target p95 ≤ {TARGET_MS} ms (SQL time, 25 rows)")
        if dialect != "postgresql":
            _say("SQLite: text search is a plain scan (no index); figures for information only.")
        _say("Load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        over = 0
        people = [(label, user.id) for label, user in _people(db)]
        lists = []
        for name in modules:
            spec = registry.get(name)
            if db.session.scalar(select(spec.model.id).limit(1)) is None:
                _say(f"{name}: no rows, not measured")
                continue
            lists.append((spec, _terms(db, spec)))
        db.session.remove()
    for spec, terms in lists:
        for label, user_id in people:
            over += _measure(app, db, spec, terms, dialect, label, user_id, runs, explain, only)
    _say(f"\n{over} pages over target. Load average after: " + "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 customers (PostgreSQL), 10 runs each")
    parser.add_argument("--runs", type=int, help="runs of each query")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each statement (PostgreSQL)")
    parser.add_argument("--only", default="", help="only the queries whose kind contains this text")
    parser.add_argument("--module", action="append", choices=MODULES,
                        help="the lists to measure (all unless given)")
    args = parser.parse_args()
    main(args.full, args.runs, args.explain, args.only, tuple(args.module or MODULES))
