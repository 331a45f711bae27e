"""发起人自选 in a real browser: a sales rep submits a contract whose finance step the submitter
chooses; the 审批 tab's 提交审批 leads to the submit screen, which says the submitter must choose;
submitting without a choice is refused and keeps the comment; choosing a finance person submits,
and the approval waits for that person."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture
def picked_deal(app):
    from app.extensions import db
    from tests.factories import make_department, make_user
    from tests.modules.contracts.helpers import make_contract
    from tests.workflow.helpers import publish_chain, step

    with app.app_context():
        dept = make_department("自选审批人浏览器")
        manager = make_user("Manager", dept)
        rep = make_user("Sales", dept, manager)
        finance = make_user("Finance", dept)
        # a short list of people is offered as a select (a long one is searched as you type)
        publish_chain([step("finance", [{"submitter_picks": {"from": {"users": [finance.username, manager.username]}}}])])
        contract = make_contract(rep, title="自选审批人合同", amount="12000.00")
        data = SimpleNamespace(rep=rep.username, finance_id=finance.id, finance_name=finance.display_name,
                               contract_id=contract.id)
        db.session.remove()
    yield data
    with app.app_context():
        from tests.workflow.test_views import restore_shipped_chain

        restore_shipped_chain()


def test_the_submitter_picks_the_finance_approver_on_the_submit_screen(page, live_server, picked_deal, zh, shot):
    log_in(page, picked_deal.rep, PASSWORD)
    page.goto(f"/contracts/show/{picked_deal.contract_id}")
    page.locator("#zwt-approval-tab").click()
    page.fill("#zwt-submit input[name=comment]", "请财务看一下")
    page.locator("#zwt-submit-button").click()
    # the route needs a choice: the submit screen, nothing submitted yet
    picker = page.locator("select[name='pick:step:finance']")
    expect(picker).to_be_visible()
    expect(page.locator("#zwt-route-steps [data-step=finance]")).to_be_visible()
    shot("picker")
    page.fill("#zwt-submit-comment", "请财务看一下")
    page.locator("#zwt-submit-button").click()
    expect(page.locator("#zwt-submit-error")).to_be_visible()
    expect(page.locator("#zwt-submit-comment")).to_have_value("请财务看一下")
    page.locator("select[name='pick:step:finance']").select_option(str(picked_deal.finance_id))
    page.locator("#zwt-submit-button").click()
    expect(page.locator(".alert-success")).to_contain_text(zh("Submitted for approval."))
    page.locator("#zwt-approval-tab").click()
    expect(page.locator("div#zwt-approvals")).to_contain_text(picked_deal.finance_name)
    shot("submitted")


@pytest.fixture
def picked_form(app):
    """A form whose chain's finance step the submitter chooses, and people to copy."""
    import uuid

    import yaml

    from app.extensions import db
    from app.modules.approval_forms import service
    from app.workflow import publishing
    from tests.factories import make_user

    with app.app_context():
        admin = make_user("Admin")
        rep = make_user("Sales", manager=make_user("Manager"))
        finance = make_user("Finance")
        code = "pick" + uuid.uuid4().hex[:6]
        fields = [{"name": "plate", "label": "车牌", "kind": "text", "required": True}]
        service.save_form(admin, code=code, name="用车自选", chain="general_request", fields=fields)
        chain = {"name": f"{code}_chain", "title": "用车自选审批", "document": "approval_requests",
                 "steps": [{"id": "fin", "name": "财务审核",
                            "approvers": [{"submitter_picks": {"from": {"users": [finance.username]}}}]}]}
        publishing.publish(None, yaml.safe_dump(chain, allow_unicode=True, sort_keys=False))
        service.save_form(admin, code=code, name="用车自选", chain=f"{code}_chain", fields=fields)
        data = SimpleNamespace(code=code, rep=rep.username, finance_id=finance.id, finance_name=finance.display_name)
        db.session.remove()
    return data


def test_the_form_page_draws_the_picker_from_the_route_and_submits_the_choice(page, live_server, picked_form, shot):
    log_in(page, picked_form.rep, PASSWORD)
    page.goto(f"/approval_forms/new/{picked_form.code}")
    page.fill("#f-plate", "沪A12345")
    picker = page.locator("#zwt-pickers select[name='pick:step:fin']")
    expect(picker).to_be_visible()
    expect(page.locator("#zwt-route-steps li").first).to_contain_text("财务审核")
    picker.select_option(str(picked_form.finance_id))
    expect(page.locator("#zwt-route-steps li").first).to_contain_text(picked_form.finance_name)
    shot("form-picker")
    page.locator("#zwt-submit-request").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("body")).to_contain_text(picked_form.finance_name)


def test_the_builder_offers_the_submitters_choice(page, live_server, app, shot):
    import uuid

    import yaml

    from app.extensions import db
    from app.workflow import publishing
    from tests.browser.conftest import ADMIN

    name = "kinds_" + uuid.uuid4().hex[:8]
    doc = {"name": name, "title": "审批人类型", "document": "contracts",
           "steps": [{"id": "manager", "name": "部门经理审批", "approvers": [{"manager_of": "submitter"}]}]}
    with app.app_context():
        publishing.publish(None, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        db.session.remove()
    log_in(page, *ADMIN)
    page.goto(f"/workflow-builder/{name}/")
    approver = page.locator(".zwt-builder-approver").nth(0)
    approver.locator("select").nth(0).select_option("submitter_picks")
    approver = page.locator(".zwt-builder-approver").nth(0)
    approver.locator("select").nth(1).select_option("role")
    approver.locator("input[type=text], input:not([type])").first.fill("Finance")
    page.locator("#zwt-builder-check").click()
    expect(page.locator("#zwt-builder-yaml")).to_contain_text("submitter_picks")
    expect(page.locator("#zwt-builder-yaml")).to_contain_text("role: Finance")
    approver.locator("select").nth(0).select_option("manager_chain")
    page.locator("#zwt-builder-check").click()
    expect(page.locator("#zwt-builder-yaml")).to_contain_text("manager_chain")
    expect(page.locator("#zwt-builder-yaml")).to_contain_text("mode: sequential")
    shot("builder-kinds")
