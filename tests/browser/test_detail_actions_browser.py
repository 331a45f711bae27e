"""A record's detail page in a real browser: deleting asks first, in the page, and a refused
delete says what blocks it with links."""
from __future__ import annotations

import uuid

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import ADMIN, log_in


def _customers(app):
    from app.core.org import User
    from app.extensions import db
    from tests.factories import make_customer
    from tests.modules.contracts.helpers import make_contract

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == ADMIN[0]))
        free = make_customer(admin, f"可删客户{uuid.uuid4().hex[:8]}")
        busy = make_customer(admin, f"有合同客户{uuid.uuid4().hex[:8]}")
        contract = make_contract(admin, busy)
        ids = free.id, busy.id, contract.id
        db.session.remove()
    return ids


def test_delete_asks_first_and_a_refused_delete_links_to_what_blocks_it(page, app):
    free_id, busy_id, contract_id = _customers(app)
    log_in(page, *ADMIN)
    page.goto(f"/customers/show/{free_id}")
    confirm = page.locator("#zwt-delete form button[type=submit]")
    expect(confirm).to_be_hidden()                       # nothing is deleted by one click
    page.locator("#zwt-delete summary").click()
    expect(confirm).to_be_visible()
    confirm.click()
    page.wait_for_load_state()
    assert page.goto(f"/customers/show/{free_id}").status == 404

    page.goto(f"/customers/show/{busy_id}")
    page.locator("#zwt-delete summary").click()
    page.locator("#zwt-delete form button[type=submit]").click()
    alert = page.locator(".alert-danger").first
    expect(alert).to_contain_text("1 个合同")
    link = alert.locator(f'a[href="/contracts/show/{contract_id}"]')
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(f"{page.url.split('/contracts/')[0]}/contracts/show/{contract_id}")
