"""Sales orders: line arithmetic rounded half up to the fen with totals that add up, the lifecycle (确认
reserves stock from any bin or refuses naming the product, 发货 ships it, 签收, 完成; 取消 with a reason gives
it back), only a draft changes, data scope and roles on the screens and API, and the orders as history for
智能推荐."""
from decimal import Decimal

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.inventory import service as stock
from app.modules.inventory.models import StockLevel, StockMove
from app.modules.orders import service
from app.modules.orders.models import SalesOrder, SalesOrderLine
from tests.factories import make_customer, make_user
from tests.modules.inventory.helpers import product, warehouse


@pytest.mark.parametrize("quantity, price, discount, rate, expected", [
    ("1", "0.005", "0", "13", ("0.01", "0.00", "0.01")),          # half a fen rounds up
    ("3", "33.33", "0", "13", ("99.99", "13.00", "112.99")),
    ("2", "19.99", "15", "6", ("33.98", "2.04", "36.02")),        # 33.983 → 33.98; 2.0388 → 2.04
    ("0.5", "1234.56", "10", "13", ("555.55", "72.22", "627.77")),   # 555.552 → 555.55; 72.2215 → 72.22
    ("7", "0.15", "0", "0", ("1.05", "0.00", "1.05")),
])
def test_line_figures_round_half_up_to_the_fen(quantity, price, discount, rate, expected):
    assert service.line_figures(Decimal(quantity), Decimal(price), Decimal(discount), Decimal(rate)) == \
        tuple(Decimal(e) for e in expected)


def _order(org, actor=None, wh=None, lines=()):
    actor = actor or org.east_rep
    customer = make_customer(actor)
    order = service.create(actor, SalesOrder(customer_id=customer.id, warehouse_id=wh.id if wh else None))
    for item, qty, extra in lines:
        service.save_line(actor, SalesOrderLine(order_id=order.id, product_id=item.id, quantity=qty, **extra))
    db.session.expire_all()
    return db.session.get(SalesOrder, order.id)


def test_totals_are_the_sums_of_the_lines_and_prices_default_from_the_product(org):
    printer, paper = product(), product()
    printer.list_price, printer.tax_rate = Decimal("1999.00"), Decimal("13")
    db.session.commit()
    order = _order(org, lines=[(printer, "2", {}), (paper, "3", {"unit_price": "25.50", "discount": "10",
                                                                  "tax_rate": "13"})])
    lines = {line.product_id: line for line in order.lines}
    assert (lines[printer.id].unit_price, lines[printer.id].amount, lines[printer.id].tax) == (
        Decimal("1999.00"), Decimal("3998.00"), Decimal("519.74"))
    assert (lines[paper.id].amount, lines[paper.id].tax, lines[paper.id].total) == (
        Decimal("68.85"), Decimal("8.95"), Decimal("77.80"))
    assert (order.untaxed, order.tax, order.total) == (Decimal("4066.85"), Decimal("528.69"), Decimal("4595.54"))
    assert order.code.startswith("DD-") and order.status == "draft"
    for bad in ({"quantity": "0"}, {"quantity": "abc"}, {"discount": "120"}, {"unit_price": "-1"}):
        with pytest.raises(ValidationErrors):
            service.save_line(org.east_rep, SalesOrderLine(order_id=order.id, product_id=paper.id,
                                                           **{"quantity": "1", **bad}))
        db.session.rollback()
    db.session.expire_all()
    assert db.session.get(SalesOrder, order.id).total == Decimal("4595.54")


def test_an_order_reserves_from_any_bin_ships_and_completes(org):
    wh, bins = warehouse(bins=2)
    item = product()
    stock.receive(org.admin, item.id, wh.id, 3, bin_id=bins[0].id)
    stock.receive(org.admin, item.id, wh.id, 4, bin_id=bins[1].id)
    order = _order(org, wh=wh, lines=[(item, "6", {"unit_price": "10"})])
    service.confirm(org.east_rep, order.id)
    availability = stock.availability(item.id)[0]
    assert (availability["on_hand"], availability["reserved"]) == (7, 6)
    service.ship(org.east_rep, order.id)
    db.session.expire_all()
    assert db.session.scalar(select(func.sum(StockLevel.on_hand)).where(StockLevel.product_id == item.id)) == 1
    assert db.session.scalar(select(func.sum(StockMove.quantity)).where(
        StockMove.doc_ref == order.code, StockMove.kind == "shipment")) == -6
    service.mark_received(org.east_rep, order.id)
    service.complete(org.east_rep, order.id)
    assert db.session.get(SalesOrder, order.id).status == "completed"
    with pytest.raises(service.WrongState):
        service.cancel(org.east_rep, order.id, "客户反悔")


