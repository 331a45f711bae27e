"""The submit screen of a document (提交审批): the route the document would take and whom each step
would ask (the route preview, with the engine's own evaluator), a picker for each step whose
approvers the submitter chooses (发起人自选) and for people to copy, and the submission itself.

A small allowed set is offered as a select; a larger one is searched as you type (`people`),
scoped to the set the chain allows. Only someone who may see and edit the document gets any of it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.core.errors import DomainError, NotFound
from app.core.org import User
from app.core.scope import can_see
from app.extensions import db
from app.workflow import picks as picking
from app.workflow.conditions import ConditionError
from app.workflow.documents import document_context
from app.workflow.frame import active_definition
from app.workflow.resolver import describe

SEARCH_LIMIT = 20


@dataclass
class PickerView:
    picker: picking.Picker
    options: list = field(default_factory=list)   # [(id, label)] when offered as a select
    remote: bool = False
    chosen: list = field(default_factory=list)    # [(id, label)] chosen so far

    @property
    def required(self) -> bool:
        return self.picker.rule.min > 0


@dataclass
class SubmitPage:
    item: object
    definition: object
    steps: list          # [{"id", "name", "people": [..]}]
    pickers: list        # PickerView
    problem: str | None = None


def label(user: User) -> str:
    return f"{user.display_name} ({user.username})"


def document_for(spec, record_id: int, actor):
    """The draft the actor may see; NotFound (404) for any other."""
    item = db.session.get(spec.model, record_id) if 0 < record_id < 2 ** 31 else None
    if item is None or (actor is not None and not can_see(spec.name, actor, record_id)):
        raise NotFound("workflow.no_document", _("The document does not exist or you may not see it."))
    return item


def chosen_ids(raw: dict) -> dict:
    """{key: [ids]} of a form's picks, leaving out what is not a number (check_picks refuses it)."""
    return {key: [int(v) for v in values if str(v).strip().isdigit()] for key, values in (raw or {}).items()}


def page(spec, item, actor, raw_picks: dict | None = None) -> SubmitPage:
    """What the submit screen shows for this document and submitter, with the choices so far."""
    chain = spec.workflow.chain_of(item.id)
    if getattr(item, spec.workflow.status_field) != spec.workflow.draft:
        return SubmitPage(item, None, [], [], _("Only a draft can be submitted for approval."))
    _version, definition = active_definition(chain)
    if definition is None:
        return SubmitPage(item, None, [], [], _("The approval chain %(name)s has not been published.", name=chain))
    context = document_context(spec, item, actor)
    chosen = chosen_ids(raw_picks)
    views = []
    for picker in picking.pickers(definition, context):
        ids = chosen.get(picker.key, [])
        users = {u.id: u for u in db.session.scalars(picking.allowed_select(picker.rule, actor.id)
                                                     .where(User.id.in_(ids)))} if ids else {}
        view = PickerView(picker, chosen=[(i, label(users[i])) for i in ids if i in users])
        if picking.choice_count(picker, actor.id) > picking.OPTIONS_SHOWN:
            view.remote = True
        else:
            view.options = [(u.id, label(u)) for u in picking.choices(picker, actor.id)]
        views.append(view)
    try:
        route = definition.route(context)
    except ConditionError as error:
        return SubmitPage(item, definition, [], views,
                          _("This document cannot be submitted: a condition of the approval chain %(chain)s cannot "
                            "be evaluated on it (%(reason)s).", chain=definition.title, reason=error.message))
    steps = [{"id": step.id, "name": step.name,
              "people": describe(definition, step, actor, context["doc"], chosen)} for step in route]
    return SubmitPage(item, definition, steps, views)


def people(spec, item, actor, key: str, search: str) -> list[dict]:
    """Select2 results: active people the submitter may choose for picker `key` matching `search`."""
    _version, definition = active_definition(spec.workflow.chain_of(item.id))
    if definition is None:
        return []
    picker = next((p for p in picking.pickers(definition, None) if p.key == key), None)
    if picker is None:
        raise DomainError("workflow.bad_pick", _("There is no such choice on this approval chain."))
    return [{"id": u.id, "text": label(u)} for u in picking.choices(picker, actor.id, search, SEARCH_LIMIT)]
