"""Every report the modules ship runs against the demo data — on SQLite and on PostgreSQL, whichever the suite
runs on — and its totals agree with a count or sum written directly in SQL; the centre lists them all, and each
page, chart and export answers."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select, text

from app.core import reports


def _one(sql: str, **params):
    from app.extensions import db

    return db.session.execute(text(sql), params).scalar() or 0


def _money(sql: str, **params) -> Decimal:
    """A sum of money in SQL (SQLite sums in floating point: rounded to the fen as the app stores it)."""
    return Decimal(str(_one(sql, **params))).quantize(Decimal("0.01"))


def _month_start(day: dt.date, back: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


def _expected(today: dt.date) -> dict:
    """Report name -> (measure, total computed here in SQL)."""
    placed = "status NOT IN ('draft', 'cancelled')"
    sales = _money(f"SELECT SUM(total) FROM sales_order WHERE {placed}")
    year_ago = _month_start(today, 11)
    return {
        "orders.sales_month": ("amount", sales),
        "orders.sales_customer": ("amount", sales),
        "orders.sales_owner": ("amount", sales),
        "orders.sales_department": ("amount", sales),
        "orders.sales_product": ("amount", _money(
            f"SELECT SUM(l.total) FROM sales_order_line l JOIN sales_order o ON o.id = l.order_id WHERE o.{placed}")),
        "customers.grades": ("customers", _one("SELECT COUNT(*) FROM customer")),
        "customers.overview": ("customers", _one("SELECT COUNT(*) FROM customer")),
        "contracts.expiry": ("amount", _money(
            "SELECT SUM(amount) FROM contract WHERE status IN ('signed', 'expiring', 'expired', 'renewed')")),
        "contracts.renewal_rate": ("ended", _one(
            "SELECT COUNT(*) FROM contract WHERE COALESCE(ended_as, status) IN ('expired', 'renewed') "
            "AND ends_on IS NOT NULL")),
        "invoices.summary": ("total", _money("SELECT SUM(total) FROM invoice")),
        "collections.aging": ("total", _money(
            "SELECT SUM(total - paid) FROM invoice WHERE status = 'issued' AND red = :no AND paid < total", no=False)),
        "collections.rate": ("invoiced", _money(
            "SELECT SUM(total) FROM invoice WHERE status <> 'voided' AND issue_date >= :first", first=year_ago)),
        "inventory.value": ("value", _money(
            "SELECT SUM(s.on_hand * COALESCE(p.cost, 0)) FROM stock_level s JOIN product p ON p.id = s.product_id "
            "JOIN warehouse w ON w.id = s.warehouse_id WHERE w.active = :yes", yes=True)),
        "purchasing.by_supplier": ("amount", _money(
            "SELECT SUM(amount) FROM purchase_order WHERE status IN ('ordered', 'partial', 'received', 'closed') "
            "AND order_date >= :first", first=year_ago)),
        "purchasing.by_category": ("amount", _money(
            "SELECT SUM(amount) FROM purchase_order WHERE status IN ('ordered', 'partial', 'received', 'closed') "
            "AND order_date >= :first", first=year_ago)),
        "events.roi": ("registered", _one(
            "SELECT SUM(registered) FROM event WHERE status <> 'cancelled' AND starts_at >= :since AND starts_at < :until",
            since=dt.datetime.combine(today - dt.timedelta(days=365), dt.time.min),
            until=dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))),
    }


def test_every_shipped_report_agrees_with_sql_on_the_demo_data(demo):
    from app.core.clock import company_today
    from app.core.org import User
    from app.extensions import db

    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        expected = _expected(company_today())
        drawn = [r for r in reports.all_reports() if r.compute is not None or r.dimensions]
        unchecked = [r.name for r in drawn if r.name not in expected and r.name not in ("inventory.turnover",
                                                                                        "purchasing.suppliers")]
        assert unchecked == [], "every shipped report needs its SQL check here"
        assert expected["orders.sales_month"][1] > 0 and expected["invoices.summary"][1] > 0
        for report in drawn:
            result = reports.run(report, admin, reports.Params())
            if report.name in expected:
                measure, total = expected[report.name]
                got = result.total[measure]
                assert got == total, f"{report.name}: {got} != {total}"
        turnover = reports.run(reports_named("inventory.turnover"), admin, reports.Params())
        first = turnover.rows[0]
        on_hand = _one("SELECT SUM(on_hand) FROM stock_level WHERE product_id = :p AND warehouse_id = :w",
                       p=int(first.key.split("-")[0]), w=int(first.key.split("-")[1]))
        assert first.values["on_hand"] == Decimal(on_hand)
        db.session.remove()


def reports_named(name):
    return next(r for r in reports.all_reports() if r.name == name)


def test_the_centre_lists_every_report_and_each_answers(demo):
    client = demo.test_client()
    assert client.post("/login/", data={"username": "admin", "password": "admin-pass-123"}).status_code == 302
    centre = client.get("/reports/").get_data(as_text=True)
    with demo.app_context():
        names = [r.name for r in reports.all_reports()]
    for name in names:
        assert f"/reports/view/{name}" in centre
        page = client.get(f"/reports/view/{name}")
        assert page.status_code in (200, 302), name
        if page.status_code == 200:
            data = client.get(f"/reports/data/{name}.json")
            assert data.status_code == 200 and "series" in data.get_json()["option"], name
            exported = client.get(f"/reports/export/{name}.csv")
            assert exported.status_code == 200 and exported.get_data(as_text=True).startswith("\ufeff"), name
    searched = client.get("/reports/?q=账龄").get_data(as_text=True)
    assert "/reports/view/collections.aging" in searched and "/reports/view/orders.sales_month" not in searched
