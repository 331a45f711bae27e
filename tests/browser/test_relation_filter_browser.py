"""The owner filter of the customer list in a real browser: a search-as-you-type box that asks
the server (only people the user may choose), narrows the list once applied and keeps the chosen
person after the page reloads."""
from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture(scope="module")
def owners(app):
    from app.extensions import db
    from tests.factories import make_customer, make_user

    token = uuid.uuid4().hex[:6]
    with app.app_context():
        admin, first, second = make_user("Admin"), make_user("Sales"), make_user("Sales")
        make_customer(first, f"{token}甲方有限公司")
        make_customer(second, f"{token}乙方有限公司")
        data = SimpleNamespace(token=token, admin=admin.username, first=SimpleNamespace(
            id=first.id, username=first.username, name=first.display_name))
        db.session.remove()
    return data


def test_the_owner_filter_searches_as_you_type_and_narrows_the_list(page, owners):
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, owners.admin, PASSWORD)
    page.goto(f"/customers/list/?q={owners.token}")
    expect(page.locator("table.zwt-list-table > tbody > tr")).to_have_count(2)
    page.locator("#zwt-advanced-toggle").click()
    form = page.locator("#filter_form")
    form.locator("button.dropdown-toggle").click()
    with page.expect_response(re.compile(r"/relation-search/customers/owner")) as asked:
        form.locator("a.filter[name=owner]").click()
        form.locator("table.filters .select2-selection--single").last.click()
        page.locator(".select2-search__field").fill(owners.first.username)
    assert asked.value.status == 200
    option = page.locator(".select2-results__option", has_text=owners.first.name)
    expect(option).to_have_count(1)
    option.click()
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"_flt_\d+_owner={owners.first.id}"))
    expect(page.locator("table.zwt-list-table > tbody > tr")).to_have_count(1)
    expect(page.locator("table.zwt-list-table > tbody")).to_contain_text("甲方")
    chosen = page.locator("#filter_form select.zwt-relation-filter")
    expect(chosen).to_have_value(str(owners.first.id))
