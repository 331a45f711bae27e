"""Approval forms and requests. Screens, the demo and the CLI all call these.

Each function takes the acting user explicitly, checks everything before writing, writes in one
transaction and raises DomainError (nothing written) when a rule refuses. A request is created
and submitted into its form's chain in the same transaction: there are no half-submitted
requests, and a request is never edited afterwards (a new request replaces it).
"""
from __future__ import annotations

from decimal import Decimal

import yaml
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.errors import DomainError, Forbidden, NotFound, ValidationErrors
from app.core.numbering import next_number
from app.core.scope import can_see, is_admin
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.approval_forms import fields as kinds
from app.modules.approval_forms.models import (DRAFT, ApprovalForm, ApprovalFormVersion, ApprovalRequest)

DOCUMENT = "approval_requests"
NUMBERING = "approval_request"
ICONS = ("fa-calendar", "fa-money", "fa-certificate", "fa-file-text-o", "fa-plane", "fa-car", "fa-shopping-cart",
         "fa-users", "fa-briefcase", "fa-clock-o", "fa-home", "fa-gift", "fa-laptop", "fa-book")


def _granted(actor, permission: str) -> bool:
    if actor is None:
        return True
    if not getattr(actor, "is_active", True):
        return False
    return bool(current_app.appbuilder.sm._has_view_access(actor, f"can_{permission}", DOCUMENT))


# -- forms ---------------------------------------------------------------------------------------
def active_forms() -> list[ApprovalForm]:
    """The forms staff may submit, in the order of their groups and positions."""
    return list(db.session.scalars(select(ApprovalForm).where(ApprovalForm.active.is_(True))
                                   .order_by(ApprovalForm.group_name, ApprovalForm.position, ApprovalForm.id)))


def forms_by_group(actor) -> list[tuple[str, list[ApprovalForm]]]:
    """[(group, forms)] of the forms `actor` may submit (none without write permission)."""
    if not _granted(actor, "write"):
        return []
    groups: dict[str, list] = {}
    for form in active_forms():
        groups.setdefault(form.group_name or _("Other"), []).append(form)
    return list(groups.items())


def form_by_code(code: str, *, active_only: bool = True) -> ApprovalForm:
    form = db.session.scalar(select(ApprovalForm).where(ApprovalForm.code == str(code or "")[:40]))
    if form is None or (active_only and not form.active):
        raise NotFound("approval_forms.no_form", _("There is no such approval form."))
    return form


def fields_of(form: ApprovalForm, version: int | None = None) -> list[dict]:
    """The form's fields as of `version` (default: the current one)."""
    row = db.session.scalar(select(ApprovalFormVersion.fields).where(
        ApprovalFormVersion.form_id == form.id, ApprovalFormVersion.version == (version or form.version)))
    return list(row or [])


def parse_fields(text: str) -> list[dict]:
    """Fields written as YAML (a list of mappings), checked; ValidationErrors on the `fields` box."""
    try:
        data = yaml.safe_load(text or "")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _(" (line %(line)s)", line=mark.line + 1) if mark is not None else ""
        raise ValidationErrors({"fields": [_("The fields are not valid YAML%(where)s.", where=where)]}) from None
    try:
        return kinds.check_definition(data)
    except kinds.DefinitionProblem as exc:
        raise ValidationErrors({"fields": [str(exc)]}) from None


def fields_text(fields: list[dict]) -> str:
    return yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)


