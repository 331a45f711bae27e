"""Bulk-load purchasing for its bench (issue 19) on PostgreSQL, after `python run.py init`:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench19 python -m bench.seed_purchasing \
        --suppliers 20000 --quotes 2000000 --orders 1000000

- a purchasing department with a manager (its head) and ten buyers, another with five (password demo1234);
- products: 2,000 if the catalogue has fewer, in 20 categories; one warehouse;
- SUPPLIERS suppliers (GY…), owned by the buyers, most 合格, a few 试用 or 停用, with a score and grade;
- QUOTES quotes spread over the products and suppliers, prices around each product's cost, valid over the last
  two years (a third open-ended);
- ORDERS purchase orders over two years, each by its supplier's buyer, statuses from draft to closed, four lines each, their
  totals computed with them; received quantities on the received and closed ones;
- the spend kept per month for the analysis rebuilt from them (`run.py purchasing rebuild-spend`);
- then VACUUM ANALYZE of what was loaded.

Rows are written by INSERT … SELECT in the database (no ORM, no audit log); purchasing rows already there are
replaced. Prints what it loaded and how long each part took.
"""
from __future__ import annotations

import argparse
import time

from sqlalchemy import select, text

from bench.common import say
from bench.seed_customers import STAFF_PASSWORD

STATUSES = ["received", "closed", "closed", "received", "partial", "ordered", "approved", "in_approval", "draft",
            "closed", "closed", "received", "closed", "cancelled", "closed", "received", "closed", "closed",
            "ordered", "closed"]
TABLES = ["purchase_spend", "purchase_category_spend", "supplier_payment", "supplier_invoice_line", "supplier_invoice", "goods_receipt_line", "goods_receipt",
          "purchase_order_line", "purchase_order", "quote_request_supplier", "supplier_quote", "quote_request",
          "supplier_rating", "supplier_certificate", "supplier_contact", "supplier_category", "supplier"]


def _people(db) -> tuple[list[int], dict]:
    """The buyers' ids, and their departments: {department id: [user ids]}."""
    from werkzeug.security import generate_password_hash

    from app.core.org import Department, User, place_department
    from app.core.transaction import unit_of_work

    from flask import current_app

    sm = current_app.appbuilder.sm
    hashed = generate_password_hash(STAFF_PASSWORD)
    admin = db.session.scalar(select(User).order_by(User.id).limit(1))
    plan = [("P-BUY1", "采购一部", 10), ("P-BUY2", "采购二部", 5)]
    teams = {}
    for code, name, size in plan:
        with unit_of_work(admin):
            dept = db.session.scalar(select(Department).where(Department.code == code))
            if dept is None:
                dept = Department(code=code, name=name)
                db.session.add(dept)
                db.session.flush()
                place_department(dept)
        members = []
        for role, username in [("Manager", f"pmgr_{code[2:].lower()}")] + [
                ("Purchasing", f"buyer_{code[2:].lower()}_{i:02d}") for i in range(1, size + 1)]:
            user = sm.find_user(username=username)
            if user is None:
                user = sm.add_user(username, "采购", username[-2:], f"{username}@bench.zhangwutong.cn",
                                   sm.find_role(role), hashed_password=hashed)
            members.append(user.id)
        with unit_of_work(admin):
            head = db.session.get(User, members[0])
            head.department_id = dept.id
            db.session.get(Department, dept.id).head_id = head.id
            for member in members[1:]:
                user = db.session.get(User, member)
                user.department_id, user.manager_id = dept.id, head.id
        teams[dept.id] = members
    buyers = [uid for members in teams.values() for uid in members[1:]]
    return buyers, teams


