"""Whether a list filter's value is one the filter can take (a whole number in range, a date, a
record's id …): inputs.py asks before a list or API query runs, so a wrong value is a 400 with a
Chinese message, never a database error."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask_appbuilder.models import filters as fab_filters
from flask_appbuilder.models.sqla import filters as sqla_filters
from flask_babel import gettext as _
from sqlalchemy import Numeric


# FAB's LIKE-based filters add "%" to the value: only text can take part.
_TEXT_FILTERS = (sqla_filters.FilterStartsWith, sqla_filters.FilterNotStartsWith, sqla_filters.FilterEndsWith,
                 sqla_filters.FilterNotEndsWith, sqla_filters.FilterContains, sqla_filters.FilterNotContains)


def _column_of(datamodel, name: str):
    table = getattr(datamodel.obj, "__table__", None)
    return table.columns.get(name) if table is not None else None


def filter_value_problem(datamodel, flt, value, label: str, largest_id: int) -> str | None:
    """Why `value` cannot be a value of filter `flt` (a wrong type, a number out of range, a date
    that is no date), or None. Empty values are left to the filter. Only FAB's own filter
    classes are checked: a module's own filters read their values themselves."""
    column = flt.column_name
    if hasattr(flt, "value_problem"):   # a filter that reads its values itself (a custom field's)
        return flt.value_problem(value, label)
    if value is None or value == "" or "." in column:
        return None
    if type(flt).__module__ != sqla_filters.__name__ and not isinstance(flt, _TEXT_FILTERS):
        return None
    if isinstance(value, (list, dict)):
        return _("The filter on “%(column)s” takes a single value, not a list or object.", column=label)
    if isinstance(flt, fab_filters.FilterRelation):
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or int(text) > largest_id:
            return _("“%(value)s” is not the id of a record (filter on “%(column)s”).", value=value, column=label)
        return None
    if isinstance(flt, _TEXT_FILTERS) and not isinstance(value, str):
        return _("The filter on “%(column)s” takes text; put the value in quotes.", column=label)
    if datamodel.is_integer(column):
        text = str(value).strip()
        if isinstance(value, (bool, float)) or not text.lstrip("-").isdigit() or abs(int(text)) > largest_id:
            return _("“%(value)s” is not a whole number in range (filter on “%(column)s”).", value=value, column=label)
    elif datamodel.is_numeric(column) or datamodel.is_float(column):
        number = _decimal(value)
        sql_column = _column_of(datamodel, column)
        digits = (sql_column.type.precision or 38) - (sql_column.type.scale or 0) if sql_column is not None and \
            isinstance(sql_column.type, Numeric) else 15
        if isinstance(value, bool) or number is None or not number.is_finite() or abs(number) >= Decimal(10) ** digits:
            return _("“%(value)s” is not a number in range (filter on “%(column)s”).", value=value, column=label)
    elif datamodel.is_date(column) or datamodel.is_datetime(column):
        if _date_or_time(value) is None:
            return _("“%(value)s” is not a date (filter on “%(column)s”); write it as 2026-01-05.",
                     value=value, column=label)
    return None


def _decimal(value):
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return Decimal(value)
    try:
        return Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None


def _date_or_time(value):
    """The date or time FAB's filters would read (dateutil), or None; years 1-9999 only."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    if not isinstance(value, str):
        return None
    from dateutil import parser

    try:
        return parser.parse(value)
    except (ValueError, OverflowError, TypeError):
        return None