def save_form(actor, *, code: str, name: str, chain: str, fields, icon: str = "fa-file-text-o",
              description: str = "", group: str = "", active: bool = True, position: int = 0,
              check_chain: bool = True) -> ApprovalForm:
    """Create the form `code` or change it (administrators only). Fields given as YAML text or a
    list. A change of fields makes a new version; requests keep the version they were made with.
    Refuses an unknown chain, a chain of another document type, and bad fields."""
    if actor is not None and not is_admin(actor):
        raise Forbidden("approval_forms.admin_only", _("Only administrators may define approval forms."))
    errors: dict[str, list[str]] = {}
    code, name, chain = str(code or "").strip(), str(name or "").strip(), str(chain or "").strip()
    if not kinds.NAME.match(code):
        errors["code"] = [_("The code must start with a small letter and hold only small letters, digits and _.")]
    if not name:
        errors["name"] = [_("Please give the form a name.")]
    elif len(name) > 60:
        errors["name"] = [_("The name may hold at most 60 characters.")]
    if icon not in ICONS:
        icon = "fa-file-text-o"
    if check_chain:
        from app.workflow.models import WorkflowDefinition

        document = db.session.scalar(select(WorkflowDefinition.document).where(WorkflowDefinition.name == chain))
        if document is None:
            errors["chain"] = [_("There is no approval chain named %(name)s.", name=chain or "—")]
        elif document != DOCUMENT:
            errors["chain"] = [_("The chain %(name)s is for another kind of document.", name=chain)]
    try:
        checked = parse_fields(fields) if isinstance(fields, str) else kinds.check_definition(fields)
    except kinds.DefinitionProblem as exc:
        errors["fields"] = [str(exc)]
    except ValidationErrors as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationErrors(errors)
    with unit_of_work(actor):
        form = db.session.scalar(select(ApprovalForm).where(ApprovalForm.code == code).with_for_update())
        if form is None:
            form = ApprovalForm(code=code, version=0)
            db.session.add(form)
        form.name, form.icon, form.description = name, icon, (description or "").strip()[:500] or None
        form.group_name, form.chain, form.active, form.position = (group or "").strip()[:40], chain, bool(active), \
            int(position or 0)
        db.session.flush()
        if form.version == 0 or fields_of(form) != checked:
            form.version += 1
            db.session.add(ApprovalFormVersion(form_id=form.id, version=form.version, fields=checked,
                                               created_by_id=getattr(actor, "id", None)))
    return form


# -- requests ------------------------------------------------------------------------------------
def check_values(form: ApprovalForm, raw: dict) -> tuple[list[dict], kinds.Values]:
    """The form's fields and the checked values; ValidationErrors naming each wrong field."""
    fields = fields_of(form)
    checked = kinds.Values(fields, raw).check()
    if checked.errors:
        raise ValidationErrors(checked.errors, code="approval_forms.invalid")
    return fields, checked


def document_of(form: ApprovalForm, fields: list[dict], values: dict, actor) -> dict:
    """The request as a chain's conditions read it (its columns): form, days, total, category."""
    figures = kinds.summary(fields, values)
    return {"id": None, "code": None, "form_id": form.id, "form": form.code, "form_version": form.version,
            "chain": form.chain, "title": _title(form, figures, actor), "status": DRAFT, **figures,
            "values": values, "submitter_id": getattr(actor, "id", None),
            "department_id": getattr(actor, "department_id", None)}


def _title(form: ApprovalForm, figures: dict, actor) -> str:
    who = actor.display_name if actor is not None else _("System")
    title = _("%(person)s's %(form)s", person=who, form=form.name)
    if figures["days"] is not None:
        title += _(" (%(days)s days)", days=_number(figures["days"]))
    if figures["total"] is not None:
        title += f" ¥{figures['total']:,.2f}"
    return title[:200]


def _number(value: Decimal) -> str:
    return str(value.normalize()) if value == value.to_integral() else str(value)


def submit_request(actor, form_code: str, raw: dict, comment: str | None = None,
                   picks: dict | None = None, choices: dict | None = None) -> ApprovalRequest:
    """Check the values against the form, store the request with its files and submit it into
    the form's chain, all in one transaction. Refuses (nothing written): without write
    permission, an inactive form, wrong values (ValidationErrors by field), an unpublished
    chain, a condition the values cannot answer, or a missing or wrong choice of approvers or
    people to copy (`picks`, {pick key: [user ids]}, for the chain's submitter_picks rules; or
    `choices`, {step id or "cc": [user ids]}, as API clients write them)."""
    from app.core.files.service import upload_attachment
    from app.workflow import engine
    from app.workflow.conditions import ConditionError

    if not _granted(actor, "write"):
        raise Forbidden("approval_forms.forbidden", _("You may not submit approval requests."))
    form = form_by_code(form_code)
    fields, checked = check_values(form, raw)
    with unit_of_work(actor):
        document = document_of(form, fields, checked.values, actor)
        request = ApprovalRequest(code=next_number(NUMBERING), form_id=form.id, form=form.code,
                                  form_version=form.version, chain=form.chain, title=document["title"],
                                  status=DRAFT, days=document["days"], total=document["total"],
                                  category=document["category"], values={},
                                  submitter_id=actor.id if actor is not None else None,
                                  department_id=getattr(actor, "department_id", None))
        db.session.add(request)
        db.session.flush()
        values = checked.values
        for key, files in checked.uploads.items():
            ids = [upload_attachment(actor, DOCUMENT, request.id, f.stream, f.filename).id for f in files]
            _put(values, key, ids)
        request.values = values
        db.session.flush()
        try:
            engine.submit(actor, DOCUMENT, request.id, comment=(comment or "").strip()[:2000] or None, picks=picks,
                          choices=choices)
        except ConditionError as exc:
            raise DomainError("approval_forms.condition", _("A condition cannot be evaluated for this request: "
                                                            "%(reason)s", reason=exc.message)) from None
    return request


