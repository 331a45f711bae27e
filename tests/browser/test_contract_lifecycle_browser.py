"""A contract's life in the browser: a sales rep picks the customer and then one of that customer's contacts
(the chooser offers no other customer's), the contract is approved, the rep marks it signed from the record bar, the
progress bar shows 已签订, and 续签 opens the renewal: a new draft with the same lines for the next year."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture
def deal(app):
    from app.extensions import db
    from app.modules.customers.models import Contact
    from app.modules.products.models import Product
    from tests.factories import make_customer, make_user

    marker = uuid.uuid4().hex[:6]
    with app.app_context():
        rep = make_user("Sales")
        mine, other = make_customer(rep, f"宁波续签{marker}五金有限公司"), make_customer(rep, f"宁波{marker}别家公司")
        db.session.add_all([Contact(customer_id=mine.id, name=f"赵{marker}"),
                            Contact(customer_id=other.id, name=f"钱{marker}")])
        item = Product(sku=f"REN-{marker}", name=f"年度维保{marker}", status="on_sale", params={})
        db.session.add(item)
        db.session.commit()
        data = SimpleNamespace(username=rep.username, rep_id=rep.id, marker=marker, customer=mine.name,
                               customer_id=mine.id, product_id=item.id)
        db.session.remove()
    return data


def test_create_approve_sign_and_renew(page, app, deal):
    from app.extensions import db
    from app.modules.contracts import lines
    from app.modules.contracts.models import Contract, ContractLine

    log_in(page, deal.username, PASSWORD)
    page.goto("/contracts/add")
    title = f"{deal.marker}年度维保合同"
    page.fill("#title", title)
    page.locator("#select2-customer-container").click()
    page.locator(".select2-container--open .select2-search__field").fill(f"续签{deal.marker}")
    page.locator(".select2-results__option").first.click()
    page.locator("#select2-contact-container").click()
    options = page.locator(".select2-results__option")
    expect(options).to_have_count(1)                      # the chosen customer's contact only
    expect(options.first).to_contain_text(f"赵{deal.marker}")
    options.first.click()
    page.fill("#amount", "1")
    page.locator("#model_form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()

    with app.app_context():
        from app.core.org import User

        contract = db.session.scalar(select(Contract).where(Contract.title == title))
        assert contract.contact.name == f"赵{deal.marker}"
        rep = db.session.get(User, deal.rep_id)
        lines.save_line(rep, ContractLine(contract_id=contract.id, product_id=deal.product_id, quantity="2",
                                          unit_price="3000.00", tax_rate="6"))
        contract_id = contract.id
        from tests.modules.contracts.helpers import approved

        saved = db.session.get(Contract, contract_id)
        saved.starts_on, saved.ends_on = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
        approved(saved)                                   # as approval leaves it: its chain is tested elsewhere
        db.session.remove()

    page.goto(f"/contracts/show/{contract_id}")
    # 发起签署 (electronic signing) is the approved contract's main action; signed on paper is under 更多
    expect(page.locator("#zwt-record-bar .btn-primary").first).to_contain_text("发起签署")
    page.locator("#zwt-actions-more").click()
    page.locator("#zwt-action-mark_signed summary").click()
    page.locator("#zwt-action-mark_signed form button[type=submit]").click()
    expect(page.locator("#zwt-lifecycle [data-status=signed]")).to_have_class("zwt-step zwt-step-done")
    expect(page.locator("#zwt-lifecycle [aria-current=step]")).to_contain_text("已到期")   # its end has passed

    page.locator("#zwt-action-renew summary").click()
    page.locator("#zwt-action-renew form button[type=submit]").click()
    expect(page).not_to_have_url(f"/contracts/show/{contract_id}")
    expect(page.locator("#zwt-lifecycle [aria-current=step]")).to_contain_text("草稿")
    with app.app_context():
        renewal = db.session.scalar(select(Contract).where(Contract.renewed_from_id == contract_id))
        assert (renewal.starts_on, renewal.ends_on) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        assert renewal.amount == Decimal("6360.00") and len(renewal.lines) == 1
        assert page.url.endswith(f"/contracts/show/{renewal.id}")
        db.session.remove()
