"""The approval screens as a phone user meets them: the task page offers 同意 / 驳回 to the
assignee only, one POST of its decision form approves (comment optional), rejection needs the
reason the chain asks for, a decision made on a page drawn before the task was reopened is refused,
approval notices lead straight to the task page, and times read the short Chinese way."""
from __future__ import annotations

import datetime as dt
import re

from flask_babel import force_locale
from sqlalchemy import select

from app.core.notify import Notification
from app.core.system import notice_kind, short_time
from app.extensions import db
from app.workflow import engine
from tests.factories import make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import actions, fresh, publish_chain, step, task_of, user_rule
from tests.workflow.test_views import (MANAGER, restore_shipped_chain, shipped_chain_afterwards,  # noqa: F401
                                       shown, status_of, submitted, text)


def _decision_form(html: str, task_id: int) -> str:
    found = re.search(rf'<form method="post" action="/approvals/task/{task_id}/approve" class="zwt-decision".*?</form>',
                      html, re.S)
    assert found, "the task page has no decision form"
    return found.group(0)


def _reject_form(html: str, task_id: int) -> str:
    found = re.search(rf'<form method="post" action="/approvals/task/{task_id}/reject".*?</form>', html, re.S)
    assert found, "the task page has no reject form"
    return found.group(0)


# -- the task page ---------------------------------------------------------------------------------
def test_the_assignee_gets_approve_and_reject_and_approves_with_one_post(org, login):
    contract, run = submitted(org)
    task = task_of(run, org.manager)
    client = login(org.manager)

    html = text(client.get(f"/approvals/task/{task.id}"))
    form = _decision_form(html, task.id)
    assert 'class="btn btn-primary zwt-approve" type="submit"' in form
    assert f'name="task_version" value="{task.version}"' in form and 'name="csrf_token"' in form
    assert "required" not in re.search(r"<textarea.*?</textarea>", form, re.S).group(0)   # comment optional
    assert f'href="#zwt-reject-{task.id}"' in form and "zwt-decision-sticky" in form

    resp = client.post(f"/approvals/task/{task.id}/approve", data={"task_version": str(task.version), "comment": "",
                                                                  "next": f"/approvals/task/{task.id}"})

    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/approvals/task/{task.id}")
    assert fresh(run).status == "approved" and status_of(contract) == "approved"
    assert actions(run, "approve")[0].comment is None


def test_someone_who_is_not_the_approver_gets_no_buttons_and_is_refused(org, login, shown):
    contract, run = submitted(org)
    task = task_of(run, org.manager)
    submitter = login(org.east_rep)        # a participant: may look, may not decide

    html = text(submitter.get(f"/approvals/task/{task.id}"))
    assert 'class="zwt-decision"' not in html and "zwt-approve" not in html and "zwt-reject-sheet" not in html

    for decision in ("approve", "reject"):
        resp = submitter.post(f"/approvals/task/{task.id}/{decision}",
                              data={"task_version": str(task.version), "comment": "我自己批"})
        assert resp.status_code == 403
        assert shown("This task is not yours to handle.") in text(resp)
    assert task_of(run, org.manager).status == "pending" and status_of(contract) == "in_approval"
    assert [a.action for a in actions(run)] == ["submit"]


def test_rejecting_without_a_reason_is_refused_with_the_sheet_open(org, login, shown):
    contract, run = submitted(org)          # the chain requires a comment to reject
    task = task_of(run, org.manager)
    client = login(org.manager)
    page = text(client.get(f"/approvals/task/{task.id}"))
    assert re.search(r"<textarea[^>]*\brequired\b", _reject_form(page, task.id))

    resp = client.post(f"/approvals/task/{task.id}/reject", data={"task_version": str(task.version), "comment": " "})

    assert resp.status_code == 400
    html = text(resp)
    assert f'class="zwt-reject-sheet zwt-open" id="zwt-reject-{task.id}"' in html
    assert shown("Please give a reason in the comment.") in _reject_form(html, task.id)
    assert task_of(run, org.manager).status == "pending" and status_of(contract) == "in_approval"

    done = client.post(f"/approvals/task/{task.id}/reject", data={"task_version": str(task.version),
                                                                 "comment": "价格需重新谈"})
    assert done.status_code == 302 and status_of(contract) == "draft"
    assert actions(run, "reject")[0].comment == "价格需重新谈"


