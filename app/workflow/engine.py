"""The approval state machine. Screens, API, e-mail links, SLA jobs and the CLI all call these.

Every action is a compare-and-set on the instance (frame.py), so two approvers of an
all-must-approve step acting at once are both recorded and the step advances once; on an
any-one step the second finds its task void and is told who handled it.
"""
from __future__ import annotations


from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.core.clock import utcnow
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.org import User
from app.core.org import user_id as id_of
from app.core.scope import scope_clause
from app.core.transaction import unit_of_work
from app.extensions import db
from app.workflow import resolver
from app.workflow.conditions import ConditionError
from app.workflow.documents import (Doc, condition_context, doc_of, document_context, document_title,
                                    item_and_person, json_safe, set_status, workflow_spec)
from app.workflow.frame import (ACTIONS, ROUND_READ, _ensure_id, _insert_tasks, _record, _round_tasks,
                                _run_on_task, _write_actions, active_definition, active_version_column,
                                definition_of, definition_of_version)
from app.workflow.models import (APPROVED, DONE_APPROVED, DONE_REJECTED, ON_HOLD, OPEN_TASK_STATES, PENDING,
                                 REJECTED, RETURNED, RUNNING, TRANSFERRED, VOID, WAITING, WITHDRAWN,
                                 ApprovalAction, ApprovalInstance, ApprovalTask)
from app.workflow.notices import OUTCOME, announce, document_link, send_copies, tell
from app.workflow.picks import check_picks, merged
from app.workflow.self_approval import forbids_self_approval, refuse_own_decision, refuse_submitter

# -- submit ------------------------------------------------------------------------------------
def submit(actor, document: str, record_id: int, comment: str | None = None,
           picks: dict | None = None, choices: dict | None = None) -> ApprovalInstance:
    """Start the approval of a draft document on its chain's active version.

    Refuses documents the actor cannot see, documents not in draft, and chains not published.
    `picks` ({pick key: [user ids]}) are the people the submitter chooses for the chain's
    `submitter_picks` rules on this document's route; a missing or wrong choice is refused
    (picks.check_picks) before anything is written. `choices` say the same as API clients write
    them ({step id or "cc": [user ids]}).
    """
    spec = workflow_spec(document)
    try:
        return _submit(actor, spec, document, record_id, comment, merged(picks, choices))
    finally:
        db.session.info.pop("wf_engine", None)
        db.session.info.pop(ROUND_READ, None)
        db.session.info.pop(ACTIONS, None)


def _submit(actor, spec, document, record_id, comment, picks=None):
    with unit_of_work(actor) as uow:
        # The document, locked, and only if the actor may see it, with the id of its chain's
        # active version: one statement.
        chain = spec.workflow.chain_of(record_id)
        stmt = (select(spec.model, active_version_column(chain)).where(spec.model.id == record_id)
                .options(lazyload("*")).with_for_update(of=spec.model))
        clause = scope_clause(spec, actor) if actor is not None else None
        row = db.session.execute(stmt.where(clause) if clause is not None else stmt).first()
        item, version_id = row if row is not None else (None, None)
        if item is None:
            raise NotFound("workflow.no_document", _("The document does not exist or you may not see it."))
        state = getattr(item, spec.workflow.status_field)
        if state != spec.workflow.draft:
            raise DomainError("workflow.not_draft", _("Only a draft can be submitted for approval."))
        definition = definition_of_version(version_id)
        if definition is None:
            raise DomainError("workflow.not_published",
                              _("The approval chain %(name)s has not been published.", name=chain))
        if spec.workflow.on_submit is not None:
            spec.workflow.on_submit(actor, item)
        doc = Doc(spec, record_id, item)
        context = document_context(spec, item, actor)
        chosen = check_picks(definition, context, actor, picks)
        instance = ApprovalInstance(version_id=version_id, document=document, record_id=record_id,
                                    title=document_title(spec, item)[:255], submitter_id=id_of(actor),
                                    status=RUNNING, round=0, lock_version=0,
                                    context={"doc": json_safe(context["doc"]), "submitter": context["submitter"]},
                                    picks=chosen or None, started_at=utcnow())
        db.session.add(instance)
        set_status(doc, spec.workflow.in_approval)
        _record(instance, "submit", actor=actor, comment=comment, step_id="")
        for key, user_ids in (chosen or {}).items():   # 发起人自选: whom the submitter chose, on the timeline
            for user_id in user_ids:
                _record(instance, "picked", actor=actor, target=user_id,
                        step_id=key.split(":", 1)[1] if key.startswith("step:") else "",
                        reason="picked_cc" if key.startswith("cc") else "picked")
        send_copies(uow, instance, definition, "submitted", None, doc)
        try:
            first = _first_step(definition, context)
        except ConditionError as error:
            raise DomainError("workflow.condition_error",
                              _("This document cannot be submitted: a condition of the approval chain %(chain)s "
                                "cannot be evaluated on it (%(reason)s). Check the document's fields, or ask the "
                                "chain's administrator.", chain=definition.title, reason=error.message)) from None
        if first is None:
            _record(instance, "auto_approve", reason="no_steps", step_id="")
            _finish(uow, instance, definition, APPROVED, doc)
        else:
            _enter_step(uow, instance, definition, first, doc=doc)
        _write_actions()
    return instance


