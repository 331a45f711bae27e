"""Who hears of an approval action, and how: the new assignees ("please approve", with approve
and reject buttons in the mail), the submitter (approved / rejected), the approvers whose
tasks a withdrawal closed, and the people the chain copies (CC).

One action is one event: however many of these apply to one person (the owner copied on
"approved" is also the submitter told "approved"; the next approver is also copied on "step
completed"), they get one notice, the most useful one — a task to act on before the outcome,
the outcome before a copy — and no copy of what they did themselves. The notices of an action
are gathered while it runs and written just before it commits, so an action that is retried
after a conflict or refused tells nobody anything.
"""
from __future__ import annotations

from flask_babel import gettext as _, pgettext
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.collab import already_told
from app.core.notify import notify_each
from app.core.org import User
from app.core.org import user_id as id_of
from app.extensions import db
from app.workflow import resolver
from app.workflow.documents import Doc, doc_of
from app.workflow.frame import _ensure_id, _record
from app.workflow.models import ApprovalCc

# How useful a notice is to its reader, when one action has several for them.
TASK, OUTCOME, COPY = 3, 2, 1


def document_link(instance) -> str:
    return f"/{instance.document}/show/{instance.record_id}"


def task_link(task_id: int, decision: str | None = None) -> str:
    """The task's page (or the confirmation page of a decision), as a path of the app: mails
    make it a full address (notify.public_url)."""
    return f"/approvals/task/{task_id}" + (f"/{decision}" if decision else "")


def tell(uow, instance, user: User | None, title: str, body: str, link: str, *, rank: int, actions=None,
         mail: bool = True) -> None:
    """Note a notice for `user` about `instance`; the action's notices go out before it commits,
    one per person and instance (the highest `rank`; of equal ones, the latest)."""
    if user is None:
        return
    pending = getattr(uow, "_wf_notices", None)
    if pending is None:
        pending = uow._wf_notices = {}
        uow.before_commit(lambda: _send(uow, pending))
    key = (id(instance), user.id)
    if key not in pending or rank >= pending[key][0]:
        pending[key] = (rank, instance, (user, title, body, link, actions), mail)


def _send(uow, pending: dict) -> None:
    actor_id = id_of(uow.actor)
    by_mail: dict[bool, list] = {True: [], False: []}
    told: dict[tuple, list] = {}
    for rank, instance, message, mail in pending.values():
        if rank == COPY and message[0].id == actor_id:
            continue   # a copy of one's own action tells nothing
        by_mail[mail].append(message)
        told.setdefault((instance.document, instance.record_id), []).append(message[0].id)
    for mail, messages in by_mail.items():
        notify_each(uow, messages, mail=mail)
    # Followers' change notices (app.core.collab) skip whoever heard of the change from here.
    for (document, record_id), user_ids in told.items():
        already_told(uow, document, record_id, user_ids)
    pending.clear()


def announce(uow, instance, definition, tasks) -> None:
    """Tell each new assignee (with approve / reject buttons in the e-mail) and schedule the SLA jobs."""
    from app.workflow import sla

    step = definition.step(instance.current_step)
    title = _("Please approve: %(doc)s", doc=instance.title)
    where = _("%(chain)s, step %(step)s.", chain=definition.title, step=step.name)
    approve, reject = pgettext("approval", "Approve"), pgettext("approval", "Reject")   # translated once
    for task in tasks:
        lines = [where]
        if task.on_behalf_of_id:
            lines.append(_("On behalf of %(name)s.", name=db.session.get(User, task.on_behalf_of_id).display_name))
        if task.note:
            lines.append(_("Comment: %(comment)s", comment=task.note))
        # The mail offers approve / reject buttons; each opens a confirmation page first.
        actions = [(approve, task_link(task.id, "approve")), (reject, task_link(task.id, "reject"))]
        tell(uow, instance, db.session.get(User, task.assignee_id), title, "\n".join(lines), task_link(task.id),
             rank=TASK, actions=actions)
        sla.schedule_sla(uow, task, step.sla)


def send_copies(uow, instance, definition, event: str, step, doc: Doc | None = None) -> None:
    """抄送: record and tell the people the chain (and `step`) copies on `event`, each once per
    instance and event."""
    rules = [r for rule in definition.cc if event in rule.on for r in rule.to]
    if step is not None:
        rules += [r for rule in step.cc if event in rule.on for r in rule.to]
    if not rules:
        return
    doc = doc or doc_of(instance)
    _ensure_id(instance)
    users, _reasons = resolver.resolve_rules(rules, resolver.Submitter(instance.submitter_id, picks=instance.picks),
                                             doc, definition)
    title = _("CC: %(doc)s", doc=instance.title)
    body = _("%(chain)s: %(event)s.", chain=definition.title, event=event_label(event))
    for user in users:
        exists = db.session.scalar(select(ApprovalCc.id).where(
            ApprovalCc.instance_id == instance.id, ApprovalCc.user_id == user.id, ApprovalCc.event == event))
        if exists is None:
            db.session.add(ApprovalCc(instance_id=instance.id, user_id=user.id, event=event, at=utcnow()))
            _record(instance, "cc", target=user, reason=event, step_id=step.id if step is not None else "")
            tell(uow, instance, user, title, body, document_link(instance), rank=COPY)


def event_label(event: str) -> str:
    return {"submitted": _("submitted"), "approved": _("approved"), "rejected": _("rejected"),
            "returned": _("returned"), "withdrawn": _("withdrawn"), "step_done": _("step completed")}.get(event, event)
