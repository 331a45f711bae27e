"""Whom the newer approver rules name (resolver.py asks; the engine and the route preview share it):

- manager_chain: the submitter's managers one after another, up to `levels` or up to and
  including the first who holds `until_role`; never the submitter (a self-manager or a loop in the
  line ends it), stopping at the top;
- submitter_picks: the people the submitter chose at submission (kept on the approval) who are
  still in the allowed set;
- department_head of a named department (code or name) or of the department a document field holds,
  walking up to the parent's head when it has none;
- field: the person a document column or a form field holds (one or several).

An empty answer carries a reason (EMPTY_REASONS), put on the timeline before the step goes by the
chain's `empty_approvers` rule."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select

from app.core.org import Department, User, subtree_ids_select
from app.extensions import db
from app.workflow.org_lines import department_id_named, head_of_id, manager_of
from app.workflow.person_fields import value_of

EMPTY_REASONS = {
    "manager_chain": "manager_chain_empty",
    "submitter_picks": "picks_missing",
    "field": "person_field_empty",
    "department_field": "department_field_empty",
}

NOTES = {
    "manager_chain_empty": _l("the submitter has no manager above them to ask"),
    "picks_missing": _l("the submitter has chosen nobody (still allowed) for this step"),
    "person_field_empty": _l("the document's person field is empty or names nobody"),
    "department_field_empty": _l("the document's department field is empty or has no head"),
}


def department_named(value: str) -> Department | None:
    """The department with this code, else with this name."""
    department_id = department_id_named(value)
    return db.session.get(Department, department_id) if department_id is not None else None


def _ids(value) -> list[int]:
    items = value if isinstance(value, (list, tuple)) else [value]
    found = []
    for item in items:
        if isinstance(item, bool):
            continue
        if isinstance(item, str) and item.strip().isdigit():
            item = int(item.strip())
        if isinstance(item, int) and 0 < item < 2 ** 31 and item not in found:
            found.append(item)
    return found


def field_users(doc, name: str) -> list[User]:
    """The people a document column or form field holds, in order (ids; one or a list)."""
    users = [db.session.get(User, user_id) for user_id in _ids(value_of(doc, name))]
    return [u for u in users if u is not None]


def manager_line(submitter: User | None, levels: int, until_role: str | None) -> list[User]:
    """The submitter's managers, nearest first: `levels` of them at most, ending with the first
    holding `until_role`; a self-manager or a loop ends the line, and never names the submitter."""

    if submitter is None:
        return []
    line, seen, person = [], {submitter.id}, submitter
    while len(line) < levels:
        boss = manager_of(person)
        if boss is None or boss.id in seen:
            break
        seen.add(boss.id)
        line.append(boss)
        if until_role and any(role.name == until_role for role in boss.roles):
            break
        person = boss
    return line


def allowed_select(rule, submitter_id: int | None, active_only: bool = True):
    """SELECT of the users a `submitter_picks` rule lets the submitter choose (never the
    submitter; only active users unless `active_only` is false), ordered by name."""
    kind, names = rule.value
    stmt = select(User)
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    if submitter_id is not None:
        stmt = stmt.where(User.id != submitter_id)
    if kind == "role":
        stmt = stmt.where(User.roles.any(Role.name == names[0]))
    elif kind == "users":
        stmt = stmt.where(User.username.in_(names))
    elif kind == "department":
        dept = department_named(names[0])
        if dept is None:
            return stmt.where(User.id.is_(None))
        stmt = stmt.where(User.department_id.in_(subtree_ids_select(dept.id)))
    return stmt.order_by(User.first_name, User.last_name, User.id)


def picked_users(rule, submitter) -> list[User]:
    """The submitter's choice for this rule, in the order chosen, without those no longer allowed
    (deactivated people stay: the inactive-approver rule replaces them)."""
    ids = _ids((submitter.picks or {}).get(rule.pick_key) or [])
    if not ids:
        return []
    allowed = {u.id: u for u in db.session.scalars(allowed_select(rule, submitter.id, active_only=False)
                                                    .where(User.id.in_(ids)))}
    return [allowed[i] for i in ids if i in allowed]


def rule_users(rule, submitter, doc) -> list[User]:

    if rule.kind == "manager_chain":
        return manager_line(submitter.user, rule.levels, rule.until_role)
    if rule.kind == "submitter_picks":
        return picked_users(rule, submitter)
    if rule.kind == "department_head":   # from a document field
        ids = _ids(value_of(doc, rule.from_field))
        head = head_of_id(ids[0]) if ids else None
        return [head] if head is not None else []
    return []


def describe_allowed(rule) -> str:
    """Whom a `submitter_picks` rule lets the submitter choose, in words."""
    from flask_babel import gettext as _

    kind, names = rule.value
    if kind == "role":
        from app.core.names import role_label

        who = _("a member of role %(name)s", name=role_label(names[0]))
    elif kind == "users":
        who = _("one of %(names)s", names=", ".join(names))
    elif kind == "department":
        who = _("someone in department %(name)s", name=names[0])
    else:
        who = _("any active user")
    if rule.multiple:
        who += " " + _("(one or more, at least %(min)d)", min=rule.min)
    return who
