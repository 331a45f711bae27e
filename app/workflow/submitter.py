"""What the submitter (and anyone who may see an approval) does to a running approval:
撤回 (withdraw), 催办 (urge), and comments on the timeline. Called through engine.*."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.errors import DomainError, Forbidden
from app.core.org import User
from app.core.org import user_id as id_of
from app.extensions import db
from app.workflow import reading
from app.workflow.comment_files import attach, store_content
from app.workflow.documents import doc_of, set_status
from app.workflow.frame import _record, _run, _write_actions, definition_of
from app.workflow.models import OPEN_TASK_STATES, PENDING, RUNNING, VOID, WITHDRAWN, ApprovalAction, ApprovalInstance
from app.workflow.notices import OUTCOME, TASK, send_copies, task_link, tell

URGE_INTERVAL = dt.timedelta(hours=1)


def withdraw(actor, instance_id: int, comment: str | None = None) -> ApprovalInstance:
    """撤回: the submitter takes the document back to draft; open tasks become void.
    Refused when the chain's withdrawal rule does not allow it at this point."""
    return _run(actor, instance_id, _withdraw, actor, comment)


def _withdraw(uow, instance, actor, comment):
    definition = definition_of(instance)
    if instance.status != RUNNING:
        raise DomainError("workflow.not_running", _("This approval has already ended."))
    if id_of(actor) != instance.submitter_id:
        raise Forbidden("workflow.not_submitter", _("Only the submitter can withdraw the document."))
    if "withdraw" in definition.settings.comment_required and not (comment or "").strip():
        raise DomainError("workflow.comment_required", _("Please give a reason in the comment."), field="comment")
    rule = definition.settings.withdraw
    if rule == "never":
        raise DomainError("workflow.withdraw_never", _("This approval chain does not allow withdrawal."))
    _write_actions()
    if rule == "before_first_approval" and db.session.scalar(select(ApprovalAction.id).where(
            ApprovalAction.instance_id == instance.id, ApprovalAction.action == "approve").limit(1)):
        raise DomainError("workflow.withdraw_after_approval",
                          _("The document cannot be withdrawn: it has already been approved by someone."))
    open_tasks = [t for t in instance.tasks if t.status in OPEN_TASK_STATES]
    for task in open_tasks:
        task.status = VOID
    instance.status, instance.finished_at = WITHDRAWN, utcnow()
    doc = doc_of(instance)
    set_status(doc, doc.spec.workflow.draft)
    _record(instance, "withdraw", actor=actor, comment=comment, step_id=instance.current_step)
    send_copies(uow, instance, definition, "withdrawn", None, doc)
    title = _("Withdrawn: %(doc)s", doc=instance.title)
    body = _("%(name)s withdrew the document; your task is closed.", name=actor.display_name)
    for task in open_tasks:
        tell(uow, instance, db.session.get(User, task.assignee_id), title, body, task_link(task.id), rank=OUTCOME,
             mail=False)
    return instance


def next_urge_at(instance: ApprovalInstance) -> dt.datetime | None:
    """When the submitter may urge again (UTC), or None when an urge would reach someone now
    (or nobody is waiting: the engine then says why)."""
    waiting = [t for t in instance.tasks if t.status == PENDING]
    if not waiting or any(t.urged_at is None for t in waiting):
        return None
    soonest = min(t.urged_at for t in waiting) + URGE_INTERVAL
    return soonest if soonest > utcnow() else None


def urge(actor, instance_id: int, comment: str | None = None) -> ApprovalInstance:
    """催办: remind the open tasks' assignees now (at most once an hour per task). Refused with
    workflow.urged_recently (its `retry_after` param: seconds until the next urge may go out)
    when every waiting approver was urged within the hour."""
    return _run(actor, instance_id, _urge, actor, comment)


def _urge(uow, instance, actor, comment):
    if instance.status != RUNNING:
        raise DomainError("workflow.not_running", _("This approval has already ended."))
    if id_of(actor) != instance.submitter_id:
        raise Forbidden("workflow.not_submitter", _("Only the submitter can urge the approvers."))
    now = utcnow()
    tasks = [t for t in instance.tasks if t.status == PENDING and (t.urged_at is None or now - t.urged_at >= URGE_INTERVAL)]
    if not tasks:
        soonest = next_urge_at(instance) or now + URGE_INTERVAL
        wait = max(int((soonest - now).total_seconds()) + 1, 1)
        raise DomainError("workflow.urged_recently",
                          _("The approvers were urged less than an hour ago; you may urge again in %(minutes)s "
                            "minutes.", minutes=max((wait + 59) // 60, 1)), retry_after=wait)
    for task in tasks:
        task.urged_at = now
    _record(instance, "urge", actor=actor, comment=comment)
    title = _("Reminder from %(name)s: %(doc)s", name=actor.display_name, doc=instance.title)
    for task in tasks:   # each to their own task
        tell(uow, instance, db.session.get(User, task.assignee_id), title, comment or _("Please handle this approval."),
             task_link(task.id), rank=TASK)
    return instance


def comment(actor, instance_id: int, text: str, files=None) -> ApprovalInstance:
    """Add a comment to the approval timeline (anyone who may see the approval), with the files
    and signature of `files` (comment_files.Prepared, already checked) when given; a comment
    needs words, files or a signature. The entry and its files are written in one transaction."""
    text = (text or "").strip()
    if not text and not files:
        raise DomainError("workflow.empty_comment", _("Please write a comment."), field="comment")
    if not files:
        return _run(actor, instance_id, _comment, actor, text, None)
    try:
        return _run(actor, instance_id, _comment, actor, text, files)
    finally:
        files.discard()


def _comment(uow, instance, actor, text, files):
    if not reading.may_view(actor, instance):
        raise Forbidden("workflow.forbidden", _("You may not see this approval."))
    if files is None:
        _record(instance, "comment", actor=actor, comment=text)
        return instance
    store_content(files)   # content first (stored once per content): the rows below name it
    _write_actions()
    row = ApprovalAction(instance_id=instance.id, step_id=instance.current_step, action="comment",
                         actor_id=id_of(actor), comment=text or None, at=utcnow())
    db.session.add(row)
    db.session.flush()
    attach(uow, actor, row.id, files)
    return instance
