"""Bulk-load invoices and payments for the invoices-and-collections bench (PostgreSQL), on a database that has the
benchmark customers (`python run.py bench seed`):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python -m bench.seed_invoices --invoices 2000000

- INVOICES invoices over the customers (owned by the customer's owner in their department), issued over two
  years, due 30 days later, one in twenty voided, with three lines each (quantity 1–5, a price, 13 % tax, each
  rounded half up to the fen; the invoice's figures are the sums of its lines);
- payments: of every eight invoices in force, three are paid in two payments, two in one, one half paid and two
  not at all (so about as many payments as invoices, and an aging with every bucket); each payment settles its
  invoice (one allocation), and the invoice's 已回款 is what they settled;
- then VACUUM ANALYZE of what was loaded.

Rows are written by INSERT … SELECT in the database (no ORM, no audit log); invoices and payments already there are
replaced. Prints what it loaded and how long it took.
"""
from __future__ import annotations

import argparse
import time

from sqlalchemy import text

from bench.common import say


def main(invoices: int) -> None:
    from app import create_app
    from app.extensions import db

    app = create_app()
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            raise SystemExit("The invoices bench loads with PostgreSQL's INSERT … SELECT: set DATABASE_URL.")
        say(f"Database: {engine.url.render_as_string(hide_password=True)}")
        started = time.perf_counter()
        with engine.begin() as conn:
            customers = conn.execute(text("SELECT count(*) FROM customer")).scalar()
            if not customers:
                raise SystemExit("No customers: load them first (python run.py bench seed --customers N).")
            for table in ("bank_line", "payment_allocation", "payment", "invoice_line", "invoice"):
                conn.execute(text(f"DELETE FROM {table}"))
            amount = "(q * p)"
            conn.execute(text(
                "INSERT INTO invoice (id, code, kind, red, status, customer_id, issue_date, due_date, buyer_name, "
                "buyer_tax_id, buyer_address_phone, amount, tax, total, paid, void_state, print_count, owner_id, "
                "department_id, created_at, updated_at) "
                "SELECT g, 'PB' || lpad(g::text, 10, '0'), CASE WHEN g % 3 = 0 THEN 'special' ELSE 'ordinary' END, "
                "false, CASE WHEN g % 20 = 0 THEN 'voided' ELSE 'issued' END, cu.id, current_date - (g % 730), "
                "current_date - (g % 730) + 30, cu.name, cu.tax_id, cu.address, t.amount, t.tax, t.amount + t.tax, "
                "CASE WHEN g % 20 = 0 THEN 0 WHEN g % 8 < 5 THEN t.amount + t.tax "
                "WHEN g % 8 = 5 THEN round((t.amount + t.tax) / 2, 2) ELSE 0 END, "
                "CASE WHEN g % 20 = 0 THEN 'approved' ELSE 'none' END, 0, cu.owner_id, cu.department_id, "
                "now() - make_interval(days => g % 730), now() "
                "FROM generate_series(1, :n) g JOIN customer cu ON cu.id = (SELECT min(id) FROM customer) + "
                "(g::bigint * 7919) % :customers "
                f"CROSS JOIN LATERAL (SELECT sum({amount}) AS amount, sum(round({amount} * 0.13, 2)) AS tax FROM "
                "(SELECT (1 + (g + k) % 5)::numeric AS q, (20 + ((g * 5 + k) * 37) % 4980)::numeric(18, 2) AS p "
                "FROM generate_series(0, 2) k) f) t"), {"n": invoices, "customers": customers})
            say(f"Invoices: {invoices:,} in {time.perf_counter() - started:.1f}s")
            conn.execute(text(
                "INSERT INTO invoice_line (invoice_id, description, unit, quantity, unit_price, tax_rate, amount, tax, "
                "total) SELECT i.id, '基准商品' || ((i.id * 5 + k) % 2000), '件', x.q, x.p, 13, x.q * x.p, "
                "round(x.q * x.p * 0.13, 2), x.q * x.p + round(x.q * x.p * 0.13, 2) "
                "FROM invoice i CROSS JOIN generate_series(0, 2) k CROSS JOIN LATERAL (SELECT "
                "(1 + (i.id + k) % 5)::numeric(16, 4) AS q, "
                "(20 + ((i.id * 5 + k) * 37) % 4980)::numeric(18, 2) AS p) x"))
            say(f"Invoice lines: {invoices * 3:,} in {time.perf_counter() - started:.1f}s")
            # Payment 2g + k of invoice g: two halves, the whole, or half of it.
            conn.execute(text(
                "INSERT INTO payment (id, code, customer_id, amount, received_on, method, bank_ref, payer, "
                "unallocated, status, refund_state, owner_id, department_id, created_at, updated_at) "
                "SELECT 2 * i.id + k, 'SK-B-' || lpad((2 * i.id + k)::text, 10, '0'), i.customer_id, "
                "CASE WHEN i.id % 8 < 3 AND k = 0 THEN round(i.total / 2, 2) WHEN i.id % 8 < 3 THEN "
                "i.total - round(i.total / 2, 2) ELSE i.paid END, "
                "least(i.due_date + (i.id % 40)::int - 20 + k * 10, current_date), 'transfer', "
                "'BB' || (2 * i.id + k), i.buyer_name, 0, 'registered', 'none', i.owner_id, i.department_id, "
                "now(), now() FROM invoice i CROSS JOIN generate_series(0, 1) k "
                "WHERE i.status = 'issued' "
                "AND k < (CASE WHEN i.id % 8 < 3 THEN 2 WHEN i.id % 8 < 6 THEN 1 ELSE 0 END)"))
            conn.execute(text(
                "INSERT INTO payment_allocation (payment_id, invoice_id, amount, created_at) "
                "SELECT p.id, p.id / 2, p.amount, now() FROM payment p"))
            payments = conn.execute(text("SELECT count(*) FROM payment")).scalar()
            for table in ("invoice", "invoice_line", "payment", "payment_allocation"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))
        took = time.perf_counter() - started
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("invoice", "invoice_line", "payment", "payment_allocation"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
        say(f"Seeded {invoices:,} invoices, {invoices * 3:,} invoice lines and {payments:,} payments in {took:.1f}s "
            f"(VACUUM ANALYZE {time.perf_counter() - started - took:.1f}s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=2_000_000)
    options = parser.parse_args()
    main(options.invoices)
