"""The chain builder in a real browser: an admin adds a second step with a condition (field,
operator, value picked, no expression typed), sees the diagram, saves, and the YAML editor shows
the published chain with the condition."""
from __future__ import annotations

import uuid

import yaml
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, log_in


def _one_step_chain(app) -> str:
    from app.extensions import db
    from app.workflow import publishing

    name = "builder_" + uuid.uuid4().hex[:8]
    doc = {"name": name, "title": "设计器测试", "document": "contracts", "admin": "admin",
           "steps": [{"id": "manager", "name": "部门经理审批", "approvers": [{"manager_of": "submitter"}]}]}
    with app.app_context():
        publishing.publish(None, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        db.session.remove()
    return name


def test_an_admin_builds_a_two_step_chain_with_a_condition(page, app, zh, shot):
    name = _one_step_chain(app)
    log_in(page, *ADMIN)
    page.goto(f"/workflow-builder/{name}/")
    expect(page.locator("#zwt-builder-diagram svg")).to_be_visible()
    page.locator("#zwt-builder-add-step").click()
    step = page.locator(".zwt-builder-step").nth(1)
    step.locator(".zwt-builder-step-id").fill("finance")
    step.locator(".zwt-builder-step-name").fill("财务审批")
    approver = step.locator(".zwt-builder-approver").nth(0)
    approver.locator("select").select_option("role")
    approver.locator("input").fill("Finance")
    step.locator(".zwt-builder-add-clause").click()
    clause = step.locator(".zwt-builder-clause").nth(0)
    clause.locator("select").nth(0).select_option("amount")
    clause.locator("select").nth(1).select_option(">")
    clause.locator("input").fill("50000")
    page.locator("#zwt-builder-check").click()
    expect(page.locator("#zwt-builder-yaml")).to_contain_text("doc.amount > 50000")
    expect(page.locator("#zwt-builder-diagram svg")).to_contain_text("财务审批")
    shot("built")
    page.locator("#zwt-builder-save").click()
    expect(page.locator("#zwt-builder-result .alert-success")).to_be_visible()
    page.goto(f"/workflows/{name}/")
    source = page.locator("#zwt-source").input_value()
    assert "doc.amount > 50000" in source and "id: finance" in source and "role: Finance" in source
    expect(page.locator("#zwt-active-version")).to_have_text("2")
