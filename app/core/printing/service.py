"""Print templates and printing: which template prints a document, saving a template as a new
version, restoring an old one, the default per document type, and a record's PDF.

Printing takes the actor explicitly: the record must be in the actor's data scope (NotFound
otherwise, as for its detail page). Whether the actor's role may read the module is checked by
the screens and the API before they call in (app/core/printing/views.py).
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy import inspect as sa_inspect

from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound
from app.core.org import user_id
from app.core.printing import render
from app.core.printing.models import PrintTemplate, PrintTemplateVersion
from app.core.transaction import unit_of_work
from app.extensions import db

NAME_MAX = 80
BODY_MAX = 200_000
RELATED_ROWS_MAX = 200
# Columns a template never sees, whatever the model (password hashes, API secrets).
_HIDDEN = re.compile(r"password|secret|token|otp|hash|salt|api_key", re.I)
_USER_COLUMNS = ("id", "username", "first_name", "last_name", "email", "mobile")


# -- what a module declares -------------------------------------------------------------------
def document_of(spec, name: str | None = None):
    """The spec's DocumentSpec called `name` (its first one when None); NotFound if none."""
    for document in spec.documents:
        if name in (None, "", document.name):
            return document
    raise NotFound("printing.no_document", _("This document type does not exist."))


def specs_with_documents() -> list:
    from app.core.registry import registry

    return [spec for spec in registry.specs.values() if spec.documents]


def spec_named(module: str):
    from app.core.registry import registry

    spec = registry.specs.get(module)
    if spec is None or not spec.documents:
        raise NotFound("printing.no_module", _("This module prints no documents."))
    return spec


# -- templates --------------------------------------------------------------------------------
def templates_of(module: str, document: str | None = None) -> list[PrintTemplate]:
    stmt = select(PrintTemplate).where(PrintTemplate.module == module)
    if document:
        stmt = stmt.where(PrintTemplate.document == document)
    return list(db.session.scalars(stmt.order_by(PrintTemplate.document, PrintTemplate.variant,
                                                 PrintTemplate.is_default.desc(), PrintTemplate.name)))


def get_template(template_id: int) -> PrintTemplate:
    row = db.session.get(PrintTemplate, template_id)
    if row is None:
        raise NotFound("printing.no_template", _("This print template does not exist."))
    return row


def variant_of(document, item) -> str:
    """The key of the kind of record `item` is for `document` ("" when the document has no variants)."""
    if item is None or document.variant is None or not document.variants:
        return ""
    key = str(document.variant(item) or "")
    return key if key in {v.key for v in document.variants} else ""


def check_variant(document, variant: str | None) -> str:
    variant = (variant or "").strip()
    if variant and variant not in {v.key for v in document.variants}:
        raise DomainError("printing.variant", _("This kind of record does not exist for the document."), field="variant")
    return variant


def variant_label(document, variant: str) -> str:
    for option in document.variants:
        if option.key == variant:
            return str(option.label)
    return ""


def template_for(spec, document, template_id: int | None = None, item=None) -> tuple[str, PrintTemplate | None]:
    """The text that prints `document` of `spec` (for `item`, when given): the chosen template,
    else the default one of the item's kind (say its invoice type), else the default one for
    every kind, else the shipped file."""
    if template_id:
        row = get_template(template_id)
        if row.module != spec.name or row.document != document.name:
            raise NotFound("printing.no_template", _("This print template does not exist."))
        return row.body, row
    variant = variant_of(document, item)
    for key in dict.fromkeys((variant, "")):
        row = db.session.scalar(select(PrintTemplate).where(
            PrintTemplate.module == spec.name, PrintTemplate.document == document.name, PrintTemplate.variant == key)
            .order_by(PrintTemplate.is_default.desc(), PrintTemplate.id).limit(1))
        if row is not None:
            return row.body, row
    return shipped_body(document, variant), None


def shipped_body(document, variant: str = "") -> str:
    path = next((v.template for v in document.variants if v.key == variant), None) if variant else None
    return Path(path or document.template).read_text(encoding="utf-8")