def _first_step(definition, context):
    route = definition.route(context)
    return route[0] if route else None


# -- entering and completing steps ---------------------------------------------------------------
def _enter_step(uow, instance, definition, step, *, doc: Doc, returned=False, note=None,
                previous_approvers: set | None = None):
    """Open `step` for the instance: resolve approvers, apply self-approval, duplicate and empty
    rules (never on a returned step), create tasks and notify. `previous_approvers`: who
    approved the step before, when the caller knows."""
    previous_round = instance.round
    instance.current_step = step.id
    instance.round = previous_round + 1
    instance.returned = returned
    submitter = resolver.Submitter(instance.submitter_id, picks=instance.picks)
    windows: dict = {}
    with db.session.no_autoflush:   # people are read before this action's changes are written: one flush
        users, reasons = resolver.resolve_rules(step.approvers, submitter, doc, definition, windows)
    for reason in sorted(set(reasons)):
        _record(instance, "reassign", reason=reason, step_id=step.id)
    settings = definition.settings
    auto_approved: list[User] = []
    substitutes: set = set()   # who decides in the submitter's place: never passed as a duplicate
    if returned and forbids_self_approval(definition) and any(u.id == submitter.id for u in users):
        # A returned step is never passed automatically, and the submitter still may not
        # decide on their own document (with `skip` as with `escalate_to_manager`): the
        # first manager above them does, else the chain's escalation.
        boss = resolver.boss_for(submitter.user, definition)
        users = list({u.id: u for u in (boss if u.id == submitter.id else u for u in users) if u is not None}.values())
        _record(instance, "reassign", reason="self_approval_escalated", step_id=step.id, target=boss)
    if not returned:
        settled = resolver.without_submitter(definition, step, submitter, users)
        _record_events(instance, step, settled.events)
        users, substitutes = settled.users, set(settled.substitutes)
        if settled.verdict == "pass":
            return _complete_step(uow, instance, definition, step, doc=doc)
        if settings.auto_pass_duplicates and previous_round:
            _ensure_id(instance)
            before = previous_approvers if previous_approvers is not None else set(db.session.scalars(
                select(ApprovalTask.decided_by_id).where(ApprovalTask.instance_id == instance.id,
                                                         ApprovalTask.round == previous_round,
                                                         ApprovalTask.status == DONE_APPROVED)))
            repeated = [u for u in users if u.id in before and u.id not in substitutes]
            if repeated:
                if step.mode in ("any", "quorum") and (step.mode == "any" or len(repeated) >= (step.quorum or 1)):
                    for u in repeated:
                        _record(instance, "auto_pass", reason="duplicate_approver", step_id=step.id, target=u)
                    return _complete_step(uow, instance, definition, step, doc=doc)
                auto_approved = repeated
    settled = resolver.fill(definition, step, submitter.id, users)
    if settled.no_admin:
        raise DomainError("workflow.no_admin", _("Nobody can approve this step and the chain has no active administrator."))
    _record_events(instance, step, settled.events)
    users = settled.users
    if settled.verdict == "pass":
        return _complete_step(uow, instance, definition, step, doc=doc)
    if settled.verdict == "reject":
        return _finish(uow, instance, definition, REJECTED, doc)
    new_tasks = []
    with db.session.no_autoflush:
        delegates = resolver.delegates_for(users, definition.name, windows=windows)
    for seq, user in enumerate(users):
        status = WAITING if step.mode == "sequential" else PENDING
        task = _new_task(instance, definition, step, user, seq=seq, status=status, note=note,
                         delegate=delegates.get(user.id))
        new_tasks.append(task)
    _insert_tasks(new_tasks)
    for task in new_tasks:
        if any(u.id in (task.assignee_id, task.on_behalf_of_id) for u in auto_approved):
            task.status, task.decided_by_id, task.decided_at = DONE_APPROVED, task.assignee_id, utcnow()
            _record(instance, "auto_pass", reason="duplicate_approver", task=task, target=task.assignee_id)
    if step.mode == "sequential":
        _open_next_in_sequence(instance)
    outcome = _step_outcome(instance, step, new_tasks)
    if outcome is not None:
        return _step_decided(uow, instance, definition, step, outcome, doc=doc, tasks=new_tasks)
    announce(uow, instance, definition, [t for t in new_tasks if t.status == PENDING])


