"""Nobody hands a submitter the decision on their own document when the chain says
`self_approval: escalate_to_manager` (or `skip`): not a transfer, not an added signer, not a
delegation, not a timeout or a departure — on the screens and through the API — and the
decision itself is refused should such a task exist anyway."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from app.core.errors import DomainError
from app.extensions import db
from app.workflow import engine, publishing, timeouts
from app.workflow.models import ApprovalTask, Delegation
from tests.factories import make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import actions, chain_yaml, publish_chain, step, task_of, tasks, user_rule
from tests.workflow.test_views import restore_shipped_chain, shipped_chain_afterwards, shown, status_of, text  # noqa: F401

MANAGER = {"manager_of": "submitter"}
FORBIDDEN = "escalate_to_manager"


def _submitted(org, **settings):
    """east_rep's contract, waiting for their manager, on a chain forbidding self-approval."""
    publish_chain([step("manager", [MANAGER])], self_approval=FORBIDDEN, **settings)
    contract = make_contract(org.east_rep)
    return contract, engine.submit(org.east_rep, "contracts", contract.id)


def _refusal(org, shown) -> str:
    return shown("%(name)s submitted this document, and this approval chain does not let submitters approve "
                 "their own documents; choose someone else.", name=org.east_rep.display_name)


def _nothing_for_the_submitter(run, org) -> None:
    assert [t for t in tasks(run) if org.east_rep.id in (t.assignee_id, t.on_behalf_of_id)] == []


# -- transfer ----------------------------------------------------------------------------------------
def test_the_manager_cannot_transfer_the_task_to_the_submitter_on_the_task_page(org, login, shown):
    _contract, run = _submitted(org)
    task = task_of(run, org.manager)

    resp = login(org.manager).post(f"/approvals/task/{task.id}/transfer",
                                   data={"user": org.east_rep.id, "comment": "你自己批吧"})

    assert resp.status_code == 400
    html = text(resp)
    assert _refusal(org, shown) in html and "你自己批吧" in html
    assert f'value="{org.east_rep.id}" selected' in html   # the choice is kept to correct
    assert task_of(run, org.manager).status == "pending"
    _nothing_for_the_submitter(run, org)


def test_the_api_refuses_a_transfer_to_the_submitter(org, app, api_token, shown):
    contract, run = _submitted(org)
    task = task_of(run, org.manager)
    client = app.test_client()

    resp = client.post(f"/api/v1/approvals/tasks/{task.id}/transfer", json={"user": org.east_rep.id, "comment": "x"},
                       headers=api_token(org.manager))

    assert resp.status_code == 400
    assert org.east_rep.display_name in resp.get_json()["message"]["user"][0]
    assert task_of(run, org.manager).status == "pending"
    _nothing_for_the_submitter(run, org)
    # and the submitter's own API call finds nothing to approve
    headers = api_token(org.east_rep)
    assert client.post(f"/api/v1/approvals/tasks/{task.id}/approve", json={}, headers=headers).status_code == 403
    assert status_of(contract) == "in_approval"


def test_the_api_transfers_to_someone_else_and_checks_what_it_is_sent(org, app, api_token):
    helper = make_user("Manager")
    _contract, run = _submitted(org)
    task = task_of(run, org.manager)
    client, headers = app.test_client(), api_token(org.manager)

    for bad in ({"user": "abc"}, {"user": 10 ** 30}, {"user": True}, {}):
        assert client.post(f"/api/v1/approvals/tasks/{task.id}/transfer", json=bad, headers=headers).status_code == 400
    done = client.post(f"/api/v1/approvals/tasks/{task.id}/transfer", json={"user": helper.id}, headers=headers)

    assert done.status_code == 200 and done.get_json()["result"]["status"] == "transferred"
    assert task_of(run, helper).status == "pending"


def test_with_skip_a_transfer_to_the_submitter_is_refused_too(org):
    publish_chain([step("manager", [MANAGER])], self_approval="skip")
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)

    with pytest.raises(DomainError) as refused:
        engine.transfer(org.manager, task_of(run, org.manager).id, org.east_rep.id)

    assert refused.value.code == "workflow.self_approval" and refused.value.field == "user"
    _nothing_for_the_submitter(run, org)


