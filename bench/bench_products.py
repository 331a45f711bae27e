"""The catalogue's pages on the database seeded by bench/seed_products.py (PostgreSQL), p95 beside the
target (lists 60 ms) with the SQL time of the same requests:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench_products python -m bench.bench_products --runs 100

1. 产品目录: a category (with its sub-categories), a parameter value, a number range, a price list;
2. 产品目录 with a text search (a few matches, and thousands);
3. the product list (/products/list/), first page and filtered by category.
"""
from __future__ import annotations

import argparse
import random
import time

from sqlalchemy import event

LIST_MS = 60
PASSWORD = "Bench-Passw0rd!"


def _p95(samples):
    samples = sorted(samples)
    return samples[max(0, int(len(samples) * 0.95) - 1)] * 1000


def main(runs: int) -> None:
    from app import create_app
    from app.extensions import db
    from app.modules.products.models import CategoryParameter

    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    sql = {"seconds": 0.0}

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            raise SystemExit("The products bench runs on PostgreSQL (DATABASE_URL).")

        @event.listens_for(db.engine, "before_cursor_execute")
        def _start(conn, cursor, statement, parameters, context, executemany):
            conn.info["zwt_t"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _stop(conn, cursor, statement, parameters, context, executemany):
            sql["seconds"] += time.perf_counter() - conn.info.pop("zwt_t", time.perf_counter())

        params = {(p.category_id, p.name): p.id for p in db.session.query(CategoryParameter)}
        # The bench signs in as the admin with a password of its own.
        sm = app.appbuilder.sm
        sm.reset_password(sm.find_user(username="admin").id, PASSWORD)
        children = sorted({c for c, _n in params})
        db.session.remove()

    client = app.test_client()
    resp = client.post("/login/", data={"username": "admin", "password": PASSWORD})
    if resp.status_code != 302:
        raise SystemExit("Log in failed.")
    rng = random.Random(3)

    def catalogue():
        c = rng.choice(children)
        return (f"/products/catalogue/?category={c}&p{params[(c, '颜色')]}=黑色"
                f"&p{params[(c, '功率')]}_min=500&p{params[(c, '功率')]}_max=2500&price_list=1")

    def parent():
        return f"/products/catalogue/?category={rng.randrange(1, 11)}&page={rng.randrange(1, 5)}"

    kinds = [
        ("产品目录: sub-category + colour + power range + price list", catalogue),
        ("产品目录: a top category (100,000+ products under it), pages 1-4", parent),
        ("产品目录: text search, a few matches", lambda: f"/products/catalogue/?q=产品{rng.randrange(1, 200000)}"),
        ("产品目录: text search, thousands of matches (a brand)", lambda: f"/products/catalogue/?q=品牌{rng.randrange(10, 50)}"),
        ("product list, first page", lambda: "/products/list/"),
        ("product list by category", lambda: f"/products/list/?_flt_0_category={rng.choice(children)}"),
    ]
    print(f"{'page':62} {'p95 ms':>8} {'SQL p95 ms':>11} {'target':>7}")
    for label, url_of in kinds:
        totals, sqls = [], []
        for run in range(runs + 3):
            url = url_of()
            sql["seconds"] = 0.0
            started = time.perf_counter()
            resp = client.get(url)
            elapsed = time.perf_counter() - started
            if resp.status_code != 200:
                raise SystemExit(f"{url}: {resp.status_code}")
            if run >= 3:   # the first requests warm caches and compile templates
                totals.append(elapsed)
                sqls.append(sql["seconds"])
        print(f"{label:62} {_p95(totals):8.1f} {_p95(sqls):11.1f} {LIST_MS:7d}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    main(parser.parse_args().runs)