def _record_events(instance, step, events) -> None:
    for event in events:
        _record(instance, event.action, reason=event.reason, step_id=step.id, target=event.target)


def _new_task(instance, definition, step, user, *, seq=0, status=PENDING, kind="normal", parent=None, note=None,
              delegate=False):
    """A task for `user`, or for their delegate (on their behalf) during a delegation window.
    `delegate` may be given when already looked up (None: nobody stands in)."""
    db.session.info.pop(ROUND_READ, None)   # the round gains a task
    if delegate is False:
        delegate = resolver.delegate_for(user, definition.name)
    if delegate is not None and delegate.id == instance.submitter_id and forbids_self_approval(definition):
        # A delegation never hands the submitter a decision on their own document: the task
        # stays with the person they stand in for.
        _record(instance, "reassign", reason="delegate_is_submitter", step_id=step.id, target=user)
        delegate = None
    task = ApprovalTask(step_id=step.id, round=instance.round, seq=seq,
                        assignee_id=(delegate or user).id, on_behalf_of_id=user.id if delegate else None,
                        status=status, kind=kind, parent_id=parent.id if parent is not None else None,
                        note=note, version=0, created_at=utcnow(), decided_by_id=None, decided_at=None,
                        comment=None, reminded_at=None, urged_at=None)
    task.wf_instance = instance   # its id may come only with the first flush (a new submission)
    return task


def _open_next_in_sequence(instance) -> ApprovalTask | None:
    """In a sequential step, open the next waiting task once nobody before it is still deciding."""
    tasks = [t for t in _round_tasks(instance) if t.status not in (TRANSFERRED, VOID)]
    if any(t.status in (PENDING, ON_HOLD) for t in tasks):
        return None
    for task in tasks:
        if task.kind == "normal" and task.status == WAITING:
            task.status, task.created_at = PENDING, utcnow()
            return task
    return None