def _put(values: dict, key: tuple, ids: list[int]) -> None:
    if len(key) == 1:
        values[key[0]] = ids
    else:
        name, row, column = key
        values[name][row][column] = ids


def route_preview(actor, form_code: str, raw: dict, picks: dict | None = None) -> dict:
    """The steps the request would go through and whom each would ask, before submitting:
    {"errors": {field: [messages]}, "steps": [{id, name, people}], "problem": message or None,
    "pickers": [...]} — a step whose approvers the submitter chooses says so until `picks` name
    them, and "pickers" lists what to choose on this route (see route_pickers). Never raises for
    the user's input."""
    from app.workflow.conditions import ConditionError
    from app.workflow.documents import submitter_values
    from app.workflow.frame import active_definition
    from app.workflow.resolver import describe_approvers

    form = form_by_code(form_code)
    fields = fields_of(form)
    checked = kinds.Values(fields, raw).check()
    if checked.errors:
        return {"errors": checked.errors, "steps": [], "problem": None}
    _version, definition = active_definition(form.chain)
    if definition is None:
        return {"errors": {}, "steps": [], "problem": _("The approval chain %(name)s has not been published.",
                                                         name=form.chain)}
    context = {"doc": document_of(form, fields, checked.values, actor), "submitter": submitter_values(actor)}
    chosen = _chosen(picks)
    pickers = route_pickers(definition, context, actor, chosen)
    try:
        route = definition.route(context)
    except ConditionError as exc:
        return {"errors": {}, "steps": [], "pickers": pickers,
                "problem": _("A condition cannot be evaluated for this request: %(reason)s", reason=exc.message)}
    steps = [{"id": step.id, "name": step.name,
              "people": describe_approvers(definition, step, context, actor, chosen)} for step in route]
    return {"errors": {}, "steps": steps, "problem": None, "pickers": pickers}


def _chosen(picks: dict | None) -> dict:
    return {key: [int(v) for v in values if str(v).strip().isdigit()] for key, values in (picks or {}).items()}


def route_pickers(definition, context, actor, chosen: dict | None = None) -> list[dict]:
    """What the submitter chooses on this route (发起人自选, CC they name): for each, its form field,
    label, whether several may be chosen and how many at least, the allowed people as options (or
    `remote` when there are too many to list: searched through `people`) and the choice so far."""
    from app.workflow import picks as picking
    from app.workflow.approver_kinds import describe_allowed

    found = []
    for picker in picking.pickers(definition, context):
        remote = picking.choice_count(picker, getattr(actor, "id", None)) > picking.OPTIONS_SHOWN
        options = [] if remote else [{"id": u.id, "text": f"{u.display_name} ({u.username})"}
                                     for u in picking.choices(picker, getattr(actor, "id", None))]
        found.append({"key": picker.key, "field": picker.field, "label": str(picker.label),
                      "multiple": picker.rule.multiple, "min": picker.rule.min, "cc": picker.cc,
                      "help": describe_allowed(picker.rule), "remote": remote, "options": options,
                      "chosen": (chosen or {}).get(picker.key, [])})
    return found


