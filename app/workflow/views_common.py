"""What the approval screens show: instances, tasks and timeline entries in words, and which
actions the current user may take. Reads only; every change goes through engine.py."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, request
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext, pgettext
from sqlalchemy import select

from app.core.org import User
from app.core.registry import registry
from app.extensions import db
from app.workflow import engine, reading
from app.workflow.definitions import describe_rule
from app.workflow.approver_kinds import NOTES as APPROVER_KIND_NOTES
from app.workflow.models import (APPROVED, PENDING, REJECTED, RUNNING, WITHDRAWN, ApprovalAction,
                                 ApprovalInstance, ApprovalTask)
from app.workflow.notices import event_label

# Permission view names: every signed-in role gets APPROVALS (see BASELINE in
# app/security/manager.py); the chain editor is the Admin's alone.
APPROVALS = "approvals"
WORKFLOWS = "workflow_definitions"
# Every view and API named APPROVALS declares the same permissions: FAB drops from a view name
# the permissions the view registered last does not list. can_manage (everyone's delegations)
# is the Admin's.
APPROVALS_PERMISSIONS = ["can_read", "can_write", "can_manage"]
APPROVALS_MENU = lazy_pgettext("menu", "Approvals")

INSTANCE_STATUS = {
    RUNNING: lazy_pgettext("approval status", "In approval"),
    APPROVED: lazy_pgettext("approval status", "Approved"),
    REJECTED: lazy_pgettext("approval status", "Rejected"),
    WITHDRAWN: lazy_pgettext("approval status", "Withdrawn"),
}
INSTANCE_STATUS_CLASS = {RUNNING: "info", APPROVED: "success", REJECTED: "danger", WITHDRAWN: "default"}

TASK_STATUS = {
    "pending": lazy_pgettext("task status", "Waiting for decision"),
    "waiting": lazy_pgettext("task status", "Queued"),
    "on_hold": lazy_pgettext("task status", "Waiting for the added signer"),
    "approved": lazy_pgettext("task status", "Approved"),
    "rejected": lazy_pgettext("task status", "Rejected"),
    "returned": lazy_pgettext("task status", "Returned"),
    "transferred": lazy_pgettext("task status", "Transferred"),
    "void": lazy_pgettext("task status", "Closed"),
}

ACTION_LABELS = {
    "submit": lazy_pgettext("approval action", "Submitted"),
    "picked": lazy_pgettext("approval action", "Chosen by the submitter"),
    "approve": lazy_pgettext("approval action", "Approved"),
    "reject": lazy_pgettext("approval action", "Rejected"),
    "return": lazy_pgettext("approval action", "Returned"),
    "transfer": lazy_pgettext("approval action", "Transferred"),
    "add_signer": lazy_pgettext("approval action", "Added a signer"),
    "withdraw": lazy_pgettext("approval action", "Withdrew"),
    "urge": lazy_pgettext("approval action", "Urged"),
    "comment": lazy_pgettext("approval action", "Commented"),
    "cc": lazy_pgettext("approval action", "CC"),
    "auto_pass": lazy_pgettext("approval action", "Passed automatically"),
    "auto_reject": lazy_pgettext("approval action", "Rejected automatically"),
    "auto_approve": lazy_pgettext("approval action", "Approved automatically"),
    "reassign": lazy_pgettext("approval action", "Reassigned"),
    "escalate": lazy_pgettext("approval action", "Escalated"),
    "remind": lazy_pgettext("approval action", "Reminded"),
    "approved": lazy_pgettext("approval action", "Approval completed"),
    "rejected": lazy_pgettext("approval action", "Approval rejected"),
    "stale": lazy_pgettext("approval action", "Approval no longer valid"),
}
ACTION_CLASS = {"approve": "success", "approved": "success", "auto_pass": "success", "auto_approve": "success",
                "reject": "danger", "rejected": "danger", "auto_reject": "danger", "stale": "warning",
                "return": "warning", "withdraw": "default"}

REASONS = {
    "self_approval_skip": _l("the submitter would approve their own document: skipped"),
    "self_approval_escalated": _l("the submitter would approve their own document: their manager approves instead"),
    "delegate_is_submitter": _l("the stand-in submitted this document: the task stays with the person they stand in for"),
    "duplicate_approver": _l("already approved this document in an earlier step"),
    "no_approver_admin": _l("nobody to ask at this step: the workflow admin approves instead"),
    "no_approver": _l("nobody to ask at this step"),
    "inactive_replaced": _l("an approver is deactivated: replaced"),
    "inactive_approver": _l("the approver was deactivated"),
    "timeout": _l("no decision in time"),
    "sla": _l("no decision in time"),
    "no_steps": _l("no step applies to this document"),
    "self_approval_others": _l("the submitter is among this step's approvers: the others decide"),
    "quorum_shortfall": _l("fewer approvers than the votes required: the workflow admin makes up the shortfall"),
    "condition_error": _l("a condition of the chain cannot be evaluated on this document: the workflow admin decides"),
    "picked": _l("to approve this step"),
    "picked_cc": _l("to be copied"),
    **APPROVER_KIND_NOTES,
    "before": _l("before me"),
    "after": _l("after me"),
}

MODE_LABELS = {
    "any": _l("any one approves"),
    "all": _l("all must approve"),
    "sequential": _l("one after another"),
    "quorum": _l("enough approvals"),
}


def step_name(definition, step_id: str | None) -> str:
    if not step_id:
        return ""
    try:
        return definition.step(step_id).name
    except KeyError:
        return step_id


def person(user) -> str:
    return user.display_name if user is not None else pgettext("approval actor", "System")


@dataclass
class Entry:
    """One line of the approval timeline, in words."""

    at: object
    actor: str
    action: str
    css: str
    step: str
    detail: str
    comment: str | None


def describe_action(row: ApprovalAction, definition, spec=None) -> Entry:
    actor = person(row.actor)
    if row.actor is not None and row.on_behalf_of is not None and row.on_behalf_of_id != row.actor_id:
        actor = _("%(delegate)s on behalf of %(principal)s", delegate=row.actor.display_name,
                  principal=row.on_behalf_of.display_name)
    target = row.target.display_name if row.target is not None else ""
    reason = row.reason or ""
    details = []
    if row.action == "return":
        details.append(_("back to %(step)s", step=step_name(definition, reason)))
    elif row.action == "cc":
        details.append(_("to %(name)s (%(event)s)", name=target, event=event_label(reason)))
    elif row.action == "stale":
        labels = [str(spec.label_columns.get(f, f)) if spec else f for f in reason.split(",") if f]
        details.append(_("locked fields changed: %(fields)s", fields="、".join(labels)))
    elif row.action == "add_signer" and target:
        details.append(_("to %(name)s (%(position)s)", name=target, position=REASONS.get(reason, reason)))
    else:
        if target:
            details.append(_("to %(name)s", name=target) if row.action in ("transfer", "reassign", "escalate",
                                                                          "add_signer")
                           else target)
        if reason:
            details.append(str(REASONS.get(reason, reason)))
    return Entry(at=row.at, actor=actor, action=str(ACTION_LABELS.get(row.action, row.action)),
                 css=ACTION_CLASS.get(row.action, "default"), step=step_name(definition, row.step_id),
                 detail=" · ".join(d for d in details if d), comment=row.comment)


def timeline_of(instance: ApprovalInstance, definition=None) -> list[Entry]:
    definition = definition or engine.definition_of(instance)
    spec = registry.specs.get(instance.document)
    return [describe_action(row, definition, spec) for row in reading.timeline(instance)]


@dataclass
class Actions:
    """What the current user may do on one instance (the engine still checks each action)."""

    withdraw: bool = False
    urge: bool = False
    comment: bool = False
    task: ApprovalTask | None = None           # the user's open task in the current round
    return_steps: list = field(default_factory=list)   # [(step id, name)]


@dataclass
class InstanceView:
    instance: ApprovalInstance
    definition: object
    chain: str
    version: int
    status: str
    status_css: str
    current_step: str
    waiting_for: list
    timeline: list
    actions: Actions


def _may_withdraw(instance, definition) -> bool:
    rule = definition.settings.withdraw
    if rule == "never":
        return False
    if rule == "before_first_approval":
        return db.session.scalar(select(ApprovalAction.id).where(
            ApprovalAction.instance_id == instance.id, ApprovalAction.action == "approve").limit(1)) is None
    return True


def open_task_of(user, instance) -> ApprovalTask | None:
    """The user's task that is waiting for their decision on this instance, if any."""
    if user is None or instance.status != RUNNING:
        return None
    return db.session.scalar(select(ApprovalTask).where(
        ApprovalTask.instance_id == instance.id, ApprovalTask.round == instance.round,
        ApprovalTask.assignee_id == user.id, ApprovalTask.status == PENDING).order_by(ApprovalTask.id).limit(1))


