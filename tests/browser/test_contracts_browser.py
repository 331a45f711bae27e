"""The contract form in a real browser: a sales rep finds the customer by typing part of its
name (only their own customers are offered), leaves 标准条款 unticked, and the saved draft
shows on the customer's page; the list is then filtered by that customer the same way."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture
def rep(app):
    from app.extensions import db
    from tests.factories import make_customer, make_user

    marker = uuid.uuid4().hex[:6]
    with app.app_context():
        rep, other = make_user("Sales"), make_user("Sales")
        mine = make_customer(rep, f"苏州合同{marker}精密机械有限公司")
        theirs = make_customer(other, f"苏州合同{marker}电子科技有限公司")
        data = SimpleNamespace(username=rep.username, marker=marker,
                               mine=SimpleNamespace(id=mine.id, name=mine.name, code=mine.code),
                               theirs=SimpleNamespace(name=theirs.name))
        db.session.remove()
    return data


def test_a_sales_rep_adds_a_contract_choosing_the_customer_by_typing(page, rep, app, zh):
    from app.extensions import db
    from app.modules.contracts.models import STATUS_CHOICES, Contract

    log_in(page, rep.username, PASSWORD)
    page.goto("/contracts/add")
    title = f"{rep.marker}设备采购合同"
    page.fill("#title", title)
    page.locator("#select2-customer-container").click()
    page.locator(".select2-container--open .select2-search__field").fill(f"合同{rep.marker}")
    results = page.locator(".select2-results__option")
    expect(results).to_have_count(1)  # the other rep's customer of the same name is not offered
    expect(results.first).to_have_text(f"{rep.mine.name}（{rep.mine.code}）")
    results.first.click()
    page.fill("#amount", "150000")
    page.locator("#standard_terms").uncheck()
    page.locator("#model_form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()

    with app.app_context():
        try:
            saved = db.session.scalar(select(Contract).where(Contract.title == title))
            assert (saved.customer_id, saved.standard_terms, saved.status) == (rep.mine.id, False, "draft")
        finally:
            db.session.remove()

    page.goto(f"/customers/show/{rep.mine.id}")
    page.locator("a[data-zwt-tab='ContractView']").click()
    expect(page.locator("#ContractView")).to_contain_text(title)

    page.goto("/contracts/list/")
    page.locator("a.accordion-toggle").click()
    form = page.locator("#filter_form")
    form.locator("button.dropdown-toggle").click()
    form.locator("a.filter[name=customer]").click()
    form.locator("table.filters .select2-selection").last.click()
    page.locator(".select2-container--open .select2-search__field").fill(rep.mine.code)
    expect(page.locator(".select2-results__option")).to_have_count(1)
    page.locator(".select2-results__option").first.click()
    form.locator("button[type=submit]").click()
    rows = page.locator("div.table-responsive table > tbody > tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(title)
    expect(rows.first).to_contain_text(zh(dict(STATUS_CHOICES)["draft"]))
