"""采购分析报表 on a known set of orders, each test's in a year of its own before 2011 (no other test orders
then): spend by month, category, supplier and department, a product's price trend, the supplier ranking from its
ratings, savings versus the first quote; the page, its charts and exports keep to roles and data scope."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.products.api import ProductCategory
from app.modules.products import service as catalogue
from app.modules.purchasing import analysis, order_service
from app.modules.purchasing.order_models import PurchaseOrder, PurchaseOrderLine
from app.modules.purchasing.rating_models import SupplierRating
from tests.conftest import unique
from tests.factories import make_department, make_user
from tests.modules.inventory.helpers import product
from tests.modules.purchasing.helpers import quote, supplier

YEARS = iter(range(2010, 1990, -1))


@pytest.fixture
def buyer(org):
    return make_user("Purchasing", make_department(unique("采购部"), org.company))


def _order(buyer, supplier_, day, lines, status="ordered"):
    order = order_service.create(buyer, PurchaseOrder(supplier_id=supplier_.id))
    for item, quantity, price in lines:
        order_service.save_line(buyer, PurchaseOrderLine(order_id=order.id, product_id=item.id, quantity=quantity,
                                                         unit_price=price))
    with unit_of_work(None):                   # as 采购订单审批 leaves it, on the day it was made
        placed = db.session.get(PurchaseOrder, order.id)
        placed.status, placed.order_date = ("approved" if status == "ordered" else status), day
    if status == "ordered":
        order_service.place(buyer, order.id)   # placed with the supplier: its spend is kept
    return order


@pytest.fixture
def known(buyer):
    """(supplier, category, product A, the year's period) of a year no other test used."""
    year = next(YEARS)

    def day(month, dom):
        return dt.date(year, month, dom)
    category = catalogue.save_category(ProductCategory(code=unique("LJ"), name=unique("零件")))
    a, b = product(), product()
    with unit_of_work(None):
        db.session.get(type(a), a.id).category_id = category.id
    ours = supplier(buyer)
    quote(buyer, ours, a, "25.00", valid_from=day(1, 1), valid_to=day(3, 19))
    quote(buyer, ours, a, "19.50", valid_from=day(3, 20))
    _order(buyer, ours, day(3, 10), [(a, "10", "21.00")])                        # 210
    _order(buyer, ours, day(4, 5), [(b, "5", "9.00"), (a, "10", "19.00")])       # 45 + 190
    _order(buyer, ours, day(3, 11), [(a, "100", "1.00")], status="draft")       # not placed
    with unit_of_work(None):
        db.session.add_all([SupplierRating(supplier_id=ours.id, period=f"{year}-03", score=Decimal(80)),
                            SupplierRating(supplier_id=ours.id, period=f"{year}-04", score=Decimal(90),
                                           on_time_rate=Decimal("0.9"))])
    return ours, category, a, analysis.Period(day(1, 1), day(12, 31))


def test_spend_by_each_dimension(buyer, known):
    ours, category, _a, YEAR = known
    y = YEAR.start.year
    by_month = {row.name: (row.amount, row.orders) for row in analysis.spend(buyer, YEAR, "month")}
    assert by_month == {f"{y}-03": (Decimal("210.00"), 1), f"{y}-04": (Decimal("235.00"), 1)}
    by_supplier = {row.key: row.amount for row in analysis.spend(buyer, YEAR, "supplier")}
    assert by_supplier == {ours.id: Decimal("445.00")}
    by_category = {row.name: row.amount for row in analysis.spend(buyer, YEAR, "category")}
    assert by_category[category.name] == Decimal("400.00") and sum(by_category.values()) == Decimal("445.00")
    by_department = analysis.spend(buyer, YEAR, "department")
    assert [(row.key, row.amount) for row in by_department] == [(buyer.department_id, Decimal("445.00"))]


def test_price_trend_ranking_and_savings(buyer, known):
    ours, _category, a, YEAR = known
    y = YEAR.start.year
    trend = analysis.price_trend(buyer, YEAR, a.id)
    assert [(p.month, p.average, p.lowest, p.highest) for p in trend] == [
        (f"{y}-03", Decimal("21.00"), Decimal("21.00"), Decimal("21.00")),
        (f"{y}-04", Decimal("19.00"), Decimal("19.00"), Decimal("19.00"))]
    ranked = [r for r in analysis.ranking(buyer, YEAR) if r.supplier_id == ours.id]
    assert [(r.score, r.grade, r.spend) for r in ranked] == [(Decimal("85.0"), "B", Decimal("445.00"))]
    rows, total = analysis.savings(buyer, YEAR)        # both lines of A at the first quote, ¥25: 500 against 400
    assert [(r.supplier_id, r.at_first_quote, r.ordered, r.saved) for r in rows] == [
        (ours.id, Decimal("500.00"), Decimal("400.00"), Decimal("100.00"))]
    assert total.saved == Decimal("100.00")


def test_other_departments_see_nothing_of_it(org, known):
    YEAR = known[3]
    outsider = make_user("Manager", make_department(unique("销售二部"), org.company))
    assert analysis.spend(outsider, YEAR, "supplier") == []
    assert analysis.savings(outsider, YEAR)[0] == []


def test_bad_periods_are_refused():
    from app.core.errors import ValidationErrors

    for start, end in (("2011-13", ""), ("2012-01", "2011-01"), ("1990-01", "2011-01"), ("abc", "")):
        with pytest.raises(ValidationErrors):
            analysis.period(start, end, today=dt.date(2026, 12, 6))


def test_the_page_charts_and_exports(org, login, buyer, known):
    ours, _category, a, YEAR = known
    span = f"start={YEAR.start}&end={YEAR.end}"
    client = login(buyer)
    page = client.get(f"/purchase_analysis/?{span}&by=supplier&product={a.id}")       # the spend, by supplier
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and ours.name in text and "445.00" in text and 'id="zwt-ranking"' not in text
    # each report is a tab of its own, the filters carried over from one to the next
    assert f'href="/purchase_analysis/?report=ranking&start={YEAR.start}&end={YEAR.end}&by=supplier&product={a.id}"' \
        in text
    ranking = client.get(f"/purchase_analysis/?report=ranking&{span}").get_data(as_text=True)
    assert 'id="zwt-ranking"' in ranking and ours.name in ranking and "85.0" in ranking and "zwt-spend" not in ranking
    saving = client.get(f"/purchase_analysis/?report=savings&{span}").get_data(as_text=True)
    assert 'id="zwt-savings-total"' in saving and "100.00" in saving and "500.00" in saving
    trend = client.get(f"/purchase_analysis/?report=trend&{span}&product={a.id}").get_data(as_text=True)
    assert 'id="zwt-trend"' in trend and "21.00" in trend and "19.00" in trend
    assert 'id="zwt-trend-choose"' in client.get(f"/purchase_analysis/?report=trend&{span}").get_data(as_text=True)
    unknown = client.get("/purchase_analysis/?report=everything")
    assert unknown.status_code == 400 and "请选择所列报表之一" in unknown.get_data(as_text=True)
    chart = client.get(f"/purchase_analysis/chart.json?{span}&by=month")
    assert chart.status_code == 200 and chart.get_json()["option"]["series"][0]["data"] == [210.0, 235.0]
    trend = client.get(f"/purchase_analysis/chart.json?chart=trend&{span}&product={a.id}")
    assert trend.get_json()["option"]["series"][0]["data"] == [21.0, 19.0]
    csv = client.get(f"/purchase_analysis/export.csv?report=savings&{span}")
    assert csv.status_code == 200 and ours.name in csv.get_data(as_text=True)
    xlsx = client.get(f"/purchase_analysis/export.xlsx?report=ranking&{span}")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get("/purchase_analysis/?start=2011-02-30").status_code == 400
    assert client.get("/purchase_analysis/?start=2011-13").status_code == 400
    assert client.get("/purchase_analysis/chart.json?by=colour").status_code == 400
    assert client.get("/purchase_analysis/export.csv?report=trend").status_code == 400   # which product?
    assert client.get("/purchase_analysis/export.pdf").status_code == 404
    assert login(org.east_rep).get("/purchase_analysis/").status_code in (302, 403)
    assert login(org.readonly).get("/purchase_analysis/export.csv").status_code in (302, 403)


def test_kept_spend_follows_cancelling_and_agrees_with_a_rebuild(buyer, known):
    from sqlalchemy import select

    from app.modules.purchasing import spend
    from app.modules.purchasing.spend_models import PurchaseCategorySpend, PurchaseSpend

    ours, _category, a, YEAR = known
    may = YEAR.start.replace(month=5, day=2)
    order = _order(buyer, ours, may, [(a, "3", "30.00")])                                # 90
    month = f"{may:%Y-%m}"
    assert {row.name: row.amount for row in analysis.spend(buyer, YEAR, "month")}[month] == Decimal("90.00")
    order_service.cancel(buyer, order.id, "供应商无货")
    assert month not in {row.name for row in analysis.spend(buyer, YEAR, "month")}

    def kept():
        return (sorted(tuple(r) for r in db.session.execute(select(
                    PurchaseSpend.month, PurchaseSpend.supplier_id, PurchaseSpend.department_id, PurchaseSpend.owner_id,
                    PurchaseSpend.amount, PurchaseSpend.orders, PurchaseSpend.lines, PurchaseSpend.quoted,
                    PurchaseSpend.quoted_amount)
                    .where(PurchaseSpend.orders != 0, PurchaseSpend.supplier_id == ours.id))),
                sorted(tuple(r) for r in db.session.execute(select(
                    PurchaseCategorySpend.month, PurchaseCategorySpend.category_id, PurchaseCategorySpend.department_id,
                    PurchaseCategorySpend.owner_id, PurchaseCategorySpend.amount, PurchaseCategorySpend.lines)
                    .where(PurchaseCategorySpend.lines != 0, PurchaseCategorySpend.owner_id == buyer.id))))

    as_kept = kept()                 # (other tests set orders' statuses directly: only this buyer's are compared)
    with unit_of_work(None):
        spend.rebuild()
    assert kept() == as_kept


def test_the_ranking_breaks_ties_at_its_last_place_by_spend(buyer, monkeypatch):
    """Only the suppliers shown have their spend read: all that tie with the last place's score are, so the one
    most spent with among them keeps the place."""
    year = next(YEARS)
    when = analysis.Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
    a = product()
    best, little, much, worst = (supplier(buyer) for _ in range(4))
    for each, score in ((best, 90), (little, 80), (much, 80), (worst, 70)):
        with unit_of_work(None):
            db.session.add(SupplierRating(supplier_id=each.id, period=f"{year}-05", score=Decimal(score),
                                          on_time_rate=Decimal("0.5")))
    _order(buyer, little, dt.date(year, 5, 2), [(a, "1", "100.00")])
    _order(buyer, much, dt.date(year, 5, 3), [(a, "3", "100.00")])
    monkeypatch.setattr(analysis, "LIMIT", 2)
    ranked = [r for r in analysis.ranking(buyer, when) if r.supplier_id in {best.id, little.id, much.id, worst.id}]
    assert [(r.supplier_id, r.score, r.spend) for r in ranked] == [
        (best.id, Decimal("90.0"), Decimal(0)), (much.id, Decimal("80.0"), Decimal("300.00"))]
    assert ranked[1].on_time_rate == Decimal("0.5")
