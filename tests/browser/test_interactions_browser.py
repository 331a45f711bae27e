"""A sales rep logs a call on a customer's page and sees it on the timeline; a refused form
keeps what was typed."""
from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture(scope="module")
def rep_with_customer(app):
    from app.extensions import db
    from app.modules.customers import service
    from app.modules.customers.models import Contact
    from tests.factories import make_customer, make_user

    with app.app_context():
        rep = make_user("Sales")
        customer = make_customer(rep, f"杭州互动{uuid.uuid4().hex[:8]}有限公司")
        contact = service.create_contact(rep, Contact(customer_id=customer.id, name="王经理", is_primary=True))
        data = SimpleNamespace(username=rep.username, customer_id=customer.id, customer_name=customer.name,
                               contact_id=contact.id)
        db.session.remove()
    return data


def test_log_a_call_on_the_customer_page_and_see_it_on_the_timeline(page, rep_with_customer, shot, zh, app):
    data = rep_with_customer
    log_in(page, data.username, PASSWORD)
    page.goto(f"/customers/show/{data.customer_id}")
    page.locator("#zwt-timeline-tab").click()
    form = page.locator("#zwt-log-interaction")
    expect(form).to_be_visible()
    expect(page.locator("#zwt-tab-timeline .zwt-timeline-entry")).to_have_count(1)  # "customer created"

    # A refused form comes back with everything typed and the message at the field.
    page.select_option("#kind", "call")
    page.select_option("#contact", str(data.contact_id))
    page.fill("#subject", "电话确认年度采购计划")
    page.fill("#content", "王经理说下个月定预算，需要我们先发报价。")
    page.fill("#duration_minutes", "12")
    page.fill("#next_follow_up_on", "2020-01-01")
    page.locator("#zwt-log-submit").click()
    expect(page.locator(".zwt-field-error").first).to_have_text(zh("The next follow-up cannot be before the interaction."))
    expect(page.locator("#subject")).to_have_value("电话确认年度采购计划")
    expect(page.locator("#content")).to_have_value("王经理说下个月定预算，需要我们先发报价。")
    expect(page.locator("#contact")).to_have_value(str(data.contact_id))
    expect(page.locator("#duration_minutes")).to_have_value("12")
    shot("refused")

    follow_up = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    page.select_option("#outcome", "interested")
    page.fill("#next_follow_up_on", follow_up)
    page.locator("#zwt-log-submit").click()
    expect(page.locator(".alert-success")).to_contain_text(zh("Interaction logged."))

    page.locator("#zwt-timeline-tab").click()
    entry = page.locator("#zwt-tab-timeline .zwt-timeline-entry").first
    expect(entry).to_contain_text("电话确认年度采购计划")
    expect(entry).to_contain_text("王经理")
    expect(entry).to_contain_text(zh("Interested"))
    expect(entry).to_contain_text(follow_up)
    shot("timeline")

    # The kind filter on the whole timeline keeps the call and leaves out the field changes.
    page.locator("#zwt-tab-timeline a", has_text=zh("Call")).first.click()
    expect(page.locator(".zwt-timeline-entry")).to_have_count(1)
    expect(page.locator(".zwt-timeline-entry")).to_contain_text("电话确认年度采购计划")

    from app.extensions import db
    from app.modules.customers.models import Customer, Interaction

    with app.app_context():
        items = db.session.scalars(select(Interaction).where(Interaction.customer_id == data.customer_id)).all()
        assert [(i.kind, i.duration_minutes, i.contact_id) for i in items] == [("call", 12, data.contact_id)]
        assert db.session.get(Customer, data.customer_id).next_follow_up_on.isoformat() == follow_up
        db.session.remove()
