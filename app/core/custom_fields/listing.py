"""A module's custom fields in its list: optional columns of the column chooser (sortable), rows of
the advanced filter panel and of the REST API's filters, the search box's text, the CSV/XLSX export
and the chart page.

A custom field is the list column `cf_<name>`: URL arguments `_flt_<n>_cf_<name>=…` (filters, as
the native columns' are, so a filtered list can be shared and saved) and `_oc_<View>=cf_<name>`
(sort). A plain name, not a dotted one, which FAB would read as a relation. The list's columns,
sort and filter columns, labels and filters are the spec's plus the module's active custom
fields: `sync` brings a view up to date when a definition changes (a new field shows at once in
every process, a retired one is gone), first thing in every request of a module's screens and API.

Filters by kind (operator: API `opr`):
    text            contains (ct), equal to (eq)          long text: contains (ct)
    integer/decimal equal to (eq), between (between: "10~20"), greater than (gt), smaller than (lt)
    date/datetime   the same with days: 2026-01-05, "2026-01-01~2026-03-31" (a day of a datetime is
                    the user's local day)
    choice          is one of (in)                         multiple choice: holds any of (in)
    boolean         is (eq): 1 or 0                        user: is (eq): a user name or id
A value the field cannot take is refused with the list's 400 page (inputs.py asks each filter's
value_problem), never a 500.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import String, and_, exists, false, func, literal, or_, select

PREFIX = "cf_"
MAX_VALUE_LENGTH = 200
MAX_VALUES = 50
TEXT_KINDS = ("text", "textarea")
NUMBER_KINDS = ("integer", "decimal")
TIME_KINDS = ("date", "datetime")
# Kinds a chart may group by (a count per value).
GROUP_KINDS = ("choice", "boolean", "user")
# Kinds whose values sort as people expect (a list of choices does not).
SORT_KINDS = ("text", "integer", "decimal", "date", "datetime", "choice", "boolean", "user")


# -- names ---------------------------------------------------------------------------------------
def column_name(field) -> str:
    return PREFIX + field.name


def is_custom_column(column) -> bool:
    return isinstance(column, str) and column.startswith(PREFIX)


def fields(spec, *, retired: bool = False) -> list:
    """The module's active custom fields (by position); [] for a module without them."""
    if spec is None or getattr(spec, "model", None) is None:
        return []
    try:
        from app.core.custom_fields.definitions import fields_of, has_custom
    except ImportError:   # a frame without custom fields
        return []
    if not has_custom(spec.model):
        return []
    return list(fields_of(spec.name, retired=retired))


def field_of_column(spec, column: str, *, retired: bool = False):
    """The active custom field a list column (cf_<name>) names, or None."""
    if spec is None or not is_custom_column(column):
        return None
    name = column[len(PREFIX):]
    return next((f for f in fields(spec, retired=retired) if f.name == name), None)


def field_named(spec, name: str):
    """A field by `cf_<name>` or `custom.<name>` (a ChartSpec's group_by may say either)."""
    if name.startswith("custom."):
        name = PREFIX + name[len("custom."):]
    return field_of_column(spec, name)


def custom_columns(spec) -> list[str]:
    return [column_name(f) for f in fields(spec)]


# -- keeping a view's columns and filters up to date -----------------------------------------------
_NATIVE = "_zwt_native_columns"
_SYNCED = "_zwt_custom_synced"


def sync(view) -> None:
    """The view's list, sort and filter columns, labels, formatters and filters: the spec's plus
    the module's active custom fields. Cheap when nothing changed (definitions are kept per
    process)."""
    spec = getattr(view, "spec", None)
    if spec is None:
        return
    current = tuple(fields(spec))
    if view.__dict__.get(_SYNCED) == current:
        return
    native = view.__dict__.get(_NATIVE)
    if native is None:
        native = {"list": list(view.list_columns or []), "order": list(view.order_columns or []),
                  "search": list(view.search_columns or []), "labels": dict(view.label_columns or {}),
                  "formatters": dict(getattr(view, "formatters_columns", None) or {})}
        setattr(view, _NATIVE, native)
    columns = [column_name(f) for f in current]
    view.label_columns = {**native["labels"], **{column_name(f): f.label for f in current}}
    view.formatters_columns = {**native["formatters"], **{column_name(f): _Shown(f) for f in current}}
    view.search_columns = native["search"] + columns
    view.order_columns = native["order"] + [column_name(f) for f in current if f.kind in SORT_KINDS]
    if not _is_api(view):
        view.list_columns = native["list"] + columns
    filters = getattr(view, "_filters", None)
    if filters is not None:
        _sync_filters(filters, view.datamodel, current)
        filters.search_columns = list(view.search_columns)
    view.__dict__.pop("_zwt_cell_kinds", None)
    setattr(view, _SYNCED, current)


