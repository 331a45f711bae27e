"""Timeouts and departures: what the SLA jobs and the deactivation job ask of the engine. Each
is an ordinary compare-and-set action (frame._run) that does nothing when the task has moved
on since the job was scheduled."""
from __future__ import annotations

from sqlalchemy import select

from app.core.org import User
from app.extensions import db
from app.workflow import resolver
from app.workflow.engine import decide_task, instance_of_task, move_task, task_by_id
from app.workflow.frame import _record, _run, definition_of
from app.workflow.models import DONE_APPROVED, DONE_REJECTED, OPEN_TASK_STATES, PENDING, RUNNING, ApprovalTask
from app.workflow.self_approval import instead_of_submitter


def escalate(task_id: int, expected_version: int) -> str:
    """The task timed out: escalate it, or approve / reject it, per the step's SLA. Does nothing
    when the task was handled, reassigned or reopened since the job was scheduled."""
    instance_id = db.session.scalar(select(ApprovalTask.instance_id).where(ApprovalTask.id == task_id))
    if instance_id is None:
        return "gone"
    return _run(None, instance_id, _escalate, task_id, expected_version)


def _escalate(uow, instance, task_id, expected_version):
    task = task_by_id(task_id)
    if task.status != PENDING or task.version != expected_version or instance.status != RUNNING:
        return "stale"
    definition = definition_of(instance)
    sla = definition.step(task.step_id).sla
    if sla.on_timeout == "auto_approve":
        decide_task(uow, instance, None, task_id, DONE_APPROVED, None, "timeout")
        return "approved"
    if sla.on_timeout == "auto_reject":
        decide_task(uow, instance, None, task_id, DONE_REJECTED, None, "timeout")
        return "rejected"
    assignee = db.session.get(User, task.assignee_id)
    target = resolver.manager_of(assignee) if sla.escalate_to == "manager" else None
    if target is None or not target.active:
        target = resolver.admin_user(definition)
    target = instead_of_submitter(instance, definition, target)
    if target is None or target.id == task.assignee_id:
        return "nobody"
    move_task(uow, instance, definition, task, target, actor=None, comment=None, action="escalate", reason="timeout")
    return "escalated"


def reassign_inactive(user_id: int) -> int:
    """Move every open task of a deactivated user by the chain's inactive-approver rule."""
    moved = 0
    task_ids = list(db.session.scalars(select(ApprovalTask.id).where(
        ApprovalTask.assignee_id == user_id, ApprovalTask.status.in_(OPEN_TASK_STATES))))
    for task_id in task_ids:
        instance_id = instance_of_task(task_id)
        if _run(None, instance_id, _reassign_inactive, task_id, user_id) == "moved":
            moved += 1
    return moved


def _reassign_inactive(uow, instance, task_id, user_id):
    task = task_by_id(task_id)
    user = db.session.get(User, user_id)
    if task.assignee_id != user_id or task.status not in OPEN_TASK_STATES or user is None or user.active:
        return "stale"
    definition = definition_of(instance)
    target = instead_of_submitter(instance, definition, resolver.replacement_for(user, definition))
    if target is None:
        return "nobody"
    if task.status == PENDING:
        move_task(uow, instance, definition, task, target, actor=None, comment=None, action="reassign",
                   reason="inactive_approver")
    else:  # waiting / on hold: keep its place, change the person
        task.assignee_id, task.version = target.id, task.version + 1
        _record(instance, "reassign", task=task, target=target, reason="inactive_approver")
    return "moved"
