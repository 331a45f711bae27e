"""Who a step asks: approver rules → active users, with delegation applied, and the chain's own
rules on them (separation of duties, nobody to ask, a quorum short of people) that the engine
and the route preview share.

Rules (definitions.py ApproverRule): user, role, department_head, manager_of (N levels up),
field (a document column holding a user id) and admin (the chain's workflow admin). Inactive
users are never chosen: the inactive-approver rule puts their manager (or the admin) instead.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import and_, bindparam, or_, select

from app.core.clock import utcnow
from app.core.org import User
from app.extensions import db
from app.workflow import approver_kinds as kinds
from app.workflow.org_lines import department_id_named, head_id_of, manager_of
from app.workflow.models import Delegation

NEW_KINDS = ("manager_chain", "submitter_picks")


def company_today() -> dt.date:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return utcnow().replace(tzinfo=dt.timezone.utc).astimezone(zone).date()


def admin_user(definition) -> User | None:
    user = db.session.scalar(select(User).where(User.username == (definition.admin or "admin")))
    if user is not None and user.active:
        return user
    # The named admin left: any active administrator keeps the chain moving.
    return db.session.scalar(select(User).join(User.roles).where(Role.name == "Admin", User.active.is_(True))
                             .order_by(User.id).limit(1))


def other_admin(definition, submitter_id: int) -> User | None:
    """The chain's escalation (its workflow admin), or, when that is the submitter, another
    active administrator: never the submitter."""
    user = admin_user(definition)
    if user is not None and user.id != submitter_id:
        return user
    return db.session.scalar(select(User).join(User.roles).where(Role.name == "Admin", User.active.is_(True),
                                                                 User.id != submitter_id)
                             .order_by(User.id).limit(1))


def boss_for(submitter: User | None, definition) -> User | None:
    """Who decides instead of a submitter a step names: the first active manager up their line
    who is not the submitter themselves (a self-manager goes to the next one up), else the
    chain's escalation (its admin, never the submitter)."""
    submitter_id = submitter.id if submitter is not None else None
    seen = {submitter_id}
    boss = manager_of(submitter)
    while boss is not None and boss.id not in seen:
        if boss.active:
            return boss
        seen.add(boss.id)
        boss = manager_of(boss)
    return other_admin(definition, submitter_id)


class Submitter:
    """Who submitted the document, read from the database only when a rule needs more than the id;
    `picks`: whom they chose for `submitter_picks` rules ({pick key: [user ids]}, as kept on the
    approval)."""

    def __init__(self, user_id: int, user: User | None = None, picks: dict | None = None):
        self.id, self._user, self.picks = user_id, user, picks or {}

    @property
    def user(self) -> User | None:
        if self._user is None:
            self._user = db.session.get(User, self.id)
        return self._user


def _rule_users(rule, submitter: Submitter, doc, definition, named: dict) -> list[User]:
    kind, value = rule.kind, rule.value
    if kind in NEW_KINDS or (kind == "department_head" and rule.from_field):
        return kinds.rule_users(rule, submitter, doc)
    if kind == "user":
        user = named.get(value)
        return [user] if user is not None else []
    if kind == "role":
        return list(db.session.scalars(select(User).join(User.roles).where(Role.name == value).order_by(User.id)))
    if kind == "department_head":   # a named department's or the submitter's: read with the named users
        return []
    if kind == "manager_of":
        user = manager_of(submitter.user, rule.levels or 1)
        return [user] if user is not None else []
    if kind == "field":
        return kinds.field_users(doc, value)
    if kind == "admin":
        user = admin_user(definition)
        return [user] if user is not None else []
    return []


def replacement_for(user: User, definition) -> User | None:
    """Who takes an inactive approver's place: their active manager (walking up), or the admin."""
    if definition.settings.inactive_approver == "manager":
        seen = {user.id}
        boss = manager_of(user)
        while boss is not None and not boss.active and boss.id not in seen:
            seen.add(boss.id)
            boss = manager_of(boss)
        if boss is not None and boss.active:
            return boss
    return admin_user(definition)


def _window():
    """Delegation rows in force on :on for the chain :chain."""
    return and_(Delegation.starts_on <= bindparam("on"), Delegation.ends_on >= bindparam("on"),
                or_(Delegation.definition_name.is_(None), Delegation.definition_name == bindparam("chain")))


@lru_cache(maxsize=None)
def _named_users_with_windows(by_id: bool = False):
    """Users named :names (and, `by_id`, those of :ids), each with the delegates of their windows
    in force (built once per shape)."""
    who = User.username.in_(bindparam("names", expanding=True))
    if by_id:
        who = or_(who, User.id.in_(bindparam("ids", expanding=True)))
    return (select(User, Delegation.delegate_id)
            .outerjoin(Delegation, and_(Delegation.user_id == User.id, _window()))
            .where(who).order_by(User.id, Delegation.id))


