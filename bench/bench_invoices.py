"""Invoices and collections at scale (issue 18), on the database seeded by bench/seed_customers.py and
bench/seed_invoices.py (PostgreSQL):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python -m bench.bench_invoices 100

Server time of the invoice list and its queries, the payments list, a customer's statement and the receivables
aging through the application in this process (Flask's test client, signed in, permissions and data scope
applied) as an admin (scope all), a sales manager (department) and a sales person (own), p50/p95 with the SQL
time of the same requests beside it; then one invoice's PDF from its template, and a batch print of 1,000
invoices in a worker process of its own (its time and peak RSS). Each figure is printed beside its target.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time

import psutil
from sqlalchemy import func, select

from bench.bench_customers import SqlClock, _pick_people, _sign_in, measure_pages, print_report
from bench.common import load
from bench.seed_customers import STAFF_PASSWORD

LIST_MS, STATEMENT_MS, AGING_MS, PDF_MS, BATCH_S, BATCH_RSS_MB = 60, 200, 3000, 300, 180, 500
BATCH = 1000


def endpoints(customers: dict) -> list:
    rng = random.Random(7)
    return [
        ("invoice list", "web", LIST_MS, lambda p, k: f"/invoices/list/?page_InvoiceView={p}"),
        ("invoice list status=issued", "web", LIST_MS,
         lambda p, k: f"/invoices/list/?_flt_0_status=issued&page_InvoiceView={p}"),
        ("invoice list of a customer", "web", LIST_MS,
         lambda p, k: f"/invoices/list/?_flt_0_customer={rng.choice(customers[k])}"),
        ("payment list", "web", LIST_MS, lambda p, k: f"/payments/list/?page_PaymentView={p}"),
        ("customer statement", "web", STATEMENT_MS,
         lambda p, k: f"/collections_statement/{rng.choice(customers[k])}?start=2025-01-01"),
        ("aging by customer", "web", AGING_MS, lambda p, k: "/collections_aging/?by=customer"),
        ("aging by owner", "web", AGING_MS, lambda p, k: "/collections_aging/?by=owner"),
    ]


def _customers_with_invoices(db, user_id: int | None) -> list[int]:
    from app.modules.invoices.models import Invoice

    stmt = select(Invoice.customer_id).where(Invoice.id < 200_000).group_by(Invoice.customer_id).limit(200)
    if user_id is not None:
        stmt = select(Invoice.customer_id).where(Invoice.owner_id == user_id).limit(200)
    return list(db.session.scalars(stmt))


def _percentile(values, share):
    values = sorted(values)
    return values[max(int(len(values) * share) - 1, 0)] if values else 0.0


BATCH_SCRIPT = """
import json, resource, sys, time
from app import create_app
from app.core.printing.jobs import print_batch
app = create_app()
with app.app_context():
    started = time.perf_counter()
    out = print_batch(int(sys.argv[1]), "invoices", "invoice", None, json.loads(sys.argv[2]))
    took = time.perf_counter() - started
print(json.dumps({"seconds": took, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "printed": out.get("printed"), "skipped": out.get("skipped")}))
"""


def main(count: int = 100, batch: int = BATCH) -> None:
    from app import create_app
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.collections.models import Payment
    from app.modules.invoices.models import Invoice, InvoiceLine

    app = create_app(WTF_CSRF_ENABLED=False)
    admin_password = os.environ.get("ADMIN_PASSWORD") or "admin123"
    with app.app_context():
        initialise("admin", admin_password)
        clock = SqlClock(db.engine)
        sizes = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                 for model in (Invoice, InvoiceLine, Payment)}
        if not sizes["invoice"]:
            raise SystemExit("No invoices: run `python -m bench.seed_invoices` first.")
        person, manager, _book = _pick_people(db)
        people = [("admin", "admin", admin_password)]
        if manager is not None:
            people.append(("manager", manager.username, STAFF_PASSWORD))
        people.append(("sales", person.username, STAFF_PASSWORD))
        theirs = {"admin": _customers_with_invoices(db, None),
                  "sales": _customers_with_invoices(db, person.id) or _customers_with_invoices(db, None)}
        theirs["manager"] = theirs["sales"]
        invoice_ids = list(db.session.scalars(select(Invoice.id).where(Invoice.status == "issued")
                                              .order_by(Invoice.id).limit(max(batch, 50))))
        from app.core.org import User

        admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
        db.session.remove()
    print(f"Database: {sizes['invoice']:,} invoices with {sizes['invoice_line']:,} lines, "
          f"{sizes['payment']:,} payments; {load()}")
    sessions = {kind: _sign_in(app, username, password) for kind, username, password in people}
    points = endpoints(theirs)
    rng = random.Random(42)
    timings, sql_ms, queries, failures, elapsed = measure_pages(
        sessions, points, clock, count, rng, heavy=lambda name: name.startswith("aging"))   # seconds each
    print_report(points, sessions, timings, sql_ms, queries, failures, count, max(3, count // 10), elapsed,
                 psutil.Process().memory_info().rss / 2**20)

    with app.app_context():
        from app.core.printing import service as printing
        from app.core.registry import registry

        spec = registry.get("invoices")
        document = printing.document_of(spec, "invoice")
        samples = []
        for invoice_id in invoice_ids[:max(5, min(count, 50))]:
            invoice = db.session.get(Invoice, invoice_id)
            t0 = time.perf_counter()
            body, _row = printing.template_for(spec, document, None, invoice)
            data = printing.render_body(spec, document, invoice, body)
            samples.append((time.perf_counter() - t0) * 1000)
            assert data.startswith(b"%PDF")
        print(f"invoice PDF from its template: p50 {_percentile(samples, 0.5):.0f} ms, "
              f"p95 {_percentile(samples, 0.95):.0f} ms (target {PDF_MS} ms)")
        db.session.remove()
    done = subprocess.run([sys.executable, "-c", BATCH_SCRIPT, str(admin_id), json.dumps(invoice_ids[:batch])],
                          capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        print("batch print failed:", done.stderr[-2000:])
    else:
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"batch print of {len(invoice_ids[:batch]):,} invoices into one PDF (worker process): "
              f"{figures['seconds']:.1f} s (target {BATCH_S} s), peak RSS {figures['rss_mb']:.0f} MB "
              f"(target {BATCH_RSS_MB} MB), {figures['printed']} printed, {figures['skipped']} skipped")
    print(f"Load average after: {load()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100, int(sys.argv[2]) if len(sys.argv) > 2 else BATCH)
