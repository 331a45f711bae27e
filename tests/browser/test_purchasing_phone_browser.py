"""采购 on a phone (390×844): a buyer opens purchase orders, a placed order, 收货入库, a supplier invoice form, the
payables, a request for quotation, a stock count and the approvals inbox — no page scrolls sideways and every
action button lies within the screen's width; the buyer receives goods by tapping through the receipt form. The
app is installable: its manifest names the icons, and the phone registers the service worker whose offline page
shows when the network is gone."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_approval_phone_browser import phone  # noqa: F401  (a fixture)
from tests.factories import PASSWORD

FITS = """() => document.documentElement.scrollWidth <= window.innerWidth + 1"""
OUTSIDE = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.offsetParent !== null)
  .filter(el => { const r = el.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth + 1; })
  .map(el => (el.textContent || el.value || el.name || '').trim().slice(0, 40))"""
ACTIONS = "#zwt-main button, #zwt-main .btn, #zwt-main input[type=submit]"


@pytest.fixture
def purchase(app):
    from app.core.transaction import unit_of_work
    from app.extensions import db
    from app.modules.inventory import count_service
    from app.modules.inventory.count_models import StockCount
    from app.modules.purchasing import order_service, payables, receipts, rfq
    from app.modules.purchasing.order_models import PurchaseOrder, PurchaseOrderLine
    from app.modules.purchasing.rfq_models import QuoteRequest
    from tests.conftest import unique
    from tests.factories import make_department, make_user
    from tests.modules.inventory.helpers import product, warehouse
    from tests.modules.purchasing.helpers import supplier

    with app.app_context():
        dept = make_department(unique("手机采购部"))
        buyer = make_user("Purchasing", dept)
        wh, bins = warehouse(bins=2)
        ours = supplier(buyer, name=unique("深圳市华强电子") + "元器件有限公司")
        order = order_service.create(buyer, PurchaseOrder(supplier_id=ours.id, warehouse_id=wh.id))
        lines = [order_service.save_line(buyer, PurchaseOrderLine(order_id=order.id, product_id=product().id,
                                                                  quantity=q, unit_price=p))
                 for q, p in (("120", "18.50"), ("40", "265.00"))]
        with unit_of_work(None):
            db.session.get(PurchaseOrder, order.id).status = "ordered"
        other = order_service.create(buyer, PurchaseOrder(supplier_id=ours.id, warehouse_id=wh.id))
        line = order_service.save_line(buyer, PurchaseOrderLine(order_id=other.id, product_id=product().id,
                                                                quantity="10", unit_price="9.90"))
        with unit_of_work(None):
            db.session.get(PurchaseOrder, other.id).status = "ordered"
        receipts.receive(buyer, other.id, {line.id: {"accepted": "10"}})
        payables.register_invoice(buyer, other.id, unique("SZ-"), {line.id: {"quantity": "10"}})
        asked = rfq.create(buyer, QuoteRequest(product_id=lines[0].product_id, quantity="500"))
        rfq.invite(buyer, asked.id, [ours.id])
        clerk = make_user("Warehouse", dept)
        count = count_service.create(clerk, StockCount(warehouse_id=wh.id, zone_id=bins[0].zone_id))
        data = SimpleNamespace(buyer=buyer.username, clerk=clerk.username, order=order.id, code=order.code,
                               other=other.id, request=asked.id, count=count.id, lines=[l.id for l in lines])
        db.session.remove()
    return data


def _fits(page, path):
    page.goto(path)
    page.wait_for_load_state("load")
    assert page.evaluate(FITS), f"{path} scrolls sideways"
    assert page.evaluate(OUTSIDE, ACTIONS) == [], f"{path}: actions off the screen"


def test_the_purchasing_screens_fit_a_phone_and_goods_are_received_by_tapping(phone, purchase):  # noqa: F811
    page = phone(390, 844)
    log_in(page, purchase.buyer, PASSWORD)
    for path in ("/purchase_orders/list/", f"/purchase_orders/show/{purchase.order}",
                 f"/purchase_receive/{purchase.order}", f"/supplier_invoice_new/{purchase.other}",
                 "/supplier_invoices/list/", "/purchase_payables/", f"/quote_request_work/{purchase.request}",
                 f"/supplier_quotes_compare/?request={purchase.request}", "/purchase_analysis/", "/approvals/"):
        _fits(page, path)
    page.goto(f"/purchase_receive/{purchase.order}")
    first, second = purchase.lines
    page.fill(f"#accepted_{first}", "100")
    page.fill(f"#rejected_{first}", "2")
    page.fill(f"#reason_{first}", "包装破损")
    page.fill(f"#accepted_{second}", "")
    page.select_option("#quality_rating", "4")
    page.locator("#zwt-receive-form [type=submit]").tap()
    expect(page.locator(".alert-success, .zwt-flash-success").first).to_contain_text("RK-")
    expect(page.locator("#zwt-main")).to_contain_text(purchase.code)


def test_a_stock_count_fits_the_warehouse_clerks_phone(phone, purchase):  # noqa: F811
    page = phone(390, 844)
    log_in(page, purchase.clerk, PASSWORD)
    _fits(page, f"/inventory/counts/{purchase.count}/scan")


def test_installable_with_an_offline_page(phone, purchase, live_server):  # noqa: F811
    page = phone(390, 844)
    log_in(page, purchase.buyer, PASSWORD)
    manifest = page.request.get("/manifest.webmanifest").json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        assert page.request.get(icon["src"]).ok
    page.goto("/purchase_orders/list/")
    page.evaluate("() => navigator.serviceWorker.ready")
    page.reload()                                                  # now the worker controls the page
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    try:
        page.goto("/purchase_orders/list/")
        expect(page.locator("#zwt-offline")).to_be_visible()
        expect(page.locator("h1")).to_contain_text("网络")
    finally:
        page.context.set_offline(False)
