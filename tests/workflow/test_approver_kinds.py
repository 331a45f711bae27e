"""Approver kinds beyond user / role / manager: 发起人自选 (the submitter picks a step's approver
from the set the chain allows, and people to copy), 连续多级主管 (every manager up the line, one
after another), the head of a chosen department (or of the one a field holds) — each routed by
the engine as the route preview says."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.extensions import db
from app.modules.contracts.models import Contract
from app.workflow import engine, inbox, resolver
from app.workflow.models import ApprovalCc, ApprovalInstance
from tests.factories import make_department, make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import actions, fresh, publish_chain, step, task_of, tasks
from tests.workflow.test_views import restore_shipped_chain, shipped_chain_afterwards  # noqa: F401

FINANCE_PICK = {"submitter_picks": {"from": {"role": "Finance"}}}


def _instances_of(contract) -> int:
    return db.session.scalar(select(func.count(ApprovalInstance.id)).where(
        ApprovalInstance.document == "contracts", ApprovalInstance.record_id == contract.id))


def _refused(submitter, contract, picks, code):
    with pytest.raises(DomainError) as refused:
        engine.submit(submitter, "contracts", contract.id, picks=picks)
    db.session.rollback()
    assert refused.value.code == code and refused.value.status == 400
    assert refused.value.field == "pick:step:finance"
    assert _instances_of(contract) == 0 and db.session.get(Contract, contract.id).status == "draft"
    return refused.value.message


# -- 发起人自选 ---------------------------------------------------------------------------------------
def test_the_submitter_picks_the_finance_approver_and_the_engine_asks_that_person(org):
    other_finance = make_user("Finance", org.finance)
    publish_chain([step("finance", [FINANCE_PICK])])
    contract = make_contract(org.east_rep)

    run = engine.submit(org.east_rep, "contracts", contract.id, picks={"step:finance": [other_finance.id]})

    assert fresh(run).picks == {"step:finance": [other_finance.id]}
    assert [t.assignee_id for t in tasks(run, "pending")] == [other_finance.id]


def test_a_missing_pick_is_refused_in_chinese_and_nothing_is_written(org):
    publish_chain([step("finance", [FINANCE_PICK])])
    contract = make_contract(org.east_rep)
    message = _refused(org.east_rep, contract, None, "workflow.pick_missing")
    assert "财务" in message or "Finance" in message


def test_a_pick_outside_the_allowed_set_is_refused(org):
    publish_chain([step("finance", [FINANCE_PICK])])
    contract = make_contract(org.east_rep)
    message = _refused(org.east_rep, contract, {"step:finance": [org.manager.id]}, "workflow.bad_pick")
    assert org.manager.display_name in message


def test_an_inactive_pick_is_refused(org):
    gone = make_user("Finance", org.finance)
    gone.active = False
    db.session.commit()
    publish_chain([step("finance", [FINANCE_PICK])])
    contract = make_contract(org.east_rep)
    _refused(org.east_rep, contract, {"step:finance": [gone.id]}, "workflow.bad_pick")


def test_the_submitter_cannot_pick_themself(org):
    publish_chain([step("finance", [{"submitter_picks": {"from": "any"}}])])
    contract = make_contract(org.east_rep)
    _refused(org.east_rep, contract, {"step:finance": [org.east_rep.id]}, "workflow.pick_self")


def test_garbage_and_too_many_picks_are_refused(org):
    publish_chain([step("finance", [FINANCE_PICK])])
    contract = make_contract(org.east_rep)
    _refused(org.east_rep, contract, {"step:finance": ["x; drop table"]}, "workflow.bad_pick")
    second = make_user("Finance", org.finance)
    _refused(org.east_rep, contract, {"step:finance": [org.finance_user.id, second.id]}, "workflow.bad_pick")


def test_several_picks_make_an_all_must_approve_step(org):
    second = make_user("Finance", org.finance)
    publish_chain([step("finance", [{"submitter_picks": {"from": {"role": "Finance"}, "multiple": True, "min": 2}}],
                        mode="all")])
    contract = make_contract(org.east_rep)
    _refused(org.east_rep, contract, {"step:finance": [second.id]}, "workflow.pick_missing")
    run = engine.submit(org.east_rep, "contracts", contract.id,
                        picks={"step:finance": [org.finance_user.id, second.id]})
    assert {t.assignee_id for t in tasks(run, "pending")} == {org.finance_user.id, second.id}


def test_a_pick_only_on_a_step_the_route_skips_is_not_asked_for(org):
    publish_chain([step("manager", [{"manager_of": "submitter"}]),
                   step("finance", [FINANCE_PICK], when="doc.amount > 100000")])
    small = make_contract(org.east_rep, amount="5000")
    run = engine.submit(org.east_rep, "contracts", small.id)
    assert fresh(run).picks is None
    big = make_contract(org.east_rep, amount="500000")
    _refused(org.east_rep, big, {}, "workflow.pick_missing")


def test_a_returned_pick_step_asks_the_same_person_again(org):
    publish_chain([step("finance", [FINANCE_PICK]), step("manager", [{"manager_of": "submitter"}])])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id,
                        picks={"step:finance": [org.finance_user.id]})
    engine.approve(org.finance_user, task_of(run, org.finance_user).id)
    engine.return_to(org.manager, task_of(run, org.manager).id, "finance", "请财务再看一下")
    assert [t.assignee_id for t in tasks(run, "pending")] == [org.finance_user.id]


def test_a_pick_no_longer_allowed_when_the_step_opens_goes_to_the_admin_with_the_reason(org):
    chosen = make_user("Finance", org.finance)
    publish_chain([step("manager", [{"manager_of": "submitter"}]), step("finance", [FINANCE_PICK])],
                  admin=org.admin.username)
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id,
                        picks={"step:finance": [chosen.id]})
    from flask import current_app
    chosen.roles = [current_app.appbuilder.sm.find_role("Sales")]
    db.session.commit()
    engine.approve(org.manager, task_of(run, org.manager).id)
    assert [t.assignee_id for t in tasks(run, "pending")] == [org.admin.id]
    assert "picks_missing" in {a.reason for a in actions(run, "reassign")}


# -- CC chosen by the submitter ---------------------------------------------------------------------
def test_people_the_submitter_copies_get_the_cc_and_see_it_under_cc_to_me(org):
    publish_chain([step("manager", [{"manager_of": "submitter"}])],
                  cc=[{"on": ["submitted", "approved"], "to": [{"submitter_picks": {"from": "any"}}]}])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id,
                        picks={"cc": [org.south_rep.id, org.readonly.id]})
    copied = set(db.session.scalars(select(ApprovalCc.user_id).where(ApprovalCc.instance_id == run.id,
                                                                     ApprovalCc.event == "submitted")))
    assert copied == {org.south_rep.id, org.readonly.id}
    assert run.id in {row.instance.id for row in inbox.rows(org.south_rep, inbox.CC)}
    assert run.id not in {row.instance.id for row in inbox.rows(org.east_rep2, inbox.CC)}


def test_copying_nobody_is_fine_and_copying_oneself_is_refused(org):
    publish_chain([step("manager", [{"manager_of": "submitter"}])],
                  cc=[{"on": ["submitted"], "to": [{"submitter_picks": {"from": "any"}}]}])
    contract = make_contract(org.east_rep)
    with pytest.raises(DomainError) as refused:
        engine.submit(org.east_rep, "contracts", contract.id, picks={"cc": [org.east_rep.id]})
    db.session.rollback()
    assert refused.value.field == "pick:cc" and _instances_of(contract) == 0
    run = engine.submit(org.east_rep, "contracts", contract.id)
    assert not actions(run, "cc")


# -- 连续多级主管 ------------------------------------------------------------------------------------
def _line(org):
    """east_rep → manager → director → gm (their own manager)."""
    gm = make_user("Manager", org.company)
    gm.manager_id = gm.id
    director = make_user("Manager", org.sales, gm)
    org.manager.manager_id = director.id
    db.session.commit()
    return director, gm


def test_the_manager_chain_asks_every_manager_up_the_line_one_after_another(org):
    director, gm = _line(org)
    publish_chain([step("line", [{"manager_chain": {"levels": 5}}], mode="sequential")])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    assert [(t.assignee_id, t.status) for t in tasks(run)] == [
        (org.manager.id, "pending"), (director.id, "waiting"), (gm.id, "waiting")]
    engine.approve(org.manager, task_of(run, org.manager).id)
    engine.approve(director, task_of(run, director).id)
    engine.approve(gm, task_of(run, gm).id)
    assert fresh(run).status == "approved"


def test_the_manager_chain_stops_at_its_levels_or_at_the_named_role(org):
    director, gm = _line(org)
    from flask import current_app
    director.roles = [current_app.appbuilder.sm.find_role("Finance")]
    db.session.commit()
    publish_chain([step("line", [{"manager_chain": {"levels": 2}}], mode="sequential")])
    two = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    assert [t.assignee_id for t in tasks(two)] == [org.manager.id, director.id]
    publish_chain([step("line", [{"manager_chain": {"until_role": "Finance"}}], mode="sequential")])
    upto = engine.submit(org.east_rep2, "contracts", make_contract(org.east_rep2).id)
    assert [t.assignee_id for t in tasks(upto)] == [org.manager.id, director.id]


def test_the_manager_chain_of_a_self_manager_skips_them_and_an_empty_line_goes_to_the_admin(org):
    _director, gm = _line(org)
    publish_chain([step("line", [{"manager_chain": {"levels": 3}}], mode="sequential")], admin=org.admin.username)
    run = engine.submit(gm, "contracts", make_contract(gm, actor=org.admin).id)
    assert [t.assignee_id for t in tasks(run, "pending")] == [org.admin.id]
    assert "manager_chain_empty" in {a.reason for a in actions(run, "reassign")}
    assert gm.id not in {t.assignee_id for t in tasks(run)}


# -- 部门负责人 of a chosen department ---------------------------------------------------------------
def test_the_head_of_a_named_department_without_one_is_its_parents_head(org):
    org.sales.head_id = org.manager.id
    db.session.commit()
    publish_chain([step("head", [{"department_head": {"department": org.east.name}}])])
    run = engine.submit(org.south_rep, "contracts", make_contract(org.south_rep).id)
    assert [t.assignee_id for t in tasks(run, "pending")] == [org.manager.id]


def test_a_new_head_of_a_named_department_is_asked_from_the_next_submission(org):
    """Departments are kept per process: a head changed (and committed) is the one asked next."""
    org.sales.head_id = org.manager.id
    db.session.commit()
    publish_chain([step("head", [{"department_head": {"department": org.sales.name}}])])
    first = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    assert [t.assignee_id for t in tasks(first, "pending")] == [org.manager.id]
    org.sales.head_id = org.finance_user.id
    db.session.commit()
    second = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    assert [t.assignee_id for t in tasks(second, "pending")] == [org.finance_user.id]


def test_the_head_of_the_department_a_field_holds(org):
    org.finance.head_id = org.finance_user.id
    db.session.commit()
    publish_chain([step("head", [{"department_head": {"field": "department_id"}}])])
    contract = make_contract(org.east_rep, department_id=org.finance.id)
    run = engine.submit(org.east_rep, "contracts", contract.id)
    assert [t.assignee_id for t in tasks(run, "pending")] == [org.finance_user.id]


def test_an_empty_department_field_goes_to_the_admin_with_the_reason(org):
    publish_chain([step("head", [{"department_head": {"field": "department_id"}}])], admin=org.admin.username)
    contract = make_contract(org.east_rep)
    contract.department_id = None
    db.session.commit()
    run = engine.submit(org.east_rep, "contracts", contract.id)
    assert [t.assignee_id for t in tasks(run, "pending")] == [org.admin.id]
    assert "department_field_empty" in {a.reason for a in actions(run, "reassign")}


# -- what the route preview says ----------------------------------------------------------------------
def test_the_preview_says_the_submitter_must_choose_then_shows_the_choice(org):
    definition = publish_chain([step("finance", [FINANCE_PICK])]) and engine.active_definition("contract_approval")[1]
    finance = definition.step("finance")
    before = resolver.describe(definition, finance, org.east_rep, {})
    assert len(before) == 1 and before[0].startswith("(")
    after = resolver.describe(definition, finance, org.east_rep, {}, {"step:finance": [org.finance_user.id]})
    assert after == [f"{org.finance_user.display_name} ({org.finance_user.username})"]


def test_the_preview_lists_the_manager_line_in_order(org):
    director, gm = _line(org)
    definition = publish_chain([step("line", [{"manager_chain": {"levels": 5}}], mode="sequential")]) \
        and engine.active_definition("contract_approval")[1]
    people = resolver.describe(definition, definition.step("line"), org.east_rep, {})
    assert people == [f"{u.display_name} ({u.username})" for u in (org.manager, director, gm)]


def test_api_clients_name_their_choice_by_step_id(org, api_token, app):
    publish_chain([step("finance", [FINANCE_PICK])])
    contract = make_contract(org.east_rep)
    client = app.test_client()
    refused = client.post("/api/v1/approvals/submit", headers=api_token(org.east_rep),
                          json={"document": "contracts", "record_id": contract.id,
                                "choices": {"finance": [org.manager.id]}})
    assert refused.status_code == 400 and _instances_of(contract) == 0
    done = client.post("/api/v1/approvals/submit", headers=api_token(org.east_rep),
                       json={"document": "contracts", "record_id": contract.id,
                             "choices": {"finance": [org.finance_user.id]}})
    assert done.status_code == 200, done.get_json()
    run = db.session.get(ApprovalInstance, done.get_json()["result"]["id"])
    assert [t.assignee_id for t in tasks(run, "pending")] == [org.finance_user.id]
