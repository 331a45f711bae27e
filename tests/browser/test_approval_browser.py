"""An approval in a real browser: a sales rep submits a contract from its 审批 tab, their manager
finds it in the approvals inbox (the navbar shows it waiting), approves it on the task page,
and the contract shows 已审批 with both actions on its timeline."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, new_context
from tests.factories import PASSWORD


@pytest.fixture
def deal(app):
    """A draft contract of a sales rep whose manager approves contracts (a one-step chain)."""
    from app.extensions import db
    from tests.factories import make_department, make_user
    from tests.modules.contracts.helpers import make_contract
    from tests.workflow.helpers import publish_chain, step

    with app.app_context():
        dept = make_department("华东销售组浏览器")
        manager = make_user("Manager", dept)
        rep = make_user("Sales", dept, manager)
        publish_chain([step("manager", [{"manager_of": "submitter"}])])
        contract = make_contract(rep, title="上海云端科技年度服务合同", amount="86000.00")
        data = SimpleNamespace(rep=SimpleNamespace(username=rep.username, display_name=rep.display_name),
                               manager=SimpleNamespace(username=manager.username, display_name=manager.display_name),
                               contract=SimpleNamespace(id=contract.id, title=contract.title))
        db.session.remove()
    yield data
    with app.app_context():
        from tests.workflow.test_views import restore_shipped_chain

        restore_shipped_chain()


def test_a_sales_rep_submits_a_contract_and_the_manager_approves_it_from_the_inbox(page, browser, live_server, deal,
                                                                                    zh, shot):
    from app.modules.contracts.models import STATUS_CHOICES
    from app.workflow.views_common import ACTION_LABELS, INSTANCE_STATUS

    status = dict(STATUS_CHOICES)
    log_in(page, deal.rep.username, PASSWORD)
    page.goto(f"/contracts/show/{deal.contract.id}")
    page.locator("#zwt-approval-tab").click()
    page.fill("#zwt-submit input[name=comment]", "客户要求月底前签约")
    page.locator("#zwt-submit-button").click()
    expect(page.locator(".alert-success")).to_contain_text(zh("Submitted for approval."))
    expect(page.locator("#Home")).to_contain_text(zh(status["in_approval"]))
    shot("submitted")

    context, watch = new_context(browser, live_server)
    manager = context.new_page()
    try:
        log_in(manager, deal.manager.username, PASSWORD)
        expect(manager.locator("#zwt-approvals-count")).to_have_text("1")
        manager.locator("#zwt-approvals").click()
        row = manager.locator("#zwt-inbox-list tr.zwt-inbox-row", has_text=deal.contract.title)
        expect(row).to_contain_text(deal.rep.display_name)
        row.get_by_role("link", name=deal.contract.title).click()
        expect(manager.locator("#zwt-document-fields")).to_contain_text("86,000.00")
        expect(manager.locator(".zwt-timeline")).to_contain_text("客户要求月底前签约")
        manager.fill(".zwt-decision textarea[name=comment]", "同意，按标准条款执行")
        manager.locator(".zwt-decision .zwt-approve").click()
        expect(manager.locator(".alert-success")).to_contain_text(deal.contract.title)
        expect(manager.locator("#zwt-approvals-count")).to_have_count(0)
    finally:
        context.close()
    assert not watch.problems(), "\n".join(watch.problems())

    page.goto(f"/contracts/show/{deal.contract.id}")
    expect(page.locator("#Home")).to_contain_text(zh(status["approved"]))
    page.locator("#zwt-approval-tab").click()
    entries = page.locator("#zwt-tab-approval tr.zwt-timeline-entry")
    expect(entries.filter(has_text=zh(ACTION_LABELS["submit"]))).to_contain_text(deal.rep.display_name)
    approved = entries.filter(has_text="同意，按标准条款执行")
    expect(approved).to_contain_text(deal.manager.display_name)
    expect(approved).to_contain_text(zh(ACTION_LABELS["approve"]))
    expect(page.locator("#zwt-tab-approval .zwt-approval-status")).to_have_text(zh(INSTANCE_STATUS["approved"]))
    shot("approved")
