"""Stock in the browser: a salesperson keeps a product's 库存 tab open while the warehouse ships from
it elsewhere, and the figures change on their own, without reloading — on a desktop and on a
390×844 phone without horizontal scroll. The warehouse posts a receipt on 库存操作 and a shortage is
refused with what was typed kept."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def stocked(app):
    from app.extensions import db
    from app.modules.inventory import service
    from app.modules.inventory.models import Warehouse
    from app.modules.products.models import Product
    from tests.factories import make_user

    with app.app_context():
        tag = uuid.uuid4().hex[:6]
        seller, clerk = make_user("Sales"), make_user("Warehouse")
        wh = Warehouse(code=f"W{tag}", name=f"杭州仓{tag}", active=True)
        item = Product(sku=f"STK-{tag}", name=f"打印纸{tag}", status="on_sale", params={}, unit="箱")
        db.session.add_all([wh, item])
        db.session.commit()
        service.receive(clerk, item.id, wh.id, 20, doc_ref="RK-1")
        data = SimpleNamespace(seller=seller.username, clerk=clerk.username, clerk_id=clerk.id, product_id=item.id,
                               warehouse_id=wh.id, warehouse=wh.name, product=item.name)
        db.session.remove()
    return data


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_stock_tab_shows_a_shipment_made_elsewhere_without_a_reload(page, app, stocked, size):
    from app.extensions import db
    from app.modules.inventory import service

    log_in(page, stocked.seller, PASSWORD)
    page.set_viewport_size(SIZES[size])
    page.goto(f"/products/show/{stocked.product_id}?tab=stock")
    figure = page.locator('#zwt-stock [data-stock="available"]')
    expect(figure).to_be_visible()
    before = float(figure.inner_text())
    expect(page.locator("#zwt-stock")).to_contain_text(stocked.warehouse)
    expect(page.locator("#zwt-stock a[href*='/inventory/operations/']")).to_have_count(0)
    page.evaluate("window.zwtNotReloaded = true")

    with app.app_context():
        service.ship(stocked.clerk_id, stocked.product_id, stocked.warehouse_id, 3, doc_ref=f"CK-{size}")
        db.session.remove()

    expect(figure).to_have_text(f"{before - 3:g}", timeout=10_000)
    expect(page.locator('#zwt-stock [data-stock="moves"] tr').first).to_contain_text(f"CK-{size}")
    assert page.evaluate("window.zwtNotReloaded === true")          # the same page, not a reload
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"] + 1, width


def test_the_warehouse_posts_a_receipt_and_a_shortage_keeps_what_was_typed(page, stocked):
    log_in(page, stocked.clerk, PASSWORD)
    page.goto(f"/inventory/operations/?product_id={stocked.product_id}")
    expect(page.locator("#zwt-stock-operation")).to_be_visible()
    expect(page.locator(".zwt-transfer-only")).to_be_hidden()
    page.select_option("#operation", "transfer")
    expect(page.locator(".zwt-transfer-only")).to_be_visible()
    page.select_option("#operation", "ship")
    page.select_option("#warehouse_id", str(stocked.warehouse_id))
    page.fill("#quantity", "100000")
    page.fill("#note", "大客户加急")
    page.locator("#zwt-stock-submit").click()
    expect(page.locator("#zwt-stock-error")).to_contain_text("库存不足")
    expect(page.locator("#quantity")).to_have_value("100000")
    expect(page.locator("#note")).to_have_value("大客户加急")

    page.select_option("#operation", "receive")
    page.fill("#quantity", "5")
    page.fill("#doc_ref", "RK-浏览器")
    page.locator("#zwt-stock-submit").click()
    done = page.locator("#zwt-stock-done")
    expect(done).to_contain_text(stocked.warehouse)
    expect(done).to_contain_text(stocked.product)


def test_counting_on_a_phone_by_typing_a_barcode_as_a_scanner_gun_does(page, app, stocked):
    from app.extensions import db
    from app.modules.inventory import count_service
    from app.modules.inventory.count_models import StockCount
    from app.modules.products.models import Product

    with app.app_context():
        product = db.session.get(Product, stocked.product_id)
        product.barcode = f"69{stocked.product_id:011d}"
        db.session.commit()
        barcode = product.barcode
        count = count_service.create(stocked.clerk_id, StockCount(warehouse_id=stocked.warehouse_id))
        count_service.start(stocked.clerk_id, count.id)
        count_id, code = count.id, count.code
        db.session.remove()

    log_in(page, stocked.clerk, PASSWORD)
    page.set_viewport_size(SIZES["phone"])
    page.goto(f"/inventory/counts/{count_id}/scan")
    expect(page.locator("#zwt-count-code-label")).to_have_text(code)
    progress = page.locator("#zwt-count-progress")
    expect(progress).to_contain_text("0 / 1")
    for _ in range(2):                                   # a scanner gun types the code and Enter
        page.fill("#zwt-count-code", barcode)
        page.press("#zwt-count-code", "Enter")
        expect(page.locator("#zwt-count-code")).to_have_value("")
    expect(page.locator("#zwt-count-result")).to_contain_text(": 2")
    expect(progress).to_contain_text("1 / 1")
    page.fill("#zwt-count-code", "NO-SUCH")
    page.press("#zwt-count-code", "Enter")
    expect(page.locator("#zwt-count-result")).to_contain_text("NO-SUCH")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    with app.app_context():
        count_service.cancel(stocked.clerk_id, count_id)
        db.session.remove()
