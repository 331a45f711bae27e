"""Approval chains for tests: published as new versions of contract_approval (the chain the
contracts module declares), so each test runs on exactly the chain it describes."""
from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from app.extensions import db
from app.workflow import publishing
from app.workflow.frame import active_definition
from app.workflow.models import ApprovalAction, ApprovalInstance, ApprovalTask

BASE_SETTINGS = {
    "self_approval": "escalate_to_manager",
    "auto_pass_duplicates": True,
    "empty_approvers": "admin",
    "inactive_approver": "manager",
    "on_reject": "return_to_submitter",
    "withdraw": "anytime",
    "comment_required": ["reject", "return"],
    "locked_fields": ["amount", "customer_id", "standard_terms"],
}


def user_rule(*users) -> list[dict]:
    return [{"user": u.username} for u in users]


def step(step_id: str, approvers: list[dict], mode: str = "any", **extra) -> dict:
    return {"id": step_id, "name": f"{step_id} 审批", "approvers": approvers, "mode": mode, **extra}


def chain_yaml(steps: list[dict], admin: str = "admin", cc: list | None = None, **settings) -> str:
    doc = {"name": "contract_approval", "title": "合同审批", "document": "contracts", "admin": admin,
           "settings": {**BASE_SETTINGS, **settings}, "steps": steps}
    if cc:
        doc["cc"] = cc
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def publish_chain(steps: list[dict], **kwargs):
    return publishing.publish(None, chain_yaml(steps, **kwargs))


def fresh(instance: ApprovalInstance) -> ApprovalInstance:
    db.session.expire_all()
    return db.session.get(ApprovalInstance, instance.id)


def tasks(instance, status: str | None = None, step_id: str | None = None) -> list[ApprovalTask]:
    stmt = select(ApprovalTask).where(ApprovalTask.instance_id == instance.id).order_by(ApprovalTask.id)
    if status:
        stmt = stmt.where(ApprovalTask.status == status)
    if step_id:
        stmt = stmt.where(ApprovalTask.step_id == step_id)
    db.session.expire_all()
    return list(db.session.scalars(stmt))


def task_of(instance, user, status: str = "pending") -> ApprovalTask:
    found = [t for t in tasks(instance, status) if t.assignee_id == user.id]
    assert len(found) == 1, f"expected one {status} task for {user.username}, found {len(found)}"
    return found[0]


def actions(instance, action: str | None = None) -> list[ApprovalAction]:
    stmt = select(ApprovalAction).where(ApprovalAction.instance_id == instance.id).order_by(ApprovalAction.id)
    if action:
        stmt = stmt.where(ApprovalAction.action == action)
    db.session.expire_all()
    return list(db.session.scalars(stmt))


@pytest.fixture(autouse=True)
def shipped_chain_afterwards(app):
    """Imported by test files that publish chains of their own: later tests expect the shipped
    contract chain again."""
    yield
    with app.app_context():
        shipped = (publishing.WORKFLOWS_DIR / "contract_approval.yaml").read_text(encoding="utf-8")
        version, _definition = active_definition("contract_approval")
        if version is None or version.source != shipped:
            publishing.publish(None, shipped, note="shipped version again")
        db.session.remove()