def _is_api(view) -> bool:
    from flask_appbuilder.api import ModelRestApi

    return isinstance(view, ModelRestApi)


def _sync_filters(filters, datamodel, current) -> None:
    wanted = {column_name(f): filters_for(f, datamodel) for f in current}
    for attr in ("_search_filters", "_all_filters"):
        table = {k: v for k, v in (getattr(filters, attr, None) or {}).items() if not is_custom_column(k)}
        table.update(wanted)
        setattr(filters, attr, table)


def native_columns(view) -> list[str]:
    """The list's own columns (the spec's), shown unless the user chose otherwise."""
    native = view.__dict__.get(_NATIVE)
    return list(native["list"]) if native else [c for c in view.list_columns if not is_custom_column(c)]


def label_of(spec, column: str, labels: dict) -> str:
    """A column's label for a notice: a retired or deleted custom field's too."""
    if column in labels:
        return str(labels[column])
    field = field_of_column(spec, column, retired=True)
    return str(field.label) if field is not None else column


def sync_request_view() -> None:
    """Before a request of a module's screen or API: its view up to date (see sync)."""
    from flask import current_app, request

    endpoint = request.endpoint or ""
    if "." not in endpoint:
        return
    appbuilder = current_app.appbuilder
    views = getattr(appbuilder, "_zwt_custom_views", None)
    if views is None:
        views = {}
        for v in appbuilder.baseviews:
            if getattr(v, "spec", None) is not None and getattr(v, "blueprint", None) is not None:
                views.setdefault(v.blueprint.name, []).append(v)
        appbuilder._zwt_custom_views = views
    for view in views.get(endpoint.split(".", 1)[0], ()):
        sync(view)


# -- cells and exports ------------------------------------------------------------------------------
def value_of(item, field):
    from app.core.custom_fields.values import get

    return get(item, field.name, field)


def display(field, value) -> str:
    from app.core.custom_fields.values import display as shown

    if value is None or value == "" or value == []:
        return ""
    try:
        return str(shown(field, value))
    except Exception:   # a stored value its field no longer reads (the kind changed) shows as it is
        return str(value)


class _Shown:
    """A custom column's formatter (chart labels, the audit history): the value as people read it."""

    def __init__(self, field):
        self.field = field

    def __call__(self, value):
        from app.core.custom_fields.values import load

        return display(self.field, load(self.field, value))


def cell_html(field, value) -> Markup:
    return escape(display(field, value))


def cell_kind(field) -> str:
    """How list_cells draws the field's cells (aligned like a native column of its kind)."""
    return {"integer": "number", "decimal": "number", "boolean": "bool"}.get(field.kind, "text")


def export_value(field, value):
    """A file's cell: numbers stay numbers (XLSX sums them), dates dates, the rest as shown."""
    if value is None or value == "" or value == []:
        return None
    if field.kind in NUMBER_KINDS and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value
    if field.kind == "date" and isinstance(value, dt.date):
        return value
    return display(field, value)


class _ExportCell:
    """An export formatter that reads its cell from the record (exports.cell_value)."""

    reads_item = True

    def __init__(self, field):
        self.field = field

    def __call__(self, item):
        return export_value(self.field, value_of(item, self.field))


def export_columns(view, columns: list[str], labels: list[str], formatters: dict):
    """The export's columns, headers and formatters with the module's active custom fields after
    the spec's columns (headers: their labels)."""
    extra = fields(getattr(view, "spec", None))
    return ([*columns, *(column_name(f) for f in extra)], [*labels, *(str(f.label) for f in extra)],
            {**formatters, **{column_name(f): _ExportCell(f) for f in extra}})


