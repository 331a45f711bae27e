"""Contracts and orders at scale (issue 17), on the database seeded by bench/seed_customers.py,
bench/seed_contracts.py and bench/seed_orders.py (PostgreSQL):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python -m bench.bench_orders 100

Server time of the contract and order lists, a customer's page with its contracts and orders tabs and the order
analysis (its page and each chart), through the application in this process (Flask's test client, signed in,
permissions and data scope applied) as an admin (scope all), a sales manager (department) and a sales person
(own), p50/p95 with the SQL time of the same requests beside it; then a contract's PDF drawn from its template,
and the daily expiry job over every contract. Each figure is printed beside its target.
"""
from __future__ import annotations

import os
import random
import time
from decimal import Decimal

import psutil
from sqlalchemy import func, select

from bench.bench_customers import SqlClock, _pick_people, _sign_in, measure_pages, print_report
from bench.common import load
from bench.seed_customers import STAFF_PASSWORD

LIST_MS, DETAIL_MS, ANALYSIS_MS, PDF_MS, EXPIRY_S, SIGN_MS = 60, 60, 150, 500, 60, 1000


def endpoints(customers: dict) -> list:
    rng = random.Random(7)
    charts = ("by_month", "by_customer", "by_product", "by_owner", "by_department", "by_region", "conversion")
    return [
        ("contract list", "web", LIST_MS, lambda p, k: f"/contracts/list/?page_ContractView={p}"),
        ("order list", "web", LIST_MS, lambda p, k: f"/orders/list/?page_SalesOrderView={p}"),
        ("order list status=shipped", "web", LIST_MS,
         lambda p, k: f"/orders/list/?_flt_0_status=shipped&page_SalesOrderView={p}"),
        ("customer page", "web", DETAIL_MS, lambda p, k: f"/customers/show/{rng.choice(customers[k])}"),
        ("customer contracts tab", "web", DETAIL_MS,
         lambda p, k: f"/customers/show/{rng.choice(customers[k])}?tab=contracts"),
        ("customer orders tab", "web", DETAIL_MS,
         lambda p, k: f"/customers/show/{rng.choice(customers[k])}?tab=orders"),
        ("order analysis page", "web", ANALYSIS_MS, lambda p, k: "/orders_analysis/"),
        *[(f"analysis {name}", "web", ANALYSIS_MS, (lambda n: lambda p, k: f"/orders_analysis/{n}.json")(name))
          for name in charts],
    ]


def _customers_with_orders(db, user_id: int | None) -> list[int]:
    from app.modules.orders.models import SalesOrder

    stmt = select(SalesOrder.customer_id).group_by(SalesOrder.customer_id).having(func.count() >= 2).limit(200)
    if user_id is not None:
        stmt = stmt.where(SalesOrder.owner_id == user_id)
    return list(db.session.scalars(stmt))


def _percentile(values, share):
    values = sorted(values)
    return values[max(int(len(values) * share) - 1, 0)] if values else 0.0


def main(count: int = 100) -> None:
    from app import create_app
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.contracts.models import Contract, ContractLine
    from app.modules.orders.models import SalesOrder, SalesOrderLine

    app = create_app(WTF_CSRF_ENABLED=False)
    admin_password = os.environ.get("ADMIN_PASSWORD") or "admin123"
    with app.app_context():
        initialise("admin", admin_password)
        clock = SqlClock(db.engine)
        sizes = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                 for model in (Contract, ContractLine, SalesOrder, SalesOrderLine)}
        if not sizes["sales_order"]:
            raise SystemExit("No orders: run `python -m bench.seed_orders` first.")
        person, manager, _book = _pick_people(db)
        people = [("admin", "admin", admin_password)]
        if manager is not None:
            people.append(("manager", manager.username, STAFF_PASSWORD))
        people.append(("sales", person.username, STAFF_PASSWORD))
        theirs = {"admin": _customers_with_orders(db, None), "sales": _customers_with_orders(db, person.id) or
                  _customers_with_orders(db, None)}
        theirs["manager"] = theirs["sales"]
        contract_ids = list(db.session.scalars(select(Contract.id).order_by(Contract.id).limit(50)))
        sums = select(SalesOrderLine.order_id, func.sum(SalesOrderLine.total).label("total")).group_by(
            SalesOrderLine.order_id).subquery()
        unequal = db.session.scalar(select(func.count()).select_from(SalesOrder).join(
            sums, sums.c.order_id == SalesOrder.id).where(sums.c.total != SalesOrder.total))
        db.session.remove()
    print(f"Database: {sizes['contract']:,} contracts with {sizes['contract_line']:,} lines, "
          f"{sizes['sales_order']:,} orders with {sizes['sales_order_line']:,} lines; {load()}")
    print(f"orders whose total is not the sum of their lines: {unequal}")
    sessions = {kind: _sign_in(app, username, password) for kind, username, password in people}
    points = endpoints(theirs)
    rng = random.Random(42)
    timings, sql_ms, queries, failures, elapsed = measure_pages(sessions, points, clock, count, rng)
    print_report(points, sessions, timings, sql_ms, queries, failures, count, count, elapsed,
                 psutil.Process().memory_info().rss / 2**20)

    with app.app_context():
        from app.core.printing import service as printing
        from app.core.registry import registry
        from app.modules.contracts import lifecycle

        spec = registry.get("contracts")
        document = printing.document_of(spec, "contract")
        body, _row = printing.template_for(spec, document, None)
        samples = []
        for contract_id in contract_ids[:max(5, min(count, 50))]:
            contract = db.session.get(Contract, contract_id)
            t0 = time.perf_counter()
            data = printing.render_body(spec, document, contract, body)
            samples.append((time.perf_counter() - t0) * 1000)
            assert data.startswith(b"%PDF")
        print(f"contract PDF from its template: p50 {_percentile(samples, 0.5):.0f} ms, "
              f"p95 {_percentile(samples, 0.95):.0f} ms (target {PDF_MS} ms)")
        db.session.remove()
        rss_before = psutil.Process().memory_info().rss / 2**20
        t0 = time.perf_counter()
        outcome = lifecycle.watch_expiry()
        took = time.perf_counter() - t0
        print(f"expiry job over {sizes['contract']:,} contracts: {took:.1f} s (target {EXPIRY_S} s), "
              f"{outcome['moved']:,} moved, {outcome['reminded']:,} reminded; RSS "
              f"{rss_before:.0f} → {psutil.Process().memory_info().rss / 2**20:.0f} MB")
        _signing(admin_password, max(5, min(count, 20)))
        print(f"Load average after: {load()}")