def _head_ids(rules, submitter) -> dict[int, int | None]:
    """{index of a rule: its department head's user id} for the rules naming a department's head
    (its own, or the submitter's), from the kept departments."""
    found = {}
    for index, rule in enumerate(rules):
        if rule.kind == "department_head" and not rule.from_field:
            if rule.value == "submitter":
                person = submitter.user
                found[index] = head_id_of(person.department_id if person is not None else None)
            else:
                found[index] = head_id_of(department_id_named(rule.value))
    return found


@lru_cache(maxsize=None)
def _windows_of_users():
    return (select(Delegation.user_id, Delegation.delegate_id)
            .where(Delegation.user_id.in_(bindparam("user_ids", expanding=True)), _window())
            .order_by(Delegation.id))


def resolve_rules(rules, submitter, doc, definition, windows: dict | None = None) -> tuple[list[User], list[str]]:
    """Active users the rules name, in order, without duplicates; plus reason codes for any
    substitution made (e.g. "inactive_replaced"). `submitter`: a User or a Submitter; `doc`:
    the document's column values (a dict, or a documents.Doc read only when a `field:` rule
    needs it). Every `user:` rule is looked up in one query, which also reads their delegation
    for today: pass `windows` (a dict) to receive {user id: [delegate ids, oldest first]} for
    delegates_for."""
    if isinstance(submitter, User):
        submitter = Submitter(submitter.id, submitter)
    names = {rule.value for rule in rules if rule.kind == "user"}
    heads = _head_ids(rules, submitter)
    ids = sorted({i for i in heads.values() if i is not None})
    named, by_id = {}, {}
    if names or ids:
        params = {"names": sorted(names), "on": company_today(), "chain": definition.name}
        if ids:
            params["ids"] = ids
        rows = db.session.execute(_named_users_with_windows(bool(ids)), params).all()
        for user, delegate_id in rows:
            named[user.username] = user
            by_id[user.id] = user
            if windows is not None:
                windows.setdefault(user.id, [])
                if delegate_id is not None:
                    windows[user.id].append(delegate_id)
    users, reasons, seen = [], [], set()
    for index, rule in enumerate(rules):
        if index in heads:
            found = [by_id[heads[index]]] if heads[index] in by_id else []
        else:
            found = _rule_users(rule, submitter, doc, definition, named)
        if not found and kinds.EMPTY_REASONS.get(rule.kind if not rule.from_field else "department_field"):
            reasons.append(kinds.EMPTY_REASONS[rule.kind if not rule.from_field else "department_field"])
        for user in found:
            if user is None:
                continue
            if not user.active:
                user = replacement_for(user, definition)
                reasons.append("inactive_replaced")
                if user is None:
                    continue
            if user.id not in seen:
                seen.add(user.id)
                users.append(user)
    return users, reasons


def delegate_for(user: User, definition_name: str, on: dt.date | None = None) -> User | None:
    """The active delegate standing in for `user` on `on` (company date), if any."""
    on = on or company_today()
    row = db.session.scalar(
        select(Delegation).where(
            Delegation.user_id == user.id, Delegation.starts_on <= on, Delegation.ends_on >= on,
            or_(Delegation.definition_name.is_(None), Delegation.definition_name == definition_name),
        ).order_by(Delegation.id.desc()).limit(1))
    if row is None or row.delegate is None or not row.delegate.active or row.delegate_id == user.id:
        return None
    return row.delegate


def delegates_for(users: list[User], definition_name: str, on: dt.date | None = None,
                  windows: dict | None = None) -> dict[int, User]:
    """{user id: active delegate} for those of `users` away on `on`, in one query (none when
    `windows` from resolve_rules already says, for every one of them, who stands in today)."""
    if not users:
        return {}
    windows = windows or {}
    if on is None and all(u.id in windows for u in users):
        pairs = [(u.id, delegate_id) for u in users for delegate_id in windows[u.id]]
    else:
        on = on or company_today()
        pairs = db.session.execute(_windows_of_users(), {"user_ids": [u.id for u in users], "on": on,
                                                         "chain": definition_name}).all()
    found = {}
    for user_id, delegate_id in pairs:   # the newest window with an active delegate wins
        delegate = db.session.get(User, delegate_id)
        if delegate is not None and delegate.active and delegate_id != user_id:
            found[user_id] = delegate
    return found


