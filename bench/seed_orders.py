"""Bulk-load contract lines and orders for the contracts-and-orders bench (PostgreSQL), on a database that has the
benchmark customers and contracts (`python run.py bench seed`, then `python -m bench.seed_contracts N`):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python -m bench.seed_orders --orders 2000000

- products: 2,000 (more when asked) if the catalogue has fewer;
- three lines per contract (product, quantity 1–10, the product's price, 0–15 % off, 13 % tax), each rounded
  half up to the fen (the contracts keep their seeded amounts: rewriting a million contracts, with the
  bigram index of their titles, would take longer than the rest of the seed);
- ORDERS orders over the customers, owned by the customer's owner in their department, dated over two years,
  statuses from draft to completed (a few cancelled), every fifth one made from a signed contract of its
  customer, with three lines each; an order's totals are computed with it from the same figures as its lines,
  so they add up without a second pass;
- then VACUUM ANALYZE of what was loaded.

Rows are written by INSERT … SELECT in the database (no ORM, no audit log); orders and lines already there are
replaced. Prints what it loaded and how long it took.
"""
from __future__ import annotations

import argparse
import time

from sqlalchemy import text

from bench.common import say

STATUSES = ["draft", "confirmed", "preparing", "partial", "shipped", "received", "completed", "completed",
            "completed", "completed", "completed", "shipped", "received", "confirmed", "completed", "completed",
            "completed", "completed", "cancelled", "completed"]


def _products(conn, wanted: int) -> int:
    have = conn.execute(text("SELECT count(*) FROM product")).scalar()
    if have < wanted:
        conn.execute(text(
            "INSERT INTO product (sku, name, status, params, list_price, tax_rate, created_at, updated_at) "
            "SELECT 'BO-' || lpad(g::text, 7, '0'), '基准产品' || g, 'on_sale', '{}'::jsonb, "
            "(20 + (g * 37) % 4980)::numeric(14, 2), 13, now(), now() "
            "FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) g"),
            {"a": have + 1, "b": wanted})
    return conn.execute(text("SELECT count(*) FROM product")).scalar()


def _line_figures(alias: str) -> str:
    """amount, tax, total of a line from its quantity, price and discount columns (half up to the fen)."""
    amount = f"round({alias}.q * {alias}.p * (100 - {alias}.d) / 100, 2)"
    return f"{amount}, round({amount} * 0.13, 2), {amount} + round({amount} * 0.13, 2)"