def test_self_approval_allow_is_refused_by_publishing_and_says_what_happens_instead(org):
    with pytest.raises(publishing.InvalidDefinition) as refused:
        publish_chain([step("manager", [MANAGER])], self_approval="allow")
    problem = refused.value.problems[0]
    assert (problem.line, problem.path) == (6, "settings.self_approval")
    assert "escalate_to_manager" in problem.message and "skip" in problem.message


def test_a_version_published_with_allow_runs_as_escalate_to_manager(org):
    """Versions stored before `allow` was retired keep running, and the submitter still never decides."""
    from app.workflow.definitions import parse_definition

    stored = parse_definition(chain_yaml([step("manager", [MANAGER])], self_approval="allow"))
    assert stored.settings.self_approval == "escalate_to_manager"


def test_with_skip_the_submitter_cannot_decide_on_a_task_that_reached_them_anyway(org):
    publish_chain([step("manager", user_rule(org.manager, org.east_rep))], self_approval="skip")
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    assert all(t.assignee_id != org.east_rep.id for t in tasks(run, "pending"))

    with pytest.raises(DomainError) as refused:
        engine.transfer(org.manager, task_of(run, org.manager).id, org.east_rep.id)
    assert refused.value.code == "workflow.self_approval"


# -- add a signer -------------------------------------------------------------------------------------
@pytest.mark.parametrize("position", ["before", "after"])
def test_the_submitter_cannot_be_added_as_a_signer_on_the_task_page(org, login, shown, position):
    _contract, run = _submitted(org)
    task = task_of(run, org.manager)

    resp = login(org.manager).post(f"/approvals/task/{task.id}/add_signer",
                                   data={"user": org.east_rep.id, "position": position, "comment": "请提交人会签"})

    assert resp.status_code == 400
    html = text(resp)
    assert _refusal(org, shown) in html and "请提交人会签" in html
    assert task_of(run, org.manager).status == "pending"
    _nothing_for_the_submitter(run, org)


@pytest.mark.parametrize("position", ["before", "after"])
def test_the_api_refuses_the_submitter_as_an_added_signer(org, app, api_token, position):
    _contract, run = _submitted(org)
    task = task_of(run, org.manager)

    resp = app.test_client().post(f"/api/v1/approvals/tasks/{task.id}/add_signer",
                                  json={"user": org.east_rep.id, "position": position}, headers=api_token(org.manager))

    assert resp.status_code == 400 and resp.get_json()["message"]["user"]
    assert task_of(run, org.manager).status == "pending"
    _nothing_for_the_submitter(run, org)


def test_the_api_adds_a_signer_before_and_explains_a_bad_position(org, app, api_token):
    signer = make_user("Finance")
    _contract, run = _submitted(org)
    task = task_of(run, org.manager)
    client, headers = app.test_client(), api_token(org.manager)

    bad = client.post(f"/api/v1/approvals/tasks/{task.id}/add_signer", json={"user": signer.id, "position": "x"},
                      headers=headers)
    assert bad.status_code == 400 and bad.get_json()["message"]["position"]
    done = client.post(f"/api/v1/approvals/tasks/{task.id}/add_signer", json={"user": signer.id, "position": "before"},
                       headers=headers)

    assert done.status_code == 200 and done.get_json()["result"]["status"] == "on_hold"
    assert task_of(run, signer).kind == "before"


# -- delegation ---------------------------------------------------------------------------------------
def _delegate(principal, stand_in) -> None:
    db.session.add(Delegation(user_id=principal.id, delegate_id=stand_in.id, starts_on=dt.date.today() - dt.timedelta(days=1),
                              ends_on=dt.date.today() + dt.timedelta(days=5)))
    db.session.commit()


def test_a_delegation_to_the_submitter_does_not_give_her_her_own_contract(org, app, login, api_token, shown):
    _delegate(org.manager, org.east_rep)      # the manager is away; east_rep stands in for him
    contract, run = _submitted(org)

    task = task_of(run, org.manager)         # the manager keeps it: east_rep submitted the contract
    assert task.on_behalf_of_id is None
    _nothing_for_the_submitter(run, org)
    assert [a.reason for a in actions(run, "reassign")] == ["delegate_is_submitter"]
    page = text(login(org.manager).get(f"/approvals/task/{task.id}"))
    assert shown("the stand-in submitted this document: the task stays with the person they stand in for") in page

    client = app.test_client()
    headers = api_token(org.east_rep)
    assert client.get("/api/v1/approvals/tasks", headers=headers).get_json()["count"] == 0
    assert client.post(f"/api/v1/approvals/tasks/{task.id}/approve", json={}, headers=headers).status_code == 403
    assert login(org.east_rep).post(f"/approvals/task/{task.id}/approve", data={}).status_code == 403
    assert status_of(contract) == "in_approval"