def pickable_people(actor, form_code: str, key: str, search: str) -> list[dict]:
    """Select2 results for a picker of the form's chain: active people it allows matching `search`."""
    from app.workflow import picks as picking
    from app.workflow.frame import active_definition

    if not _granted(actor, "write"):
        raise Forbidden("approval_forms.forbidden", _("You may not submit approval requests."))
    form = form_by_code(form_code)
    _version, definition = active_definition(form.chain)
    picker = next((p for p in picking.pickers(definition, None) if p.key == key), None) if definition else None
    if picker is None:
        raise NotFound("workflow.bad_pick", _("There is no such choice on this approval chain."))
    return [{"id": u.id, "text": f"{u.display_name} ({u.username})"}
            for u in picking.choices(picker, getattr(actor, "id", None), search, 20)]


def visible_request(actor, request_id) -> ApprovalRequest:
    """The request, if `actor` may see it: its submitter, anyone in the data scope (admins see
    all), and the people its approval asked or copied. NotFound otherwise (the same answer
    whether it exists or not)."""
    from app.workflow import reading

    missing = NotFound("approval_forms.no_request", _("The request does not exist, or you may not see it."))
    try:
        request_id = int(request_id)
    except (TypeError, ValueError):
        raise missing from None
    if not 0 < request_id < 2**31:
        raise missing
    request = db.session.get(ApprovalRequest, request_id)
    if request is None:
        raise missing
    if actor is None or request.submitter_id == actor.id:
        return request
    if _granted(actor, "read") and can_see(DOCUMENT, actor, request.id):
        return request
    if any(reading.may_view(actor, instance) for instance in reading.instances_of(DOCUMENT, request.id)):
        return request
    raise missing


def my_requests(actor, limit: int = 100) -> list[ApprovalRequest]:
    """The actor's own requests, newest first (我发起的)."""
    return list(db.session.scalars(select(ApprovalRequest).where(ApprovalRequest.submitter_id == actor.id)
                                   .order_by(ApprovalRequest.id.desc()).limit(limit)))


def chain_of(record_id) -> str | None:
    """The chain request `record_id` goes through (the approval engine asks)."""
    return db.session.scalar(select(ApprovalRequest.chain).where(ApprovalRequest.id == record_id))


def request_attachment(actor, request: ApprovalRequest, attachment_id: int):
    """(attachment, stream) of a file of a request the actor may see; NotFound for any other."""
    from app.core.files import store
    from app.core.files.models import Attachment

    attachment = db.session.get(Attachment, attachment_id) if 0 < attachment_id < 2**31 else None
    if (attachment is None or attachment.deleted or attachment.spec != DOCUMENT
            or attachment.record_id != request.id):
        raise NotFound("files.no_file", _("The file does not exist, or you may not see it."))
    return attachment, store().open(attachment.sha256)


# -- the generated screens' writes: requests come only from 发起审批 ------------------------------
class _Requests:
    """The module's service for the generated list and API: requests are made by submitting a
    form and never edited or deleted afterwards."""

    @staticmethod
    def create(actor, item):
        raise DomainError("approval_forms.use_launch", _("Start a request from 发起审批 with one of its forms."))

    @staticmethod
    def update(actor, item):
        raise DomainError("approval_forms.read_only", _("A submitted request cannot be changed."))

    @staticmethod
    def delete(actor, item):
        raise DomainError("approval_forms.read_only", _("A submitted request cannot be deleted; withdraw it instead."))


requests_service = _Requests()


def form_field_kinds() -> dict:
    """{field name: kind} of the fields of every form's current version (a person is "person"),
    so a chain's `field:` approver may name a form's person field and its department head a
    form's department field; `workflows check` and publishing refuse other names."""
    rows = db.session.execute(select(ApprovalFormVersion.fields).join(
        ApprovalForm, (ApprovalForm.id == ApprovalFormVersion.form_id)
        & (ApprovalForm.version == ApprovalFormVersion.version))).scalars()
    found: dict = {}
    for fields in rows:
        for field in fields or []:
            if isinstance(field, dict) and field.get("name"):
                kind = "person" if field.get("kind") == "user" else field.get("kind")
                found.setdefault(field["name"], kind)
    return found


def _register_form_fields() -> None:
    from app.workflow.person_fields import register

    register(DOCUMENT, form_field_kinds)


_register_form_fields()