def waiting_for(instance) -> list[str]:
    """Who the instance waits for now: "D (for A)" when delegated."""
    if instance.status != RUNNING:
        return []
    names = []
    for task in db.session.scalars(select(ApprovalTask).where(
            ApprovalTask.instance_id == instance.id, ApprovalTask.round == instance.round,
            ApprovalTask.status == PENDING).order_by(ApprovalTask.id)):
        name = task.assignee.display_name
        if task.on_behalf_of is not None:
            name = _("%(delegate)s on behalf of %(principal)s", delegate=name, principal=task.on_behalf_of.display_name)
        names.append(name)
    return names


def view_of(instance: ApprovalInstance, user) -> InstanceView:
    definition = engine.definition_of(instance)
    actions = Actions()
    running = instance.status == RUNNING
    if user is not None:
        actions.comment = True
        if running and instance.submitter_id == user.id:
            actions.withdraw = _may_withdraw(instance, definition)
            actions.urge = True
        actions.task = open_task_of(user, instance)
        if actions.task is not None:
            actions.return_steps = [(s, step_name(definition, s)) for s in engine.earlier_steps(instance)]
    return InstanceView(
        instance=instance, definition=definition, chain=definition.title, version=instance.version.number,
        status=str(INSTANCE_STATUS.get(instance.status, instance.status)),
        status_css=INSTANCE_STATUS_CLASS.get(instance.status, "default"),
        current_step=step_name(definition, instance.current_step) if running else "",
        waiting_for=waiting_for(instance), timeline=timeline_of(instance, definition), actions=actions)