def test_a_stand_in_still_approves_other_peoples_contracts(org):
    _delegate(org.manager, org.east_rep)
    publish_chain([step("manager", [MANAGER])], self_approval=FORBIDDEN)
    run = engine.submit(org.east_rep2, "contracts", make_contract(org.east_rep2).id)

    task = task_of(run, org.east_rep)

    assert task.on_behalf_of_id == org.manager.id


def test_an_added_signer_whose_stand_in_is_the_submitter_keeps_the_task(org):
    legal = make_user("Manager")
    _delegate(legal, org.east_rep)
    _contract, run = _submitted(org)

    engine.add_signer(org.manager, task_of(run, org.manager).id, legal.id, "before")

    assert task_of(run, legal).kind == "before"
    _nothing_for_the_submitter(run, org)


# -- the decision itself --------------------------------------------------------------------------------
def test_a_task_that_reached_the_submitter_anyway_cannot_be_approved_by_her(org, app, login, api_token, shown):
    contract, run = _submitted(org)
    task = task_of(run, org.manager)
    # as data written before the rule, or by hand, would have it
    db.session.execute(update(ApprovalTask).where(ApprovalTask.id == task.id).values(assignee_id=org.east_rep.id))
    db.session.commit()
    message = shown("You submitted this document, and this approval chain does not let submitters decide on their "
                    "own documents; transfer the task to someone else.")

    page = login(org.east_rep).post(f"/approvals/task/{task.id}/approve", data={"comment": "我同意"})
    assert page.status_code == 403 and message in text(page) and "我同意" in text(page)
    link = login(org.east_rep).post(f"/approvals/task/{task.id}/approve", data={"via": "link"})
    assert link.status_code == 403 and message in text(link)
    api = app.test_client().post(f"/api/v1/approvals/tasks/{task.id}/approve", json={},
                                 headers=api_token(org.east_rep))
    assert api.status_code == 403
    with pytest.raises(DomainError) as after:
        engine.add_signer(org.east_rep, task.id, org.finance_user.id, "after")
    assert after.value.code == "workflow.self_approval"
    assert status_of(contract) == "in_approval"
    assert tasks(run)[0].status == "pending"
    # she may still hand it on to someone who may decide
    engine.transfer(org.east_rep, task.id, org.finance_user.id)
    assert task_of(run, org.finance_user).status == "pending"


# -- returns, timeouts, departures ---------------------------------------------------------------------
def test_a_step_returned_to_asks_the_submitters_manager_again_not_the_submitter(org):
    publish_chain([step("first", user_rule(org.east_rep)), step("second", user_rule(org.finance_user))],
                  self_approval=FORBIDDEN)
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    engine.approve(org.manager, task_of(run, org.manager).id)          # escalated from east_rep

    engine.return_to(org.finance_user, task_of(run, org.finance_user).id, "first", "请再看看")

    assert task_of(run, org.manager).step_id == "first"
    _nothing_for_the_submitter(run, org)


def test_a_timed_out_task_never_escalates_to_the_submitter(org):
    clerk = make_user("Sales", manager=org.east_rep)        # the approver's manager is the submitter
    publish_chain([step("s1", user_rule(clerk))], self_approval=FORBIDDEN,
                  sla={"escalate_after": "72h", "on_timeout": "escalate", "escalate_to": "manager"})
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    task = task_of(run, clerk)

    assert timeouts.escalate(task.id, task.version) == "escalated"

    assert task_of(run, org.manager).status == "pending"
    _nothing_for_the_submitter(run, org)


def test_a_departed_approvers_task_never_falls_to_the_submitter(org):
    clerk = make_user("Sales", manager=org.east_rep)
    publish_chain([step("s1", user_rule(clerk))], self_approval=FORBIDDEN)
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    clerk.active = False
    db.session.commit()

    assert timeouts.reassign_inactive(clerk.id) == 1

    assert task_of(run, org.manager).status == "pending"
    _nothing_for_the_submitter(run, org)