def test_a_shortage_refuses_the_confirmation_and_cancelling_gives_the_stock_back(org):
    wh = warehouse()
    plenty, scarce = product(), product()
    stock.receive(org.admin, plenty.id, wh.id, 10)
    stock.receive(org.admin, scarce.id, wh.id, 1)
    order = _order(org, wh=wh, lines=[(plenty, "5", {"unit_price": "1"}), (scarce, "2", {"unit_price": "1"})])
    with pytest.raises(stock.InsufficientStock) as refused:
        service.confirm(org.east_rep, order.id)
    assert scarce.name in refused.value.message and "可用 1" in refused.value.message
    assert stock.availability(plenty.id)[0]["reserved"] == 0
    assert db.session.get(SalesOrder, order.id).status == "draft"

    ok = _order(org, wh=wh, lines=[(plenty, "4", {"unit_price": "1"})])
    service.confirm(org.east_rep, ok.id)
    with pytest.raises(service.WrongState):
        service.save_line(org.east_rep, SalesOrderLine(order_id=ok.id, product_id=plenty.id, quantity=1))
    db.session.rollback()
    with pytest.raises(ValidationErrors):
        service.cancel(org.east_rep, ok.id, "  ")
    service.cancel(org.east_rep, ok.id, "客户改期")
    db.session.expire_all()
    cancelled = db.session.get(SalesOrder, ok.id)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "客户改期")
    assert stock.availability(plenty.id)[0]["reserved"] == 0


def test_screens_and_api_keep_to_the_roles_and_the_data_scope(org, login, api_token):
    wh = warehouse()
    item = product()
    stock.receive(org.admin, item.id, wh.id, 5)
    rep = login(org.east_rep)
    customer = make_customer(org.east_rep)
    resp = rep.post("/orders/add", data={"customer": str(customer.id), "warehouse": str(wh.id),
                                         "order_date": "2026-12-05", "owner": str(org.east_rep.id)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-400:]
    order = db.session.scalar(select(SalesOrder).where(SalesOrder.customer_id == customer.id))
    assert rep.post("/order_lines/add", data={"order": str(order.id), "product": str(item.id), "quantity": "2",
                                              "unit_price": "99.5", "discount": "0", "tax_rate": "13"}
                    ).status_code == 302
    assert rep.post("/orders/action_post", data={"action": "confirm", "rowid": [str(order.id)]}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SalesOrder, order.id).status == "confirmed"
    assert order.code in rep.get(f"/orders/show/{order.id}").get_data(as_text=True)

    other = login(org.south_rep)
    assert other.get(f"/orders/show/{order.id}").status_code == 404
    assert order.code not in other.get("/orders/list/").get_data(as_text=True)
    cancel = other.post("/orders_cancel/", data={"ids": str(order.id), "reason": "x"})
    assert cancel.status_code == 404
    assert login(make_user("Marketing", org.company)).get("/orders/list/").status_code in (302, 403)
    keeper = login(make_user("Warehouse", org.company))
    assert keeper.post("/orders/action_post", data={"action": "ship", "rowid": [str(order.id)]}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SalesOrder, order.id).status == "shipped"

    client = current_app.test_client()
    token = api_token(org.east_rep)
    listed = client.get("/api/v1/orders/", headers=token).get_json()
    assert any(row["code"] == order.code for row in listed["result"])
    assert all(row["code"] != order.code for row in client.get(
        "/api/v1/orders/", headers=api_token(org.south_rep)).get_json()["result"])
    bad = client.post("/api/v1/orders/", json={"customer_id": 10 ** 9}, headers=token)
    assert bad.status_code == 400


def test_orders_are_the_history_behind_often_bought_together(org):
    from app.modules.products import recommend, recommend_service
    from app.modules.products.recommend_models import ProductSuggestion

    wh = warehouse()
    printer, toner = product(), product()
    for item in (printer, toner):
        stock.receive(org.admin, item.id, wh.id, 50)
    for _ in range(3):
        order = _order(org, wh=wh, lines=[(printer, "1", {"unit_price": "1"}), (toner, "2", {"unit_price": "1"})])
        service.confirm(org.east_rep, order.id)
    draft = _order(org, wh=wh, lines=[(printer, "1", {"unit_price": "1"})])      # drafts are not history
    assert draft.status == "draft"
    recommend_service.recompute()
    pairs = db.session.execute(select(ProductSuggestion.other_id).where(
        ProductSuggestion.product_id == printer.id, ProductSuggestion.kind == recommend.CO_PURCHASE)).scalars().all()
    assert toner.id in pairs
    bought, _viewed = recommend_service.customer_history(db.session.get(SalesOrder, order.id).customer_id)
    assert sorted(bought) == sorted([printer.id, toner.id])


def test_the_charts_name_customers_owners_and_departments_within_the_data_scope(org, login):
    wh = warehouse()
    item = product()
    stock.receive(org.admin, item.id, wh.id, 20)
    mine = _order(org, wh=wh, lines=[(item, "2", {"unit_price": "100", "tax_rate": "0"})])
    service.confirm(org.east_rep, mine.id)
    theirs = _order(org, actor=org.south_rep, wh=wh, lines=[(item, "1", {"unit_price": "7", "tax_rate": "0"})])
    rep = login(org.east_rep)
    for name in ("by_owner", "by_customer", "by_department", "amount_by_month", "by_status"):
        resp = rep.get(f"/orders/chart/{name}.json")
        assert resp.status_code == 200, name
    customers = dict(rep.get("/orders/chart/by_customer.json").get_json()["table"])
    assert customers.get(mine.customer.name) == "200.00"
    assert theirs.customer.name not in customers                          # another rep's order stays out
    owners = dict(rep.get("/orders/chart/by_owner.json").get_json()["table"])
    assert org.east_rep.display_name in owners
    assert login(make_user("Marketing", org.company)).get("/orders/chart/by_owner.json").status_code in (302, 403)