def _signing(admin_password: str, runs: int) -> None:
    """Each party's signature through the service (identity check, PAdES signature, file store, next party):
    our signer with a password and the company seal, then the customer with their code."""
    import re
    import uuid

    from app.core.transaction import unit_of_work
    from app.extensions import db
    from app.modules.contracts import signing
    from app.modules.contracts.models import Contract, ContractType
    from app.modules.contracts.service import create_contract
    from app.modules.customers.api import Contact, Customer
    from app.security.sms import SmsMessage
    from app.core.org import User
    from PIL import Image, ImageDraw
    import io

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    customer = db.session.scalar(select(Customer).order_by(Customer.id).limit(1))
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).line((10, 80, 150, 20, 290, 70), fill=(0, 0, 160, 255), width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    drawing = buffer.getvalue()
    marker = uuid.uuid4().hex[:6]
    with unit_of_work(None):
        kind = ContractType(name=f"签署基准{marker}", sign_order="ours_first", signer_id=admin.id)
        contact = Contact(customer_id=customer.id, name="基准联系人", phone="13900000000")
        db.session.add_all([kind, contact])
    admin_id, customer_id, kind_id, contact_id = admin.id, customer.id, kind.id, contact.id
    ours, theirs, starts = [], [], []
    for number in range(runs):
        admin = db.session.get(User, admin_id)
        contract = create_contract(admin, Contract(title=f"签署基准{marker}-{number}", customer_id=customer_id,
                                                   amount=Decimal("10000.00"), type_id=kind_id,
                                                   contact_id=contact_id, owner_id=admin_id))
        with unit_of_work(None):   # as its approval leaves it (the engine has its own benchmark)
            db.session.get(Contract, contract.id).status = "approved"
        t0 = time.perf_counter()
        signing.start(admin, contract.id)
        starts.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        signing.sign_ours(admin, contract.id, "drawn", drawing, admin_password)
        ours.append((time.perf_counter() - t0) * 1000)
        text = db.session.scalars(select(SmsMessage.text).where(SmsMessage.mobile == "13900000000")
                                  .order_by(SmsMessage.id.desc())).first()
        token = re.search(r"/sign/([A-Za-z0-9_-]+)", text).group(1)
        signing.send_code(token)
        code = re.search(r"\b(\d{6})\b", db.session.scalars(select(SmsMessage.text).where(
            SmsMessage.mobile == "13900000000").order_by(SmsMessage.id.desc())).first()).group(1)
        signer = signing.check_code(token, code)
        t0 = time.perf_counter()
        signing.sign_customer(token, signer.id, drawing)
        theirs.append((time.perf_counter() - t0) * 1000)
        db.session.remove()
    print(f"sending for signing (PDF frozen, 签署记录 page added): p50 {_percentile(starts, 0.5):.0f} ms, "
          f"p95 {_percentile(starts, 0.95):.0f} ms")
    print(f"signing one party, ours (password check included): p50 {_percentile(ours, 0.5):.0f} ms, "
          f"p95 {_percentile(ours, 0.95):.0f} ms (target {SIGN_MS} ms)")
    print(f"signing one party, the customer: p50 {_percentile(theirs, 0.5):.0f} ms, "
          f"p95 {_percentile(theirs, 0.95):.0f} ms (target {SIGN_MS} ms)")


if __name__ == "__main__":
    import sys

    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