def _check_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n")
    if not body.strip():
        raise DomainError("printing.empty", _("The template is empty."), field="body")
    if len(body) > BODY_MAX:
        raise DomainError("printing.too_long", _("The template is longer than %(max)s characters.", max=BODY_MAX),
                          field="body")
    try:
        render.check_template(body)
    except render.TemplateProblem as problem:
        raise DomainError("printing.compile", problem.message, field="body", line=problem.line) from None
    return body


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("printing.name", _("Give the template a name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError("printing.name", _("The name is longer than %(max)s characters.", max=NAME_MAX), field="name")
    return name


def _new_version(uow, row: PrintTemplate, body: str, note: str) -> None:
    row.version = (row.version or 0) + 1
    row.body = body
    row.updated_at = utcnow()
    row.updated_by_id = user_id(uow.actor)
    db.session.add(PrintTemplateVersion(template=row, number=row.version, body=body, note=note[:200],
                                        author_id=user_id(uow.actor), created_at=row.updated_at))


def create_template(actor, module: str, document: str, name: str, body: str, make_default: bool = False,
                    variant: str = "") -> PrintTemplate:
    """A new template (version 1) for `document` of `module`, for the records of kind `variant`
    ("" for every kind). Refuses, changing nothing, a template that does not compile
    (DomainError printing.compile, with its line) or a name taken."""
    spec = spec_named(module)
    doc = document_of(spec, document)
    variant = check_variant(doc, variant)
    name, body = _check_name(name), _check_body(body)
    with unit_of_work(actor) as uow:
        if db.session.scalar(select(PrintTemplate.id).where(PrintTemplate.module == spec.name,
                                                            PrintTemplate.document == doc.name,
                                                            PrintTemplate.name == name)):
            raise DomainError("printing.name_taken", _("A template of this document is already called “%(name)s”.",
                                                       name=name), field="name")
        first = not db.session.scalar(select(func.count()).select_from(PrintTemplate).where(
            PrintTemplate.module == spec.name, PrintTemplate.document == doc.name, PrintTemplate.variant == variant))
        row = PrintTemplate(module=spec.name, document=doc.name, name=name, variant=variant, is_default=False,
                            version=0, body="")
        db.session.add(row)
        _new_version(uow, row, body, _("First version"))
        db.session.flush()
        if make_default or first:
            _make_default(row)
    return row


def save_template(actor, template_id: int, body: str, name: str | None = None, expected_version: int | None = None,
                  note: str = "") -> PrintTemplate:
    """Save `body` as the template's next version. Refuses a template that does not compile
    (nothing saved) and a save based on an older version than the current one."""
    body = _check_body(body)
    with unit_of_work(actor) as uow:
        row = get_template(template_id)
        if expected_version is not None and expected_version != row.version:
            raise DomainError("printing.stale", _("Someone saved this template since you opened it (now version %(v)s); "
                                                  "reload it and make your change again.", v=row.version))
        if name is not None and name.strip() != row.name:
            row.name = _check_name(name)
        if body == row.body:
            return row
        _new_version(uow, row, body, note or _("Edited"))
    return row


def restore_version(actor, template_id: int, number: int) -> PrintTemplate:
    """Make version `number`'s text the current one, as a new version (history is never rewritten)."""
    with unit_of_work(actor) as uow:
        row = get_template(template_id)
        old = db.session.scalar(select(PrintTemplateVersion).where(
            PrintTemplateVersion.template_id == row.id, PrintTemplateVersion.number == number))
        if old is None:
            raise NotFound("printing.no_version", _("This version does not exist."))
        if old.body != row.body:
            _new_version(uow, row, old.body, _("Restored version %(n)s", n=number))
    return row


def _make_default(row: PrintTemplate) -> None:
    db.session.execute(update(PrintTemplate).where(PrintTemplate.module == row.module,
                                                   PrintTemplate.document == row.document,
                                                   PrintTemplate.variant == row.variant,
                                                   PrintTemplate.id != row.id).values(is_default=False))
    row.is_default = True


def set_default(actor, template_id: int) -> PrintTemplate:
    """Make the template the one its document (for its kind of record) prints with unless another is chosen."""
    with unit_of_work(actor):
        row = get_template(template_id)
        _make_default(row)
    return row


def delete_template(actor, template_id: int) -> None:
    with unit_of_work(actor):
        row = get_template(template_id)
        if row.is_default:
            raise DomainError("printing.default", _("The default template cannot be deleted; make another the default first."))
        db.session.delete(row)


def seed_shipped() -> list[str]:
    """`run.py init`: each declared document (each of its variants, if it has them) without any
    template gets its shipped file as the default template (idempotent: an admin's templates
    are never overwritten)."""
    seeded = []
    for spec in specs_with_documents():
        for doc in spec.documents:
            kinds = [(v.key, str(v.label)) for v in doc.variants] or [("", _("Standard"))]
            for variant, name in kinds:
                exists = db.session.scalar(select(PrintTemplate.id).where(
                    PrintTemplate.module == spec.name, PrintTemplate.document == doc.name,
                    (PrintTemplate.variant == variant) | (PrintTemplate.name == name)).limit(1))
                if exists:
                    continue
                create_template(None, spec.name, doc.name, name, shipped_body(doc, variant), make_default=True,
                                variant=variant)
                seeded.append(f"{spec.name}.{doc.name}" + (f".{variant}" if variant else ""))
    return seeded


# -- a record as a template sees it -----------------------------------------------------------
def _plain(value):
    if isinstance(value, (str, int, float, Decimal, bool, dt.date, dt.datetime)) or value is None:
        return value
    return str(value)


def _columns_of(obj, depth: int) -> dict:
    from app.core.org import AppUser

    mapper = sa_inspect(type(obj))
    data = {}
    user = isinstance(obj, AppUser)
    for column in mapper.columns:
        key = column.key
        if _HIDDEN.search(key) or (user and key not in _USER_COLUMNS):
            continue
        data[key] = _plain(getattr(obj, key, None))
        choices = column.info.get("choices") if hasattr(column, "info") else None
        if choices:
            data[f"{key}_label"] = str(dict(choices).get(data[key], data[key] if data[key] is not None else ""))
    if user:
        data["name"] = obj.display_name
        return data
    data["label"] = str(obj)
    if depth <= 0:
        return data
    for rel in mapper.relationships:
        if _HIDDEN.search(rel.key):
            continue
        value = getattr(obj, rel.key, None)
        if rel.uselist:
            data[rel.key] = [_columns_of(child, 0) for child in list(value or [])[:RELATED_ROWS_MAX]]
        else:
            data[rel.key] = _columns_of(value, 0) if value is not None else None
    return data


def record_context(spec, document, item, actor=None) -> dict:
    """What a template is handed: `record` (the row's columns, `<column>_label` for choices,
    and its relations' columns one level down), `doc` (the document's name and label),
    `module`, `today`, `printed_by` and whatever the document's own `context(item)` adds."""
    from app.core.printing.render import _local

    context = {
        "record": _columns_of(item, 1),
        "doc": {"name": document.name, "label": str(document.label)},
        "module": {"name": spec.name, "label": str(spec.label)},
        "today": _local(utcnow()).date(),
        "now": _local(utcnow()),
        "printed_by": actor.display_name if actor is not None and hasattr(actor, "display_name") else "",
        "labels": {key: str(label) for key, label in spec.label_columns.items()},
    }
    if document.context is not None:
        extra = document.context(item) or {}
        context.update({key: value for key, value in extra.items() if key not in ("record",)})
    return context


def visible_record(spec, actor, pk):
    """The row `pk` of `spec` if it is in `actor`'s data scope (None actor: the system)."""
    from app.core.scope import can_see

    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = None
    if pk is None or not (0 < pk < 2**31) or not can_see(spec.name, actor, pk):
        raise NotFound("printing.no_record", _("This record does not exist or is not yours to see."))
    return db.session.get(spec.model, pk)


def render_body(spec, document, item, body: str, actor=None) -> bytes:
    """`body` filled in with `item` and drawn as a PDF; DomainError printing.template (with the
    line) when the template fails on this record."""
    try:
        return render.render_pdf(body, record_context(spec, document, item, actor), current_app.config)
    except render.TemplateProblem as problem:
        raise DomainError("printing.template", problem.message, field="body", line=problem.line) from None
    except render.FontMissing as error:
        raise DomainError("printing.font", str(error)) from None


def print_record(actor, module: str, pk, document: str | None = None, template_id: int | None = None) -> tuple[bytes, str]:
    """The PDF of one record and its file name. NotFound when the record is outside the actor's scope."""
    spec = spec_named(module)
    doc = document_of(spec, document)
    item = visible_record(spec, actor, pk)
    body, _row = template_for(spec, doc, template_id, item)
    data = render_body(spec, doc, item, body, actor)
    noted(doc, actor, item)
    return data, file_name(spec, doc, item)


def noted(document, actor, item) -> None:
    """The document's `printed` hook, told that `item` was printed by `actor` (how often, when, by whom)."""
    if document.printed is not None:
        document.printed(actor, item)


def file_name(spec, document, item) -> str:
    values = {c.key: getattr(item, c.key, "") for c in sa_inspect(type(item)).columns}
    try:
        name = document.filename.format(**values) if document.filename else f"{document.label}-{item.id}"
    except (KeyError, IndexError, ValueError):
        name = f"{document.label}-{item.id}"
    name = re.sub(r'[\\/:*?"<>|\r\n]+', "-", str(name)).strip() or "document"
    return name[:120] + ".pdf"
