"""The approval screens: the 审批 tab, the task page, the e-mail links, the inbox with bulk
approval, the navbar count, delegations and the JSON API — each through HTTP as a user meets it."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import select

from app.extensions import db
from app.modules.contracts.models import Contract
from app.workflow import engine, reading, publishing
from app.workflow.models import Delegation
from tests.factories import make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import actions, fresh, publish_chain, step, task_of, tasks, user_rule

MANAGER = {"manager_of": "submitter"}


def status_of(contract) -> str:
    db.session.expire_all()
    return db.session.get(Contract, contract.id).status


def submitted(org, **chain):
    """A contract of east_rep's, submitted on a one-step chain asking their manager."""
    publish_chain([step("manager", [MANAGER])], **chain)
    contract = make_contract(org.east_rep)
    return contract, engine.submit(org.east_rep, "contracts", contract.id)


def text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture(autouse=True)
def shipped_chain_afterwards(app):
    """Tests here publish chains of their own; later tests expect the shipped one again."""
    yield
    with app.app_context():
        restore_shipped_chain()


def restore_shipped_chain() -> None:
    shipped = (publishing.WORKFLOWS_DIR / "contract_approval.yaml").read_text(encoding="utf-8")
    version, _definition = engine.active_definition("contract_approval")
    if version is None or version.source != shipped:
        publishing.publish(None, shipped, note="shipped version again")
    db.session.remove()


@pytest.fixture
def shown(app):
    """shown(msgid, **params): the message as a page in the default language shows it."""

    def _shown(msgid, **params):
        with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
            return str(escape(gettext(msgid, **params)))

    return _shown


# -- e-mail links ----------------------------------------------------------------------------------
def test_opening_an_approve_link_shows_a_confirmation_and_changes_nothing(org, login):
    contract, run = submitted(org)
    task = task_of(run, org.manager)

    resp = login(org.manager).get(f"/approvals/task/{task.id}/approve")

    assert resp.status_code == 200
    assert 'id="zwt-confirm-form"' in text(resp) and contract.title in text(resp)
    assert task_of(run, org.manager).status == "pending"
    assert status_of(contract) == "in_approval"
    assert [a.action for a in actions(run)] == ["submit"]


def test_confirming_an_approve_link_approves_the_contract(org, login):
    contract, run = submitted(org)
    task = task_of(run, org.manager)

    resp = login(org.manager).post(f"/approvals/task/{task.id}/approve", data={"comment": "同意", "via": "link"})

    assert resp.status_code == 302
    assert fresh(run).status == "approved"
    assert status_of(contract) == "approved"
    approve = actions(run, "approve")[0]
    assert approve.actor_id == org.manager.id and approve.comment == "同意"


def test_an_approve_link_of_a_task_someone_else_handled_names_who_did(org, login, shown):
    a, b = make_user("Manager"), make_user("Manager")
    publish_chain([step("pair", user_rule(a, b), mode="any")])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    b_task = task_of(run, b)
    b_client = login(b)
    page = b_client.get(f"/approvals/task/{b_task.id}/approve")   # b opens the mail…
    assert 'id="zwt-confirm-form"' in text(page)

    engine.approve(a, task_of(run, a).id)                          # …a decides first…
    resp = b_client.post(f"/approvals/task/{b_task.id}/approve", data={"via": "link"})   # …b confirms

    assert resp.status_code == 409
    assert shown("This task was already handled by %(name)s.", name=a.display_name) in text(resp)
    again = b_client.get(f"/approvals/task/{b_task.id}/approve")
    assert shown("This task was already handled by %(name)s.", name=a.display_name) in text(again)
    assert 'id="zwt-confirm-form"' not in text(again)
    assert len(actions(run, "approve")) == 1


def test_rejecting_from_a_link_without_the_required_comment_keeps_the_task_open(org, login, shown):
    contract, run = submitted(org)
    task = task_of(run, org.manager)

    resp = login(org.manager).post(f"/approvals/task/{task.id}/reject", data={"comment": "  ", "via": "link"})

    assert resp.status_code == 400
    assert shown("Please give a reason in the comment.") in text(resp)
    assert task_of(run, org.manager).status == "pending"
    assert status_of(contract) == "in_approval"