def main(suppliers: int, quotes: int, orders: int) -> None:
    from app import create_app
    from app.extensions import db

    app = create_app()
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            raise SystemExit("The purchasing bench loads with PostgreSQL's INSERT … SELECT: set DATABASE_URL.")
        say(f"Database: {engine.url.render_as_string(hide_password=True)}")
        started = time.perf_counter()
        buyers, teams = _people(db)
        db.session.remove()
        owner_of = "(ARRAY[" + ",".join(map(str, buyers)) + "])[1 + ({k} % " + str(len(buyers)) + ")]"
        dept_of = ("CASE WHEN " + owner_of + " IN (" + ",".join(map(str, next(iter(teams.values()))[1:])) +
                   ") THEN " + str(next(iter(teams))) + " ELSE " + str(list(teams)[-1]) + " END")
        with engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
            have = conn.execute(text("SELECT count(*) FROM product")).scalar()
            conn.execute(text(
                "INSERT INTO product_category (code, name, sort_order) SELECT 'PC-' || g, '采购分类' || g, 0 "
                "FROM generate_series(1, 20) g WHERE NOT EXISTS (SELECT 1 FROM product_category WHERE code = 'PC-' || g)"))
            if have < 2000:
                conn.execute(text(
                    "INSERT INTO product (sku, name, status, params, list_price, cost, tax_rate, category_id, "
                    "created_at, updated_at) SELECT 'PB-' || lpad(g::text, 7, '0'), '采购基准产品' || g, 'on_sale', "
                    "'{}'::jsonb, (20 + (g * 37) % 4980)::numeric(14, 2), (12 + (g * 37) % 3000)::numeric(14, 2), 13, "
                    "(SELECT id FROM product_category WHERE code = 'PC-' || (1 + g % 20)), now(), now() "
                    "FROM generate_series(CAST(:a AS integer), 2000) g"), {"a": have + 1})
            ids = conn.execute(text("SELECT min(id), max(id) FROM product")).one()
            first, span = ids[0], ids[1] - ids[0] + 1
            warehouse = conn.execute(text("SELECT id FROM warehouse ORDER BY id LIMIT 1")).scalar()
            if warehouse is None:
                warehouse = conn.execute(text("INSERT INTO warehouse (code, name, active) VALUES ('PWH', '采购基准仓', "
                                              "true) RETURNING id")).scalar()
            t0 = time.perf_counter()
            conn.execute(text(
                "INSERT INTO supplier (id, code, name, tax_id, phone, status, score, grade, owner_id, department_id, "
                "created_at, updated_at) SELECT g, 'GY' || lpad(g::text, 6, '0'), '基准供应商' || g || '有限公司', "
                "'91330' || lpad(g::text, 13, '0'), '0571' || lpad(g::text, 8, '0'), "
                "CASE WHEN g % 20 = 0 THEN 'suspended' WHEN g % 7 = 0 THEN 'trial' ELSE 'qualified' END, "
                "(55 + (g * 13) % 45)::numeric(5, 1), "
                "CASE WHEN 55 + (g * 13) % 45 >= 90 THEN 'A' WHEN 55 + (g * 13) % 45 >= 75 THEN 'B' "
                "WHEN 55 + (g * 13) % 45 >= 60 THEN 'C' ELSE 'D' END, " + owner_of.format(k="g") + ", " +
                dept_of.format(k="g") + ", now() - (g % 700) * interval '1 day', now() "
                "FROM generate_series(1, :n) g"), {"n": suppliers})
            conn.execute(text("SELECT setval(pg_get_serial_sequence('supplier', 'id'), :n)"), {"n": suppliers})
            conn.execute(text(
                "INSERT INTO supplier_category (supplier_id, category_id) SELECT s.id, c.id FROM supplier s "
                "JOIN product_category c ON c.code = 'PC-' || (1 + s.id % 20)"))
            say(f"{suppliers:,} suppliers in {time.perf_counter() - t0:.1f}s")
            t0 = time.perf_counter()
            conn.execute(text(
                "INSERT INTO supplier_quote (supplier_id, product_id, price, currency, min_quantity, lead_days, "
                "valid_from, valid_to, created_at) SELECT 1 + (g::bigint * 7919) % :s, :first + g % :span, "
                "round((12 + ((g % :span) * 37) % 3000) * (0.85 + (g % 31) / 100.0), 2), 'CNY', "
                "(1 + g % 50)::numeric(16, 4), 3 + g % 40, current_date - (g % 730), "
                "CASE WHEN g % 3 = 0 THEN NULL ELSE current_date - (g % 730) + 365 END, now() "
                "FROM generate_series(1, :n) g"), {"n": quotes, "s": suppliers, "first": first, "span": span})
            say(f"{quotes:,} quotes in {time.perf_counter() - t0:.1f}s")
            t0 = time.perf_counter()
            statuses = "(ARRAY[" + ",".join(f"'{s}'" for s in STATUSES) + "])"
            year = conn.execute(text("SELECT extract(year FROM current_date)::int")).scalar()
            conn.execute(text(
                "INSERT INTO purchase_order (id, code, supplier_id, warehouse_id, order_date, expected_date, status, "
                "untaxed, tax, amount, owner_id, department_id, ordered_at, created_at, updated_at) "
                "SELECT g, 'CG-B-' || lpad(g::text, 8, '0'), 1 + (g::bigint * 104729) % :s, :wh, "
                "current_date - (g % 730), current_date - (g % 730) + 14, " + statuses + "[1 + g % 20], "
                "0, 0, 0, " + owner_of.format(k="g") + ", " + dept_of.format(k="g") + ", "
                "now() - (g % 730) * interval '1 day', now() - (g % 730) * interval '1 day', now() "
                "FROM generate_series(1, :n) g"), {"n": orders, "s": suppliers, "wh": warehouse})
            # A supplier's orders are its buyer's, as they are in a purchasing department.
            conn.execute(text("UPDATE purchase_order o SET owner_id = s.owner_id, department_id = s.department_id "
                              "FROM supplier s WHERE s.id = o.supplier_id"))
            conn.execute(text("SELECT setval(pg_get_serial_sequence('purchase_order', 'id'), :n)"), {"n": orders})
            conn.execute(text(
                "INSERT INTO purchase_order_line (order_id, product_id, quantity, unit_price, tax_rate, amount, tax, "
                "delivery_date, received, invoiced) "
                "SELECT o.id, :first + (o.id * 4 + k) % :span, q, p, 13, round(q * p, 2), "
                "round(round(q * p, 2) * 13 / 113, 2), o.expected_date, "
                "CASE WHEN o.status IN ('received', 'closed') THEN q WHEN o.status = 'partial' THEN floor(q / 2) "
                "ELSE 0 END, 0 "
                "FROM purchase_order o CROSS JOIN generate_series(0, 3) k, "
                "LATERAL (SELECT (1 + (o.id + k) % 40)::numeric(16, 4) AS q, "
                "round((12 + (((o.id * 4 + k) % :span) * 37) % 3000) * (0.9 + (o.id % 17) / 100.0), 2) AS p) x"),
                {"first": first, "span": span})
            conn.execute(text(
                "UPDATE purchase_order o SET amount = s.amount, tax = s.tax, untaxed = s.amount - s.tax FROM "
                "(SELECT order_id, sum(amount) AS amount, sum(tax) AS tax FROM purchase_order_line GROUP BY order_id) s "
                "WHERE s.order_id = o.id"))
            say(f"{orders:,} purchase orders with {orders * 4:,} lines in {time.perf_counter() - t0:.1f}s")
            t0 = time.perf_counter()
            conn.execute(text(
                "INSERT INTO supplier_rating (supplier_id, period, receipt_lines, received, rejected, on_time_rate, "
                "rejection_rate, quality, delivery, price, service, score, grade, computed_at) "
                "SELECT s.id, to_char(current_date - m * interval '1 month', 'YYYY-MM'), 4, 100, (s.id + m) % 5, "
                "0.8 + ((s.id + m) % 20) / 100.0, ((s.id + m) % 5) / 100.0, 90, 80, 75, 85, "
                "(55 + (s.id * 13 + m) % 45)::numeric(5, 1), 'B', now() "
                "FROM supplier s CROSS JOIN generate_series(0, 11) m"))
            say(f"{suppliers * 12:,} monthly ratings in {time.perf_counter() - t0:.1f}s ({year})")
        t0 = time.perf_counter()
        from app.core.transaction import unit_of_work
        from app.modules.purchasing import spend

        with unit_of_work(None):
            spend.rebuild()
        db.session.remove()
        say(f"spend kept per month rebuilt in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("supplier", "supplier_category", "supplier_quote", "purchase_order", "purchase_order_line",
                          "supplier_rating", "product", "purchase_spend", "purchase_category_spend"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
        say(f"VACUUM ANALYZE in {time.perf_counter() - t0:.1f}s; all in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=20000)
    parser.add_argument("--quotes", type=int, default=2000000)
    parser.add_argument("--orders", type=int, default=1000000)
    args = parser.parse_args()
    main(args.suppliers, args.quotes, args.orders)