def describe_approvers(definition, step, context: dict, submitter: User | None, picks: dict | None = None) -> list[str]:
    """Names of the users `step` would ask for a document (the dry run and `workflows route`),
    with the chain's own rules applied as the engine applies them (`plan`): the submitter's own
    place, nobody to ask, a quorum short of people; `picks`: the submitter's choices so far."""
    if submitter is None:
        return [f"{r.kind}: {r.value}" for r in step.approvers]
    return describe(definition, step, submitter, context.get("doc"), picks)


# -- the chain's own rules on a step's people ----------------------------------------------------
# Who a step asks once the chain's rules are applied to the people its approver rules name: the
# submitter's own place (self-approval), nobody to ask (empty approvers) and a quorum with too
# few people. The engine (entering a step) and the route preview (the dry run, `workflows
# route`) both call these, so what the preview shows is what the engine does. Each returns the
# new list of people and the events to put on the timeline (Event(action, reason, target)); a
# `verdict` says when the step is passed ("pass") or the approval rejected ("reject") without
# anyone being asked. NOTES: what the route preview says about each event (the timeline's words).
NOTES = {
    "self_approval_skip": _l("the submitter would approve their own document: skipped"),
    "self_approval_escalated": _l("the submitter would approve their own document: their manager approves instead"),
    "self_approval_others": _l("the submitter is among this step's approvers: the others decide"),
    "no_approver_admin": _l("nobody to ask at this step: the workflow admin approves instead"),
    "no_approver": _l("nobody to ask at this step"),
    "inactive_replaced": _l("an approver is deactivated: replaced"),
    "quorum_shortfall": _l("fewer approvers than the votes required: the workflow admin makes up the shortfall"),
    **kinds.NOTES,
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
    Submitter (read only when needed) or None."""
    submitter_id = submitter.id if submitter is not None else None
    if submitter_id is None or all(u.id != submitter_id for u in users):
        return Settled(users, [])
    if isinstance(submitter, Submitter):
        submitter = submitter.user
    rule = definition.settings.self_approval
    if rule == "skip":
        rest = [u for u in users if u.id != submitter_id]
        return Settled(rest, [Event("auto_pass", "self_approval_skip", submitter)], "pass" if not rest else None)
    if rule == "escalate_to_manager":
        others = [u for u in users if u.id != submitter_id]
        if others and step.mode in ("any", "quorum"):
            return Settled(others, [Event("reassign", "self_approval_others")])
        boss = boss_for(submitter, definition)
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
        admin = admin_user(definition)
        if admin is None:
            return Settled([], [], no_admin=True)
        return Settled([admin], [Event("reassign", "no_approver_admin", admin)])
    if step.mode == "quorum" and len(users) < (step.quorum or 1):
        extra = other_admin(definition, submitter_id)
        if extra is not None and all(u.id != extra.id for u in users):
            users = [*users, extra]
        return Settled(users, [Event("escalate", "quorum_shortfall", extra)])
    return Settled(users, [])


def plan(definition, step, submitter, doc, picks: dict | None = None) -> Settled:
    """Whom `step` asks for this document and submitter (with the submitter's `picks`), as the
    engine would on entering it (a preview: no earlier round, so no duplicate passes)."""
    if submitter is None:
        return Settled([], [])
    if isinstance(submitter, User):
        submitter = Submitter(submitter.id, submitter, picks)
    users, reasons = resolve_rules(step.approvers, submitter, doc, definition)
    events = [Event("reassign", reason) for reason in sorted(set(reasons))]
    first = without_submitter(definition, step, submitter, users)
    events += first.events
    if first.verdict is not None:
        return Settled(first.users, events, first.verdict, first.substitutes)
    second = fill(definition, step, submitter.id, first.users)
    return Settled(second.users, events + second.events, second.verdict, first.substitutes, second.no_admin)


def describe(definition, step, submitter, doc, picks: dict | None = None) -> list[str]:
    """The people `step` would ask, then in brackets what the chain's rules changed (the route
    preview's words for `plan`); a step whose people the submitter has yet to choose says so."""
    waiting = [r for r in step.approvers if r.kind == "submitter_picks" and not (picks or {}).get(r.pick_key)]
    if waiting:
        from flask_babel import gettext

        note = gettext("the submitter chooses: %(who)s", who=kinds.describe_allowed(waiting[0]))
        return [f"({note})"]
    settled = plan(definition, step, submitter, doc, picks)
    if settled.no_admin:
        return [f"({definition.settings.empty_approvers})"]
    names = [f"{u.display_name} ({u.username})" for u in settled.users]
    notes = [str(NOTES.get(e.reason, e.reason)) for e in settled.events]
    return names + [f"({note})" for note in notes]
