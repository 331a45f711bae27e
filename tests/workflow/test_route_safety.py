"""Approvals that can never get stuck or be self-approved: a submitter who is their own manager,
a condition that cannot be evaluated on the document, a quorum with too few people, a
sequential task acted on before its turn, a department without a head, a legal officer's own
contract."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.core.errors import DomainError
from app.extensions import db
from app.modules.contracts.models import Contract
from app.workflow import engine
from app.workflow.models import ApprovalInstance
from tests.factories import make_department, make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import actions, fresh, publish_chain, step, task_of, tasks, user_rule
from tests.workflow.test_views import restore_shipped_chain, shipped_chain_afterwards, shown  # noqa: F401

MANAGER = {"manager_of": "submitter"}
FORBIDDEN = "escalate_to_manager"


def submit(user, contract):
    return engine.submit(user, "contracts", contract.id)


def contract_status(contract) -> str:
    db.session.expire_all()
    return db.session.get(Contract, contract.id).status


def never_self_approved(run) -> None:
    submitter = fresh(run).submitter_id
    assert all(submitter not in (t.assignee_id, t.on_behalf_of_id, t.decided_by_id) for t in tasks(run))


# -- separation of duties ----------------------------------------------------------------------------
def test_a_submitter_recorded_as_their_own_manager_never_gets_their_own_document(org):
    boss = make_user("Manager", org.company)
    boss.manager_id = boss.id   # the general manager: their own manager
    db.session.commit()
    publish_chain([step("manager", [MANAGER])], self_approval=FORBIDDEN, admin=org.admin.username)

    run = submit(boss, make_contract(boss))

    never_self_approved(run)
    admin_task = task_of(run, org.admin)   # nobody above them: the chain's escalation
    assert admin_task.step_id == "manager"
    assert {"self_approval_escalated", "no_approver_admin"} & {a.reason for a in actions(run, "reassign")}
    engine.approve(org.admin, admin_task.id)
    assert fresh(run).status == "approved"


def test_a_self_manager_with_a_manager_above_goes_to_the_next_one_up(org):
    chairman = make_user("Manager", org.company)
    head = make_user("Manager", org.sales, manager=chairman)
    head_dept = db.session.get(type(org.sales), org.sales.id)
    head_dept.head_id = head.id
    db.session.commit()
    publish_chain([step("head", [{"department_head": "submitter"}])], self_approval=FORBIDDEN)

    run = submit(head, make_contract(head))

    never_self_approved(run)
    assert task_of(run, chairman).step_id == "head"


def test_when_the_chain_admin_submits_another_active_administrator_is_the_escalation(org):
    publish_chain([step("admin", [{"admin": True}])], self_approval=FORBIDDEN)
    other = make_user("Admin", org.company)

    run = submit(org.admin, make_contract(org.admin))

    never_self_approved(run)
    first_admin = min(u.id for u in (org.admin, other))
    pending = tasks(run, "pending")
    assert len(pending) == 1 and pending[0].assignee_id != org.admin.id
    assert first_admin == org.admin.id or pending[0].assignee_id == first_admin


def test_a_legal_officer_submitting_gets_another_legal_officer_not_a_duplicate_pass(org):
    legal1, legal2 = make_user("Finance", org.finance), make_user("Finance", org.finance)
    publish_chain([step("manager", [MANAGER]), step("legal", user_rule(legal1, legal2), when="!doc.standard_terms")],
                  self_approval=FORBIDDEN)
    legal1.manager_id = org.manager.id
    db.session.commit()

    run = submit(legal1, make_contract(legal1, standard_terms=False))
    engine.approve(org.manager, task_of(run, org.manager).id)

    never_self_approved(run)
    assert fresh(run).current_step == "legal"
    assert task_of(run, legal2).step_id == "legal"
    assert "duplicate_approver" not in [a.reason for a in actions(run)]


# -- department heads ------------------------------------------------------------------------------
def test_a_sub_department_without_a_head_goes_to_the_parent_departments_head(org):
    sales = db.session.get(type(org.sales), org.sales.id)
    sales.head_id = org.manager.id
    db.session.commit()
    team = make_department("无负责人小组", org.east)   # east has no head either
    rep = make_user("Sales", team)
    publish_chain([step("head", [{"department_head": "submitter"}])], self_approval=FORBIDDEN)

    run = submit(rep, make_contract(rep))

    assert task_of(run, org.manager).step_id == "head"
    assert "no_approver_admin" not in [a.reason for a in actions(run)]


# -- conditions that cannot be evaluated -----------------------------------------------------------
def test_a_condition_failing_on_submit_is_a_clear_refusal_and_nothing_is_written(org):
    publish_chain([step("manager", [MANAGER], when='doc.notes.startsWith("急")')], self_approval=FORBIDDEN)
    contract = make_contract(org.east_rep, notes=None)

    with pytest.raises(DomainError) as refused:
        submit(org.east_rep, contract)

    assert refused.value.code == "workflow.condition_error" and refused.value.status == 400
    assert "合同审批" in refused.value.message   # names the chain, with the reason
    db.session.rollback()
    assert contract_status(contract) == "draft"
    assert db.session.scalar(select(ApprovalInstance).where(ApprovalInstance.record_id == contract.id)) is None


def test_submitting_on_the_screen_when_a_condition_fails_answers_400_with_the_reason(org, login, shown):
    publish_chain([step("manager", [MANAGER], when="doc.notes.startsWith('急')")], self_approval=FORBIDDEN)
    contract = make_contract(org.east_rep, notes=None)   # an empty field

    resp = login(org.east_rep).post(f"/approvals/submit/contracts/{contract.id}", data={"comment": ""})

    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert shown("This document cannot be submitted: a condition of the approval chain %(chain)s cannot be "
                 "evaluated on it (%(reason)s). Check the document's fields, or ask the chain's administrator.",
                 chain="合同审批", reason="§").split("§")[0] in html
    assert contract_status(contract) == "draft"


def test_a_field_cleared_during_the_approval_goes_to_the_admin_on_the_timeline_who_can_still_decide(org):
    publish_chain([step("manager", [MANAGER]),
                   step("finance", user_rule(org.finance_user), when='doc.notes.startsWith("急")')],
                  self_approval=FORBIDDEN, admin=org.admin.username)
    contract = make_contract(org.east_rep, notes="急件")
    run = submit(org.east_rep, contract)
    db.session.execute(update(Contract).where(Contract.id == contract.id).values(notes=None))
    db.session.commit()

    engine.approve(org.manager, task_of(run, org.manager).id)

    assert fresh(run).status == "running"
    escalated = [a for a in actions(run, "escalate") if a.reason == "condition_error"]
    assert len(escalated) == 1 and escalated[0].target_id == org.admin.id and escalated[0].comment
    admin_task = task_of(run, org.admin)
    # The admin puts the document right and approves: the route is tried again.
    db.session.execute(update(Contract).where(Contract.id == contract.id).values(notes="急件"))
    db.session.commit()
    engine.approve(org.admin, admin_task.id)
    assert fresh(run).current_step == "finance"
    engine.approve(org.finance_user, task_of(run, org.finance_user).id)
    assert fresh(run).status == "approved"


def test_the_admin_may_reject_an_approval_whose_condition_cannot_be_evaluated(org):
    publish_chain([step("manager", [MANAGER]),
                   step("finance", user_rule(org.finance_user), when='doc.notes.startsWith("急")')],
                  self_approval=FORBIDDEN, admin=org.admin.username)
    contract = make_contract(org.east_rep, notes="急件")
    run = submit(org.east_rep, contract)
    db.session.execute(update(Contract).where(Contract.id == contract.id).values(notes=None))
    db.session.commit()
    engine.approve(org.manager, task_of(run, org.manager).id)

    engine.reject(org.admin, task_of(run, org.admin).id, "条件无法判断")

    assert fresh(run).status == "rejected"
    assert tasks(run, "pending") == []


# -- quorum shortfall ------------------------------------------------------------------------------
def test_a_quorum_larger_than_its_people_goes_to_escalation_with_a_reason_not_a_silent_rejection(org):
    from flask import current_app

    from tests.factories import unique

    sm = current_app.appbuilder.sm
    board = sm.add_role(unique("Board"))
    a, b = make_user("Finance"), make_user("Finance")
    for person in (a, b):
        person.roles.append(board)
    db.session.commit()
    publish_chain([step("board", [{"role": board.name}], mode="quorum", quorum=3)], self_approval=FORBIDDEN,
                  admin=org.admin.username)

    run = submit(org.east_rep, make_contract(org.east_rep))

    assert fresh(run).status == "running"
    shortfall = [x for x in actions(run, "escalate") if x.reason == "quorum_shortfall"]
    assert len(shortfall) == 1 and shortfall[0].target_id == org.admin.id
    for person in (a, b):
        engine.approve(person, task_of(run, person).id)
    assert fresh(run).status == "running"
    engine.approve(org.admin, task_of(run, org.admin).id)
    assert fresh(run).status == "approved"


# -- sequential turns ------------------------------------------------------------------------------
def test_acting_before_ones_turn_says_whose_turn_it_is(org, app, api_token):
    first, second = make_user("Finance"), make_user("Finance")
    publish_chain([step("seq", user_rule(first, second), mode="sequential")], self_approval=FORBIDDEN)
    run = submit(org.east_rep, make_contract(org.east_rep))
    waiting = task_of(run, second, status="waiting")

    with pytest.raises(DomainError) as refused:
        engine.approve(second, waiting.id)
    assert refused.value.code == "workflow.not_your_turn"
    assert first.display_name in refused.value.message

    resp = app.test_client().post(f"/api/v1/approvals/tasks/{waiting.id}/approve", json={},
                                  headers=api_token(second))
    assert resp.status_code == 409
    assert resp.get_json()["error"] == "workflow.not_your_turn"
    assert first.display_name in str(resp.get_json()["message"])
