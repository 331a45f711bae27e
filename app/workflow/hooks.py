"""What the approval engine guards on every write, whoever writes (screen, API, service, job):

- a document in approval is read-only, except the fields its current step lets its current
  approvers edit;
- changing a locked field of an approved document marks its approvals stale and sends it back
  to draft, to be submitted again;
- a document in approval cannot be deleted;
- when a user is deactivated, their open tasks move by the inactive-approver rule (a job).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.org import User
from app.core.registry import registry
from app.extensions import db
from app.workflow.models import APPROVED, PENDING, RUNNING, ApprovalAction, ApprovalInstance, ApprovalTask


_by_model: list = [None, 0, {}]   # [the registry's specs, how many, {model: spec with a workflow}]


def _workflow_specs() -> dict:
    """The specs with a workflow by model, worked out again only when the registry's specs change (asked at
    every flush)."""
    specs = registry.specs
    if _by_model[0] is not specs or _by_model[1] != len(specs):
        _by_model[:] = [specs, len(specs), {spec.model: spec for spec in specs.values() if spec.workflow is not None}]
    return _by_model[2]


def _changed_fields(obj) -> set[str]:
    state = inspect(obj)
    return {attr.key for attr in state.mapper.column_attrs if state.attrs[attr.key].history.has_changes()}


def _instance(session, spec, obj, status):
    return session.scalar(select(ApprovalInstance).where(
        ApprovalInstance.document == spec.name, ApprovalInstance.record_id == obj.id,
        ApprovalInstance.status == status).order_by(ApprovalInstance.id.desc()).limit(1))


@event.listens_for(Session, "before_flush")
def _guard_documents(session: Session, flush_context, instances) -> None:
    if session.info.get("wf_engine"):
        return
    specs = _workflow_specs()
    if not specs:
        return
    for obj in list(session.dirty):
        spec = specs.get(type(obj))
        if spec is None or not session.is_modified(obj, include_collections=False):
            continue
        wf = spec.workflow
        state = inspect(obj)
        status_hist = state.attrs[wf.status_field].history
        old_status = status_hist.deleted[0] if status_hist.deleted else getattr(obj, wf.status_field)
        changed = _changed_fields(obj) - {"updated_at"}
        if not changed:
            continue
        if old_status == wf.in_approval:
            _check_edit_in_approval(session, spec, obj, changed)
        elif old_status == wf.approved:
            _mark_stale_if_locked(session, spec, obj, changed)
    for obj in session.deleted:
        spec = specs.get(type(obj))
        if spec is not None and getattr(obj, spec.workflow.status_field) == spec.workflow.in_approval:
            raise DomainError("workflow.locked", _("A document in approval cannot be deleted; withdraw it first."))


def _check_edit_in_approval(session, spec, obj, changed: set[str]) -> None:
    from app.workflow.engine import definition_of

    instance = _instance(session, spec, obj, RUNNING)
    if instance is None:
        return
    allowed: set[str] = set()
    actor_id = session.info.get("actor_id")
    if actor_id is not None:
        is_approver = session.scalar(select(ApprovalTask.id).where(
            ApprovalTask.instance_id == instance.id, ApprovalTask.round == instance.round,
            ApprovalTask.status == PENDING, ApprovalTask.assignee_id == actor_id).limit(1))
        if is_approver:
            allowed = set(definition_of(instance).step(instance.current_step).editable_fields)
    refused = sorted(changed - allowed)
    if refused:
        label = spec.label_columns.get(refused[0], refused[0])
        raise DomainError("workflow.locked",
                          _("%(field)s cannot be changed while the document is in approval.", field=label),
                          field=refused[0])


def _mark_stale_if_locked(session, spec, obj, changed: set[str]) -> None:
    from app.workflow.engine import definition_of

    instance = _instance(session, spec, obj, APPROVED)
    if instance is None:
        return
    locked = set(definition_of(instance).settings.locked_fields)
    touched = sorted(changed & locked)
    if not touched:
        return
    instance.stale = True
    setattr(obj, spec.workflow.status_field, spec.workflow.draft)
    session.add(ApprovalAction(instance_id=instance.id, step_id="", action="stale", reason=",".join(touched),
                               actor_id=session.info.get("actor_id"), at=utcnow()))


# -- deactivated approvers -----------------------------------------------------------------------
@event.listens_for(Session, "after_flush")
def _note_deactivations(session: Session, flush_context) -> None:
    for obj in session.dirty:
        if isinstance(obj, User):
            hist = inspect(obj).attrs.active.history
            if hist.deleted and hist.deleted[0] and not obj.active:
                session.info.setdefault("wf_deactivated", set()).add(obj.id)


@event.listens_for(Session, "after_commit")
def _reassign_after_commit(session: Session) -> None:
    ids = session.info.pop("wf_deactivated", None)
    if not ids:
        return
    from app.core.jobs import queue
    from app.workflow.jobs import reassign_inactive_approver

    q = queue()
    for user_id in ids:
        q.enqueue(reassign_inactive_approver, user_id)


@event.listens_for(Session, "after_rollback")
def _forget_deactivations(session: Session) -> None:
    session.info.pop("wf_deactivated", None)


def edit_notice(spec, item) -> str | None:
    """Above the edit form of a document in approval: what its editor may still change."""
    from app.core.datamodel import current_actor
    from app.workflow.engine import definition_of

    wf = spec.workflow
    if wf is None or getattr(item, wf.status_field, None) != wf.in_approval:
        return None
    instance = _instance(db.session, spec, item, RUNNING)
    if instance is None:
        return None
    actor = current_actor()
    allowed = []
    if actor is not None and db.session.scalar(select(ApprovalTask.id).where(
            ApprovalTask.instance_id == instance.id, ApprovalTask.round == instance.round,
            ApprovalTask.status == PENDING, ApprovalTask.assignee_id == actor.id).limit(1)):
        allowed = [str(spec.label_columns.get(f, f)) for f in definition_of(instance).step(instance.current_step).editable_fields]
    if allowed:
        return _("This document is in approval: you may change only %(fields)s.", fields="、".join(allowed))
    return _("This document is in approval and cannot be changed; withdraw it first to edit it.")