def test_an_approve_link_asks_to_sign_in_first_and_comes_back(org, app):
    _contract, run = submitted(org)
    task = task_of(run, org.manager)

    client = app.test_client()
    resp = client.get(f"/approvals/task/{task.id}/approve")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login/")

    signed_in = client.post(resp.headers["Location"], data={"username": org.manager.username, "password": "Passw0rd!"})

    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith(f"/approvals/task/{task.id}/approve")
    assert 'id="zwt-confirm-form"' in text(client.get(signed_in.headers["Location"]))
    assert task_of(run, org.manager).status == "pending"


def test_someone_who_is_not_the_assignee_cannot_approve_through_a_link(org, login):
    contract, run = submitted(org)
    task = task_of(run, org.manager)
    submitter = login(org.east_rep)     # may see the approval, but the task is not theirs

    assert submitter.get(f"/approvals/task/{task.id}/approve").status_code == 403
    assert submitter.post(f"/approvals/task/{task.id}/approve", data={"via": "link"}).status_code == 403
    assert task_of(run, org.manager).status == "pending"


# -- the task page ---------------------------------------------------------------------------------
def test_a_non_participant_outside_the_data_scope_is_refused_the_task_page(org, login):
    contract, run = submitted(org)
    task = task_of(run, org.manager)
    outsider = login(org.south_rep)

    assert outsider.get(f"/approvals/task/{task.id}").status_code == 404
    assert outsider.get(f"/approvals/instance/{run.id}").status_code == 404
    assert outsider.get(f"/approvals/task/{task.id}/approve").status_code == 404
    assert outsider.post(f"/approvals/task/{task.id}/approve", data={}).status_code == 404
    assert outsider.post(f"/approvals/instance/{run.id}/comment", data={"comment": "x"}).status_code == 404
    assert task_of(run, org.manager).status == "pending"
    assert [a.action for a in actions(run)] == ["submit"]


def test_an_approver_without_access_to_contracts_sees_the_document_on_the_task_page(org, login):
    keeper = make_user("Warehouse")          # no permission on contracts at all
    publish_chain([step("check", user_rule(keeper))])
    contract = make_contract(org.east_rep, amount="12345.60")
    run = engine.submit(org.east_rep, "contracts", contract.id)
    client = login(keeper)

    assert client.get(f"/contracts/show/{contract.id}").status_code == 403
    page = client.get(f"/approvals/task/{task_of(run, keeper).id}")

    assert page.status_code == 200
    html = text(page)
    assert contract.title in html and "12,345.60" in html
    assert 'id="zwt-decision-' in html and 'id="zwt-open-document"' not in html


def test_the_task_page_shows_the_timeline_with_who_acted_on_whose_behalf(org, login, shown):
    stand_in = make_user("Manager")
    db.session.add(Delegation(user_id=org.manager.id, delegate_id=stand_in.id, starts_on=dt.date(2000, 1, 1),
                              ends_on=dt.date(2099, 12, 31)))
    db.session.commit()
    try:
        contract, run = submitted(org)
        task = task_of(run, stand_in)
        engine.approve(stand_in, task.id, "代为同意")

        html = text(login(org.east_rep).get(f"/contracts/show/{contract.id}?tab=approval"))
    finally:
        db.session.query(Delegation).filter_by(user_id=org.manager.id).delete()
        db.session.commit()

    assert 'id="zwt-approval-tab"' in html
    on_behalf = shown("%(delegate)s on behalf of %(principal)s", delegate=stand_in.display_name,
                   principal=org.manager.display_name)
    assert on_behalf in html and "代为同意" in html
    entries = re.findall(r'<tr class="zwt-timeline-entry">', html)
    assert len(entries) >= 3   # submitted, approved, approval completed


def test_transfer_without_choosing_a_person_keeps_the_comment_and_says_why(org, login, shown):
    _contract, run = submitted(org)
    task = task_of(run, org.manager)

    resp = login(org.manager).post(f"/approvals/task/{task.id}/transfer", data={"user": "", "comment": "请王总看看"})

    assert resp.status_code == 400
    html = text(resp)
    assert shown("Please choose an active user.") in html and "请王总看看" in html
    assert task_of(run, org.manager).status == "pending"


