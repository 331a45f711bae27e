"""Approving from a phone (390×844 and 375×667): a manager is told a contract waits for them, opens
the notification centre from the bell, taps the notice and then 同意 — two taps — and the contract
is approved. The approval pages fit the phone's width; 驳回 still asks for the reason; a user who
is not the approver gets no buttons and is refused when they post anyway."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageWatch, log_in
from tests.factories import PASSWORD

PHONES = [(390, 844), (375, 667)]


def phone_context(browser, base_url: str, width: int = 390, height: int = 844):
    """A fresh phone-sized touch context on the live app, watched like conftest.new_context."""
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height}, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(10_000)
    watch = PageWatch(base_url)
    context.on("request", watch.on_request)
    context.on("page", watch.on_page)
    return context, watch


@pytest.fixture
def phone(browser, live_server):
    """phone(width, height) -> a page in a phone context; every context is checked for foreign
    requests and script errors when the test ends."""
    opened = []

    def _open(width: int = 390, height: int = 844):
        context, watch = phone_context(browser, live_server, width, height)
        opened.append((context, watch))
        return context.new_page()

    yield _open
    problems = []
    for context, watch in opened:
        context.close()
        problems += watch.problems()
    assert not problems, "\n".join(problems)


@pytest.fixture
def deal(app):
    """A sales rep's contract, submitted on a one-step chain that asks the rep's manager (so the
    manager has a notice and a task), and a second contract of the rep's still in draft."""
    from app.extensions import db
    from app.workflow import engine
    from tests.factories import make_department, make_user
    from tests.modules.contracts.helpers import make_contract
    from tests.workflow.helpers import publish_chain, step

    with app.app_context():
        dept = make_department("华南销售组手机")
        manager = make_user("Manager", dept)
        rep = make_user("Sales", dept, manager)
        publish_chain([step("manager", [{"manager_of": "submitter"}])])
        contract = make_contract(rep, title="深圳前海物流年度仓储合同", amount="128000.00")
        run = engine.submit(rep, "contracts", contract.id, "请尽快审批")
        task = next(t for t in run.tasks if t.assignee_id == manager.id)
        draft = make_contract(rep, title="深圳前海物流补充协议")
        data = SimpleNamespace(
            rep=SimpleNamespace(username=rep.username, display_name=rep.display_name),
            manager=SimpleNamespace(username=manager.username, display_name=manager.display_name),
            contract=SimpleNamespace(id=contract.id, title=contract.title), task_id=task.id, instance_id=run.id,
            draft=SimpleNamespace(id=draft.id, title=draft.title))
        db.session.remove()
    yield data
    with app.app_context():
        from tests.workflow.test_views import restore_shipped_chain

        restore_shipped_chain()


def _contract_status(app, contract_id: int) -> str:
    from app.extensions import db
    from app.modules.contracts.models import Contract

    with app.app_context():
        status = db.session.get(Contract, contract_id).status
        db.session.remove()
    return status


def _task_status(app, task_id: int) -> str:
    from app.extensions import db
    from app.workflow.models import ApprovalTask

    with app.app_context():
        status = db.session.get(ApprovalTask, task_id).status
        db.session.remove()
    return status


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] \
        and box["x"] >= 0 and box["x"] + box["width"] <= size["width"]