def _step_outcome(instance, step, round_tasks=None) -> str | None:
    """APPROVED / REJECTED once the step's mode is satisfied, else None."""
    round_tasks = _round_tasks(instance) if round_tasks is None else round_tasks
    tasks = [t for t in round_tasks if t.status not in (TRANSFERRED, VOID)]
    main = [t for t in tasks if t.kind == "normal"]
    added = [t for t in tasks if t.kind != "normal"]
    if any(t.status == DONE_REJECTED for t in added):
        return REJECTED
    approved = sum(t.status == DONE_APPROVED for t in main)
    rejected = sum(t.status == DONE_REJECTED for t in main)
    still_open = sum(t.status in OPEN_TASK_STATES for t in main)
    if step.mode == "any":
        outcome = REJECTED if rejected else (APPROVED if approved else None)
    elif step.mode == "quorum":
        needed = max(1, min(step.quorum or 1, len(main)))   # a shortfall was made up by escalation
        if approved >= needed:
            outcome = APPROVED
        elif approved + still_open < needed:
            outcome = REJECTED
        else:
            outcome = None
    else:  # all, sequential
        outcome = REJECTED if rejected else (APPROVED if main and not still_open else None)
    if outcome == APPROVED and any(t.status in OPEN_TASK_STATES for t in added):
        return None
    return outcome


def _step_decided(uow, instance, definition, step, outcome, *, doc: Doc, tasks=None):
    tasks = _round_tasks(instance) if tasks is None else tasks
    for task in tasks:
        if task.status in OPEN_TASK_STATES:
            task.status = VOID
    if outcome == APPROVED:
        approvers = {t.decided_by_id for t in tasks if t.status == DONE_APPROVED and t.round == instance.round}
        return _complete_step(uow, instance, definition, step, doc=doc, approvers=approvers)
    return _finish(uow, instance, definition, REJECTED, doc)


def _complete_step(uow, instance, definition, step, *, doc: Doc, approvers: set | None = None):
    """The step is approved: go on to the next step the document's route takes, or finish.
    `approvers`: who approved the step, when the caller knows (else read when needed)."""
    send_copies(uow, instance, definition, "step_done", step, doc)
    try:
        following = definition.next_step(step.id, lambda: condition_context(instance, doc))
    except ConditionError as error:
        return _hand_to_escalation(uow, instance, definition, step, error.message)
    if following is None:
        return _finish(uow, instance, definition, APPROVED, doc)
    return _enter_step(uow, instance, definition, following, doc=doc, previous_approvers=approvers)


def _hand_to_escalation(uow, instance, definition, step, message: str):
    """A condition of the chain cannot be evaluated on the document as it is now (a field was
    cleared, a value has the wrong type): the error goes on the timeline and the chain's
    escalation (its admin) gets a task on the step just decided. Approving it tries the route
    again (after the document was put right); rejecting it ends the approval as any rejection."""
    admin = resolver.other_admin(definition, instance.submitter_id)
    if admin is None:
        raise DomainError("workflow.no_admin", _("The approval chain's conditions cannot be evaluated on this "
                                                 "document and the chain has no active administrator: %(reason)s",
                                                 reason=message))
    instance.current_step = step.id
    instance.round += 1
    instance.returned = False
    _record(instance, "escalate", reason="condition_error", step_id=step.id, target=admin, comment=message)
    task = _new_task(instance, definition, step, admin, status=PENDING, note=message, delegate=None)
    _insert_tasks([task])
    announce(uow, instance, definition, [task])
    return instance


def _finish(uow, instance, definition, outcome, doc: Doc):
    """End the instance: the document becomes approved, or goes back to draft / rejected."""
    instance.status = outcome
    instance.finished_at = utcnow()
    for task in _round_tasks(instance):
        if task.status in OPEN_TASK_STATES:
            task.status = VOID
    _item, submitter = item_and_person(doc, instance.submitter_id)   # one statement for both
    wf = doc.spec.workflow
    if outcome == APPROVED:
        set_status(doc, wf.approved)
        if wf.on_approved:
            wf.on_approved(uow.actor, doc.item)
        _record(instance, "approved", step_id="")
        title = _("Approved: %(doc)s", doc=instance.title)
        body = _("%(chain)s has approved %(doc)s.", chain=definition.title, doc=instance.title)
        send_copies(uow, instance, definition, "approved", None, doc)
    else:
        set_status(doc, wf.draft if definition.settings.on_reject == "return_to_submitter" else wf.rejected)
        if wf.on_rejected:
            wf.on_rejected(uow.actor, doc.item)
        _record(instance, "rejected", step_id="")
        _write_actions()
        last = db.session.scalar(select(ApprovalAction).where(
            ApprovalAction.instance_id == instance.id, ApprovalAction.action == "reject").order_by(ApprovalAction.id.desc()))
        title = _("Rejected: %(doc)s", doc=instance.title)
        body = _("%(chain)s has rejected %(doc)s.", chain=definition.title, doc=instance.title)
        if last is not None and last.comment:
            body += "\n" + _("Comment: %(comment)s", comment=last.comment)
        send_copies(uow, instance, definition, "rejected", None, doc)
    tell(uow, instance, submitter, title, body, document_link(instance), rank=OUTCOME)


