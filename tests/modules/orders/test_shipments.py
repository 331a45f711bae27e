"""Shipments (发货单): an order ships in parts with carrier and tracking number, never more than a line has left,
部分发货 until everything has left, then 已发货; stock leaves from the order's reservation; shipments are never
edited; two clerks shipping the last units at once: one succeeds (PostgreSQL)."""
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.errors import ValidationErrors
from app.extensions import db
from app.modules.inventory import service as stock
from app.modules.inventory.models import StockLevel
from app.modules.orders import service
from app.modules.orders.models import SalesOrder, SalesOrderLine, Shipment
from tests.factories import make_customer
from tests.modules.inventory.helpers import product, warehouse


def _confirmed(org, lines, on_hand=100):
    wh = warehouse()
    customer = make_customer(org.east_rep)
    order = service.create(org.east_rep, SalesOrder(customer_id=customer.id, warehouse_id=wh.id))
    for item, qty in lines:
        stock.receive(org.admin, item.id, wh.id, on_hand)
        service.save_line(org.east_rep, SalesOrderLine(order_id=order.id, product_id=item.id, quantity=qty,
                                                       unit_price="10.00"))
    service.confirm(org.east_rep, order.id)
    db.session.expire_all()
    return db.session.get(SalesOrder, order.id), wh


def _on_hand(item, wh):
    db.session.expire_all()
    return db.session.scalar(select(func.sum(StockLevel.on_hand)).where(
        StockLevel.product_id == item.id, StockLevel.warehouse_id == wh.id))


def test_an_order_ships_in_parts_with_carrier_and_tracking(org):
    printer, paper = product(), product()
    order, wh = _confirmed(org, [(printer, "3"), (paper, "10")])
    lines = {line.product_id: line for line in order.lines}
    service.prepare(org.admin, order.id)
    first = service.ship_part(org.admin, order.id, {lines[printer.id].id: "2", lines[paper.id].id: "10"},
                              carrier="顺丰速运", tracking_no="SF1234567890")
    db.session.expire_all()
    assert db.session.get(SalesOrder, order.id).status == "partial"
    assert (first.carrier, first.tracking_no) == ("顺丰速运", "SF1234567890")
    assert _on_hand(printer, wh) == Decimal("98") and _on_hand(paper, wh) == Decimal("90")

    with pytest.raises(ValidationErrors) as refused:          # 1 printer is left; 2 is more
        service.ship_part(org.admin, order.id, {lines[printer.id].id: "2"})
    assert "1" in refused.value.errors[f"line_{lines[printer.id].id}"][0]
    db.session.rollback()
    assert _on_hand(printer, wh) == Decimal("98")
    with pytest.raises(ValidationErrors):                      # nothing entered
        service.ship_part(org.admin, order.id, {lines[printer.id].id: ""})
    db.session.rollback()
    with pytest.raises(service.WrongState):                    # part shipped: no longer cancelled
        service.cancel(org.east_rep, order.id, "不要了")
    db.session.rollback()

    service.ship(org.admin, order.id, carrier="德邦", tracking_no="DB99")
    db.session.expire_all()
    done = db.session.get(SalesOrder, order.id)
    assert done.status == "shipped" and done.shipped_at is not None
    assert [s.tracking_no for s in db.session.scalars(select(Shipment).where(Shipment.order_id == order.id)
                                                      .order_by(Shipment.id))] == ["SF1234567890", "DB99"]
    assert _on_hand(printer, wh) == Decimal("97")
    assert db.session.scalar(select(func.sum(StockLevel.reserved)).where(StockLevel.warehouse_id == wh.id)) == 0


def test_the_ship_screen_and_shipments_tab(org, login, app, api_token):
    paper = product()
    order, wh = _confirmed(org, [(paper, "5")])
    line = order.lines[0]
    client = login(org.east_rep)
    page = client.get(f"/orders_ship/{order.id}")
    assert page.status_code == 200 and "待发数量" in page.get_data(as_text=True)
    bad = client.post(f"/orders_ship/{order.id}", data={f"line_{line.id}": "9", "carrier": "顺丰"})
    assert bad.status_code == 400 and "待发" in bad.get_data(as_text=True)
    ok = client.post(f"/orders_ship/{order.id}", data={f"line_{line.id}": "2", "carrier": "顺丰",
                                                        "tracking_no": "SF1"})
    assert ok.status_code == 302
    html = client.get(f"/orders/show/{order.id}").get_data(as_text=True)
    assert "发货单" in html and "部分发货" in html
    assert login(org.south_rep).get(f"/orders_ship/{order.id}").status_code == 404
    refused = app.test_client().post("/api/v1/order_shipments/", headers=api_token(org.admin),
                                     json={"order_id": order.id, "carrier": "x"})
    assert refused.status_code in (400, 405)
    assert db.session.query(Shipment).filter_by(order_id=order.id).count() == 1


def test_two_clerks_shipping_the_last_units_at_once_one_succeeds(org, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks between connections: PostgreSQL")
    paper = product()
    order, wh = _confirmed(org, [(paper, "1")])
    line_id, order_id = order.lines[0].id, order.id
    results, barrier = [], threading.Barrier(2)

    def clerk():
        with app.app_context():
            from app.core.org import User

            actor = db.session.get(User, org.admin.id)
            barrier.wait()
            try:
                service.ship_part(actor, order_id, {line_id: "1"}, tracking_no=threading.current_thread().name)
                results.append("shipped")
            except (ValidationErrors, service.WrongState):
                db.session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=clerk, name=f"T{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["refused", "shipped"]
    db.session.expire_all()
    assert db.session.query(Shipment).filter_by(order_id=order_id).count() == 1
    assert _on_hand(paper, wh) == Decimal("99")
