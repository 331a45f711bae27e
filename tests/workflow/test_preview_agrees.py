"""The route preview and the engine share one evaluator: for random contracts and submitters on
every shipped chain of an installed document type, the preview's route and the people it names
for the first step are what the engine then does — amounts rounded as stored (100000.004),
a yes/no given as the text "false", a submitter who is their own manager, a step with nobody
to ask, a quorum short of people."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from app.core.errors import DomainError
from app.core.org import User
from app.extensions import db
from app.workflow import engine, publishing
from app.workflow.definitions import parse_definition
from app.workflow.models import PENDING, RUNNING, WAITING, ApprovalAction, ApprovalInstance, ApprovalTask
from app.workflow.views_editor import dry_run
from tests.factories import make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.test_views import restore_shipped_chain, shipped_chain_afterwards  # noqa: F401

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
CONTRACT_CHAINS = [p for p in sorted(WORKFLOWS.glob("*.yaml"))
                   if "\ndocument: contracts" in p.read_text(encoding="utf-8")]


def _engine_story(instance_id: int) -> tuple[list[str], set[str]]:
    """Approve everything in turn; the steps the approval went through, and who the first step asked."""
    first_people = None
    for _ in range(30):
        db.session.expire_all()
        instance = db.session.get(ApprovalInstance, instance_id)
        if instance.status != RUNNING:
            break
        open_tasks = list(db.session.scalars(select(ApprovalTask).where(
            ApprovalTask.instance_id == instance_id, ApprovalTask.round == instance.round,
            ApprovalTask.status.in_((PENDING, WAITING)))))
        if first_people is None:
            first_people = {f"{t.assignee.display_name} ({t.assignee.username})" for t in open_tasks}
        task = next(t for t in open_tasks if t.status == PENDING)
        engine.approve(db.session.get(User, task.assignee_id), task.id, "同意")
    steps = []
    for step_id in db.session.scalars(select(ApprovalAction.step_id).where(   # whom the submitter chose: not a step taken
            ApprovalAction.instance_id == instance_id, ApprovalAction.action != "picked").order_by(ApprovalAction.id)):
        if step_id and step_id not in steps:
            steps.append(step_id)
    return steps, first_people or set()


@pytest.mark.parametrize("chain", CONTRACT_CHAINS, ids=lambda p: p.name)
def test_the_route_preview_says_what_the_engine_does(org, app, chain):
    source = chain.read_text(encoding="utf-8")
    publishing.publish(None, source)
    definition = parse_definition(source)
    gm = make_user("Manager", org.company)
    gm.manager_id = gm.id   # their own manager
    db.session.commit()
    cast = {"rep": org.east_rep, "manager": org.manager, "gm": gm, "finance": org.finance_user}

    @settings(max_examples=6, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(amount=st.sampled_from(["100000.004", "100000.005", "99999.99", "500000.00", "1.00", "1000000.01"]),
           standard=st.sampled_from([True, False, "false", "true"]),
           who=st.sampled_from(sorted(cast)))
    def agree(amount, standard, who):
        submitter = cast[who]
        terms = standard if isinstance(standard, bool) else standard == "true"
        with app.test_request_context():
            preview = dry_run(definition, json.dumps({"amount": amount, "standard_terms": standard}),
                              submitter.username)
        contract = make_contract(submitter, amount=Decimal(amount), standard_terms=terms)
        try:
            run = engine.submit(submitter, "contracts", contract.id)
        except DomainError:
            db.session.rollback()
            assert preview["error"], "the engine refused what the preview accepted"
            return
        assert not preview["error"], preview["error"]
        route = [s["id"] for s in sorted((s for s in preview["steps"] if s["taken"]), key=lambda s: s["order"])]
        steps, first_people = _engine_story(run.id)
        assert steps == route, (steps, route)
        if route:
            named = {p for p in preview["steps"][[s["id"] for s in preview["steps"]].index(route[0])]["people"]
                     if not p.startswith("(")}
            assert named == first_people, (named, first_people)
            assert all(submitter.username not in p for p in named)

    agree()


# -- the newer approver kinds ---------------------------------------------------------------------
KIND_RULES = {
    "line": lambda org: [{"manager_chain": {"levels": 3}}],
    "line_until": lambda org: [{"manager_chain": {"until_role": "Manager", "levels": 5}}],
    "picked": lambda org: [{"submitter_picks": {"from": {"role": "Finance"}}}],
    "picked_any": lambda org: [{"submitter_picks": {"from": "any", "multiple": True, "min": 1}}],
    "named_head": lambda org: [{"department_head": {"department": org.east.name}}],
    "field_head": lambda org: [{"department_head": {"field": "department_id"}}],
    "owner": lambda org: [{"field": "owner_id"}],
}


def test_the_route_preview_says_what_the_engine_does_with_the_newer_kinds(org, app):
    """Random chains of the newer approver kinds, random submitters (one their own manager) and
    choices: the people the preview names for the first step are those the engine asks."""
    from app.workflow import resolver
    from app.workflow.documents import document_context
    from app.modules.contracts.models import Contract
    from tests.workflow.helpers import publish_chain, step

    gm = make_user("Manager", org.company)
    gm.manager_id = gm.id
    org.manager.manager_id = gm.id
    org.sales.head_id = org.manager.id
    db.session.commit()
    cast = {"rep": org.east_rep, "manager": org.manager, "gm": gm, "finance": org.finance_user}
    finance2 = make_user("Finance", org.finance)

    @settings(max_examples=14, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(kind=st.sampled_from(sorted(KIND_RULES)), second=st.sampled_from([None, *sorted(KIND_RULES)]),
           who=st.sampled_from(sorted(cast)), pick=st.sampled_from(["finance", "gm", "rep2"]),
           dept=st.sampled_from(["east", "finance", "none"]))
    def agree(kind, second, who, pick, dept):
        submitter = cast[who]
        approvers = KIND_RULES[kind](org)
        mode = "sequential" if kind.startswith("line") else "any"
        steps = [step("first", approvers, mode=mode)]
        if second is not None:
            steps.append(step("second", KIND_RULES[second](org),
                              mode="sequential" if second.startswith("line") else "any"))
        publish_chain(steps, admin=org.admin.username)
        definition = engine.active_definition("contract_approval")[1]
        chosen = {"finance": org.finance_user, "gm": gm, "rep2": org.east_rep2}[pick]
        picks = {}
        for s in definition.steps:
            for rule in s.approvers:
                if rule.kind == "submitter_picks":
                    allowed = rule.value[0] == "any" or chosen.id == org.finance_user.id
                    picks[rule.pick_key] = [(chosen if allowed and chosen.id != submitter.id else finance2).id]
        department = {"east": org.east.id, "finance": org.finance.id, "none": None}[dept]
        contract = make_contract(submitter, actor=org.admin if who == "gm" else None)
        db.session.get(Contract, contract.id).department_id = department
        db.session.commit()
        item = db.session.get(Contract, contract.id)
        from app.core.registry import registry
        context = document_context(registry.specs["contracts"], item, submitter)
        route = [s.id for s in definition.route(context)]
        first = definition.step(route[0])
        named = {p for p in resolver.describe(definition, first, submitter, context["doc"], picks)
                 if not p.startswith("(")}
        try:
            run = engine.submit(submitter, "contracts", contract.id, picks=picks)
        except DomainError as error:
            db.session.rollback()
            raise AssertionError(f"the engine refused what the preview accepted: {error.message}") from None
        steps_taken, first_people = _engine_story(run.id)
        assert steps_taken[:1] == route[:1], (steps_taken, route)
        assert named == first_people, (kind, who, named, first_people)
        assert all(f"({submitter.username})" not in p for p in named)

    agree()