# -- decisions -----------------------------------------------------------------------------------
def task_by_id(task_id: int) -> ApprovalTask:
    task = db.session.get(ApprovalTask, task_id, populate_existing=True)
    if task is None:
        raise NotFound("workflow.no_task", _("This approval task does not exist."))
    return task


def handled_by(task: ApprovalTask) -> str:
    """Who handled a task that is no longer open, as people read it."""
    if task.decided_by_id:
        return db.session.get(User, task.decided_by_id).display_name
    _write_actions()
    decisive = db.session.scalar(
        select(ApprovalAction).where(ApprovalAction.instance_id == task.instance_id,
                                     ApprovalAction.action.in_(("approve", "reject", "return", "withdraw",
                                                                "transfer", "escalate")),
                                     ApprovalAction.id > 0, ApprovalAction.actor_id.isnot(None))
        .order_by(ApprovalAction.id.desc()).limit(1))
    if decisive is not None and decisive.actor is not None:
        return decisive.actor.display_name
    return _("the system")


def _open_task_of(actor, task_id: int, instance, round_tasks=None) -> ApprovalTask:
    task = next((t for t in round_tasks or () if t.id == task_id), None) or task_by_id(task_id)
    if task.instance_id != instance.id:
        raise NotFound("workflow.no_task", _("This approval task does not exist."))
    if actor is not None and task.assignee_id != id_of(actor):
        raise Forbidden("workflow.not_assignee", _("This task is not yours to handle."))
    if task.status not in (PENDING,) or instance.status != RUNNING:
        if task.status == ON_HOLD:
            raise DomainError("workflow.on_hold", _("This task waits for the signer you added."))
        if task.status == WAITING and instance.status == RUNNING:
            turn = next((t for t in round_tasks or _round_tasks(instance)
                         if t.status in (PENDING, ON_HOLD) and t.step_id == task.step_id), None)
            name = db.session.get(User, turn.assignee_id).display_name if turn is not None else _("the system")
            raise DomainError("workflow.not_your_turn",
                              _("It is not your turn yet: %(name)s decides first in this step.", name=name))
        if instance.status == WITHDRAWN:
            raise DomainError("workflow.already_handled",
                              _("%(name)s withdrew this document; the task is no longer open.",
                                name=db.session.get(User, instance.submitter_id).display_name))
        raise DomainError("workflow.already_handled",
                          _("This task was already handled by %(name)s.", name=handled_by(task)))
    return task


def _require_comment(definition, action: str, comment: str | None) -> None:
    if action in definition.settings.comment_required and not (comment or "").strip():
        raise DomainError("workflow.comment_required", _("Please give a reason in the comment."), field="comment")


def instance_of_task(task_id: int) -> int:
    instance_id = db.session.scalar(select(ApprovalTask.instance_id).where(ApprovalTask.id == task_id))
    if instance_id is None:
        raise NotFound("workflow.no_task", _("This approval task does not exist."))
    return instance_id


def approve(actor, task_id: int, comment: str | None = None, *, reason: str | None = None) -> ApprovalInstance:
    """Approve the actor's open task. The step advances when its mode is satisfied, exactly once."""
    return _run_on_task(actor, task_id, decide_task, actor, task_id, DONE_APPROVED, comment, reason)


