"""Changing custom field definitions (系统管理 ▸ 自定义字段). Every change is one audited
transaction; its commit renews the definitions in every process (definitions.DEFINITIONS).

A field's module and name are fixed once created, and so is its kind (stored values keep their
meaning); label, help text, required, default, choices and position may change. Retiring hides
a field everywhere and keeps every record's value; restoring shows it again with its data.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.custom_fields import indexes
from app.core.custom_fields.definitions import CHOICE_KINDS, KINDS, FieldDef, has_custom
from app.core.custom_fields.models import CustomField
from app.core.errors import DomainError, NotFound
from app.core.transaction import unit_of_work
from app.extensions import db

NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
LABEL_MAX, HELP_MAX, CHOICES_MAX, CHOICE_MAX = 100, 500, 200, 100
FIELDS_MAX = 100
# Names that would read as something else where fields are named (forms, lists, conditions).
RESERVED = {"id", "custom", "doc", "self", "none", "true", "false", "and", "or", "not", "in", "null"}


def modules_with_custom() -> list:
    """The specs whose records may hold custom fields, in menu order."""
    from app.core.registry import registry

    return [spec for spec in registry.specs.values() if has_custom(spec.model)]


def spec_named(module: str):
    from app.core.registry import registry

    spec = registry.specs.get(module or "")
    if spec is None or not has_custom(spec.model):
        raise NotFound("custom_field.no_module", _("This module has no custom fields."))
    return spec


def get_field(field_id) -> CustomField:
    row = db.session.get(CustomField, field_id) if isinstance(field_id, int) and 0 < field_id < 2 ** 31 else None
    if row is None:
        raise NotFound("custom_field.not_found", _("This custom field does not exist."))
    return row


def definition(row: CustomField) -> FieldDef:
    return FieldDef(module=row.module, name=row.name, label=row.label, kind=row.kind, required=bool(row.required),
                    default=row.default, help_text=row.help_text or "",
                    choices=tuple((str(v), str(lbl)) for v, lbl in (row.choices or [])),
                    position=row.position or 0, retired=bool(row.retired), id=row.id or 0)


# -- checks ----------------------------------------------------------------------------------
def _native_names(spec) -> set[str]:
    """Every name the module's model already uses: columns, relations, properties, methods."""
    model = spec.model
    names = {c.key for c in model.__table__.columns}
    names |= {attr for attr in dir(model) if not attr.startswith("__")}
    names |= set(spec.label_columns)
    return {n.lower() for n in names}


def _check_name(spec, name) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        raise DomainError("custom_field.name_missing", _("Enter the field's name."), field="name")
    if not NAME_RE.fullmatch(name):
        raise DomainError("custom_field.bad_name",
                          _("The name must start with a small letter and hold only small letters, digits and "
                            "underscores (at most 40), such as credit_level."), field="name")
    if name in RESERVED or name in _native_names(spec):
        raise DomainError("custom_field.native_name",
                          _("“%(name)s” is already a field of %(module)s; choose another name.",
                            name=name, module=spec.label_plural), field="name")
    taken = db.session.scalar(select(CustomField.id).where(CustomField.module == spec.name, CustomField.name == name))
    if taken:
        raise DomainError("custom_field.name_taken",
                          _("%(module)s already has a custom field named “%(name)s” (a retired one keeps its name).",
                            module=spec.label_plural, name=name), field="name")
    return name


def _check_label(label) -> str:
    label = " ".join(label.split()) if isinstance(label, str) else ""
    if not label:
        raise DomainError("custom_field.label_missing", _("Enter the field's label."), field="label")
    if len(label) > LABEL_MAX:
        raise DomainError("custom_field.label_long", _("The label may have at most %(n)d characters.", n=LABEL_MAX),
                          field="label")
    return label


def _check_help(text) -> str:
    text = text.strip() if isinstance(text, str) else ""
    if len(text) > HELP_MAX:
        raise DomainError("custom_field.help_long", _("The help text may have at most %(n)d characters.", n=HELP_MAX),
                          field="help_text")
    return text


def parse_choices(raw) -> list[list[str]]:
    """Choices as given: a list of [value, label] (or plain strings), or text with one choice a
    line, `value=label` or just the label (then the label is also the value)."""
    if raw is None:
        return []
    if isinstance(raw, str):
        items = []
        for line in raw.splitlines():
            line = line.strip()
            if not line:
                continue
            value, sep, label = line.partition("=")
            items.append([value.strip(), label.strip()] if sep else [line, line])
        return items
    items = []
    if not isinstance(raw, (list, tuple)):
        raise DomainError("custom_field.bad_choices", _("The choices are not a list."), field="choices")
    for item in raw:
        if isinstance(item, str):
            items.append([item.strip(), item.strip()])
        elif isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(p, (str, int)) for p in item):
            items.append([str(item[0]).strip(), str(item[1]).strip()])
        else:
            raise DomainError("custom_field.bad_choices", _("Each choice is a value and a label."), field="choices")
    return items