def main(orders: int, products: int) -> None:
    from app import create_app
    from app.extensions import db

    app = create_app()
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            raise SystemExit("The orders bench loads with PostgreSQL's INSERT … SELECT: set DATABASE_URL.")
        say(f"Database: {engine.url.render_as_string(hide_password=True)}")
        started = time.perf_counter()
        with engine.begin() as conn:
            customers = conn.execute(text("SELECT count(*) FROM customer")).scalar()
            contracts = conn.execute(text("SELECT count(*) FROM contract")).scalar()
            if not customers:
                raise SystemExit("No customers: load them first (python run.py bench seed --customers N).")
            catalogue = _products(conn, products)
            ids = conn.execute(text("SELECT min(id), max(id) FROM product")).one()
            first_product, span = ids[0], ids[1] - ids[0] + 1
            conn.execute(text("DELETE FROM order_shipment_line"))
            conn.execute(text("DELETE FROM order_shipment"))
            conn.execute(text("DELETE FROM sales_order_line"))
            conn.execute(text("DELETE FROM sales_order"))
            conn.execute(text("DELETE FROM contract_line"))
            # Three lines per contract.
            conn.execute(text(
                "INSERT INTO contract_line (contract_id, product_id, quantity, unit_price, discount, tax_rate, amount, "
                "tax, total) SELECT x.contract_id, x.product_id, x.q, x.p, x.d, 13, " + _line_figures("x") +
                " FROM (SELECT c.id AS contract_id, :first + (c.id * 3 + k) % :span AS product_id, "
                "(1 + (c.id + k) % 10)::numeric(16, 4) AS q, (20 + ((c.id * 3 + k) * 37) % 4980)::numeric(18, 2) AS p, "
                "((c.id + k) % 4 * 5)::numeric(5, 2) AS d FROM contract c CROSS JOIN generate_series(0, 2) k) x"),
                {"first": first_product, "span": span})
            lines_done = time.perf_counter()
            say(f"Contract lines: {contracts * 3:,} for {contracts:,} contracts in {lines_done - started:.1f}s")
            statuses = "ARRAY[" + ", ".join(f"'{s}'" for s in STATUSES) + "]"
            amount = "round(q * p * (100 - d) / 100, 2)"
            figures = ("SELECT g AS id, k, (1 + (g + k) % 5)::numeric(16, 4) AS q, "
                       "(20 + ((g * 5 + k) * 37) % 4980)::numeric(18, 2) AS p, ((g + k) % 3 * 5)::numeric(5, 2) AS d")
            conn.execute(text(
                "INSERT INTO sales_order (id, code, customer_id, contract_id, order_date, delivery_address, status, "
                "untaxed, tax, total, discount_rate, owner_id, department_id, created_at, updated_at, approval) "
                f"SELECT g, 'DD-B-' || lpad(g::text, 8, '0'), cu.id, CASE WHEN g % 5 = 0 THEN (SELECT c.id FROM contract c "
                "WHERE c.customer_id = cu.id AND c.status IN ('signed', 'expiring', 'expired', 'renewed', 'archived') "
                "ORDER BY c.id LIMIT 1) END, current_date - (g % 730), cu.address, "
                f"({statuses})[1 + g % {len(STATUSES)}], t.untaxed, t.tax, t.untaxed + t.tax, 1, cu.owner_id, "
                "cu.department_id, now() - make_interval(days => g % 730), now(), 'approved' "
                "FROM generate_series(1, :n) g JOIN customer cu ON cu.id = (SELECT min(id) FROM customer) + "
                "(g::bigint * 7919) % :customers "
                f"CROSS JOIN LATERAL (SELECT sum({amount}) AS untaxed, sum(round({amount} * 0.13, 2)) AS tax "
                f"FROM ({figures} FROM generate_series(0, 2) k) f) t"), {"n": orders, "customers": customers})
            conn.execute(text(
                "INSERT INTO sales_order_line (order_id, product_id, quantity, unit_price, discount, tax_rate, amount, "
                "tax, total, shipped) SELECT x.order_id, x.product_id, x.q, x.p, x.d, 13, " + _line_figures("x") +
                ", CASE WHEN x.status IN ('shipped', 'received', 'completed') THEN x.q ELSE 0 END "
                "FROM (SELECT o.id AS order_id, o.status, :first + (o.id * 5 + k) % :span AS product_id, "
                "(1 + (o.id + k) % 5)::numeric(16, 4) AS q, (20 + ((o.id * 5 + k) * 37) % 4980)::numeric(18, 2) AS p, "
                "((o.id + k) % 3 * 5)::numeric(5, 2) AS d FROM sales_order o CROSS JOIN generate_series(0, 2) k) x"),
                {"first": first_product, "span": span})
            for table in ("sales_order", "sales_order_line", "contract_line", "product"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))
        took = time.perf_counter() - started
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("contract", "contract_line", "sales_order", "sales_order_line", "product"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
        say(f"Seeded {catalogue:,} products, {contracts * 3:,} contract lines, {orders:,} orders and "
            f"{orders * 3:,} order lines in {took:.1f}s (VACUUM ANALYZE {time.perf_counter() - started - took:.1f}s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2_000_000)
    parser.add_argument("--products", type=int, default=2_000)
    options = parser.parse_args()
    main(options.orders, options.products)