def reject(actor, task_id: int, comment: str | None = None, *, reason: str | None = None) -> ApprovalInstance:
    """Reject the actor's open task; the instance ends (per the chain's rejection rule) when the
    step can no longer be approved."""
    return _run_on_task(actor, task_id, decide_task, actor, task_id, DONE_REJECTED, comment, reason)


def decide_task(uow, instance, actor, task_id, decision, comment, reason):
    definition = definition_of(instance)
    round_tasks = _round_tasks(instance)
    task = _open_task_of(actor, task_id, instance, round_tasks)
    refuse_own_decision(instance, definition, actor)
    _require_comment(definition, "approve" if decision == DONE_APPROVED else "reject", comment)
    task.status, task.decided_at, task.comment = decision, utcnow(), comment or None
    task.decided_by_id = id_of(actor)
    _record(instance, "approve" if decision == DONE_APPROVED else "reject", actor=actor, task=task,
            comment=comment, reason=reason)
    doc = doc_of(instance)
    step = definition.step(task.step_id)
    if decision == DONE_APPROVED:
        _release_parent(uow, instance, definition, task)
    if step.mode == "sequential" and decision == DONE_APPROVED:
        opened = _open_next_in_sequence(instance)
        if opened is not None:
            announce(uow, instance, definition, [opened])
        round_tasks = _round_tasks(instance)
    elif task not in round_tasks:   # a task of an earlier round cannot be open; read the round afresh
        round_tasks = _round_tasks(instance)
    outcome = _step_outcome(instance, step, round_tasks)
    if outcome is not None:
        _step_decided(uow, instance, definition, step, outcome, doc=doc, tasks=round_tasks)
    return instance


def _release_parent(uow, instance, definition, task):
    """A signer added before another approver has approved: that approver's task opens again."""
    if task.kind != "before" or not task.parent_id:
        return
    parent = db.session.get(ApprovalTask, task.parent_id)
    if parent is not None and parent.status == ON_HOLD:
        parent.status, parent.version, parent.created_at = PENDING, parent.version + 1, utcnow()
        announce(uow, instance, definition, [parent])


def return_to(actor, task_id: int, step_id: str, comment: str | None = None) -> ApprovalInstance:
    """Send the document back to an earlier step of this instance; that step's approvers act
    again (no automatic pass), and the steps after it are asked again afterwards."""
    return _run_on_task(actor, task_id, _return, actor, task_id, step_id, comment)


def earlier_steps(instance) -> list[str]:
    """Steps this instance has passed (approved or passed automatically) before the current
    one, in the chain's order: where a return may send it."""
    passed = set(db.session.scalars(select(ApprovalTask.step_id).where(
        ApprovalTask.instance_id == instance.id, ApprovalTask.status == DONE_APPROVED)))
    _write_actions()
    passed |= set(db.session.scalars(select(ApprovalAction.step_id).where(
        ApprovalAction.instance_id == instance.id, ApprovalAction.action == "auto_pass")))
    passed.discard(instance.current_step)
    return [s.id for s in definition_of(instance).steps if s.id in passed]


def _return(uow, instance, actor, task_id, step_id, comment):
    definition = definition_of(instance)
    task = _open_task_of(actor, task_id, instance)
    _require_comment(definition, "return", comment)
    if step_id not in earlier_steps(instance):
        raise DomainError("workflow.bad_return", _("The document can only be returned to a step it has passed."),
                          field="step")
    task.status, task.decided_at, task.decided_by_id, task.comment = RETURNED, utcnow(), id_of(actor), comment
    for other in _round_tasks(instance):
        if other.status in OPEN_TASK_STATES:
            other.status = VOID
    target = definition.step(step_id)
    _record(instance, "return", actor=actor, task=task, comment=comment, target=None, reason=step_id)
    doc = doc_of(instance)
    send_copies(uow, instance, definition, "returned", None, doc)
    _enter_step(uow, instance, definition, target, doc=doc, returned=True, note=comment)
    return instance


