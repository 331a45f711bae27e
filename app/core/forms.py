"""How generated add / edit forms are drawn and read: sections, money fields, the save bar.

Amounts are typed the way clerks write them — 1,234,567.80, ¥1234.5, ￥１，２３４ — and read into
a Decimal rounded half up at 0.01, never through float. Anything else comes back to the field
with a message saying what to type.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_appbuilder.widgets import FormWidget
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Boolean, Numeric, inspect as sa_inspect
from wtforms import DecimalField
from wtforms.validators import InputRequired, Optional as OptionalValidator
from wtforms.widgets import TextInput

CENT = Decimal("0.01")
# 1234 / 1,234 / 1,234,567.8 / .5 — thousands separators only in groups of three.
_AMOUNT = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+")
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")


class ModuleFormWidget(FormWidget):
    template = "zwt/widgets/form.html"


def parse_amount(text) -> Decimal | None:
    """An amount as typed: "¥1,234.5", "1234.50", "￥１，２３４", "-3,000" → Decimal with two
    places (rounded half up); "" → None. Raises ValueError for anything that is no amount."""
    if text is None:
        return None
    value = _SPACES.sub("", unicodedata.normalize("NFKC", str(text)))
    if not value:
        return None
    negative = value[:1] in ("-", "\u2212")
    if negative:
        value = value[1:]
    value = value.removeprefix("¥").removesuffix("元")
    if value[:1] in ("-", "\u2212") and not negative:   # ¥-1,234
        negative, value = True, value[1:]
    if not _AMOUNT.fullmatch(value):
        raise ValueError(text)
    try:
        amount = Decimal(value.replace(",", "")).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    return -amount if negative else amount


def format_amount(value) -> str:
    """1234567.8 → "1,234,567.80" (what the money field shows; ¥ is drawn beside it)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


class MoneyInput(TextInput):
    """A text box with ¥ in front; form.js keeps thousands separators in it while typing."""

    def __call__(self, field, **kwargs):
        kwargs["class"] = " ".join(c for c in ("form-control zwt-money", kwargs.get("class", "")) if c)
        kwargs.setdefault("inputmode", "decimal")
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("data-zwt-money", "")
        box = super().__call__(field, **kwargs)
        return Markup('<div class="input-group zwt-money-group"><span class="input-group-addon" aria-hidden="true">'
                      '¥</span>%s</div>') % box


class MoneyField(DecimalField):
    """An amount in yuan: accepted with or without ¥ and thousands separators, kept as a
    Decimal with two places, refused in Chinese when it is no amount or does not fit."""

    widget = MoneyInput()

    def __init__(self, label=None, validators=None, limit: Decimal | None = None, **kwargs):
        super().__init__(label, validators, places=2, rounding=ROUND_HALF_UP, **kwargs)
        self.limit = limit

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_amount(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_("Enter an amount, for example 1,234.50")) from None
        if self.data is not None and self.limit is not None and abs(self.data) >= self.limit:
            self.data = None
            raise ValueError(_("The amount is out of range."))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_amount(self.data)


def is_money(column) -> bool:
    return isinstance(column.type, Numeric) and column.type.scale == 2


def money_field(spec, column) -> MoneyField:
    """The form field of one Numeric(…, 2) column of `spec`'s model."""
    limit = None
    if column.type.precision:
        limit = Decimal(10) ** (column.type.precision - column.type.scale)
    default = column.default.arg if column.default is not None and column.default.is_scalar else None
    return MoneyField(
        spec.label_columns.get(column.key, column.key),
        validators=[OptionalValidator() if column.nullable else InputRequired()],
        limit=limit,
        default=default,
        description=spec.description_columns.get(column.key, ""),
    )


def default_fields(spec, columns: list[str]) -> dict:
    """Form fields replacing the generated ones for `columns` (spec.form_fields still win)."""
    table = getattr(spec.model, "__table__", None)
    if table is None:
        return {}
    return {column.key: money_field(spec, column) for column in table.columns
            if column.key in columns and is_money(column)}


def required_columns(spec, columns: list[str]) -> list[str]:
    """The form's columns a record cannot be saved without: NOT NULL columns (but checkboxes)
    and relations held by NOT NULL keys, whether or not their field says so itself."""
    model = spec.model
    table = getattr(model, "__table__", None)
    if table is None:
        return []
    required = {c.key for c in table.columns if not c.nullable and not c.primary_key
                and not isinstance(c.type, Boolean)}
    for rel in sa_inspect(model).relationships:
        if rel.direction.name == "MANYTOONE" and all(not c.nullable for c in rel.local_columns):
            required.add(rel.key)
    return [name for name in columns if name in required]


def fieldsets(spec, columns: list[str]) -> list:
    """The add / edit form's sections for `columns`: [(title, {"fields": [...], "required": [...]})].

    The module's form_fieldsets, each keeping only the form's columns; a column no section
    names comes last, under 其他. Without form_fieldsets: one untitled section."""
    if not columns:
        return []
    required = required_columns(spec, columns)
    sections, placed = [], set()
    for title, options in spec.form_fieldsets:
        fields = [name for name in options.get("fields", []) if name in columns and name not in placed]
        if fields:
            placed.update(fields)
            sections.append((title, {"fields": fields}))
    rest = [name for name in columns if name not in placed]
    if rest:
        sections.append((_l("Other") if sections else None, {"fields": rest}))
    for _title, options in sections:
        options["required"] = [name for name in options["fields"] if name in required]
    return sections
