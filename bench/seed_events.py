"""Bulk-load marketing events for their bench (issue 20) on PostgreSQL, after `python run.py init`:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench20 python -m bench.seed_events \
        --events 10000 --registrations 5000000

- a marketing department with its head (Manager) and ten marketers (Marketing; password demo1234);
- EVENTS events over the last two years and the next two months, owned by the marketers, mostly ended (the
  future ones open), each with an expense and a venue booking;
- REGISTRATIONS registrations spread over the events (a few big ones take a hundred times the others), most
  registered, some on the waiting list or cancelled, two in three of the past ones checked in; one in five linked
  to a customer (CUSTOMERS customers, added here when the database has fewer), a tenth of those added after
  registering (new customers of the event);
- ORDERS orders of those customers over the same two years, and one of two in seven linked registrants within 45
  days of their (past) event, for the attributed revenue;
- the events' kept counters computed from their registrations; then VACUUM ANALYZE of what was loaded.

Rows are written by INSERT … SELECT in the database (no ORM, no audit log); the events' rows already there (and
the orders this seed made) are replaced. Prints what it loaded and how long each part took.
"""
from __future__ import annotations

import argparse
import time

from sqlalchemy import select, text

from bench.common import say
from bench.seed_customers import STAFF_PASSWORD

ATTRIBUTED = (
    "INSERT INTO sales_order (code, customer_id, order_date, status, untaxed, tax, total, discount_rate, owner_id, "
    "created_at, updated_at, approval) SELECT 'DD-E-R' || lpad(r.id::text, 9, '0'), r.customer_id, "
    "e.starts_at::date + (r.id % 45)::int, 'completed', t, 0, t, 1, :o, now(), now(), 'approved' "
    "FROM event_registration r JOIN event e ON e.id = r.event_id, "
    "LATERAL (SELECT (2000 + (r.id * 31) % 48000)::numeric(18, 2) AS t) x "
    "WHERE r.customer_id IS NOT NULL AND r.id % 7 IN (1, 4) AND e.starts_at < now()")
TABLES = ["event_allocation", "event_expense", "event_task", "event_session", "event_registration", "event",
          "event_resource"]


def _people(db) -> tuple[list[int], int]:
    """The marketers' ids and their department's."""
    from flask import current_app
    from werkzeug.security import generate_password_hash

    from app.core.org import Department, User, place_department
    from app.core.transaction import unit_of_work

    sm = current_app.appbuilder.sm
    hashed = generate_password_hash(STAFF_PASSWORD)
    admin = db.session.scalar(select(User).order_by(User.id).limit(1))
    with unit_of_work(admin):
        dept = db.session.scalar(select(Department).where(Department.code == "M-MKT"))
        if dept is None:
            dept = Department(code="M-MKT", name="市场部")
            db.session.add(dept)
            db.session.flush()
            place_department(dept)
    members = []
    for role, username in [("Manager", "mmgr")] + [("Marketing", f"marketer_{i:02d}") for i in range(1, 11)]:
        user = sm.find_user(username=username)
        if user is None:
            user = sm.add_user(username, "市场", username[-2:], f"{username}@bench.zhangwutong.cn", sm.find_role(role),
                               hashed_password=hashed)
        members.append(user.id)
    with unit_of_work(admin):
        head = db.session.get(User, members[0])
        head.department_id = dept.id
        db.session.get(Department, dept.id).head_id = head.id
        for member in members[1:]:
            user = db.session.get(User, member)
            user.department_id, user.manager_id = dept.id, head.id
    return members[1:], dept.id


