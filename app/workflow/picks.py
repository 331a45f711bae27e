"""发起人自选: the people a submitter chooses at submission for the `submitter_picks` rules of the
steps (and CC rules) their document's route meets. `pickers` lists what to ask; `check_picks`
validates a choice before anything is written (engine.submit calls it), so a choice naming
somebody outside the allowed set, inactive, or the submitter themself is refused with a message
in Chinese and no approval starts."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.core.org import User
from app.extensions import db
from app.workflow.approver_kinds import _ids, allowed_select, describe_allowed
from app.workflow.conditions import ConditionError

MAX_CHOICES = 50
OPTIONS_SHOWN = 200   # a longer allowed set is searched as you type


@dataclass(frozen=True)
class Picker:
    key: str            # "step:<id>", "cc:<step id>" or "cc"
    label: str          # the step's name, or CC
    rule: object        # the ApproverRule
    cc: bool

    @property
    def field(self) -> str:
        return f"pick:{self.key}"


def pickers(definition, context: dict | None) -> list[Picker]:
    """What the submitter must (or may, for CC) choose on this document's route, in route order;
    without a context (or when a condition cannot be evaluated) every step's."""
    try:
        steps = definition.route(context) if context is not None else list(definition.steps)
    except ConditionError:
        steps = list(definition.steps)
    found: dict[str, Picker] = {}
    for rule in (r for cc in definition.cc for r in cc.to if r.kind == "submitter_picks"):
        found.setdefault(rule.pick_key, Picker(rule.pick_key, _("CC"), rule, True))
    for step in steps:
        for rule in step.approvers:
            if rule.kind == "submitter_picks":
                found.setdefault(rule.pick_key, Picker(rule.pick_key, step.name, rule, False))
        for rule in (r for cc in step.cc for r in cc.to if r.kind == "submitter_picks"):
            found.setdefault(rule.pick_key, Picker(rule.pick_key, _("%(step)s, CC", step=step.name), rule, True))
    return sorted(found.values(), key=lambda p: p.cc)


def choices(picker: Picker, submitter_id: int | None, search: str = "", limit: int = OPTIONS_SHOWN) -> list[User]:
    """Active users the submitter may choose for `picker` (never themself), by name."""
    stmt = allowed_select(picker.rule, submitter_id)
    text = (search or "").strip()[:50]
    if text:
        like = f"%{text}%"
        stmt = stmt.where(User.username.ilike(like) | User.first_name.ilike(like) | User.last_name.ilike(like))
    return list(db.session.scalars(stmt.limit(limit)))


def choice_count(picker: Picker, submitter_id: int | None) -> int:
    return db.session.scalar(select(func.count()).select_from(allowed_select(picker.rule, submitter_id)
                                                              .order_by(None).subquery()))


def merged(picks: dict | None, choices: dict | None) -> dict:
    """One {pick key: [ids]} from `picks` (keys as kept: "step:<id>", "cc:<step id>", "cc") and
    `choices` (as API clients write them: a step id, or "cc", → user ids)."""
    found = dict(picks or {})
    for key, ids in (choices or {}).items():
        key = str(key)
        found.setdefault(key if key == "cc" or ":" in key else f"step:{key}", ids)
    return found


def read_form(form, definition, context) -> dict:
    """{pick key: [ids]} from a submitted form's `pick:<key>` fields (several values each)."""
    return {p.key: form.getlist(p.field) for p in pickers(definition, context) if p.field in form}


def check_picks(definition, context, submitter: User, raw: dict | None) -> dict:
    """The submitter's choices, checked: {pick key: [user ids]} for the pickers of this route.
    Raises DomainError (400, field `pick:<key>`) when a step's choice is missing or too short,
    names someone outside the allowed set, inactive or unknown, or the submitter."""
    raw = raw or {}
    chosen: dict = {}
    for picker in pickers(definition, context):
        values = raw.get(picker.key) or []
        values = values if isinstance(values, (list, tuple)) else [values]
        values = [v for v in values if v not in (None, "")]
        ids = _ids(values)
        where = picker.label
        if len(ids) != len(values) or len(ids) > MAX_CHOICES:
            raise DomainError("workflow.bad_pick", _("%(step)s: the people chosen are not understood.", step=where),
                              field=picker.field)
        if picker.rule.min and len(ids) < picker.rule.min:
            if picker.rule.min == 1:
                message = _("%(step)s: please choose who approves (%(who)s).", step=where,
                            who=describe_allowed(picker.rule))
            else:
                message = _("%(step)s: please choose at least %(min)d people (%(who)s).", step=where,
                            min=picker.rule.min, who=describe_allowed(picker.rule))
            raise DomainError("workflow.pick_missing", message, field=picker.field)
        if len(ids) > 1 and not picker.rule.multiple:
            raise DomainError("workflow.bad_pick", _("%(step)s: choose one person only.", step=where),
                              field=picker.field)
        if submitter is not None and submitter.id in ids:
            raise DomainError("workflow.pick_self", _("%(step)s: you cannot choose yourself; a submitter never "
                                                      "approves their own document.", step=where), field=picker.field)
        if ids:
            allowed = set(db.session.scalars(allowed_select(picker.rule, submitter.id if submitter else None)
                                             .with_only_columns(User.id).where(User.id.in_(ids))))
            wrong = [i for i in ids if i not in allowed]
            if wrong:
                user = db.session.get(User, wrong[0])
                if user is not None and not user.active:
                    message = _("%(step)s: %(name)s is deactivated; choose someone else.", step=where,
                                name=user.display_name)
                else:
                    message = _("%(step)s: %(name)s cannot be chosen here; choose %(who)s.", step=where,
                                name=user.display_name if user is not None else _("the person chosen"),
                                who=describe_allowed(picker.rule))
                raise DomainError("workflow.bad_pick", message, field=picker.field)
            chosen[picker.key] = ids
    return chosen
