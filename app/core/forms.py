"""How generated add / edit forms are drawn and read: sections, money, date and time fields.

Amounts are typed the way clerks write them — 1,234,567.80, ¥1234.5, ￥１，２３４ — and read into
a Decimal rounded half up at 0.01, never through float. Times are shown and typed in the user's
time zone and stored in UTC. Anything else comes back to the field with a message saying what to
type.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_appbuilder.widgets import FormWidget
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Boolean, Date, DateTime, Numeric, inspect as sa_inspect
from wtforms import DecimalField, Field
from wtforms.validators import InputRequired, Optional as OptionalValidator
from wtforms.widgets import DateTimeLocalInput, TextInput, html_params

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


# -- dates and times ------------------------------------------------------------------------------
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")


def _parse(text: str, formats) -> dt.datetime:
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(text)


class DatePickerInput:
    """Flask-AppBuilder's date box (bootstrap-datepicker, in Chinese with the bundled locale)
    without the id it repeats for every date of a form, showing what was typed on an error."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        kwargs["class"] = " ".join(c for c in ("form-control", kwargs.get("class", "")) if c)
        kwargs.setdefault("autocomplete", "off")
        if field.flags.required:
            kwargs.setdefault("required", True)
        box = html_params(type="text", name=field.name, value=field._value(), **kwargs)
        return Markup('<div class="input-group date appbuilder_date" data-provide="datepicker">'
                      '<span class="input-group-addon" aria-hidden="true"><i class="fa fa-calendar cursor-hand"></i>'
                      '</span><input %s></div>') % Markup(box)


class LocalDateField(Field):
    """A date typed or picked as 2026-01-05."""

    widget = DatePickerInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%Y-%m-%d") if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0] and valuelist[0].strip():
            try:
                self.data = _parse(valuelist[0], DATE_FORMATS).date()
            except ValueError:
                raise ValueError(_("Enter a date, for example 2026-01-05")) from None


class LocalDateTimeInput(DateTimeLocalInput):
    def __call__(self, field, **kwargs):
        kwargs["class"] = " ".join(c for c in ("form-control", kwargs.get("class", "")) if c)
        kwargs.setdefault("step", "60")
        return super().__call__(field, **kwargs)


class LocalDateTimeField(Field):
    """A time as people read it — in their own time zone, to the minute — stored in UTC."""

    widget = LocalDateTimeInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if not isinstance(self.data, dt.datetime):
            return ""
        from app.core.webhooks import local_time

        return local_time(self.data, "%Y-%m-%dT%H:%M")

    def process_formdata(self, valuelist):
        from app.core.webhooks import user_zone

        self.data = None
        if valuelist and valuelist[0] and valuelist[0].strip():
            try:
                local = _parse(valuelist[0], TIME_FORMATS + DATE_FORMATS)
            except ValueError:
                raise ValueError(_("Enter a date and time, for example 2026-01-05 10:30")) from None
            self.data = local.replace(tzinfo=user_zone()).astimezone(dt.timezone.utc).replace(tzinfo=None)


def _default(column):
    """The column's Python default as the form's: a value, or a function called per form."""
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return lambda: default.arg(None)
    return None


def date_field(spec, column):
    field_class = LocalDateTimeField if isinstance(column.type, DateTime) else LocalDateField
    return field_class(
        spec.label_columns.get(column.key, column.key),
        validators=[OptionalValidator() if column.nullable else InputRequired()],
        default=_default(column),
        description=spec.description_columns.get(column.key, ""),
    )


def is_money(column) -> bool:
    return isinstance(column.type, Numeric) and column.type.scale == 2


def money_field(spec, column) -> MoneyField:
    """The form field of one Numeric(…, 2) column of `spec`'s model."""
    limit = None
    if column.type.precision:
        limit = Decimal(10) ** (column.type.precision - column.type.scale)
    default = _default(column)
    return MoneyField(
        spec.label_columns.get(column.key, column.key),
        validators=[OptionalValidator() if column.nullable else InputRequired()],
        limit=limit,
        default=default,
        description=spec.description_columns.get(column.key, ""),
    )


def people_relations(spec, columns: list[str]) -> dict[str, tuple]:
    """{relation: (its key column, AppUser or Department)} of the form's many-to-one relations to a person or a
    department: chosen by search (the relation search, in the user's scope of the module), never from a select of
    every user or department."""
    from app.core.org import AppUser, Department

    if getattr(spec.model, "__table__", None) is None:
        return {}
    found = {}
    for rel in sa_inspect(spec.model).relationships:
        target = rel.mapper.class_
        if rel.key in columns and rel.direction.name == "MANYTOONE" and len(rel.local_columns) == 1:
            if issubclass(target, AppUser) or target is Department:
                found[rel.key] = (next(iter(rel.local_columns)), AppUser if issubclass(target, AppUser) else Department)
    return found


def people_fields(spec, columns: list[str]) -> dict:
    from wtforms.validators import DataRequired, Optional as OptionalValidator

    from app.core.org import AppUser
    from app.core.remote_select import RemoteSelectField

    return {relation: RemoteSelectField(
        spec.label_columns.get(relation, relation),
        validators=[OptionalValidator() if column.nullable else DataRequired()],
        model=model, url=f"/relation-search/{spec.name}/{relation}", minimum=0,
        placeholder=_l("Type part of the name") if model is AppUser else _l("Type part of the name or the code"),
        description=spec.description_columns.get(relation, ""),
    ) for relation, (column, model) in people_relations(spec, columns).items()}


def default_fields(spec, columns: list[str]) -> dict:
    """Form fields replacing the generated ones for `columns` (spec.form_fields still win)."""
    table = getattr(spec.model, "__table__", None)
    if table is None:
        return {}
    fields = people_fields(spec, columns)
    for column in table.columns:
        if column.key not in columns:
            continue
        if is_money(column):
            fields[column.key] = money_field(spec, column)
        elif isinstance(column.type, (Date, DateTime)):
            fields[column.key] = date_field(spec, column)
    return fields


def required_columns(spec, columns: list[str]) -> list[str]:
    """The form's columns a record cannot be saved without: NOT NULL columns without a default
    (but checkboxes) and relations held by such keys, whether or not their field says so."""
    model = spec.model
    table = getattr(model, "__table__", None)
    if table is None:
        return []
    def needed(column) -> bool:   # a value the database will not fill in itself
        return (not column.nullable and not column.primary_key and not isinstance(column.type, Boolean)
                and column.default is None and column.server_default is None)

    required = {c.key for c in table.columns if needed(c)}
    for rel in sa_inspect(model).relationships:
        if rel.direction.name == "MANYTOONE" and all(needed(c) for c in rel.local_columns):
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