def active_users(limit: int = 2000, keep=None) -> list[User]:
    """People a task can be transferred to or added as a signer: active users, by name; `keep`
    (an id the user chose on a refused form) is always among them, so the choice can be corrected."""
    users = list(db.session.scalars(select(User).where(User.active.is_(True))
                                    .order_by(User.last_name, User.first_name, User.username).limit(limit)))
    try:
        kept = int(keep) if keep not in (None, "") else None
    except (TypeError, ValueError):
        kept = None
    if kept is not None and all(u.id != kept for u in users):
        chosen = db.session.get(User, kept)
        if chosen is not None:
            users.append(chosen)
    return users


def may_write_module(spec) -> bool:
    return bool(current_app.appbuilder.sm.has_access("can_write", spec.permission_name))


def safe_next(default: str) -> str:
    """The `next` form value when it is a path of this site, else `default`."""
    from app.security.redirects import safe_next as path_of_this_site

    return path_of_this_site((request.values.get("next") or "").strip(), default)


def document_link(instance) -> str:
    return f"/{instance.document}/show/{instance.record_id}"


def describe_step(step) -> dict:
    """A step's rules in words, for the diagram and the dry run."""
    mode = str(MODE_LABELS.get(step.mode, step.mode))
    if step.mode == "quorum":
        mode = _("%(n)d approvals are enough", n=step.quorum or 1)
    return {"id": step.id, "name": step.name, "mode": mode,
            "approvers": [describe_rule(r) for r in step.approvers],
            "when": step.when.source if step.when is not None else None}
