"""Reorder suggestions into purchase orders: each product from the supplier whose valid quote costs least for
the suggested quantity, one draft order per supplier and warehouse; a product already on an open order is not
ordered again, one without a quote is named; the nightly job does it only when switched on."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.extensions import db
from app.modules.inventory import safety
from app.modules.purchasing import replenish
from app.modules.purchasing.order_models import PurchaseOrder
from tests.factories import make_user
from tests.modules.inventory.helpers import product, warehouse
from tests.modules.purchasing.helpers import quote, supplier


@pytest.fixture
def buyer(org):
    return make_user("Purchasing", org.company)


def _short(item, wh, org, line=10, reorder=30):
    safety.set_line(org.admin, item.id, wh.id, line, reorder_qty=reorder)      # nothing in stock: below the line


def test_suggestions_become_drafts_from_the_cheapest_supplier(org, buyer, app):
    wh = warehouse()
    printer, paper, orphan = product(), product(), product()
    for item in (printer, paper, orphan):
        _short(item, wh, org)
    cheap, dear = supplier(buyer), supplier(buyer)
    quote(buyer, cheap, printer, "100.00", lead_days=5)
    quote(buyer, dear, printer, "120.00", lead_days=1)
    quote(buyer, cheap, paper, "8.00", lead_days=9)
    rows = [r for r in replenish.suggestions(wh.id) if r["product_id"] in (printer.id, paper.id, orphan.id)]
    assert {r["product_id"] for r in rows} == {printer.id, paper.id, orphan.id}
    outcome = replenish.make_orders(buyer, rows)
    [order] = outcome.orders
    assert order.supplier_id == cheap.id and order.warehouse_id == wh.id and order.status == "draft"
    assert {(line.product_id, line.quantity, line.unit_price) for line in order.lines} == {
        (printer.id, Decimal("30"), Decimal("100.00")), (paper.id, Decimal("30"), Decimal("8.00"))}
    assert order.amount == Decimal("3240.00")
    assert [r["product_id"] for r in outcome.no_quote] == [orphan.id]
    again = [r for r in replenish.suggestions(wh.id) if r["product_id"] in (printer.id, paper.id)]
    assert all(r["on_order"] for r in again)                          # already on an open order: not twice
    assert replenish.make_orders(buyer, again).orders == []


def test_the_screen_and_the_nightly_switch(org, buyer, login, app):
    wh = warehouse()
    item = product()
    _short(item, wh, org)
    quote(buyer, supplier(buyer), item, "55.00")
    client = login(buyer)
    page = client.get(f"/purchase_suggestions/?warehouse={wh.id}")
    assert page.status_code == 200 and item.name in page.get_data(as_text=True)
    made = client.post("/purchase_suggestions/", data={"warehouse": str(wh.id), "pick": f"{item.id}:{wh.id}"})
    assert made.status_code == 302 and made.headers["Location"].endswith("/purchase_orders/list/")
    assert db.session.query(PurchaseOrder).filter(PurchaseOrder.warehouse_id == wh.id).count() == 1
    assert login(org.finance_user).get("/purchase_suggestions/").status_code in (302, 403)
    assert replenish.nightly() == {"orders": 0, "skipped": "off"}
    app.config["PURCHASE_AUTO_REORDER"] = True
    try:
        other = warehouse()
        _short(item, other, org)
        result = replenish.nightly()
        assert result["orders"] >= 1
        night = db.session.query(PurchaseOrder).filter(PurchaseOrder.warehouse_id == other.id).one()
        assert night.owner_id == night.supplier.owner_id             # the buyer in charge of the supplier
    finally:
        app.config.pop("PURCHASE_AUTO_REORDER")
