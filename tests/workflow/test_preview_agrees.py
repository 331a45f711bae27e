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
    for step_id in db.session.scalars(select(ApprovalAction.step_id).where(
            ApprovalAction.instance_id == instance_id).order_by(ApprovalAction.id)):
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