def transfer(actor, task_id: int, to_user_id: int, comment: str | None = None) -> ApprovalInstance:
    """Hand the actor's open task to another active user."""
    return _run_on_task(actor, task_id, _transfer, actor, task_id, to_user_id, comment)


def _active_user(user_id) -> User:
    user = db.session.get(User, user_id) if isinstance(user_id, int) and 0 < user_id < 2 ** 31 else None
    if user is None or not user.active:
        raise DomainError("workflow.bad_user", _("Please choose an active user."), field="user")
    return user


def _transfer(uow, instance, actor, task_id, to_user_id, comment, *, action="transfer", reason=None):
    definition = definition_of(instance)
    task = _open_task_of(actor, task_id, instance)
    if actor is not None:
        _require_comment(definition, "transfer", comment)
    target = _active_user(to_user_id)
    if actor is not None:
        refuse_submitter(instance, definition, target)
    if target.id == task.assignee_id:
        raise DomainError("workflow.same_user", _("The task is already assigned to this user."), field="user")
    return move_task(uow, instance, definition, task, target, actor=actor, comment=comment, action=action, reason=reason)


def move_task(uow, instance, definition, task, target, *, actor, comment, action, reason=None):
    db.session.info.pop(ROUND_READ, None)   # the round gains a task
    task.status, task.decided_at = TRANSFERRED, utcnow()
    task.decided_by_id = id_of(actor)
    moved = ApprovalTask(instance_id=instance.id, step_id=task.step_id, round=task.round, seq=task.seq,
                         assignee_id=target.id, status=PENDING, kind=task.kind, parent_id=task.parent_id,
                         note=comment or task.note, version=0, created_at=utcnow())
    db.session.add(moved)
    db.session.flush()
    for child in db.session.scalars(select(ApprovalTask).where(ApprovalTask.parent_id == task.id)):
        child.parent_id = moved.id
    _record(instance, action, actor=actor, task=task, comment=comment, target=target, reason=reason)
    announce(uow, instance, definition, [moved])
    return instance


def add_signer(actor, task_id: int, user_id: int, position: str, comment: str | None = None) -> ApprovalInstance:
    """加签: `before` asks the signer first and then reopens the actor's task; `after` approves
    the actor's task and asks the signer before the step completes."""
    if position not in ("before", "after"):
        raise DomainError("workflow.bad_position", _("Choose before or after."), field="position")
    return _run_on_task(actor, task_id, _add_signer, actor, task_id, user_id, position, comment)


def _add_signer(uow, instance, actor, task_id, user_id, position, comment):
    definition = definition_of(instance)
    task = _open_task_of(actor, task_id, instance)
    _require_comment(definition, "add_signer", comment)
    signer = _active_user(user_id)
    if signer.id == id_of(actor):
        raise DomainError("workflow.same_user", _("You cannot add yourself as a signer."), field="user")
    refuse_submitter(instance, definition, signer)
    if position == "after":   # approves the actor's own task
        refuse_own_decision(instance, definition, actor)
    step = definition.step(task.step_id)
    if position == "before":
        task.status = ON_HOLD
    else:
        task.status, task.decided_at, task.decided_by_id, task.comment = DONE_APPROVED, utcnow(), id_of(actor), comment
        _record(instance, "approve", actor=actor, task=task, comment=comment)
        _release_parent(uow, instance, definition, task)
    child = _new_task(instance, definition, step, signer, seq=task.seq, kind=position, parent=task, note=comment)
    _insert_tasks([child])
    _record(instance, "add_signer", actor=actor, task=task, comment=comment, target=signer, reason=position)
    announce(uow, instance, definition, [child])
    return instance


# The submitter's own actions (withdraw, urge) and comments live in submitter.py.
from app.workflow.submitter import URGE_INTERVAL, comment, urge, withdraw  # noqa: E402,F401  (engine.withdraw …)
