"""Custom fields in a real browser: the admin adds two fields to customers on 系统管理 ▸ 自定义字段,
opens a customer's edit form, where they are at once (no restart), is refused a bad number on
the field itself, then fills them and reads them on the customer's detail page."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select


@pytest.fixture
def customer(app):
    """A customer of the admin's; the fields the test adds are removed afterwards."""
    from app.core.custom_fields.models import CustomField
    from app.core.org import User
    from app.extensions import db
    from tests.factories import make_customer

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        row = make_customer(admin, f"自定义字段{tag}有限公司", status="active")
        data = {"id": row.id, "name": row.name, "tag": tag}
        db.session.remove()
    yield data
    with app.app_context():
        db.session.execute(delete(CustomField).where(CustomField.name.like(f"%{tag}")))
        db.session.commit()
        db.session.remove()


def test_an_admin_adds_fields_and_fills_them_on_a_customer(as_admin, customer, zh, shot):
    page = as_admin
    level, budget = f"level_{customer['tag']}", f"budget_{customer['tag']}"

    page.goto("/custom-fields/new?module=customers")
    page.fill("#zwt-cf-name", level)
    page.select_option("#zwt-cf-kind", "choice")
    page.fill("#zwt-cf-label", "合作等级")
    page.fill("#zwt-cf-choices", "A=战略客户\nB=重点客户\nC=普通客户")
    page.fill("#zwt-cf-help", "按年度采购额评定")
    page.locator("#zwt-save").click()
    expect(page.locator("body")).to_contain_text("合作等级")

    page.goto("/custom-fields/new?module=customers")
    page.fill("#zwt-cf-name", budget)
    page.select_option("#zwt-cf-kind", "decimal")
    page.fill("#zwt-cf-label", "年度预算")
    page.locator("#zwt-save").click()
    expect(page.locator("body")).to_contain_text("年度预算")
    shot("definitions")

    page.goto(f"/customers/edit/{customer['id']}")
    form = page.locator("#model_form")
    expect(form).to_contain_text(zh("Custom fields"))
    expect(form).to_contain_text("合作等级")
    expect(form).to_contain_text("按年度采购额评定")
    page.select_option(f"#custom__{level}", "B")
    page.fill(f"#custom__{budget}", "很多")
    form.locator("button[type=submit]").click()
    # Refused on the field, nothing saved.
    expect(page.locator("#model_form")).to_contain_text("年度预算")
    expect(page.locator(".has-error, .alert-danger, .zwt-form-field-error").first).to_be_visible()
    expect(page.locator(f"#custom__{budget}")).to_have_value("很多")
    shot("refused")

    page.select_option(f"#custom__{level}", "B")
    page.fill(f"#custom__{budget}", "120,000.5")
    page.locator("#model_form button[type=submit]").click()
    page.wait_for_url(lambda url: "/edit/" not in url)

    page.goto(f"/customers/show/{customer['id']}")
    body = page.locator("body")
    expect(body).to_contain_text("合作等级")
    expect(body).to_contain_text("重点客户")
    expect(body).to_contain_text("年度预算")
    expect(body).to_contain_text("120,000.5")
    shot("shown")
    page.locator("#zwt-history-tab").click()           # the change is in the history, field by field
    history = page.locator("table.zwt-history")
    expect(history).to_contain_text("年度预算")
    expect(history).to_contain_text("重点客户")
    shot("history")
