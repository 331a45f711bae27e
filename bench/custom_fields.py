"""Filtering a list on a custom field against filtering it on a native indexed column.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_cfbench python run.py bench custom-fields

Seeds `--customers` customers (default 1,000,000; bench/seed_customers.py) into an empty database
or reuses those there, adds the custom field 行业（自定义） (a single choice with the industries'
values, filled with each customer's industry, so both filters select the same rows) and 规模分
(a whole number), builds their indexes as the admin's save does (app/core/custom_fields/
indexes.py) and runs VACUUM ANALYZE. Then the customers list is asked, signed in as admin,
filtered on the native indexed column (industry: index (industry, id)) and on the custom field,
`--requests` times each after a warm-up, and printed side by side: p50 / p95 of the server time
with the SQL time beside it, and the ratio custom / native beside the target 2×.
"""
from __future__ import annotations

import os
import statistics
import time

from sqlalchemy import func, select, text

from bench.common import load, say

TARGET_RATIO = 2.0
WARMUP = 3
LEVEL, SCORE = "bench_industry", "bench_score"


def _ensure_customers(n: int) -> int:
    from app import create_app
    from app.extensions import db
    from app.modules.customers.models import Customer

    app = create_app()
    with app.app_context():
        try:
            found = db.session.scalar(select(func.count()).select_from(Customer))
        except Exception:   # a database never initialised
            db.session.rollback()
            found = 0
        db.session.remove()
    if found:
        say(f"Reusing the {found:,} customers in the database")
        return found
    from bench.seed_customers import main as seed

    seed(n, 1)
    return n


def _ensure_fields(app) -> None:
    """The two fields, filled for every customer (once), their indexes built, then VACUUM ANALYZE."""
    from app.core.custom_fields import indexes
    from app.core.custom_fields.models import CustomField
    from app.extensions import db
    from app.modules.customers.models import INDUSTRY_CHOICES

    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        for name, label, kind, choices in ((LEVEL, "行业（自定义）", "choice", [[v, str(label)] for v, label in INDUSTRY_CHOICES]),
                                           (SCORE, "规模分", "integer", None)):
            if db.session.scalar(select(CustomField).where(CustomField.module == "customers",
                                                           CustomField.name == name)) is None:
                db.session.add(CustomField(module="customers", name=name, label=label, kind=kind, choices=choices,
                                           required=False, help_text="", position=900))
        db.session.commit()
        started = time.perf_counter()
        if postgres:
            filled = db.session.execute(text(
                "UPDATE customer SET custom = custom || jsonb_build_object(CAST(:level AS text), industry, "
                "CAST(:score AS text), id % 1000) WHERE NOT custom ? CAST(:level AS text) AND industry IS NOT NULL"), {"level": LEVEL, "score": SCORE}).rowcount
        else:
            filled = db.session.execute(text(
                "UPDATE customer SET custom = json_set(coalesce(custom, '{}'), '$.' || :level, industry, "
                "'$.' || :score, id % 1000) WHERE json_extract(custom, '$.' || :level) IS NULL "
                "AND industry IS NOT NULL"), {"level": LEVEL, "score": SCORE}).rowcount
        db.session.commit()
        say(f"Custom fields filled for {filled:,} customers in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        built = indexes.ensure("customers", LEVEL) + indexes.ensure("customers", SCORE)
        if built:
            say(f"Indexes {', '.join(built)} in {time.perf_counter() - started:.1f}s")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE customer" if postgres else "ANALYZE"))
        db.session.remove()


def _native_filter(app, industry: str) -> str:
    """The native "equal to" filter on industry as the advanced panel writes it."""
    from flask_appbuilder.models.sqla.filters import FilterEqual

    with app.test_request_context():
        view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "CustomerView")
        index = next(i for i, f in enumerate(view._filters.get_search_filters()["industry"]) if isinstance(f, FilterEqual))
    return f"_flt_{index}_industry={industry}"


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main(customers: int = 1_000_000, count: int = 30) -> int:
    from app import create_app
    from app.extensions import db
    from bench.bench_customers import _sign_in
    from bench.bench_pages import StatementClock

    say(f"Before: {load()}")
    rows = _ensure_customers(customers)
    app = create_app(WTF_CSRF_ENABLED=False)
    _ensure_fields(app)
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
        industry = db.session.execute(text("SELECT industry FROM customer WHERE industry IS NOT NULL "
                                           "GROUP BY industry ORDER BY count(*) LIMIT 1")).scalar()
        matching = db.session.execute(text("SELECT count(*) FROM customer WHERE industry = :i"),
                                      {"i": industry}).scalar()
        clock = StatementClock(db.engine)
        db.session.remove()
    web, _api, _jwt = _sign_in(app, "admin", os.environ.get("ADMIN_PASSWORD") or "admin123")
    say(f"Database: {url}  customers: {rows:,}; list filtered on industry = {industry} ({matching:,} rows); "
        f"{count} requests each, times in ms")
    pages = [("native: industry (index (industry, id))", f"/customers/list/?{_native_filter(app, industry)}"),
             (f"custom: cf_{LEVEL} (expression index)", f"/customers/list/?_flt_0_cf_{LEVEL}={industry}"),
             ("native, sorted by name", f"/customers/list/?{_native_filter(app, industry)}"
                                        "&_oc_CustomerView=name&_od_CustomerView=asc"),
             (f"custom, sorted by name", f"/customers/list/?_flt_0_cf_{LEVEL}={industry}"
                                         "&_oc_CustomerView=name&_od_CustomerView=asc")]
    header = f"{'list page':44} {'p50':>7} {'p95':>7} {'sql p50':>8} {'sql p95':>8} {'stmts':>5}"
    say(header)
    say("-" * len(header))
    results = {}
    for label, link in pages:
        for _ in range(WARMUP):
            resp = web.get(link)
            if resp.status_code != 200:
                raise SystemExit(f"{link} answered {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
        took, sql, statements = [], [], 0
        for _ in range(count):
            clock.reset()
            started = time.perf_counter()
            resp = web.get(link)
            took.append((time.perf_counter() - started) * 1000)
            sql.append(clock.total * 1000)
            statements = clock.statements
            resp.close()
        results[label] = (statistics.median(took), _pct(took, 0.95), statistics.median(sql), _pct(sql, 0.95))
        p50, p95, s50, s95 = results[label]
        say(f"{label:44} {p50:7.1f} {p95:7.1f} {s50:8.1f} {s95:8.1f} {statements:5d}")
    ratio = results[pages[1][0]][0] / max(results[pages[0][0]][0], 0.001)
    sorted_ratio = results[pages[3][0]][0] / max(results[pages[2][0]][0], 0.001)
    sql_ratio = results[pages[1][0]][2] / max(results[pages[0][0]][2], 0.001)
    say(f"ratio custom / native p50: {ratio:.2f} (SQL {sql_ratio:.2f}; sorted by name {sorted_ratio:.2f}) "
        f"(target <= {TARGET_RATIO:g})")
    say(f"After: {load()}")
    return 0 if ratio <= TARGET_RATIO else 1