def _check_choices(kind: str, raw) -> list[list[str]] | None:
    if kind not in CHOICE_KINDS:
        return None
    items = parse_choices(raw)
    if not items:
        raise DomainError("custom_field.no_choices", _("A choice field needs at least one choice."), field="choices")
    if len(items) > CHOICES_MAX:
        raise DomainError("custom_field.many_choices", _("At most %(n)d choices.", n=CHOICES_MAX), field="choices")
    seen_values, seen_labels = set(), set()
    for value, label in items:
        if not value or not label:
            raise DomainError("custom_field.bad_choices", _("Each choice needs a value and a label."), field="choices")
        if len(value) > CHOICE_MAX or len(label) > CHOICE_MAX:
            raise DomainError("custom_field.bad_choices", _("A choice may have at most %(n)d characters.", n=CHOICE_MAX),
                              field="choices")
        if any(sep in value for sep in ",，、;；"):
            raise DomainError("custom_field.bad_choices",
                              _("The choice “%(value)s” may not hold a comma or semicolon.", value=value), field="choices")
        if value.casefold() in seen_values or label in seen_labels:
            raise DomainError("custom_field.duplicate_choice", _("The choice “%(value)s” is given twice.", value=value),
                              field="choices")
        seen_values.add(value.casefold())
        seen_labels.add(label)
    return items


def _check_default(row_like: FieldDef, raw):
    """The stored form of a default, checked as a value of the field."""
    from app.core.custom_fields import values

    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        return None
    probe = FieldDef(**{**row_like.__dict__, "required": False})
    try:
        value = values.coerce(probe, raw)
    except DomainError as error:
        raise DomainError("custom_field.bad_default", _("The default value does not fit the field: %(problem)s",
                                                        problem=error.message), field="default") from None
    return values.dump(probe, value)


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "y")
    return bool(value)


def _position(raw, fallback: int) -> int:
    if raw is None or raw == "":
        return fallback
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise DomainError("custom_field.bad_position", _("The position is a whole number."), field="position") from None
    if not 0 <= value <= 100_000:
        raise DomainError("custom_field.bad_position", _("The position is a whole number from 0 to 100000."),
                          field="position")
    return value


def _check_removed_choices(row: CustomField, removed: set[str]) -> None:
    """A choice some record still holds may be relabelled, not removed (its records would show a
    value no one can choose again)."""
    if not removed:
        return
    from sqlalchemy import String, cast

    from app.core.custom_fields.values import expression

    model = spec_named(row.module).model
    field = definition(row)
    for value in sorted(removed):
        if row.kind == "choice":
            clause = expression(model, field) == value
        else:   # the stored JSON array holds "value" (its text on both SQLite and PostgreSQL)
            pattern = '%"' + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'
            clause = cast(model.custom[row.name], String).like(pattern, escape="\\")
        if db.session.scalar(select(model.id).where(clause).limit(1)) is not None:
            raise DomainError("custom_field.choice_in_use",
                              _("The choice “%(value)s” is held by records: relabel it instead of removing it.",
                                value=value), field="choices")


# -- changes ---------------------------------------------------------------------------------
def create_field(actor, module: str, name, label: str = "", kind: str = "", *, required=False, default=None,
                 help_text: str = "", choices=None, position=None) -> CustomField:
    """A new field of `module`. Refuses (DomainError with the field the message belongs to) a bad
    or taken name, an unknown kind, a choice kind without choices, a default the field would refuse."""
    if isinstance(name, dict):
        return create_from_form(actor, module, name)
    spec = spec_named(module)
    with unit_of_work(actor) as uow:
        name = _check_name(spec, name)
        label = _check_label(label)
        if kind not in KINDS:
            raise DomainError("custom_field.bad_kind", _("Choose the kind of the field."), field="kind")
        count = db.session.scalar(select(func.count()).select_from(CustomField).where(CustomField.module == spec.name))
        if count >= FIELDS_MAX:
            raise DomainError("custom_field.too_many", _("A module may have at most %(n)d custom fields.", n=FIELDS_MAX))
        last = db.session.scalar(select(func.max(CustomField.position)).where(CustomField.module == spec.name))
        items = _check_choices(kind, choices)
        probe = FieldDef(module=spec.name, name=name, label=label, kind=kind,
                         choices=tuple(tuple(c) for c in items or ()))
        row = CustomField(module=spec.name, name=name, label=label, kind=kind, required=_bool(required),
                          help_text=_check_help(help_text), choices=items,
                          default=_check_default(probe, default),
                          position=_position(position, (last or 0) + 10), retired=False)
        db.session.add(row)
        db.session.flush()
        indexes.schedule(row, uow)
    return row