def assert_fits(page, what: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    assert max(widths[:2]) <= widths[2], f"{what} scrolls sideways at {widths[2]} px: {max(widths[:2])} px wide"


def test_a_manager_approves_a_contract_from_the_notification_in_two_taps(phone, app, deal, zh):
    page = phone(390, 844)
    log_in(page, deal.manager.username, PASSWORD)
    page.locator("#zwt-notifications").tap()                      # the bell opens the notification centre
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    notice = page.locator('#zwt-notification-list li.zwt-notice[data-kind="task"]', has_text=deal.contract.title)
    expect(notice).to_have_class(re.compile(r"\bzwt-unread\b"))
    assert_fits(page, "the notification centre")

    taps = 0
    notice.locator(".zwt-notice-open").tap()
    taps += 1
    expect(page).to_have_url(re.compile(rf"/approvals/task/{deal.task_id}$"))
    approve = page.locator(f"#zwt-decision-{deal.task_id} .zwt-approve")
    reject = page.locator(f"#zwt-decision-{deal.task_id} .zwt-reject")
    expect(approve).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    assert _in_view(page, approve) and _in_view(page, reject), "同意 / 驳回 are not on the screen without scrolling"
    assert_fits(page, "the task page")
    approve.tap()
    taps += 1

    expect(page.locator(".alert-success")).to_contain_text(deal.contract.title)
    expect(page.locator("#zwt-task-closed")).to_be_visible()
    assert taps == 2
    assert _contract_status(app, deal.contract.id) == "approved"
    assert _task_status(app, deal.task_id) == "approved"

    page.goto("/notifications/")                                  # the notice is read now
    expect(page.locator(f'#zwt-notification-list li[data-kind="task"]', has_text=deal.contract.title)
           ).not_to_have_class(re.compile(r"\bzwt-unread\b"))


def test_on_a_phone_reject_asks_for_the_reason(phone, app, deal, zh):
    page = phone(375, 667)
    log_in(page, deal.manager.username, PASSWORD)
    page.goto(f"/approvals/task/{deal.task_id}")
    sheet = page.locator(f"#zwt-reject-{deal.task_id}")
    expect(sheet).to_be_hidden()

    page.locator(f"#zwt-decision-{deal.task_id} .zwt-reject").tap()
    reason = sheet.locator("textarea[name=comment]")
    expect(reason).to_be_visible()
    assert _in_view(page, sheet.locator(".zwt-reject-confirm")), "the sheet's confirm button is off the screen"
    assert_fits(page, "the reject sheet")
    sheet.locator(".zwt-reject-confirm").tap()                    # no reason: the browser asks for one
    assert reason.evaluate("el => el.validity.valueMissing")
    assert _task_status(app, deal.task_id) == "pending"

    reason.fill("付款条件需要重新谈")
    sheet.locator(".zwt-reject-confirm").tap()
    expect(page.locator(".alert-success")).to_be_visible()
    assert _contract_status(app, deal.contract.id) == "draft"
    page.goto(f"/approvals/instance/{deal.instance_id}")
    expect(page.locator(".zwt-timeline")).to_contain_text("付款条件需要重新谈")


def test_someone_who_is_not_the_approver_gets_no_buttons_and_a_refusal(phone, app, deal, zh):
    page = phone(390, 844)
    log_in(page, deal.rep.username, PASSWORD)                     # the submitter may look, not decide
    page.goto(f"/approvals/task/{deal.task_id}")
    expect(page.locator(".zwt-timeline")).to_contain_text("请尽快审批")
    expect(page.locator(".zwt-approve")).to_have_count(0)
    expect(page.locator(".zwt-reject")).to_have_count(0)
    assert_fits(page, "the task page of a participant")

    # A post without the form's CSRF token is refused before anything else…
    bare = page.request.post(f"/approvals/task/{deal.task_id}/approve", form={"comment": ""})
    assert bare.status == 400
    # …and one with a valid token (built on the page) is refused as not the rep's to decide.
    with page.expect_navigation() as went:
        page.evaluate("""(url) => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = url;
            form.appendChild(document.querySelector('input[name=csrf_token]').cloneNode());
            document.body.appendChild(form);
            form.submit();
        }""", f"/approvals/task/{deal.task_id}/approve")
    assert went.value.status == 403
    expect(page.locator("#zwt-action-refused")).to_have_text(zh("This task is not yours to handle."))
    assert _task_status(app, deal.task_id) == "pending"
    assert _contract_status(app, deal.contract.id) == "in_approval"


@pytest.mark.parametrize("width,height", PHONES)
def test_approval_pages_fit_a_phone_without_sideways_scrolling(phone, app, deal, admin_cookies, zh, width, height):
    from sqlalchemy import select

    from app.core.org import User
    from app.extensions import db
    from app.workflow import engine

    manager = phone(width, height)
    log_in(manager, deal.manager.username, PASSWORD)
    for tab in ("waiting", "submitted", "cc", "handled"):
        manager.goto(f"/approvals/?tab={tab}")
        assert_fits(manager, f"the inbox ({tab})")
    manager.goto("/approvals/")
    row = manager.locator("#zwt-inbox-list tr.zwt-inbox-row", has_text=deal.contract.title)
    expect(row).to_be_visible()
    row.locator("input[type=checkbox]").tap()
    manager.locator("#zwt-bulk-approve").tap()
    expect(manager.locator("#zwt-bulk-confirm-form")).to_be_visible()
    assert_fits(manager, "the bulk approval confirmation")
    for path, what in ((f"/approvals/task/{deal.task_id}", "the task page"),
                       (f"/approvals/task/{deal.task_id}#zwt-reject-{deal.task_id}", "the task page with the reject sheet"),
                       (f"/approvals/task/{deal.task_id}/approve", "the e-mail link's confirmation"),
                       ("/approvals/delegations/", "delegations"),
                       ("/notifications/", "notifications"),
                       (f"/contracts/show/{deal.contract.id}#zwt-tab-approval", "the contract's approval tab")):
        manager.goto(path)
        assert_fits(manager, what)

    rep = phone(width, height)                                    # the submit page: a refused submission
    log_in(rep, deal.rep.username, PASSWORD)
    rep.goto(f"/contracts/show/{deal.draft.id}")
    rep.locator("#zwt-approval-tab").tap()
    expect(rep.locator("#zwt-submit-button")).to_be_visible()
    with app.app_context():                                       # someone submits it meanwhile
        user = db.session.scalar(select(User).where(User.username == deal.rep.username))
        engine.submit(user, "contracts", deal.draft.id)
        db.session.remove()
    rep.locator("#zwt-submit-button").tap()
    expect(rep.locator(".zwt-action-error[data-action=submit]")).to_be_visible()
    assert_fits(rep, "the submit page")
    rep.goto(f"/contracts/show/{deal.draft.id}#zwt-tab-approval")
    assert_fits(rep, "the approval tab of the submitter")

    admin = phone(width, height)                                  # the chain editor
    admin.context.add_cookies(admin_cookies)
    admin.goto("/workflows/")
    assert_fits(admin, "the chain list")
    admin.locator("#zwt-chain-list tr[data-chain=contract_approval] a.zwt-row-link").click()
    expect(admin.locator("#zwt-source")).to_be_visible()
    assert_fits(admin, "the chain editor")
    admin.locator("#zwt-dry-run").click()
    expect(admin.locator("#zwt-dry-result")).to_be_visible()
    assert_fits(admin, "the chain editor's dry run")
    admin.locator("#zwt-versions a", has_text=zh("View")).first.click()
    expect(admin.locator("#zwt-version-source")).to_be_visible()
    assert_fits(admin, "a chain version")
    admin.goto("/workflows/new")
    assert_fits(admin, "a new chain")
