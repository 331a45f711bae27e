"""报销 in a real browser: a rep opens 发起审批, fills two lines (the form sums them as they are
typed and shows the route), submits, and the request's page shows the lines, the total and the
total in 人民币大写."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture
def rep(app):
    from app.extensions import db
    from tests.factories import make_user

    with app.app_context():
        boss = make_user("Manager")
        rep = make_user("Sales", manager=boss)
        data = SimpleNamespace(username=rep.username, boss=boss.username)
        db.session.remove()
    return data


def test_a_rep_submits_an_expense_claim_with_two_lines(page, rep, shot):
    log_in(page, rep.username, PASSWORD)
    page.goto("/approval_forms/")
    shot("launch")
    page.locator("#zwt-form-expense").click()
    for n, (category, amount) in enumerate([("差旅费", "1200.50"), ("餐费", "99.50")]):
        page.fill(f"#f-lines-{n}-date", "2026-12-01")
        page.select_option(f"#f-lines-{n}-category", category)
        page.fill(f"#f-lines-{n}-description", f"第{n + 1}项")
        page.fill(f"#f-lines-{n}-amount", amount)
    expect(page.locator("#f-lines .zwt-column-sum")).to_have_text("¥1,300.00")
    expect(page.locator("#zwt-route-steps li").first).to_contain_text(rep.boss)
    shot("filled")
    page.locator("#zwt-submit-request").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#zwt-lines-lines tbody tr")).to_have_count(2)
    expect(page.locator("#zwt-request-total")).to_contain_text("¥1,300.00")
    expect(page.locator("#zwt-rmb-upper")).to_contain_text("壹仟叁佰元整")
    shot("submitted")


@pytest.fixture
def admin(app):
    from app.extensions import db
    from tests.factories import make_user

    with app.app_context():
        user = make_user("Admin")
        name = user.username
        db.session.remove()
    return name


def test_an_administrator_builds_a_form_from_rows(page, admin, app, shot):
    import uuid

    code = "car" + uuid.uuid4().hex[:6]
    log_in(page, admin, PASSWORD)
    page.goto("/approval_forms/admin/edit/")
    page.fill("#code", code)
    page.fill("#name", "用车申请")
    page.select_option("#chain", "general_request")
    editor = page.locator("#zwt-field-editor")
    editor.get_by_role("button", name="+ 添加字段").click()
    row = editor.locator(".zwt-field-row").nth(0)
    row.get_by_placeholder("显示名称").fill("目的地")
    row.get_by_placeholder("名称（字母）").fill("destination")
    row.get_by_label("必填").check()
    editor.get_by_role("button", name="+ 添加字段").click()
    row = editor.locator(".zwt-field-row").nth(1)
    row.get_by_placeholder("显示名称").fill("用车时间")
    row.get_by_placeholder("名称（字母）").fill("period")
    row.get_by_label("类型").select_option("daterange")
    shot("built")
    page.locator("#zwt-save-form").click()
    expect(page.locator(".alert-success")).to_be_visible()

    from app.modules.approval_forms import service

    with app.app_context():
        fields = service.fields_of(service.form_by_code(code))
        assert [(f["name"], f["kind"], f["required"]) for f in fields] == [
            ("destination", "text", True), ("period", "daterange", False)]
