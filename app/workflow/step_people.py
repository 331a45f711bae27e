"""Who a step asks once the chain's own rules are applied to the people its approver rules name:
the submitter's own place (self-approval), nobody to ask (empty approvers) and a quorum with
too few people. The engine (entering a step) and the route preview (the dry run, `workflows
route`) both call these, so what the preview shows is what the engine does.

Each function returns the new list of people and the events to put on the timeline
(`Event(action, reason, target)`); a `verdict` says when the step is passed ("pass") or the
approval rejected ("reject") without anyone being asked.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.workflow import resolver

# What the route preview says about each event (the same words as the approval timeline).
NOTES = {
    "self_approval_skip": _l("the submitter would approve their own document: skipped"),
    "self_approval_escalated": _l("the submitter would approve their own document: their manager approves instead"),
    "self_approval_others": _l("the submitter is among this step's approvers: the others decide"),
    "no_approver_admin": _l("nobody to ask at this step: the workflow admin approves instead"),
    "no_approver": _l("nobody to ask at this step"),
    "inactive_replaced": _l("an approver is deactivated: replaced"),
    "quorum_shortfall": _l("fewer approvers than the votes required: the workflow admin makes up the shortfall"),
}


@dataclass(frozen=True)
class Event:
    action: str
    reason: str
    target: object = None


@dataclass
class Settled:
    users: list
    events: list
    verdict: str | None = None       # "pass", "reject" or None (ask `users`)
    substitutes: frozenset = frozenset()   # who decides in the submitter's place
    no_admin: bool = False           # nobody to ask and no administrator either


def without_submitter(definition, step, submitter, users: list) -> Settled:
    """Separation of duties on a step entered normally: with `skip` the submitter's own place
    is passed; with `escalate_to_manager` another person the step names decides (any one or a
    quorum), else the first active manager above the submitter who is not the submitter, else
    the chain's escalation (its admin, never the submitter). `submitter`: a User, a
    resolver.Submitter (read only when needed) or None."""
    submitter_id = submitter.id if submitter is not None else None
    if submitter_id is None or all(u.id != submitter_id for u in users):
        return Settled(users, [])
    if isinstance(submitter, resolver.Submitter):
        submitter = submitter.user
    rule = definition.settings.self_approval
    if rule == "skip":
        rest = [u for u in users if u.id != submitter_id]
        return Settled(rest, [Event("auto_pass", "self_approval_skip", submitter)], "pass" if not rest else None)
    if rule == "escalate_to_manager":
        others = [u for u in users if u.id != submitter_id]
        if others and step.mode in ("any", "quorum"):
            return Settled(others, [Event("reassign", "self_approval_others")])
        boss = resolver.boss_for(submitter, definition)
        replaced = list({u.id: u for u in (boss if u.id == submitter_id else u for u in users)
                         if u is not None}.values())
        return Settled(replaced, [Event("reassign", "self_approval_escalated", boss)],
                       substitutes=frozenset({boss.id}) if boss is not None else frozenset())
    return Settled(users, [])


def fill(definition, step, submitter_id, users: list) -> Settled:
    """Nobody to ask (by the chain's `empty_approvers`), and a quorum with fewer people than
    votes: the chain's escalation makes up the shortfall, with a reason."""
    if not users:
        mode = definition.settings.empty_approvers
        if mode == "auto_approve":
            return Settled([], [Event("auto_pass", "no_approver")], "pass")
        if mode == "reject":
            return Settled([], [Event("auto_reject", "no_approver")], "reject")
        admin = resolver.admin_user(definition)
        if admin is None:
            return Settled([], [], no_admin=True)
        return Settled([admin], [Event("reassign", "no_approver_admin", admin)])
    if step.mode == "quorum" and len(users) < (step.quorum or 1):
        extra = resolver.other_admin(definition, submitter_id)
        if extra is not None and all(u.id != extra.id for u in users):
            users = [*users, extra]
        return Settled(users, [Event("escalate", "quorum_shortfall", extra)])
    return Settled(users, [])


def plan(definition, step, submitter, doc) -> Settled:
    """Whom `step` asks for this document and submitter, as the engine would on entering it (a
    preview: no earlier round, so no duplicate passes)."""
    if submitter is None:
        return Settled([], [])
    users, reasons = resolver.resolve_rules(step.approvers, submitter, doc, definition)
    events = [Event("reassign", reason) for reason in sorted(set(reasons))]
    first = without_submitter(definition, step, submitter, users)
    events += first.events
    if first.verdict is not None:
        return Settled(first.users, events, first.verdict, first.substitutes)
    second = fill(definition, step, submitter.id, first.users)
    return Settled(second.users, events + second.events, second.verdict, first.substitutes, second.no_admin)


def describe(definition, step, submitter, doc) -> list[str]:
    """The people `step` would ask, then in brackets what the chain's rules changed (the route
    preview's words for `plan`)."""
    settled = plan(definition, step, submitter, doc)
    if settled.no_admin:
        return [f"({definition.settings.empty_approvers})"]
    names = [f"{u.display_name} ({u.username})" for u in settled.users]
    notes = [str(NOTES.get(e.reason, e.reason)) for e in settled.events]
    return names + [f"({note})" for note in notes]