def main(events: int, registrations: int, customers: int, orders: int) -> None:
    from app import create_app
    from app.extensions import db

    app = create_app()
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            raise SystemExit("The events bench loads with PostgreSQL's INSERT … SELECT: set DATABASE_URL.")
        say(f"Database: {engine.url.render_as_string(hide_password=True)}")
        started = time.perf_counter()
        marketers, department = _people(db)
        db.session.remove()
        owner_of = "(ARRAY[" + ",".join(map(str, marketers)) + "])[1 + ({k} % " + str(len(marketers)) + ")]"
        with engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("DELETE FROM sales_order WHERE code LIKE 'DD-E-%'"))
            t0 = time.perf_counter()
            have = conn.execute(text("SELECT count(*) FROM customer")).scalar()
            if have < customers:
                conn.execute(text(
                    "INSERT INTO customer (code, name, kind, status, credit_limit, owner_id, department_id, "
                    "created_at, updated_at) SELECT 'KH-E-' || lpad(g::text, 8, '0'), '活动基准客户' || g, 'company', "
                    "'active', 0, " + owner_of.format(k="g") + ", :d, now() - interval '3 years', now() "
                    "FROM generate_series(CAST(:a AS integer), :n) g"), {"a": have + 1, "n": customers, "d": department})
            ids = conn.execute(text("SELECT min(id), max(id) FROM customer")).one()
            first_customer, span = ids[0], ids[1] - ids[0] + 1
            say(f"{max(customers - have, 0):,} customers added ({span:,} in all) in {time.perf_counter() - t0:.1f}s")

            t0 = time.perf_counter()
            # Event g starts (730 - g * 790 / events) days from now: two years back to two months ahead.
            conn.execute(text(
                "INSERT INTO event (id, code, title, kind, starts_at, ends_at, venue, capacity, budget, status, asked, "
                "public_key, registered, waiting, checked_in, approval, owner_id, department_id, created_at, "
                "updated_at) SELECT g, 'HD-B-' || lpad(g::text, 7, '0'), '基准活动' || g, "
                "(ARRAY['meeting','exhibition','live','promotion','training','salon'])[1 + g % 6], s, "
                "s + interval '4 hours', '上海国际会议中心', CASE WHEN g % 10 = 0 THEN NULL ELSE 100000 END, "
                "(5000 + (g * 37) % 95000)::numeric(18, 2), CASE WHEN s < now() THEN 'ended' ELSE 'open' END, "
                "'company', 'bk' || lpad(g::text, 10, '0'), 0, 0, 0, 'approved', " + owner_of.format(k="g") + ", "
                ":d, s - interval '30 days', now() "
                "FROM generate_series(1, :n) g, "
                "LATERAL (SELECT date_trunc('hour', now()) - ((730 - g * 790.0 / :n) * interval '1 day') AS s) x"),
                {"n": events, "d": department})
            conn.execute(text("SELECT setval(pg_get_serial_sequence('event', 'id'), :n)"), {"n": events})
            say(f"{events:,} events in {time.perf_counter() - t0:.1f}s")

            t0 = time.perf_counter()
            # Every 100th event is big (its share weighs a hundred): e = a registration's event.
            conn.execute(text(
                "INSERT INTO event_registration (event_id, code, name, phone, company, status, source, consented, "
                "customer_id, checked_in_at, created_at) "
                "SELECT e.id, 'B' || upper(lpad(to_hex(g), 9, '0')), '报名者' || g, '13' || lpad(g::text, 9, '0'), "
                "'基准公司' || (g % 5000), CASE WHEN g % 20 = 0 THEN 'waiting' WHEN g % 33 = 0 THEN 'cancelled' "
                "ELSE 'registered' END, 'public', true, "
                "CASE WHEN g % 5 = 0 THEN :c + (g::bigint * 7919) % :span END, "
                "CASE WHEN e.status = 'ended' AND g % 3 <> 0 AND g % 20 <> 0 AND g % 33 <> 0 THEN e.starts_at END, "
                "e.starts_at - ((g % 20) + 1) * interval '1 day' "
                "FROM generate_series(1, :n) g, LATERAL (SELECT CASE WHEN g % 2 = 0 "
                "THEN 100 * (1 + (g / 2) % (:events / 100)) ELSE 1 + ((g / 2)::bigint * 104729) % :events END AS k) pick "
                "JOIN event e ON e.id = pick.k"),
                {"n": registrations, "events": max(events, 100), "c": first_customer, "span": span})
            conn.execute(text(
                "UPDATE event e SET registered = c.registered, waiting = c.waiting, checked_in = c.checked_in, "
                "capacity = CASE WHEN e.capacity IS NULL THEN NULL ELSE greatest(e.capacity, c.registered) END "
                "FROM (SELECT event_id, count(*) FILTER (WHERE status = 'registered') AS registered, "
                "count(*) FILTER (WHERE status = 'waiting') AS waiting, "
                "count(*) FILTER (WHERE checked_in_at IS NOT NULL) AS checked_in "
                "FROM event_registration GROUP BY event_id) c WHERE c.event_id = e.id"))
            conn.execute(text(
                "UPDATE customer c SET created_at = r.created_at + interval '1 day' FROM (SELECT DISTINCT ON "
                "(customer_id) customer_id, created_at FROM event_registration WHERE customer_id % 10 = 0 "
                "ORDER BY customer_id, created_at) r WHERE c.id = r.customer_id AND c.code LIKE 'KH-E-%'"))
            say(f"{registrations:,} registrations in {time.perf_counter() - t0:.1f}s")

            t0 = time.perf_counter()
            owner = marketers[0]
            conn.execute(text(
                "INSERT INTO sales_order (code, customer_id, order_date, status, untaxed, tax, total, discount_rate, "
                "owner_id, created_at, updated_at, approval) "
                "SELECT 'DD-E-' || lpad(g::text, 9, '0'), :c + (g::bigint * 7919 * 5) % :span, "
                "current_date - (g % 760), CASE WHEN g % 17 = 0 THEN 'cancelled' ELSE 'completed' END, "
                "t, 0, t, 1, :o, now(), now(), 'approved' "
                "FROM generate_series(1, :n) g, LATERAL (SELECT (1000 + (g * 53) % 99000)::numeric(18, 2) AS t) x"),
                {"n": orders, "c": first_customer, "span": span, "o": owner})
            # And an order of two in seven linked registrants within 45 days of their event (attributed revenue).
            conn.execute(text(ATTRIBUTED), {"o": owner})
            resource = conn.execute(text(
                "INSERT INTO event_resource (kind, name, unit, unit_cost, active, created_at) VALUES "
                "('venue', '基准会场', '天', 8000, true, now()) RETURNING id")).scalar()
            conn.execute(text(
                "INSERT INTO event_allocation (event_id, resource_id, starts_at, ends_at, quantity, cost, created_at) "
                "SELECT id, :r, starts_at, ends_at, 1, 8000, now() FROM event"), {"r": resource})
            conn.execute(text(
                "INSERT INTO event_expense (event_id, title, amount, spent_on, created_at) "
                "SELECT id, '物料与餐饮', (2000 + (id * 71) % 20000)::numeric(18, 2), starts_at::date, now() FROM event"))
            attributed = conn.execute(text("SELECT count(*) FROM sales_order WHERE code LIKE 'DD-E-R%'")).scalar()
            say(f"{orders:,} orders and {attributed:,} after an event, a booking and an expense per event in "
                f"{time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("customer", "event", "event_registration", "sales_order", "event_allocation",
                          "event_expense", "event_resource"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
        say(f"VACUUM ANALYZE in {time.perf_counter() - t0:.1f}s; all in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--registrations", type=int, default=5000000)
    parser.add_argument("--customers", type=int, default=200000)
    parser.add_argument("--orders", type=int, default=1000000)
    args = parser.parse_args()
    main(args.events, args.registrations, args.customers, args.orders)
