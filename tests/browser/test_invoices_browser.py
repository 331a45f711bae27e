"""An invoice in the browser: a finance clerk issues it from a confirmed order's 发票 tab (part of a line), opens its
PDF, asks to void it with a reason, another finance clerk approves the void on the task page, and the order shows
the amount as uninvoiced again."""
from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, new_context
from tests.factories import PASSWORD


@pytest.fixture
def deal(app):
    from app.core.transaction import unit_of_work
    from app.extensions import db
    from app.modules.orders import service as orders
    from app.modules.orders.models import SalesOrder, SalesOrderLine
    from app.modules.products.models import Product
    from tests.factories import make_customer, make_department, make_user

    marker = uuid.uuid4().hex[:6]
    with app.app_context():
        dept = make_department(f"财务{marker}")
        clerk, approver = make_user("Finance", dept), make_user("Finance", dept)
        rep = make_user("Sales", dept)
        customer = make_customer(rep, f"苏州{marker}电子有限公司", address="苏州工业园区星湖街1号")
        item = Product(sku=f"INV-{marker}", name=f"控制板{marker}", status="on_sale", params={}, unit="块")
        db.session.add(item)
        db.session.commit()
        order = orders.create(rep, SalesOrder(customer_id=customer.id))
        orders.save_line(rep, SalesOrderLine(order_id=order.id, product_id=item.id, quantity="4", unit_price="250.00",
                                             tax_rate="13"))
        with unit_of_work(None):
            db.session.get(SalesOrder, order.id).status = "confirmed"   # as confirming leaves it
        data = SimpleNamespace(clerk=clerk.username, approver=approver.username, order_id=order.id,
                               product=item.name, customer=customer.name)
        db.session.remove()
    return data


def test_issue_print_and_void_an_invoice(page, browser, live_server, app, deal, shot):
    log_in(page, deal.clerk, PASSWORD)
    page.goto(f"/orders/show/{deal.order_id}")
    page.locator("a[data-zwt-tab='invoices']").click()
    expect(page.locator("#zwt-uninvoiced")).to_have_text("1,130.00")
    page.locator("#zwt-issue-invoice").click()
    page.locator("input[name^=qty_]").fill("1")
    page.fill("#buyer_bank_account", "中国银行苏州分行 6216 6100 0000 0001")
    page.locator("#zwt-invoice-issue-submit").click()
    expect(page.locator(".alert-success")).to_contain_text("已开具")
    invoice_url = page.url
    invoice_id = int(re.search(r"/invoices/show/(\d+)", invoice_url).group(1))
    expect(page.locator("body")).to_contain_text("282.50")            # 250 + 32.50 tax
    shot("issued")

    with app.app_context():
        from app.extensions import db
        from app.modules.invoices.models import Invoice

        code = db.session.get(Invoice, invoice_id).code
        db.session.remove()
    pdf = page.request.get(f"/printing/invoices/{invoice_id}/pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    page.locator("#zwt-actions-more").click()
    page.locator("#zwt-action-void button").click()
    page.select_option("#reason", index=1)
    page.fill("#note", "购买方名称写错")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#zwt-invoice-void button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("作废审批")

    context, watch = new_context(browser, live_server)
    approver = context.new_page()
    try:
        log_in(approver, deal.approver, PASSWORD)
        approver.locator("#zwt-approvals").click()
        approver.locator("#zwt-inbox-list tr.zwt-inbox-row", has_text=code).get_by_role("link").first.click()
        approver.fill(".zwt-decision textarea[name=comment]", "同意作废")
        approver.locator(".zwt-decision .zwt-approve").click()
        expect(approver.locator(".alert-success")).to_be_visible()
    finally:
        context.close()
    assert not watch.problems(), "\n".join(watch.problems())

    page.goto(invoice_url)
    expect(page.locator("#Home")).to_contain_text("已作废")
    page.goto(f"/orders/show/{deal.order_id}?tab=invoices")
    expect(page.locator("#zwt-uninvoiced")).to_have_text("1,130.00")
    shot("voided")