_UNSET = object()


def update_field(actor, field_id: int, data: dict | None = None, *, label=_UNSET, help_text=_UNSET, required=_UNSET, default=_UNSET,
                 choices=_UNSET, position=_UNSET) -> CustomField:
    """Change what may change; the name, module and kind stay. Records keep their values."""
    if data is not None:
        return update_from_form(actor, field_id, data)
    with unit_of_work(actor):
        row = get_field(field_id)
        if label is not _UNSET:
            row.label = _check_label(label)
        if help_text is not _UNSET:
            row.help_text = _check_help(help_text)
        if required is not _UNSET:
            row.required = _bool(required)
        if choices is not _UNSET and row.kind in CHOICE_KINDS:
            items = _check_choices(row.kind, choices)
            _check_removed_choices(row, {str(v) for v, _label in (row.choices or [])} - {v for v, _label in items})
            row.choices = items
        if position is not _UNSET:
            row.position = _position(position, row.position)
        if default is not _UNSET:
            row.default = _check_default(definition(row), default)
        elif choices is not _UNSET and row.default is not None:
            row.default = _check_default(definition(row), row.default)
        db.session.flush()
    return row


def retire_field(actor, field_id: int) -> CustomField:
    """Hide the field from every form, page, list and the API; records keep their values."""
    with unit_of_work(actor) as uow:
        row = get_field(field_id)
        row.retired = True
        indexes.schedule(row, uow)
    return row


def restore_field(actor, field_id: int) -> CustomField:
    with unit_of_work(actor) as uow:
        row = get_field(field_id)
        row.retired = False
        indexes.schedule(row, uow)
    return row


def reorder(actor, module: str, ids: list[int]) -> None:
    """Put the module's fields in the order of `ids` (the others keep theirs, after them)."""
    spec = spec_named(module)
    with unit_of_work(actor):
        # populate_existing: rows this session read earlier may have moved since.
        rows = db.session.scalars(select(CustomField).where(CustomField.module == spec.name)
                                  .order_by(CustomField.position, CustomField.id)
                                  .execution_options(populate_existing=True)).all()
        by_id = {row.id: row for row in rows}
        if any(i not in by_id for i in ids):
            raise DomainError("custom_field.bad_order", _("The order names a field of another module."))
        ordered = [by_id[i] for i in dict.fromkeys(ids)] + [row for row in rows if row.id not in ids]
        for index, row in enumerate(ordered, start=1):
            if row.position != index * 10:
                row.position = index * 10


def move(actor, field_id: int, step: int) -> None:
    """Move a field one place up (step -1) or down (+1) among its module's fields."""
    row = get_field(field_id)
    ids = list(db.session.scalars(select(CustomField.id).where(CustomField.module == row.module)
                                  .order_by(CustomField.position, CustomField.id)))
    index = ids.index(row.id)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
    reorder(actor, row.module, ids)


# -- the admin screen's calls: form values in, every refusal as {field: [message]} -------------
def modules() -> list:
    return modules_with_custom()


def module_named(module: str):
    return spec_named(module)


def field_row(field_id) -> CustomField:
    return get_field(field_id)


def set_retired(actor, field_id: int, retired: bool) -> CustomField:
    return retire_field(actor, field_id) if retired else restore_field(actor, field_id)


def _form_call(fn, *args, **kwargs):
    from app.core.errors import ValidationErrors

    try:
        return fn(*args, **kwargs)
    except ValidationErrors:
        raise
    except DomainError as error:
        if error.status != 400:
            raise
        raise ValidationErrors({error.field or "": [error.message]}, code=error.code) from None


def create_from_form(actor, module: str, data: dict) -> CustomField:
    return _form_call(create_field, actor, module, data.get("name", ""), data.get("label", ""), data.get("kind", ""),
                      required=data.get("required", False), default=data.get("default"),
                      help_text=data.get("help_text", ""), choices=data.get("choices"), position=data.get("position"))


def update_from_form(actor, field_id: int, data: dict) -> CustomField:
    row = get_field(field_id)
    changes = {key: data[key] for key in ("label", "help_text", "default", "position") if key in data}
    changes["required"] = data.get("required", False)
    if row.kind in CHOICE_KINDS and "choices" in data:
        changes["choices"] = data["choices"]
    return _form_call(update_field, actor, field_id, **changes)
