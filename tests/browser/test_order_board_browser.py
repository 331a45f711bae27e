"""订单看板 in the browser: a salesperson drags a draft order's card onto 已确认 and it lands there (its stock
reserved); a card whose stock is short is refused with the reason and stays; on a 390×844 phone the card's
menu moves it."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture(scope="module")
def orders(app):
    from app.extensions import db
    from app.modules.inventory import service as stock
    from app.modules.inventory.models import Warehouse
    from app.modules.orders import service
    from app.modules.orders.models import SalesOrder, SalesOrderLine
    from app.modules.products.models import Product
    from tests.factories import make_customer, make_user

    with app.app_context():
        tag = uuid.uuid4().hex[:6]
        seller = make_user("Sales")
        wh = Warehouse(code=f"B{tag}", name=f"看板仓{tag}", active=True)
        item = Product(sku=f"BRD-{tag}", name=f"看板纸{tag}", status="on_sale", params={})
        db.session.add_all([wh, item])
        db.session.commit()
        stock.receive(None, item.id, wh.id, 10, doc_ref="RK-B")
        made = []
        for qty in ("2", "50", "1"):
            order = service.create(seller, SalesOrder(customer_id=make_customer(seller).id, warehouse_id=wh.id))
            service.save_line(seller, SalesOrderLine(order_id=order.id, product_id=item.id, quantity=qty,
                                                     unit_price="10"))
            made.append(order.id)
        data = SimpleNamespace(seller=seller.username, ok=made[0], short=made[1], phone=made[2])
        db.session.remove()
    return data


def _status(app, order_id):
    from app.extensions import db
    from app.modules.orders.models import SalesOrder

    with app.app_context():
        status = db.session.get(SalesOrder, order_id).status
        db.session.remove()
    return status


def test_dragging_cards_moves_orders_by_their_rules(page, app, orders):
    log_in(page, orders.seller, PASSWORD)
    page.goto("/orders_board/")
    card = page.locator(f'.zwt-board-card[data-id="{orders.ok}"]')
    card.drag_to(page.locator('.zwt-board-column[data-status="confirmed"]'))
    expect(page.locator(f'.zwt-board-column[data-status="confirmed"] .zwt-board-card[data-id="{orders.ok}"]')
           ).to_be_visible(timeout=10_000)
    assert _status(app, orders.ok) == "confirmed"

    short = page.locator(f'.zwt-board-card[data-id="{orders.short}"]')
    short.drag_to(page.locator('.zwt-board-column[data-status="confirmed"]'))
    expect(page.locator("#zwt-board-message")).to_contain_text("看板纸", timeout=10_000)
    expect(page.locator(f'.zwt-board-column[data-status="draft"] .zwt-board-card[data-id="{orders.short}"]')
           ).to_be_visible()
    assert _status(app, orders.short) == "draft"


def test_on_a_phone_the_cards_menu_moves_it(page, app, orders):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, orders.seller, PASSWORD)
    page.goto("/orders_board/")
    page.locator(f"#zwt-move-{orders.phone}").select_option("confirmed")
    expect(page.locator(f'.zwt-board-column[data-status="confirmed"] .zwt-board-card[data-id="{orders.phone}"]')
           ).to_be_visible(timeout=10_000)
    assert _status(app, orders.phone) == "confirmed"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