def test_a_chain_that_requires_an_approval_comment_marks_the_comment_required(org, login, shown):
    _contract, run = submitted(org, comment_required=["approve", "reject"])
    task = task_of(run, org.manager)
    client = login(org.manager)

    form = _decision_form(text(client.get(f"/approvals/task/{task.id}")), task.id)
    assert re.search(r"<textarea[^>]*\brequired\b", form)
    resp = client.post(f"/approvals/task/{task.id}/approve", data={"task_version": str(task.version)})
    assert resp.status_code == 400 and shown("Please give a reason in the comment.") in text(resp)
    assert task_of(run, org.manager).status == "pending"


def test_a_decision_from_a_page_drawn_before_the_task_reopened_is_refused(org, login, shown):
    signer = make_user("Finance")
    _contract, run = submitted(org)
    task = task_of(run, org.manager)
    seen = str(task.version)                                   # the manager's page shows the task…
    engine.add_signer(org.manager, task.id, signer.id, "before", "请财务先看")   # …they ask Finance first
    engine.approve(signer, task_of(run, signer).id, "财务同意")           # …and the task reopens
    assert str(task_of(run, org.manager).version) != seen
    client = login(org.manager)

    stale = client.post(f"/approvals/task/{task.id}/approve", data={"task_version": seen})

    assert stale.status_code == 409
    assert shown("This task changed after you opened it; please read it again before you decide.") in text(stale)
    assert "财务同意" in text(stale)                            # the page shows what changed
    assert task_of(run, org.manager).status == "pending"
    current = task_of(run, org.manager).version
    assert client.post(f"/approvals/task/{task.id}/approve", data={"task_version": current}).status_code == 302
    assert fresh(run).status == "approved"


def test_bulk_approval_refuses_a_task_reopened_after_the_confirmation_page(org, login, shown):
    signer = make_user("Finance")
    _contract, run = submitted(org)
    _other, other_run = submitted(org)
    ids = [task_of(run, org.manager).id, task_of(other_run, org.manager).id]
    client = login(org.manager)
    confirm = text(client.post("/approvals/bulk", data={"task": ids}))
    versions = dict(re.findall(r'name="version_(\d+)" value="(\d+)"', confirm))
    assert sorted(int(i) for i in versions) == sorted(ids)
    engine.add_signer(org.manager, ids[0], signer.id, "before")          # meanwhile: reopened
    engine.approve(signer, task_of(run, signer).id)

    result = client.post("/approvals/bulk/approve", data={"task": ids, **{f"version_{i}": v for i, v in versions.items()}})

    html = text(result)
    assert re.findall(r'data-ok="(\d)"', html) == ["0", "1"]
    assert shown("This task changed after you opened it; please read it again before you decide.") in html
    assert task_of(run, org.manager).status == "pending" and fresh(other_run).status == "approved"


# -- notifications ---------------------------------------------------------------------------------
def _notices(user) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id.desc())))


def test_an_approval_notice_opens_the_task_page_in_one_post(org, login):
    approver = make_user("Manager")
    publish_chain([step("check", user_rule(approver))])
    contract = make_contract(org.east_rep)
    run = engine.submit(org.east_rep, "contracts", contract.id)
    task = task_of(run, approver)
    [notice] = [n for n in _notices(approver) if n.link == f"/approvals/task/{task.id}"]
    client = login(approver)

    html = text(client.get("/notifications/"))
    item = re.search(rf'<li class="zwt-notice zwt-unread" data-notice="{notice.id}" data-kind="task">.*?</li>', html, re.S)
    assert item, "the approval notice is not listed as an unread task notice"
    assert f'action="/notifications/{notice.id}/read"' in item.group(0) and 'class="zwt-notice-open"' in item.group(0)
    assert 'id="zwt-read-all"' in html

    opened = client.post(f"/notifications/{notice.id}/read")

    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/approvals/task/{task.id}")
    assert f'id="zwt-decision-{task.id}"' in text(client.get(opened.headers["Location"]))
    assert 'class="zwt-notice zwt-unread" data-notice="%d"' % notice.id not in text(client.get("/notifications/"))


