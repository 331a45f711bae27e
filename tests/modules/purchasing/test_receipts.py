"""收货入库: partial receipts into the order's warehouse as stock moves, rejected quantities with a reason, never
more than is left (plus the admin's tolerance), the order's status following; two receipts of the last units at
once on PostgreSQL: one takes them, the other is refused."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from app.core.errors import DomainError, ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.inventory import service as stock
from app.modules.purchasing import order_service, receipts
from app.modules.purchasing.order_models import PurchaseOrder, PurchaseOrderLine
from app.modules.purchasing.receipt_models import GoodsReceiptLine
from tests.factories import make_user
from tests.modules.inventory.helpers import product, warehouse
from tests.modules.purchasing.helpers import supplier


@pytest.fixture
def buyer(org):
    return make_user("Purchasing", org.company)


def placed_order(buyer, quantity="10"):
    """An order as the approval and 下单 leave it (both have their own tests)."""
    wh, item = warehouse(), product()
    order = order_service.create(buyer, PurchaseOrder(supplier_id=supplier(buyer).id, warehouse_id=wh.id))
    line = order_service.save_line(buyer, PurchaseOrderLine(order_id=order.id, product_id=item.id, quantity=quantity,
                                                            unit_price="20.00"))
    with unit_of_work(None):
        db.session.get(PurchaseOrder, order.id).status = "ordered"
    return db.session.get(PurchaseOrder, order.id), db.session.get(PurchaseOrderLine, line.id), wh, item


def _on_hand(item, wh):
    return sum((row["on_hand"] for row in stock.availability(item.id) if row["warehouse_id"] == wh.id), Decimal(0))


def test_partial_receipts_move_stock_and_the_status(buyer, app):
    order, line, wh, item = placed_order(buyer)
    first = receipts.receive(buyer, order.id, {line.id: {"accepted": "6", "rejected": "1", "reason": "外箱破损"}})
    assert first.code.startswith("RK-") and _on_hand(item, wh) == Decimal("6")
    assert db.session.get(PurchaseOrder, order.id).status == "partial"
    with pytest.raises(ValidationErrors) as refused:                 # 4 are left
        receipts.receive(buyer, order.id, {line.id: {"accepted": "5"}})
    assert f"accepted_{line.id}" in refused.value.errors and "4" in refused.value.errors[f"accepted_{line.id}"][0]
    db.session.rollback()
    with pytest.raises(ValidationErrors) as refused:                 # a rejection needs its reason
        receipts.receive(buyer, order.id, {line.id: {"accepted": "1", "rejected": "1"}})
    assert f"reason_{line.id}" in refused.value.errors
    db.session.rollback()
    assert _on_hand(item, wh) == Decimal("6")                         # refused receipts moved nothing
    app.config["PURCHASE_RECEIPT_TOLERANCE"] = 10                      # 10 % over what is left: 4.4
    try:
        receipts.receive(buyer, order.id, {line.id: {"accepted": "4.4"}})
    finally:
        app.config.pop("PURCHASE_RECEIPT_TOLERANCE")
    done = db.session.get(PurchaseOrder, order.id)
    assert done.status == "received" and _on_hand(item, wh) == Decimal("10.4")
    rejected = db.session.query(GoodsReceiptLine).filter(GoodsReceiptLine.receipt_id == first.id).one()
    assert (rejected.rejected, rejected.reject_reason) == (Decimal("1"), "外箱破损")
    with pytest.raises(DomainError):
        receipts.receive(buyer, order.id, {line.id: {"accepted": "1"}})
    db.session.rollback()
    assert order_service.close(buyer, order.id).status == "closed"


def test_the_receive_screen(org, buyer, login):
    order, line, wh, item = placed_order(buyer, quantity="3")
    client = login(buyer)
    page = client.get(f"/purchase_receive/{order.id}")
    assert page.status_code == 200 and item.name in page.get_data(as_text=True)
    bad = client.post(f"/purchase_receive/{order.id}", data={f"accepted_{line.id}": "9"})
    assert bad.status_code == 400 and "3" in bad.get_data(as_text=True)
    done = client.post(f"/purchase_receive/{order.id}", data={f"accepted_{line.id}": "3"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).status == "received"
    assert login(org.finance_user).get(f"/purchase_receive/{order.id}").status_code in (302, 403)


def test_two_receipts_of_the_last_units_at_once(buyer, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("parallel writers need PostgreSQL's row locks (SQLite serialises the whole database)")
    order, line, wh, item = placed_order(buyer, quantity="5")
    results, buyer_id = [], buyer.id

    def take():
        with app.app_context():
            from app.core.org import User

            try:
                receipts.receive(db.session.get(User, buyer_id), order.id, {line.id: {"accepted": "5"}})
                results.append("ok")
            except (ValidationErrors, DomainError):
                db.session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "refused"]
    db.session.expire_all()
    assert _on_hand(item, wh) == Decimal("5")
