"""Who may decide on a document: a submitter never decides on their own document, at any step.
Every chain settles what happens when a step names the submitter (`self_approval: skip` or
`escalate_to_manager`, the default; `allow` is no longer offered, and versions published with it
run as `escalate_to_manager`), so nobody else hands the submitter their own document — not a
transfer, an added signer, a delegation, a timeout or a departure — and the submitter may not
approve or reject it, however a task reached them (data from before the rule)."""
from __future__ import annotations

from flask_babel import gettext as _

from app.core.errors import DomainError, Forbidden
from app.core.org import User
from app.core.org import user_id as id_of
from app.extensions import db
from app.workflow import resolver
from app.workflow.frame import _record


def forbids_self_approval(definition) -> bool:
    """Whether the chain keeps others from handing submitters their own documents (by a
    transfer, an added signer, a delegation, a timeout or a departure): every chain does."""
    return True


def submitter_may_not_decide(definition) -> bool:
    """Whether the chain forbids the submitter any decision on their own document: every chain."""
    return True


def refuse_own_decision(instance, definition, actor) -> None:
    """The submitter may not approve or reject their own document, however a task on it reached
    them."""
    if actor is not None and id_of(actor) == instance.submitter_id and submitter_may_not_decide(definition):
        raise Forbidden("workflow.self_approval",
                        _("You submitted this document, and this approval chain does not let submitters decide on "
                          "their own documents; transfer the task to someone else."))


def refuse_submitter(instance, definition, user: User) -> None:
    """Transfer and add-signer may not hand the submitter a decision on their own document."""
    if user.id == instance.submitter_id and forbids_self_approval(definition):
        raise DomainError("workflow.self_approval",
                          _("%(name)s submitted this document, and this approval chain does not let submitters "
                            "approve their own documents; choose someone else.", name=user.display_name),
                          field="user")


def instead_of_submitter(instance, definition, target: User | None) -> User | None:
    """Who a task moved by the system (timeout, departure) goes to when it would land on the
    submitter of a chain that forbids self-approval: the submitter's manager, or the admin."""
    if target is None or target.id != instance.submitter_id or not forbids_self_approval(definition):
        return target
    submitter = db.session.get(User, instance.submitter_id)
    boss = resolver.boss_for(submitter, definition)
    if boss is not None:
        _record(instance, "reassign", reason="self_approval_escalated", step_id=instance.current_step, target=boss)
    return boss