# -- sorting and searching --------------------------------------------------------------------------
def expression(model, field):
    from app.core.custom_fields.values import expression as typed

    return typed(model, field)


def order_expression(datamodel, column: str):
    """The SQL expression a list sorted by custom column `column` orders by, or None."""
    if not is_custom_column(column):
        return None
    field = field_of_column(getattr(datamodel, "spec", None), column)
    if field is None or field.kind not in SORT_KINDS:
        return None
    return expression(datamodel.obj, field)


def search_conditions(spec, term: str, dialect: str) -> list:
    """The search box's conditions on the text custom fields: any part of the value, whatever the
    case. On PostgreSQL the field's bigram index (indexes.py) finds the candidates."""
    from app.core.datamodel import like_literal

    out = []
    lowered = like_literal(term.lower())
    for field in fields(spec):
        if field.kind not in TEXT_KINDS:
            continue
        column = expression(spec.model, field)
        condition = column.ilike(f"%{lowered}%", escape="\\")
        if dialect == "postgresql" and len(term) >= 2:
            condition = and_(condition, func.zwt_bigrams(column).op("@>")(
                func.zwt_bigrams(literal(term, String()))))
        out.append(condition)
    return out


def search_labels(spec) -> list[str]:
    return [str(f.label) for f in fields(spec) if f.kind in TEXT_KINDS]


# -- filters -----------------------------------------------------------------------------------------
class FilterValueError(ValueError):
    """A filter value the field cannot take; the message is for the user."""


def _too_long(value: str, label: str) -> None:
    if len(value) > MAX_VALUE_LENGTH:
        raise FilterValueError(_("The filter on “%(column)s” is too long: at most %(n)d characters.",
                                 column=label, n=MAX_VALUE_LENGTH))


def _number(field, value: str, label: str):
    try:
        number = Decimal(value.replace(",", "").strip())
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or abs(number) >= Decimal(10) ** 15:
        raise FilterValueError(_("“%(value)s” is not a number in range (filter on “%(column)s”).",
                                 value=value, column=label))
    if field.kind == "integer":
        if number != number.to_integral_value():
            raise FilterValueError(_("“%(value)s” is not a whole number in range (filter on “%(column)s”).",
                                     value=value, column=label))
        return int(number)
    return number


def _day(value: str, label: str) -> dt.date:
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FilterValueError(_("“%(value)s” is not a date (filter on “%(column)s”); write it as 2026-01-05.",
                                 value=value, column=label)) from None


def _parse_one(field, value, label: str):
    if not isinstance(value, str):
        raise FilterValueError(_("The filter on “%(column)s” takes a single value, not a list or object.",
                                 column=label))
    value = value.strip()
    _too_long(value, label)
    if field.kind in NUMBER_KINDS:
        return _number(field, value, label)
    if field.kind in TIME_KINDS:
        return _day(value, label)
    return value


def _day_range(day: dt.date) -> tuple[str, str]:
    """[start, end) of a day in the reader's time zone as stored datetimes are written (UTC)."""
    from app.core.webhooks import user_zone

    start = dt.datetime.combine(day, dt.time(), tzinfo=user_zone()).astimezone(dt.timezone.utc)
    end = start + dt.timedelta(days=1)
    return (start.replace(tzinfo=None).isoformat(timespec="seconds"),
            end.replace(tzinfo=None).isoformat(timespec="seconds"))


def _sql_value(field, value):
    """A parsed value as the field's SQL expression holds it (dates as ISO text)."""
    return value.isoformat() if field.kind == "date" and isinstance(value, dt.date) else value


class CustomFieldFilter(BaseFilter):
    """A filter on one custom field: inputs.py refuses a value `value_problem` finds wrong (400)
    before the list is read; the condition is on the field's typed value."""

    arg_name = ""

    def field(self):
        return field_of_column(getattr(self.datamodel, "spec", None), self.column_name)

    def parse(self, field, value, label: str):
        return _parse_one(field, value, label)

    def value_problem(self, value, label: str) -> str | None:
        field = self.field()
        if field is None or value is None or value == "" or value == []:
            return None
        try:
            self.parse(field, value, label)
        except FilterValueError as error:
            return str(error)
        return None

    def apply(self, query, value):
        field = self.field()
        if field is None or value is None or value == "" or value == []:
            return query
        try:
            parsed = self.parse(field, value, str(field.label))
        except FilterValueError:
            return query.filter(false())
        return query.filter(self.condition(field, expression(self.datamodel.obj, field), parsed))

    def condition(self, field, column, value):
        raise NotImplementedError


