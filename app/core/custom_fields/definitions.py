"""Which custom fields each module has, kept per process and renewed everywhere at once.

    fields_of("customers")                 -> the active fields, by position
    fields_of("customers", retired=True)   -> also the retired ones (their data is kept)
    field_of("customers", "level")         -> one active field, or None
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.core.kept import Kept

KINDS = ("text", "textarea", "integer", "decimal", "date", "datetime", "choice", "multichoice", "boolean", "user")
KIND_LABELS = {
    "text": _l("Text"), "textarea": _l("Long text"), "integer": _l("Whole number"), "decimal": _l("Decimal number"),
    "date": _l("Date"), "datetime": _l("Date and time"), "choice": _l("Single choice"),
    "multichoice": _l("Multiple choice"), "boolean": _l("Yes/No"), "user": _l("User"),
}
CHOICE_KINDS = ("choice", "multichoice")


@dataclass(frozen=True)
class FieldDef:
    module: str
    name: str
    label: str
    kind: str
    required: bool = False
    default: object = None          # the stored form (values.load gives the value)
    help_text: str = ""
    choices: tuple = ()             # ((value, label), ...)
    position: int = 0
    retired: bool = False
    id: int = 0

    @property
    def key(self) -> str:
        """The field's name where it sits beside native columns (forms, lists, exports)."""
        return f"custom.{self.name}"


def _load() -> dict:
    from app.core.custom_fields.models import CustomField
    from app.extensions import db

    # Plain rows, not the session's objects: one this session read earlier may be out of date.
    table = CustomField.__table__
    rows = db.session.execute(table.select().order_by(table.c.module, table.c.position, table.c.id)).all()
    found: dict[str, list] = {}
    for row in rows:
        found.setdefault(row.module, []).append(FieldDef(
            module=row.module, name=row.name, label=row.label, kind=row.kind, required=bool(row.required),
            default=row.default, help_text=row.help_text or "",
            choices=tuple((str(v), str(label)) for v, label in (row.choices or [])),
            position=row.position or 0, retired=bool(row.retired), id=row.id))
    return {module: tuple(fields) for module, fields in found.items()}


DEFINITIONS = Kept("custom_fields", load=_load, tables={"custom_field"})


def _name_of(module) -> str:
    return module if isinstance(module, str) else getattr(module, "name", "")


def fields_of(module, *, retired: bool = False) -> list[FieldDef]:
    """The module's custom fields by position: the active ones, or with `retired` all of them."""
    fields = DEFINITIONS.get().get(_name_of(module), ())
    return [f for f in fields if retired or not f.retired]


def field_of(module, name: str, *, retired: bool = False) -> FieldDef | None:
    return next((f for f in fields_of(module, retired=retired) if f.name == name), None)


def has_custom(model_or_spec) -> bool:
    """Whether records of this model (or a spec's model) can hold custom field values."""
    model = getattr(model_or_spec, "model", model_or_spec)
    table = getattr(model, "__table__", None)
    return table is not None and "custom" in table.columns
