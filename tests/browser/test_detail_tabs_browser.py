"""A customer's page in a real browser: its tabs' contents come when they are opened — 联系人,
then 合同, their rows appear, the header card does not move, and back/forward and a reload keep
the tab that was open."""
from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select


@pytest.fixture(scope="module")
def customer(app):
    from app.core.org import User
    from app.extensions import db
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact
    from tests.factories import make_customer
    from tests.modules.contracts.helpers import make_contract

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        record = make_customer(admin, f"标签页{uuid.uuid4().hex[:6]}贸易有限公司", status="active")
        contact = f"赵{uuid.uuid4().hex[:4]}"
        create_contact(admin, Contact(customer_id=record.id, name=contact))
        contract = make_contract(admin, record)
        data = SimpleNamespace(id=record.id, contact=contact, contract=contract.code)
        db.session.remove()
    return data


def test_tabs_are_fetched_when_opened_and_kept_by_the_address(as_admin, customer):
    page = as_admin
    page.goto(f"/customers/show/{customer.id}")
    head = page.locator(".zwt-detail-head")
    top = head.bounding_box()
    contacts, contracts = page.locator("#ContactView"), page.locator("#ContractView")
    expect(contacts).not_to_contain_text(customer.contact)        # not drawn with the page

    page.locator("a[data-zwt-tab='ContactView']").click()
    expect(contacts).to_contain_text(customer.contact)
    expect(page).to_have_url(re.compile(rf"/customers/show/{customer.id}\?tab=ContactView$"))
    page.locator("a[data-zwt-tab='ContractView']").click()
    expect(contracts).to_contain_text(customer.contract)
    expect(contracts).to_be_visible()
    assert head.bounding_box() == top, "the header card moved while the tabs loaded"

    page.go_back()
    expect(page).to_have_url(re.compile(rf"/customers/show/{customer.id}\?tab=ContactView$"))
    expect(contacts).to_be_visible()
    expect(contracts).to_be_hidden()
    page.go_forward()
    expect(contracts).to_be_visible()
    page.reload()
    expect(contracts).to_be_visible()
    expect(contracts).to_contain_text(customer.contract)
    expect(page.locator("li.active > a[data-zwt-tab='ContractView']")).to_have_count(1)
