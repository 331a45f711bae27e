"""Demo approvals: recent draft documents submitted through their chains, some already
approved or rejected on the way, so every demo manager finds work in the approvals inbox."""
from __future__ import annotations

import random

from sqlalchemy import select

from app.core.errors import DomainError
from app.core.org import User
from app.core.registry import registry
from app.extensions import db
from app.workflow import engine
from app.workflow.models import PENDING, ApprovalTask

REMARKS = ["同意。", "条款已核对，同意。", "价格在授权范围内，同意。"]
REJECTIONS = ["付款周期过长，请与客户重新协商后再提交。", "缺少客户盖章版本，请补充后再提交。"]


def _open_tasks(instance_id: int) -> list[ApprovalTask]:
    return list(db.session.scalars(select(ApprovalTask).where(
        ApprovalTask.instance_id == instance_id, ApprovalTask.status == PENDING).order_by(ApprovalTask.id)))


def load_demo(admin, staff: dict, seed: int = 2026, count: int = 14) -> str:
    rng = random.Random(seed)
    submitted = decided = 0
    for spec in registry.specs.values():
        if spec.workflow is None:
            continue
        status = getattr(spec.model, spec.workflow.status_field)
        drafts = list(db.session.scalars(select(spec.model).where(status == spec.workflow.draft)
                                         .order_by(spec.model.id.desc()).limit(count)))
        for item in drafts:
            owner = db.session.get(User, getattr(item, "owner_id", None) or admin.id)
            try:
                instance = engine.submit(owner, spec.name, item.id, comment="请审批。")
            except DomainError:
                continue                       # e.g. a chain not published for this document type
            submitted += 1
            # Walk some of them on: most wait at some step, a few end approved or rejected.
            for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
                tasks = _open_tasks(instance.id)
                if not tasks:
                    break
                task = tasks[0]
                approver = db.session.get(User, task.assignee_id)
                if rng.random() < 0.12:
                    engine.reject(approver, task.id, rng.choice(REJECTIONS))
                    decided += 1
                    break
                engine.approve(approver, task.id, rng.choice(REMARKS))
                decided += 1
    return f"{submitted} approvals started, {decided} decisions"
