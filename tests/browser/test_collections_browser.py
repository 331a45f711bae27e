"""回款 in the browser: a finance clerk registers a payment for a customer with two open invoices, settles it by hand
on the newer one, reads the customer's statement (and its PDF link), the aging with its chart drawn, and sees the
customer flagged over their credit limit."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture
def books(app):
    from app.core.clock import company_today
    from app.core.transaction import unit_of_work
    from app.extensions import db
    from app.modules.customers.models import Customer
    from app.modules.invoices import service as invoicing
    from app.modules.invoices.models import Invoice
    from app.modules.orders import service as orders
    from app.modules.orders.models import SalesOrder, SalesOrderLine
    from app.modules.products.models import Product
    from tests.factories import make_customer, make_department, make_user

    marker = uuid.uuid4().hex[:6]
    with app.app_context():
        dept = make_department(f"财务{marker}")
        clerk, rep = make_user("Finance", dept), make_user("Sales", dept)
        customer = make_customer(rep, f"无锡{marker}机械有限公司")
        item = Product(sku=f"COL-{marker}", name=f"轴承{marker}", status="on_sale", params={}, unit="套")
        db.session.add(item)
        db.session.commit()
        invoices = []
        for price, days in (("1000.00", 100), ("500.00", 10)):
            order = orders.create(rep, SalesOrder(customer_id=customer.id))
            orders.save_line(rep, SalesOrderLine(order_id=order.id, product_id=item.id, quantity="1",
                                                 unit_price=price, tax_rate="0"))
            with unit_of_work(None):
                db.session.get(SalesOrder, order.id).status = "confirmed"
            invoice = invoicing.issue_from_orders(clerk, [order.id], "ordinary")
            with unit_of_work(None):
                row = db.session.get(Invoice, invoice.id)
                row.issue_date = company_today() - dt.timedelta(days=days)
                row.due_date = row.issue_date + dt.timedelta(days=30)
            invoices.append((invoice.id, invoice.code))
        with unit_of_work(None):
            found = db.session.get(Customer, customer.id)
            found.credit_limit, found.total_outstanding = Decimal("1000.00"), Decimal("1500.00")
        data = SimpleNamespace(clerk=clerk.username, customer_id=customer.id, customer=customer.name,
                               older=invoices[0], newer=invoices[1])
        db.session.remove()
    return data


def test_register_settle_by_hand_and_read_the_statement_and_aging(page, app, books, shot):
    log_in(page, books.clerk, PASSWORD)
    page.goto(f"/customers/show/{books.customer_id}")
    expect(page.locator(".zwt-detail-flag").first).to_contain_text("超出信用额度")
    page.goto("/payments/add")
    page.locator("#select2-customer-container").click()
    page.locator(".select2-container--open .select2-search__field").fill(books.customer)
    page.locator(".select2-results__option", has_text=books.customer).click()
    page.fill("#amount", "500.00")
    page.fill("#bank_ref", f"BR-{books.customer_id}")
    page.locator("#model_form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    shot("registered")
    with app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.modules.collections.models import Payment

        payment_id = db.session.scalar(select(Payment.id).where(Payment.bank_ref == f"BR-{books.customer_id}"))
        db.session.remove()
    page.goto(f"/payments_allocate/{payment_id}")
    older, newer = books.older, books.newer
    expect(page.locator(f"#invoice_{older[0]}")).to_have_value("500.00")      # oldest first
    page.fill(f"#invoice_{older[0]}", "")
    page.fill(f"#invoice_{newer[0]}", "600")
    page.locator("#zwt-allocate-form button[type=submit]").click()
    expect(page.locator("#zwt-allocate-errors")).to_contain_text("500.00")      # the newer owes 500
    page.fill(f"#invoice_{newer[0]}", "500")
    page.locator("#zwt-allocate-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/payments/show/\d+"))
    page.goto(f"/collections_statement/{books.customer_id}?start=2020-01-01")
    lines = page.locator("#zwt-statement-lines tbody tr[data-kind]")
    expect(lines).to_have_count(3)
    expect(page.locator("[data-figure=closing]")).to_have_text("¥1,000.00")
    expect(page.locator("#zwt-statement-pdf")).to_have_attribute("href", re.compile(r"\.pdf\?start=2020-01-01"))
    shot("statement")
    page.goto("/collections_aging/?by=customer")
    page.fill("#q", books.customer)
    page.locator("#zwt-aging-filters button[type=submit]").click()
    row = page.locator(f"#zwt-aging tr[data-key='{books.customer_id}']")
    expect(row.locator("[data-bucket=d90]")).to_have_text("1,000.00")           # 70 days past due
    expect(page.locator("#zwt-aging tbody tr")).to_have_count(1)
    expect(row.locator("[data-bucket=total]")).to_have_text("1,000.00")
    expect(page.locator("#chart-aging")).to_have_attribute("data-rendered", "1", timeout=15000)
    shot("aging")