def test_the_assignee_transfers_and_adds_signers_from_the_task_page(org, login):
    helper, signer = make_user("Manager"), make_user("Finance")
    _contract, run = submitted(org)
    client = login(org.manager)

    resp = client.post(f"/approvals/task/{task_of(run, org.manager).id}/transfer",
                       data={"user": helper.id, "comment": "你来处理"})
    assert resp.status_code == 302
    helper_task = task_of(run, helper)
    resp = login(helper).post(f"/approvals/task/{helper_task.id}/add_signer",
                              data={"user": signer.id, "position": "before", "comment": "请财务先看"})
    assert resp.status_code == 302
    assert task_of(run, helper, "on_hold").id == helper_task.id
    assert task_of(run, signer).kind == "before"


def test_returning_to_an_earlier_step_from_the_task_page(org, login):
    first, second = make_user("Manager"), make_user("Finance")
    publish_chain([step("first", user_rule(first)), step("second", user_rule(second))])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    engine.approve(first, task_of(run, first).id)
    page = text(login(second).get(f"/approvals/task/{task_of(run, second).id}"))
    assert 'value="first"' in page          # the step it may go back to

    resp = login(second).post(f"/approvals/task/{task_of(run, second).id}/return",
                              data={"step": "first", "comment": "附件缺失"})

    assert resp.status_code == 302
    assert fresh(run).current_step == "first"
    assert task_of(run, first).note == "附件缺失"


# -- the 审批 tab: submit, withdraw, urge, comment ---------------------------------------------------
def test_the_owner_submits_from_the_show_page_and_then_withdraws(org, login):
    publish_chain([step("manager", [MANAGER])], withdraw="anytime")
    contract = make_contract(org.east_rep)
    client = login(org.east_rep)
    html = text(client.get(f"/contracts/show/{contract.id}/tab/approval"))
    assert 'id="zwt-submit"' in html

    resp = client.post(f"/approvals/submit/contracts/{contract.id}", data={"comment": "请审批",
                                                                          "next": f"/contracts/show/{contract.id}"})
    assert resp.status_code == 302 and resp.headers["Location"].startswith(f"/contracts/show/{contract.id}")
    assert status_of(contract) == "in_approval"
    html = text(client.get(f"/contracts/show/{contract.id}?tab=approval"))
    assert 'id="zwt-submit"' not in html and "请审批" in html and "zwt-withdraw" in html

    run = reading.instances_of("contracts", contract.id)[0]
    assert client.post(f"/approvals/instance/{run.id}/withdraw", data={"comment": "改一下金额"}).status_code == 302
    assert status_of(contract) == "draft" and fresh(run).status == "withdrawn"


def test_submitting_twice_shows_why_and_keeps_the_comment(org, login, shown):
    contract, _run = submitted(org)

    resp = login(org.east_rep).post(f"/approvals/submit/contracts/{contract.id}", data={"comment": "再提交一次"})

    assert resp.status_code == 400
    assert shown("Only a draft can be submitted for approval.") in text(resp) and "再提交一次" in text(resp)
    assert len(reading.instances_of("contracts", contract.id)) == 1


def test_a_user_without_write_permission_cannot_submit(org, login):
    contract = make_contract(org.east_rep)
    publish_chain([step("manager", [MANAGER])])
    reader = login(org.readonly)          # reads every contract, writes none
    assert 'id="zwt-submit"' not in text(reader.get(f"/contracts/show/{contract.id}"))

    assert reader.post(f"/approvals/submit/contracts/{contract.id}", data={}).status_code == 403
    assert status_of(contract) == "draft"


def test_participants_comment_and_the_submitter_urges(org, login):
    _contract, run = submitted(org)
    client = login(org.east_rep)

    assert client.post(f"/approvals/instance/{run.id}/comment", data={"comment": "附上补充说明"}).status_code == 302
    assert client.post(f"/approvals/instance/{run.id}/urge", data={"comment": "客户在等"}).status_code == 302
    again = client.post(f"/approvals/instance/{run.id}/urge", data={"comment": "再催"})

    assert again.status_code == 400 and "再催" in text(again)
    assert [a.action for a in actions(run)][-2:] == ["comment", "urge"]
    assert login(org.manager).post(f"/approvals/instance/{run.id}/urge", data={}).status_code == 403


# -- inbox, bulk approval and the navbar count -------------------------------------------------------
def _count(html: str, tab: str) -> int:
    return int(re.search(rf'class="badge zwt-tab-count" data-tab="{tab}">(\d+)<', html).group(1))