class CustomContains(CustomFieldFilter):
    name, arg_name = _l("Contains"), "ct"

    def condition(self, field, column, value):
        from app.core.datamodel import like_literal

        return column.ilike(f"%{like_literal(value.lower())}%", escape="\\")


class CustomEqual(CustomFieldFilter):
    name, arg_name = _l("Equal to"), "eq"

    def condition(self, field, column, value):
        if field.kind == "datetime":
            start, end = _day_range(value)
            return and_(column >= start, column < end)
        return column == _sql_value(field, value)


class CustomGreater(CustomFieldFilter):
    name, arg_name = _l("Greater than"), "gt"

    def condition(self, field, column, value):
        if field.kind == "datetime":
            return column >= _day_range(value)[1]
        return column > _sql_value(field, value)


class CustomSmaller(CustomFieldFilter):
    name, arg_name = _l("Smaller than"), "lt"

    def condition(self, field, column, value):
        if field.kind == "datetime":
            return column < _day_range(value)[0]
        return column < _sql_value(field, value)


class CustomBetween(CustomFieldFilter):
    """Between two values, both included: "10~20" or "2026-01-01~2026-03-31"."""

    name, arg_name = _l("Between"), "between"

    def parse(self, field, value, label: str):
        if not isinstance(value, str) or value.count("~") != 1:
            raise FilterValueError(_("Write the range of “%(column)s” as two values with ~ between them, "
                                     "e.g. %(example)s.", column=label,
                                     example="2026-01-01~2026-03-31" if field.kind in TIME_KINDS else "10~20"))
        low, high = value.split("~")
        return _parse_one(field, low, label), _parse_one(field, high, label)

    def condition(self, field, column, value):
        low, high = value
        if field.kind == "datetime":
            return and_(column >= _day_range(low)[0], column < _day_range(high)[1])
        return and_(column >= _sql_value(field, low), column <= _sql_value(field, high))


class CustomOneOf(CustomFieldFilter):
    """A single choice among the chosen values (FAB hands an "in" filter all its values at once)."""

    name, arg_name = _l("Is one of"), "in"

    def parse(self, field, value, label: str):
        chosen = value if isinstance(value, list) else [value]
        if len(chosen) > MAX_VALUES:
            raise FilterValueError(_("Too many values for “%(column)s”: at most %(n)d.", column=label, n=MAX_VALUES))
        known = {str(v) for v, _label in field.choices}
        out = []
        for one in chosen:
            if not isinstance(one, str) or one.strip() not in known:
                raise FilterValueError(_("“%(value)s” is not a choice of “%(column)s”.", value=str(one)[:60],
                                         column=label))
            out.append(one.strip())
        return out

    def condition(self, field, column, value):
        return column.in_(value)


class CustomHasAny(CustomOneOf):
    """A multiple choice holding any of the chosen values."""

    name = _l("Contains any of")

    def condition(self, field, column, value):
        model = self.datamodel.obj
        if self.datamodel.session.get_bind().dialect.name == "postgresql":
            from sqlalchemy import Text, cast
            from sqlalchemy.dialects.postgresql import ARRAY

            # jsonb ?| text[]: served by a GIN index on the field's array (indexes.py)
            return model.custom[field.name].op("?|")(cast(literal(list(value), ARRAY(Text())), ARRAY(Text())))
        each = func.json_each(model.custom, f"$.{field.name}").table_valued("value")
        return exists(select(literal(1)).select_from(each).where(each.c.value.in_(value)))