def test_mark_all_read_leaves_no_notice_in_bold(org, login):
    _contract, _run = submitted(org)
    client = login(org.manager)
    assert "zwt-notice zwt-unread" in text(client.get("/notifications/"))

    client.post("/notifications/read-all")

    html = text(client.get("/notifications/"))
    assert "zwt-notice zwt-unread" not in html and 'id="zwt-read-all"' not in html


def test_notices_are_told_apart_by_where_they_lead():
    assert notice_kind("/approvals/task/12") == "task"
    assert notice_kind("/approvals/task/12/approve") == "approval"
    assert notice_kind("/approvals/instance/3") == "approval"
    assert notice_kind("/contracts/show/5#zwt-tab-approval") == "other"
    assert notice_kind("") == "other" and notice_kind(None) == "other"


# -- short times -----------------------------------------------------------------------------------
def test_times_read_the_short_chinese_way_in_the_users_zone(app):
    now = dt.datetime(2026, 6, 15, 6, 30)            # stored UTC: 14:30 in Shanghai
    cases = [
        (now - dt.timedelta(seconds=20), "刚刚"),
        (now - dt.timedelta(minutes=5), "5分钟前"),
        (dt.datetime(2026, 6, 15, 1, 5), "今天 09:05"),
        (dt.datetime(2026, 6, 14, 17, 0), "今天 01:00"),      # yesterday in UTC, today in Shanghai
        (dt.datetime(2026, 6, 13, 17, 0), "昨天 01:00"),
        (dt.datetime(2026, 3, 4, 23, 10), "3月5日 07:10"),
        (dt.datetime(2025, 12, 31, 15, 59), "2025年12月31日"),
    ]
    with app.test_request_context(), force_locale("zh_CN"):
        assert [short_time(at, now=now) for at, _expected in cases] == [expected for _at, expected in cases]
        assert short_time(None) == ""


def test_the_inbox_says_since_when_briefly_with_the_full_time_on_hover(org, login):
    _contract, run = submitted(org)
    html = text(login(org.manager).get("/approvals/"))
    row = re.search(rf'<tr class="zwt-inbox-row" data-instance="{run.id}".*?</tr>', html, re.S).group(0)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d" title="\d{4}-\d\d-\d\d \d\d:\d\d">[^<]+</time>', row)
    assert 'href="/approvals/task/' in row


def test_the_task_page_draws_the_chain_with_the_current_step_highlighted(org, login):
    first, second = make_user("Manager"), make_user("Manager")
    publish_chain([step("check", user_rule(first)), step("sign", user_rule(second))])
    contract = make_contract(org.east_rep)
    run = engine.submit(org.east_rep, "contracts", contract.id)
    task = task_of(run, first)
    html = text(login(first).get(f"/approvals/task/{task.id}"))
    diagram = re.search(r'<section class="zwt-card zwt-chain-card" id="zwt-approval-diagram">.*?</section>', html, re.S)
    assert diagram, "the task page has no diagram of its chain"
    current = re.findall(r'<g class="zwt-step zwt-step-current" data-step="([^"]+)" aria-current="step">', diagram.group(0))
    assert current == ["check"]
    assert 'data-step="sign">' in diagram.group(0)

    engine.approve(first, task.id)
    later = task_of(fresh(run), second)
    html = text(login(second).get(f"/approvals/task/{later.id}"))
    assert re.findall(r'<g class="zwt-step zwt-step-current" data-step="([^"]+)"', html) == ["sign"]