def test_the_inbox_counts_each_tab_and_finds_by_title(org, login):
    publish_chain([step("manager", [MANAGER])], cc=[{"on": ["approved"], "to": [{"user": org.finance_user.username}]}])
    mine = [make_contract(org.east_rep, title=f"年度框架{n}") for n in range(3)]
    runs = [engine.submit(org.east_rep, "contracts", c.id) for c in mine]
    engine.approve(org.manager, task_of(runs[0], org.manager).id)
    manager = login(org.manager)

    html = text(manager.get("/approvals/"))
    assert (_count(html, "waiting"), _count(html, "handled")) == (2, 1)
    assert mine[1].title in html and mine[0].title not in html
    rep_html = text(login(org.east_rep).get("/approvals/?tab=submitted"))
    assert _count(rep_html, "submitted") == 3 and _count(rep_html, "waiting") == 0
    cc_html = text(login(org.finance_user).get("/approvals/?tab=cc"))
    assert _count(cc_html, "cc") == 1 and mine[0].title in cc_html

    found = text(manager.get(f"/approvals/?tab=waiting&q={mine[2].title}"))
    assert _count(found, "waiting") == 1 and mine[2].title in found and mine[1].title not in found


def test_the_navbar_shows_how_many_approvals_wait(org, login):
    approver = make_user("Manager")
    publish_chain([step("check", user_rule(approver))])
    for _n in range(2):
        engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)

    html = text(login(approver).get("/notifications/"))

    assert re.search(r'id="zwt-approvals-count">2<', html)
    assert 'id="zwt-approvals-count"' not in text(login(org.south_rep).get("/notifications/"))


def test_bulk_approval_asks_first_then_reports_each_row(org, login, shown):
    approver = make_user("Manager")
    publish_chain([step("check", user_rule(approver))], comment_required=["approve", "reject"])
    strict = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    publish_chain([step("check", user_rule(approver))])
    easy = [engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id) for _n in range(2)]
    ids = [task_of(strict, approver).id] + [task_of(r, approver).id for r in easy]
    client = login(approver)

    confirm = client.post("/approvals/bulk", data={"task": ids})
    assert confirm.status_code == 200 and 'id="zwt-bulk-confirm-form"' in text(confirm)
    assert all(t.status == "pending" for t in tasks(strict) + tasks(easy[0]) + tasks(easy[1]))

    result = client.post("/approvals/bulk/approve", data={"task": ids, "comment": ""})

    html = text(result)
    assert result.status_code == 200
    assert shown("Please give a reason in the comment.") in html
    assert fresh(strict).status == "running"
    assert [fresh(r).status for r in easy] == ["approved", "approved"]
    assert re.findall(r'data-ok="(\d)"', html) == ["0", "1", "1"]


def test_bulk_approval_refuses_tasks_of_other_people_row_by_row(org, login, shown):
    approver, stranger = make_user("Manager"), make_user("Manager")
    publish_chain([step("check", user_rule(approver))])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)

    result = login(stranger).post("/approvals/bulk/approve", data={"task": [task_of(run, approver).id]})

    assert shown("This task is not yours to handle.") in text(result)
    assert fresh(run).status == "running"


# -- delegations -----------------------------------------------------------------------------------
def test_a_user_delegates_their_approvals_and_mistakes_are_explained(org, login, shown):
    me, stand_in, gone = make_user("Manager"), make_user("Manager"), make_user("Manager")
    gone.active = False
    db.session.commit()
    client = login(me)
    today = dt.date.today()

    def add(**form):
        data = {"delegate": stand_in.id, "starts_on": today.isoformat(),
                "ends_on": (today + dt.timedelta(days=5)).isoformat(), **form}
        return client.post("/approvals/delegations/add", data=data)

    late = add(starts_on=(today + dt.timedelta(days=3)).isoformat(), ends_on=today.isoformat())
    assert late.status_code == 400 and shown("The last day cannot be before the first day.") in text(late)
    assert shown("A person cannot delegate to themselves.") in text(add(delegate=me.id))
    assert shown("%(name)s is deactivated; choose an active user.", name=gone.display_name) in text(add(delegate=gone.id))
    assert db.session.scalar(select(Delegation.id).where(Delegation.user_id == me.id)) is None

    assert add(user=org.admin.id).status_code == 302        # a non-admin's "user" is ignored: their own
    rows = list(db.session.scalars(select(Delegation).where(Delegation.delegate_id == stand_in.id)))
    assert [(d.user_id, d.definition_name) for d in rows] == [(me.id, None)]
    overlap = add(definition="contract_approval")
    assert overlap.status_code == 400 and stand_in.display_name in text(overlap)