class CustomIs(CustomFieldFilter):
    """Yes / no: 1 or 0."""

    name, arg_name = _l("Is"), "eq"

    def parse(self, field, value, label: str):
        if not isinstance(value, str) or value.strip().lower() not in ("1", "0", "true", "false"):
            raise FilterValueError(_("The filter on “%(column)s” takes 1 (yes) or 0 (no).", column=label))
        return value.strip().lower() in ("1", "true")

    def condition(self, field, column, value):
        return column.is_(True) if value else or_(column.is_(False), column.is_(None))


class CustomUserIs(CustomFieldFilter):
    """The user a user field names, by user name or id."""

    name, arg_name = _l("Is"), "eq"

    def parse(self, field, value, label: str):
        from flask import current_app

        from app.extensions import db

        if not isinstance(value, str) or not value.strip():
            raise FilterValueError(_("The filter on “%(column)s” takes a user name.", column=label))
        value = value.strip()
        _too_long(value, label)
        user = current_app.appbuilder.sm.user_model
        found = db.session.scalar(select(user.id).where(user.username == value))
        if found is None and value.isdigit() and len(value) < 12:
            found = db.session.scalar(select(user.id).where(user.id == int(value)))
        if found is None:
            raise FilterValueError(_("There is no user “%(value)s” (filter on “%(column)s”).", value=value[:60],
                                     column=label))
        return found

    def condition(self, field, column, value):
        return column == value


FILTERS_BY_KIND = {
    "text": (CustomContains, CustomEqual),
    "textarea": (CustomContains,),
    "integer": (CustomEqual, CustomBetween, CustomGreater, CustomSmaller),
    "decimal": (CustomEqual, CustomBetween, CustomGreater, CustomSmaller),
    "date": (CustomEqual, CustomBetween, CustomGreater, CustomSmaller),
    "datetime": (CustomEqual, CustomBetween, CustomGreater, CustomSmaller),
    "choice": (CustomOneOf,),
    "multichoice": (CustomHasAny,),
    "boolean": (CustomIs,),
    "user": (CustomUserIs,),
}


def filters_for(field, datamodel) -> list:
    return [cls(column_name(field), datamodel) for cls in FILTERS_BY_KIND.get(field.kind, ())]


def filter_input(field) -> Markup:
    """The advanced filter panel's input of a custom field (the panel names it)."""
    if field.kind in ("choice", "multichoice"):
        options = "".join(f'<option value="{escape(v)}">{escape(label)}</option>' for v, label in field.choices)
        return Markup(f'<select class="form-control" multiple style="width: 100%">{options}</select>')
    if field.kind == "boolean":
        return Markup(f'<select class="form-control"><option value="1">{escape(_("Yes"))}</option>'
                      f'<option value="0">{escape(_("No"))}</option></select>')
    placeholder = {"date": "2026-01-05", "datetime": "2026-01-05", "user": _("User name"),
                   "integer": "10~20", "decimal": "10~20"}.get(field.kind, "")
    return Markup(f'<input class="form-control" type="text" placeholder="{escape(placeholder)}">')


# -- charts ----------------------------------------------------------------------------------------
def charts(spec) -> list:
    """A chart per choice, yes/no and user field of the module (records counted per value), drawn
    on the module's chart page after the spec's own."""
    from app.core.spec import ChartSpec

    return [ChartSpec(name=column_name(f), title=_("%(things)s by %(field)s", things=spec.label_plural,
                                                  field=f.label),
                      group_by=column_name(f), kind="bar" if f.kind == "user" else "pie")
            for f in fields(spec) if f.kind in GROUP_KINDS]


def chart_rows(datamodel, field, chart, filters=None) -> list[tuple]:
    """[(value, count)] of the records the user may see under the list's filters, grouped in SQL
    by the field's typed value, the largest groups first."""
    from app.core.datamodel import _typed_amounts

    model = datamodel.obj
    key = expression(model, field)
    measure = func.count()
    query = datamodel.session.query(key.label("k"), measure.label("v")).select_from(model)
    if filters is not None:
        _typed_amounts(model, filters)
        query = filters.apply_all(query)
        for condition in datamodel._bigram_conditions(filters):
            query = query.filter(condition)
    condition = datamodel.scope_condition()
    if condition is not None:
        query = query.filter(condition)
    query = query.group_by(key).order_by(measure.desc()).limit(chart.limit)
    return [(k, v) for k, v in query.all()]
