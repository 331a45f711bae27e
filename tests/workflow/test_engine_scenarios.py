"""The approval scenarios of shared/workflow-scenarios.md, through the engine's service functions
(the same ones the screens, e-mail links, jobs and API call)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.errors import DomainError
from app.core.notify import Notification
from app.core.transaction import unit_of_work
from app.core.org import User
from app.extensions import db
from app.modules.contracts.models import Contract
from app.modules.contracts.service import update_contract
from app.workflow import engine, reading, publishing
from app.workflow.models import Delegation
from tests.factories import make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import actions, chain_yaml, fresh, publish_chain, step, task_of, tasks, user_rule

MANAGER = {"manager_of": "submitter"}


def contract_status(contract) -> str:
    db.session.expire_all()
    return db.session.get(Contract, contract.id).status


def submit(user, contract):
    return engine.submit(user, "contracts", contract.id)


# 1 -------------------------------------------------------------------------------------------
def test_amount_branch_routes_big_contracts_to_the_finance_director(org):
    publish_chain([step("manager", [MANAGER]),
                   step("finance", user_rule(org.finance_user), when="doc.amount > 100000")])
    big = make_contract(org.east_rep, amount="150000.00")
    small = make_contract(org.east_rep, amount="80000.00")
    big_run, small_run = submit(org.east_rep, big), submit(org.east_rep, small)
    assert contract_status(big) == "in_approval"

    engine.approve(org.manager, task_of(big_run, org.manager).id)
    engine.approve(org.manager, task_of(small_run, org.manager).id)

    assert contract_status(small) == "approved"
    assert fresh(small_run).status == "approved"
    assert fresh(big_run).current_step == "finance"
    assert task_of(big_run, org.finance_user).step_id == "finance"


def test_finance_director_rejects_with_a_comment_and_the_contract_returns_to_draft(org):
    publish_chain([step("manager", [MANAGER]),
                   step("finance", user_rule(org.finance_user), when="doc.amount > 100000")])
    contract = make_contract(org.east_rep, amount="150000.00")
    run = submit(org.east_rep, contract)
    engine.approve(org.manager, task_of(run, org.manager).id)
    finance_task = task_of(run, org.finance_user)

    with pytest.raises(DomainError) as refused:
        engine.reject(org.finance_user, finance_task.id, "")
    assert refused.value.code == "workflow.comment_required"
    assert task_of(run, org.finance_user).status == "pending"

    engine.reject(org.finance_user, finance_task.id, "金额超出年度预算")
    assert contract_status(contract) == "draft"
    assert fresh(run).status == "rejected"
    notes = db.session.scalars(select(Notification).where(Notification.user_id == org.east_rep.id))
    assert any("金额超出年度预算" in note.body and contract.title in note.title for note in notes)


# 2 -------------------------------------------------------------------------------------------
def test_all_must_approve_waits_for_every_approver_and_advances_once(org):
    a, b, after = make_user("Manager"), make_user("Manager"), make_user("Finance")
    publish_chain([step("joint", user_rule(a, b), mode="all"), step("final", user_rule(after))])
    run = submit(org.east_rep, make_contract(org.east_rep))

    engine.approve(a, task_of(run, a).id)
    assert fresh(run).current_step == "joint"
    assert tasks(run, "pending", "final") == []

    engine.approve(b, task_of(run, b).id)
    assert fresh(run).current_step == "final"
    assert len(tasks(run, "pending", "final")) == 1


# 5 -------------------------------------------------------------------------------------------
def test_quorum_two_of_three_is_approved_despite_one_rejection(org):
    a, b, c = (make_user("Manager") for _ in range(3))
    publish_chain([step("board", user_rule(a, b, c), mode="quorum", quorum=2)])
    contract = make_contract(org.east_rep)
    run = submit(org.east_rep, contract)

    engine.approve(a, task_of(run, a).id)
    engine.reject(b, task_of(run, b).id, "不同意")
    assert fresh(run).status == "running"
    engine.approve(c, task_of(run, c).id)
    assert fresh(run).status == "approved"
    assert contract_status(contract) == "approved"


def test_quorum_rejects_only_once_it_can_no_longer_be_reached(org):
    a, b, c = (make_user("Manager") for _ in range(3))
    publish_chain([step("board", user_rule(a, b, c), mode="quorum", quorum=2)])
    run = submit(org.east_rep, make_contract(org.east_rep))

    engine.reject(a, task_of(run, a).id, "不同意")
    assert fresh(run).status == "running"
    engine.reject(b, task_of(run, b).id, "也不同意")
    assert fresh(run).status == "rejected"
    assert tasks(run, "pending") == []


# 6 -------------------------------------------------------------------------------------------
def test_self_approval_skip_passes_the_managers_own_step_and_says_why(org):
    publish_chain([step("manager", user_rule(org.manager)), step("finance", user_rule(org.finance_user))],
                  self_approval="skip")
    run = submit(org.manager, make_contract(org.manager))

    assert tasks(run, step_id="manager") == []
    assert fresh(run).current_step == "finance"
    assert [a.reason for a in actions(run, "auto_pass")] == ["self_approval_skip"]


def test_self_approval_escalates_to_the_submitters_own_manager(org):
    director = make_user("Manager")
    org.manager.manager_id = director.id
    db.session.commit()
    publish_chain([step("manager", user_rule(org.manager))], self_approval="escalate_to_manager")
    run = submit(org.manager, make_contract(org.manager))

    assert task_of(run, director).step_id == "manager"
    assert [t for t in tasks(run) if t.assignee_id == org.manager.id] == []
    assert "self_approval_escalated" in [a.reason for a in actions(run, "reassign")]


# 7 -------------------------------------------------------------------------------------------
def test_consecutive_duplicate_approver_acts_once(org):
    x, z = make_user("Manager"), make_user("Finance")
    publish_chain([step("s1", user_rule(x)), step("s2", user_rule(x)), step("s3", user_rule(z))])
    run = submit(org.east_rep, make_contract(org.east_rep))

    engine.approve(x, task_of(run, x).id)
    assert fresh(run).current_step == "s3"
    assert tasks(run, step_id="s2") == []
    assert [a.reason for a in actions(run, "auto_pass")] == ["duplicate_approver"]


def test_an_approver_on_steps_one_and_three_is_asked_twice(org):
    x, y = make_user("Manager"), make_user("Manager")
    publish_chain([step("s1", user_rule(x)), step("s2", user_rule(y)), step("s3", user_rule(x))])
    run = submit(org.east_rep, make_contract(org.east_rep))

    engine.approve(x, task_of(run, x).id)
    engine.approve(y, task_of(run, y).id)
    assert task_of(run, x).step_id == "s3"
    assert actions(run, "auto_pass") == []


# 8 -------------------------------------------------------------------------------------------
def test_a_returned_step_stays_manual_even_for_the_submitter_and_a_repeat_approver(org):
    x, z = org.manager, make_user("Finance")
    publish_chain([step("s1", user_rule(x)), step("s2", user_rule(x)), step("s3", user_rule(z))],
                  self_approval="skip")
    run = submit(x, make_contract(x))          # x submits: s1 and s2 pass by themselves
    assert fresh(run).current_step == "s3"

    engine.return_to(z, task_of(run, z).id, "s2", "请补充付款条款")

    # Returned, the step is asked again, but never of its submitter: their manager (here
    # nobody above them: the chain's admin) decides.
    assert [t for t in tasks(run, "pending") if t.assignee_id == x.id] == []
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    reopened = task_of(run, admin)
    assert reopened.step_id == "s2"
    assert reopened.note == "请补充付款条款"
    assert fresh(run).returned is True
    engine.approve(admin, reopened.id)
    assert task_of(run, z).step_id == "s3"


def test_return_needs_a_step_already_passed_and_a_comment(org):
    x, z = make_user("Manager"), make_user("Finance")
    publish_chain([step("s1", user_rule(x)), step("s2", user_rule(z))])
    run = submit(org.east_rep, make_contract(org.east_rep))
    engine.approve(x, task_of(run, x).id)
    task = task_of(run, z)
    with pytest.raises(DomainError) as no_comment:
        engine.return_to(z, task.id, "s1", " ")
    assert no_comment.value.code == "workflow.comment_required"
    with pytest.raises(DomainError) as not_passed:
        engine.return_to(z, task.id, "s2", "再看看")
    assert not_passed.value.code == "workflow.bad_return"
    assert task_of(run, z).status == "pending"


# 9 -------------------------------------------------------------------------------------------
def test_nobody_to_ask_goes_to_the_workflow_admin_with_the_reason(org):
    loner = make_user("Sales", org.east)        # no manager
    publish_chain([step("manager", [MANAGER])], admin=org.admin.username, empty_approvers="admin")
    run = submit(loner, make_contract(loner))

    assert task_of(run, org.admin).step_id == "manager"
    assert "no_approver_admin" in [a.reason for a in actions(run, "reassign")]


def test_nobody_to_ask_with_auto_approve_passes_the_step(org):
    loner = make_user("Sales", org.east)
    publish_chain([step("manager", [MANAGER])], empty_approvers="auto_approve")
    contract = make_contract(loner)
    run = submit(loner, contract)

    assert fresh(run).status == "approved"
    assert contract_status(contract) == "approved"
    assert [a.reason for a in actions(run, "auto_pass")] == ["no_approver"]


# 10 (resolution part; the reassignment job is in test_engine_jobs.py) --------------------------
def test_new_instances_never_resolve_to_an_inactive_user(org):
    director = make_user("Manager")
    gone = make_user("Manager", manager=director)
    gone.active = False
    db.session.commit()
    publish_chain([step("s1", user_rule(gone))], inactive_approver="manager")
    run = submit(org.east_rep, make_contract(org.east_rep))

    assert task_of(run, director).step_id == "s1"
    assert [t for t in tasks(run) if t.assignee_id == gone.id] == []


# 11 ------------------------------------------------------------------------------------------
def _delegate(user, delegate, starts_on, ends_on):
    with unit_of_work(None):
        db.session.add(Delegation(user_id=user.id, delegate_id=delegate.id, starts_on=starts_on, ends_on=ends_on))


def test_a_task_created_inside_the_delegation_window_goes_to_the_delegate(org):
    a, d = make_user("Manager"), make_user("Manager")
    today = engine.resolver.company_today()
    _delegate(a, d, today - dt.timedelta(days=4), today + dt.timedelta(days=5))
    publish_chain([step("s1", user_rule(a))])
    run = submit(org.east_rep, make_contract(org.east_rep))

    task = task_of(run, d)
    assert task.on_behalf_of_id == a.id
    engine.approve(d, task.id, "代为审批")
    decision = actions(run, "approve")[0]
    assert (decision.actor_id, decision.on_behalf_of_id) == (d.id, a.id)


def test_a_task_created_after_the_window_goes_to_the_approver_again(org):
    a, d = make_user("Manager"), make_user("Manager")
    today = engine.resolver.company_today()
    _delegate(a, d, today - dt.timedelta(days=10), today - dt.timedelta(days=1))
    publish_chain([step("s1", user_rule(a))])
    run = submit(org.east_rep, make_contract(org.east_rep))

    assert task_of(run, a).on_behalf_of_id is None


def test_a_newer_window_whose_delegate_left_gives_way_to_the_older_one(org):
    a, d_old, d_new = make_user("Manager"), make_user("Manager"), make_user("Manager")
    today = engine.resolver.company_today()
    _delegate(a, d_old, today - dt.timedelta(days=3), today + dt.timedelta(days=3))
    _delegate(a, d_new, today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    with unit_of_work(None):
        db.session.get(type(d_new), d_new.id).active = False
    publish_chain([step("s1", user_rule(a))])
    run = submit(org.east_rep, make_contract(org.east_rep))

    assert task_of(run, d_old).on_behalf_of_id == a.id
    assert [t for t in tasks(run, "pending") if t.assignee_id in (a.id, d_new.id)] == []


# 13 ------------------------------------------------------------------------------------------
def test_withdraw_after_the_first_approval_voids_the_finance_task(org):
    publish_chain([step("manager", [MANAGER]), step("finance", user_rule(org.finance_user))], withdraw="anytime")
    contract = make_contract(org.east_rep)
    run = submit(org.east_rep, contract)
    engine.approve(org.manager, task_of(run, org.manager).id)
    finance_task = task_of(run, org.finance_user)

    engine.withdraw(org.east_rep, run.id, "客户要求修改")

    assert fresh(run).status == "withdrawn"
    assert contract_status(contract) == "draft"
    with pytest.raises(DomainError) as late:
        engine.approve(org.finance_user, finance_task.id)
    assert org.east_rep.display_name in late.value.message
    assert tasks(run, "pending") == []


def test_withdraw_after_an_approval_is_refused_when_the_chain_says_so(org):
    publish_chain([step("manager", [MANAGER]), step("finance", user_rule(org.finance_user))],
                  withdraw="before_first_approval")
    contract = make_contract(org.east_rep)
    run = submit(org.east_rep, contract)
    engine.approve(org.manager, task_of(run, org.manager).id)

    with pytest.raises(DomainError) as refused:
        engine.withdraw(org.east_rep, run.id)
    assert refused.value.code == "workflow.withdraw_after_approval"
    assert fresh(run).status == "running"
    assert contract_status(contract) == "in_approval"


def test_only_the_submitter_may_withdraw_or_urge(org):
    publish_chain([step("manager", [MANAGER])])
    run = submit(org.east_rep, make_contract(org.east_rep))
    with pytest.raises(DomainError):
        engine.withdraw(org.east_rep2, run.id)
    with pytest.raises(DomainError):
        engine.urge(org.east_rep2, run.id)
    engine.urge(org.east_rep, run.id, "请尽快")
    with pytest.raises(DomainError) as again:
        engine.urge(org.east_rep, run.id)
    assert again.value.code == "workflow.urged_recently"
    assert len(actions(run, "urge")) == 1


# 14 ------------------------------------------------------------------------------------------
def test_finance_returns_to_the_manager_who_sees_the_comment_then_finance_is_asked_again(org):
    publish_chain([step("manager", [MANAGER]), step("finance", user_rule(org.finance_user))])
    run = submit(org.east_rep, make_contract(org.east_rep))
    engine.approve(org.manager, task_of(run, org.manager).id)

    engine.return_to(org.finance_user, task_of(run, org.finance_user).id, "manager", "付款节点不清楚")
    again = task_of(run, org.manager)
    assert again.note == "付款节点不清楚"
    engine.approve(org.manager, again.id)

    assert task_of(run, org.finance_user).step_id == "finance"
    assert [a.action for a in actions(run) if a.action in ("approve", "return")] == ["approve", "return", "approve"]


# 15 ------------------------------------------------------------------------------------------
def test_a_signer_added_before_is_asked_first_then_the_directors_task_reopens(org):
    legal = make_user("Manager")
    publish_chain([step("finance", user_rule(org.finance_user))])
    contract = make_contract(org.east_rep)
    run = submit(org.east_rep, contract)
    director_task = task_of(run, org.finance_user)

    engine.add_signer(org.finance_user, director_task.id, legal.id, "before", "请法务先看")
    assert task_of(run, org.finance_user, "on_hold").id == director_task.id
    engine.approve(legal, task_of(run, legal).id)
    assert task_of(run, org.finance_user).id == director_task.id
    engine.approve(org.finance_user, director_task.id)
    assert contract_status(contract) == "approved"


def test_a_signer_asked_first_who_adds_one_after_themselves_gives_the_directors_task_back(org):
    legal, auditor = make_user("Manager"), make_user("Manager")
    publish_chain([step("finance", user_rule(org.finance_user))])
    contract = make_contract(org.east_rep)
    run = submit(org.east_rep, contract)
    director_task = task_of(run, org.finance_user)

    engine.add_signer(org.finance_user, director_task.id, legal.id, "before", "请法务先看")
    engine.add_signer(legal, task_of(run, legal).id, auditor.id, "after", "再请审计看")
    assert task_of(run, org.finance_user).id == director_task.id   # open again, not left on hold
    engine.approve(auditor, task_of(run, auditor).id)
    assert fresh(run).status == "running"
    engine.approve(org.finance_user, director_task.id)
    assert contract_status(contract) == "approved"


def test_a_signer_added_after_is_asked_once_the_director_has_approved(org):
    legal = make_user("Manager")
    publish_chain([step("finance", user_rule(org.finance_user))])
    contract = make_contract(org.east_rep)
    run = submit(org.east_rep, contract)

    engine.add_signer(org.finance_user, task_of(run, org.finance_user).id, legal.id, "after")
    assert fresh(run).status == "running"
    assert task_of(run, org.finance_user, "approved")
    engine.approve(legal, task_of(run, legal).id)
    assert contract_status(contract) == "approved"


# 16 ------------------------------------------------------------------------------------------
def test_locked_amount_cannot_change_while_in_approval_but_the_allowed_field_can(org):
    publish_chain([step("manager", [MANAGER], editable_fields=["notes"])])
    contract = make_contract(org.east_rep, amount="50000.00")
    submit(org.east_rep, contract)

    item = db.session.get(Contract, contract.id)
    item.amount = Decimal("90000.00")
    with pytest.raises(DomainError) as refused:
        update_contract(org.east_rep, item)
    assert refused.value.code == "workflow.locked"
    db.session.rollback()
    assert db.session.get(Contract, contract.id).amount == Decimal("50000.00")

    item = db.session.get(Contract, contract.id)
    item.notes = "经理补充：按季度付款"
    update_contract(org.manager, item)
    assert db.session.get(Contract, contract.id).notes == "经理补充：按季度付款"


def test_the_api_refuses_an_amount_edit_in_approval_with_a_message(org, api_token, app):
    publish_chain([step("manager", [MANAGER])])
    contract = make_contract(org.east_rep, amount="50000.00")
    submit(org.east_rep, contract)
    client = app.test_client()
    resp = client.put(f"/api/v1/contracts/{contract.id}", json={"amount": "70000.00"}, headers=api_token(org.east_rep))
    assert resp.status_code == 400
    assert "审批" in str(resp.get_json()) or "approval" in str(resp.get_json())
    assert db.session.get(Contract, contract.id).amount == Decimal("50000.00")


def test_changing_a_locked_field_after_approval_marks_the_approval_stale(org):
    publish_chain([step("manager", [MANAGER])])
    contract = make_contract(org.east_rep, amount="50000.00")
    run = submit(org.east_rep, contract)
    engine.approve(org.manager, task_of(run, org.manager).id)
    assert contract_status(contract) == "approved"

    item = db.session.get(Contract, contract.id)
    item.amount = Decimal("65000.00")
    update_contract(org.admin, item)

    assert contract_status(contract) == "draft"
    assert fresh(run).stale is True
    assert actions(run, "stale")[0].reason == "amount"


def test_a_document_in_approval_cannot_be_deleted(org):
    from app.modules.contracts.service import delete_contract

    publish_chain([step("manager", [MANAGER])])
    contract = make_contract(org.east_rep)
    submit(org.east_rep, contract)
    with pytest.raises(DomainError):
        delete_contract(org.admin, db.session.get(Contract, contract.id))
    db.session.rollback()
    assert db.session.get(Contract, contract.id) is not None


# 17 ------------------------------------------------------------------------------------------
def test_running_instances_finish_on_their_version_while_new_ones_use_the_new_one(org):
    a, b, legal = make_user("Manager"), make_user("Finance"), make_user("Manager")
    v3 = publish_chain([step("first", user_rule(a)), step("second", user_rule(b))])
    runs = [submit(org.east_rep, make_contract(org.east_rep)) for _ in range(10)]

    v4 = publish_chain([step("first", user_rule(a)), step("legal", user_rule(legal))])
    assert v4.number == v3.number + 1
    newer = submit(org.east_rep, make_contract(org.east_rep))

    for run in runs:
        engine.approve(a, task_of(run, a).id)
        assert fresh(run).current_step == "second"
        engine.approve(b, task_of(run, b).id)
        assert fresh(run).status == "approved"
        assert fresh(run).version_id == v3.id
    engine.approve(a, task_of(newer, a).id)
    assert fresh(newer).version_id == v4.id
    assert task_of(newer, legal).step_id == "legal"


# 18 (publishing) ----------------------------------------------------------------------------
def test_an_invalid_definition_is_refused_with_its_position_and_the_active_version_stays(org):
    good = publish_chain([step("manager", [MANAGER])])
    broken = chain_yaml([step("manager", [MANAGER], next="fianance"), step("finance", [MANAGER])])
    with pytest.raises(publishing.InvalidDefinition) as refused:
        publishing.publish(None, broken)
    problem = refused.value.problems[0]
    assert problem.path == "steps[0].next" and problem.line > 1 and problem.column > 1
    assert "fianance" in problem.message
    assert publishing.get_definition("contract_approval").active_version_id == good.id


def test_a_condition_reaching_for_internals_is_refused_at_publish_time(org):
    good = publish_chain([step("manager", [MANAGER])])
    for condition in ("doc.__class__ == 1", "__import__('os').system('true')", "doc.amount.__dict__"):
        with pytest.raises(publishing.InvalidDefinition):
            publishing.publish(None, chain_yaml([step("manager", [MANAGER], when=condition)]))
    assert publishing.get_definition("contract_approval").active_version_id == good.id


# the rules around submitting ------------------------------------------------------------------
def test_only_a_visible_draft_can_be_submitted(org):
    publish_chain([step("manager", [MANAGER])])
    contract = make_contract(org.east_rep)
    with pytest.raises(DomainError):
        engine.submit(org.south_rep, "contracts", contract.id)       # outside their scope
    submit(org.east_rep, contract)
    with pytest.raises(DomainError) as twice:
        submit(org.east_rep, contract)
    assert twice.value.code == "workflow.not_draft"


def test_only_the_assignee_may_decide_a_task(org):
    publish_chain([step("manager", [MANAGER])])
    run = submit(org.east_rep, make_contract(org.east_rep))
    task = task_of(run, org.manager)
    with pytest.raises(DomainError):
        engine.approve(org.east_rep2, task.id)
    assert task_of(run, org.manager).status == "pending"


def test_transfer_hands_the_task_over_and_the_timeline_names_both(org):
    other = make_user("Manager")
    publish_chain([step("manager", [MANAGER])])
    run = submit(org.east_rep, make_contract(org.east_rep))
    engine.transfer(org.manager, task_of(run, org.manager).id, other.id, "我出差，请代为处理")
    moved = task_of(run, other)
    assert moved.step_id == "manager"
    record = actions(run, "transfer")[0]
    assert (record.actor_id, record.target_id) == (org.manager.id, other.id)
    engine.approve(other, moved.id)
    assert fresh(run).status == "approved"


def test_cc_recipients_get_a_copy_on_the_chosen_events(org):
    watcher = make_user("ReadOnly")
    publish_chain([step("manager", [MANAGER])], cc=[{"on": ["approved"], "to": [{"user": watcher.username}]}])
    run = submit(org.east_rep, make_contract(org.east_rep))
    assert [a for a in actions(run, "cc")] == []
    engine.approve(org.manager, task_of(run, org.manager).id)
    cc = actions(run, "cc")
    assert [(c.target_id, c.reason) for c in cc] == [(watcher.id, "approved")]
    assert reading.may_view(watcher, fresh(run))


def test_sequential_step_asks_one_approver_after_the_other(org):
    a, b = make_user("Manager"), make_user("Manager")
    publish_chain([step("chain", user_rule(a, b), mode="sequential")])
    run = submit(org.east_rep, make_contract(org.east_rep))
    assert [t.assignee_id for t in tasks(run, "pending")] == [a.id]
    engine.approve(a, task_of(run, a).id)
    assert [t.assignee_id for t in tasks(run, "pending")] == [b.id]
    engine.approve(b, task_of(run, b).id)
    assert fresh(run).status == "approved"


def test_the_edit_screen_of_a_document_in_approval_says_what_may_still_change(org, login):
    publish_chain([step("manager", [MANAGER], editable_fields=["notes"])])
    contract = make_contract(org.east_rep)
    submit(org.east_rep, contract)

    page = login(org.manager).get(f"/contracts/edit/{contract.id}").get_data(as_text=True)
    assert "审批中" in page and "备注" in page
    page = login(org.east_rep).get(f"/contracts/edit/{contract.id}").get_data(as_text=True)
    assert "先撤回" in page or "withdraw it first" in page

    resp = login(org.east_rep).post(f"/contracts/edit/{contract.id}", data={
        "title": contract.title, "customer": str(contract.customer_id), "amount": "99999.00",
        "standard_terms": "y", "owner": str(org.east_rep.id)})
    assert resp.status_code == 200
    assert "单据审批中，不能修改" in resp.get_data(as_text=True)
    assert db.session.get(Contract, contract.id).amount == Decimal("50000.00")