def test_delegations_are_private_except_to_admins(org, login):
    me, stand_in = make_user("Manager"), make_user("Manager")
    row = Delegation(user_id=me.id, delegate_id=stand_in.id, starts_on=dt.date.today(),
                     ends_on=dt.date.today() + dt.timedelta(days=2))
    db.session.add(row)
    db.session.commit()
    row_id = row.id
    other = login(org.south_rep)

    assert f'data-delegation="{row_id}"' not in text(other.get("/approvals/delegations/"))
    assert other.get(f"/approvals/delegations/{row_id}/delete").status_code == 404
    assert other.post(f"/approvals/delegations/{row_id}/delete").status_code == 404
    admin = login(org.admin)
    assert f'data-delegation="{row_id}"' in text(admin.get("/approvals/delegations/"))
    assert login(me).post(f"/approvals/delegations/{row_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Delegation, row_id) is None


# -- JSON API ---------------------------------------------------------------------------------------
def test_the_api_lists_my_waiting_tasks_and_approves_one(org, app, api_token):
    contract, run = submitted(org)
    task = task_of(run, org.manager)
    client = app.test_client()
    headers = api_token(org.manager)

    listed = client.get("/api/v1/approvals/tasks", headers=headers).get_json()
    assert task.id in [t["id"] for t in listed["result"]]
    refused = client.post(f"/api/v1/approvals/tasks/{task.id}/reject", json={}, headers=headers)
    assert refused.status_code == 400 and refused.get_json()["message"]["comment"]

    done = client.post(f"/api/v1/approvals/tasks/{task.id}/approve", json={"comment": "ok"}, headers=headers)
    assert done.status_code == 200 and done.get_json()["result"]["status"] == "approved"
    assert status_of(contract) == "approved"
    late = client.post(f"/api/v1/approvals/tasks/{task.id}/approve", json={}, headers=headers)
    assert late.status_code == 409 and org.manager.display_name in late.get_json()["message"]


def test_the_api_refuses_other_peoples_tasks(org, app, api_token):
    _contract, run = submitted(org)
    task = task_of(run, org.manager)
    client = app.test_client()

    assert client.post(f"/api/v1/approvals/tasks/{task.id}/approve", json={},
                       headers=api_token(org.east_rep)).status_code == 403
    assert client.post(f"/api/v1/approvals/tasks/{task.id}/approve", json={},
                       headers=api_token(org.south_rep)).status_code == 404
    assert client.post("/api/v1/approvals/tasks/999999/approve", json={},
                       headers=api_token(org.south_rep)).status_code == 404
    assert client.post(f"/api/v1/approvals/tasks/{task.id}/approve", json=[1],
                       headers=api_token(org.manager)).status_code == 400
    assert client.get("/api/v1/approvals/tasks").status_code == 401
    assert task_of(run, org.manager).status == "pending"


def test_after_a_withdrawal_the_finance_directors_link_says_the_task_is_no_longer_open(org, login, shown):
    publish_chain([step("manager", [{"manager_of": "submitter"}]), step("finance", user_rule(org.finance_user))])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    engine.approve(org.manager, task_of(run, org.manager).id)
    finance_task = task_of(run, org.finance_user)
    engine.withdraw(org.east_rep, run.id, "客户要求修改")

    page = login(org.finance_user).get(f"/approvals/task/{finance_task.id}/approve")
    body = text(page)
    assert 'id="zwt-confirm-form"' not in body
    assert org.east_rep.display_name in body
    resp = login(org.finance_user).post(f"/approvals/task/{finance_task.id}/approve", data={"via": "link"})
    assert resp.status_code in (400, 409)
    assert actions(run, "approve")[-1].actor_id == org.manager.id


def test_numbers_no_record_can_have_are_answered_without_an_error(org, app, login, api_token, shown):
    client = login(org.manager)
    resp = client.post("/approvals/delegations/add", data={"delegate": "99999999999999999999",
                                                            "starts_on": "2030-01-01", "ends_on": "2030-01-02"})
    assert resp.status_code == 400 and shown("Please choose who approves in your place.") in text(resp)
    listed = app.test_client().get("/api/v1/approvals/tasks?page=99999999999999999999", headers=api_token(org.manager))
    assert listed.status_code == 200 and listed.get_json()["result"] == []
