"""Reports declared once (ReportSpec) and run in SQL, in the reader's data scope.

A module lists its reports in a `reporting.py` part (`REPORTS = [ReportSpec(...)]`); the reports centre
(app/modules/reports) shows them all, draws each as a chart with its table, drills from a chart element to the
rows behind it and exports them. A report is either

- declared: a module's rows grouped by one of its `dimensions` (a column, or the month of a date column) with
  its `measures` (count, sum or average of a column), narrowed by `where` and a period on `date_column` —
  the generic engine below writes the SQL, the drill-down and the totals; or
- computed: `compute(actor, params) -> Result` for what one GROUP BY does not say (aging, ROI, turnover),
  with `drill(params, key)` naming the module's rows behind a key.

Either way the reader needs read access to the report's module, whose data scope every query carries.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Boolean, Date, DateTime, Numeric, func, select

from app.extensions import db

MONEY, NUMBER, PERCENT, TEXT = "money", "number", "percent", "text"
KINDS = ("bar", "line", "pie")
DRILL_PAGE = 50


@dataclass(frozen=True)
class Dimension:
    name: str
    label: Any
    column: str                         # a column of the module's model
    period: Optional[str] = None        # "month": the month of a date column


@dataclass(frozen=True)
class Measure:
    name: str
    label: Any
    of: str = "count"                   # "count", "sum:<column>" or "avg:<column>"
    kind: str = NUMBER                  # money / number / percent


@dataclass(frozen=True)
class Params:
    """What the reader chose: a period of days (both ends included) and a dimension."""

    start: Optional[dt.date] = None
    end: Optional[dt.date] = None
    by: str = ""


@dataclass
class Row:
    key: Any                            # the group's raw key (an id, a status, a month)
    label: str
    values: dict                        # measure name -> Decimal / int / None
    link: str = ""                      # a page of its own (a customer's statement), beside the drill-down


@dataclass
class Result:
    key_label: str
    measures: list                      # [Measure] in column order; the first is charted
    rows: list                          # [Row]
    total: Optional[dict] = None        # measure name -> total over every row (not only those shown)
    chart: str = "bar"
    note: str = ""                      # how the figures are made, under the table

    def table(self) -> list[dict]:
        """Rows as dicts (label and each measure) for the exporters."""
        out = [{"key": r.label, **{m.name: r.values.get(m.name) for m in self.measures}} for r in self.rows]
        if self.total is not None:
            out.append({"key": _("Total"), **{m.name: self.total.get(m.name) for m in self.measures}})
        return out


@dataclass(frozen=True)
class ReportSpec:
    name: str                           # unique and stable: "<module>.<report>" (favourites, URLs)
    title: Any
    module: str                         # the ModuleSpec read: its read permission and data scope ("": none)
    group: Any = None                   # the centre's heading (default: the module's menu category)
    permission: str = ""                # the view whose can_read it needs, when not the module's
    description: Any = ""
    keywords: str = ""                  # more words the centre's search matches
    dimensions: tuple = ()
    measures: tuple = ()
    date_column: str = ""               # the period narrows this column
    where: tuple = ()                   # (column, values): only rows whose column is one of the values
    chart: str = "bar"
    limit: int = 50                     # groups shown (months: all)
    compute: Optional[Callable] = None  # (actor, params) -> Result
    drill: Optional[Callable] = None    # (params, key) -> [conditions on the module's model], for computed reports
    figure: Optional[Callable] = None   # (actor, params) -> (Measure, value): the total alone, for a dashboard's KPI
    as_of_now: bool = False             # its figure is today's whatever the period (what is owed): no comparison
    page: str = ""                      # the module's own page for this report (more filters), a path
    order: int = 50
    saved_id: Optional[int] = None      # a report built in the centre

    def dimension(self, name: str = "") -> Optional[Dimension]:
        return next((d for d in self.dimensions if d.name == name), self.dimensions[0] if self.dimensions else None)


class ReportError(Exception):
    """Input a report cannot run with: the message says what to change."""


# -- the reports every module declares -------------------------------------------------------------
def all_reports() -> list[ReportSpec]:
    from app.core.registry import registry

    found = [r for part in registry.parts("reporting") for r in getattr(part, "REPORTS", [])]
    return sorted(found, key=lambda r: (r.order, r.name))


def permission_of(report: ReportSpec) -> str:
    from app.core.registry import registry

    if report.permission:
        return report.permission
    spec = registry.specs.get(report.module)
    return spec.permission_name if spec is not None else ""


def permitted(report: ReportSpec, sm) -> bool:
    permission = permission_of(report)
    return bool(permission) and sm.has_access("can_read", permission)


def group_of(report: ReportSpec) -> str:
    from app.core.registry import registry

    if report.group is not None:
        return str(report.group)
    spec = registry.specs.get(report.module)
    return str(spec.category or spec.label_plural) if spec is not None else ""


def from_pairs(pairs, label, key_label, measure: Measure, chart: str = "bar", total: bool = True,
               note: str = "") -> Result:
    """A Result from [(key, value)] rows (a module's analysis chart) named by `label(key)`."""
    rows = [Row(k, label(k), {measure.name: _value(measure, v)}) for k, v in pairs]
    summed = None
    if total:
        summed = {measure.name: sum((r.values[measure.name] or 0 for r in rows), Decimal(0) if measure.of != "count" else 0)}
    return Result(str(key_label), [measure], rows, summed, chart=chart, note=note)


# -- the generic engine ----------------------------------------------------------------------------
def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _column(model, name: str):
    return model.__table__.columns[name]


def _utc_bounds(day_from, day_to):
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))

    def utc(day):
        return dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(dt.timezone.utc).replace(tzinfo=None)

    return (utc(day_from) if day_from else None, utc(day_to + dt.timedelta(days=1)) if day_to else None)


def period_conditions(model, column_name: str, params: Params) -> list:
    """The period on a date or date-time column (a date-time's local days, stored in UTC)."""
    if not column_name or not (params.start or params.end):
        return []
    column = getattr(model, column_name)
    out = []
    if isinstance(_column(model, column_name).type, DateTime):
        low, high = _utc_bounds(params.start, params.end)
        if low:
            out.append(column >= low)
        if high:
            out.append(column < high)
    else:
        if params.start:
            out.append(column >= params.start)
        if params.end:
            out.append(column <= params.end)
    return out


def conditions(report: ReportSpec, actor, params: Params) -> list:
    """Scope, the report's fixed condition and the period, on the module's model."""
    from app.core.registry import registry
    from app.core.scope import scope_clause

    spec = registry.get(report.module)
    model = spec.model
    out = []
    clause = scope_clause(spec, actor)
    if clause is not None:
        out.append(clause)
    for column, values in report.where:
        out.append(getattr(model, column).in_(list(values)))
    out += period_conditions(model, report.date_column, params)
    return out


def measure_expression(model, measure: Measure):
    if measure.of == "count":
        return func.count()
    how, column = measure.of.split(":", 1)
    if how == "sum":
        return func.coalesce(func.sum(getattr(model, column)), 0)
    return func.avg(getattr(model, column))


def key_expression(model, dimension: Dimension):
    from app.core.datamodel import month_of

    column = getattr(model, dimension.column)
    return month_of(column, _dialect()) if dimension.period == "month" else column


def _value(measure: Measure, value):
    if value is None:
        return None
    if measure.of == "count":
        return int(value)
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    return value.quantize(Decimal("0.01")) if measure.kind == MONEY or measure.of.startswith("avg:") else value


def run(report: ReportSpec, actor, params: Params) -> Result:
    """The report's rows, labelled, and its totals."""
    if report.compute is not None:
        return report.compute(actor, params)
    from app.core.registry import registry

    model = registry.get(report.module).model
    dimension = report.dimension(params.by)
    key = key_expression(model, dimension).label("k")
    values = [measure_expression(model, m).label(f"m{i}") for i, m in enumerate(report.measures)]
    where = conditions(report, actor, params)
    stmt = select(key, *values).select_from(model).where(*where).group_by(key)
    if dimension.period == "month":
        stmt = stmt.order_by(key)
    else:
        stmt = stmt.order_by(values[0].desc(), key).limit(report.limit)
    raw = db.session.execute(stmt).all()
    label = labeller(model, dimension, [r[0] for r in raw])
    rows = [Row(r[0], label(r[0]), {m.name: _value(m, r[i + 1]) for i, m in enumerate(report.measures)}) for r in raw]
    if dimension.period == "month":
        rows = _fill_months(rows, report.measures)
    additive = all(m.of == "count" or m.of.startswith("sum:") for m in report.measures)
    if additive and (dimension.period == "month" or len(raw) < report.limit):
        # every group is here (months are never cut): the total is their sum, without reading the rows again
        total = {m.name: _value(m, sum((Decimal(str(r[i + 1])) for r in raw if r[i + 1] is not None), Decimal(0)))
                 for i, m in enumerate(report.measures)}
    else:
        totals = db.session.execute(select(*[measure_expression(model, m) for m in report.measures])
                                    .select_from(model).where(*where)).one()
        total = {m.name: _value(m, totals[i]) for i, m in enumerate(report.measures)}
    return Result(str(dimension.label), list(report.measures), rows, total,
                  chart="line" if dimension.period == "month" and report.chart == "bar" else report.chart)


def _fill_months(rows: list[Row], measures) -> list[Row]:
    present = {r.key: r for r in rows if r.key}
    if not present:
        return rows
    first, last = min(present), max(present)
    year, month = int(first[:4]), int(first[5:7])
    out = [r for r in rows if not r.key]
    while f"{year:04d}-{month:02d}" <= last:
        k = f"{year:04d}-{month:02d}"
        out.append(present.get(k) or Row(k, k, {m.name: 0 for m in measures}))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def drill_conditions(report: ReportSpec, actor, params: Params, key) -> list:
    """The module's rows behind one group of the report (a bar, a slice, a month)."""
    from app.core.registry import registry

    model = registry.get(report.module).model
    if report.compute is not None:
        if report.drill is None or not report.module:
            raise ReportError(_("This report has no rows behind its figures."))
        from app.core.scope import scope_clause

        clause = scope_clause(registry.get(report.module), actor)
        return ([clause] if clause is not None else []) + list(report.drill(params, key))
    dimension = report.dimension(params.by)
    expression = key_expression(model, dimension)
    if key in (None, ""):
        match = expression.is_(None)
    else:
        match = expression == typed_key(model, dimension, key)
    return conditions(report, actor, params) + [match]


def month_key(raw) -> str:
    """A month key from a URL (2026-05), or ReportError."""
    raw = str(raw or "")
    if len(raw) != 7 or not (raw[:4].isdigit() and raw[4] == "-" and raw[5:].isdigit() and 1 <= int(raw[5:]) <= 12):
        raise ReportError(_("The month must look like 2026-05."))
    return raw


def typed_key(model, dimension: Dimension, raw: str):
    """A key from a URL as the column's type (an id is a number); refused when it cannot be one."""
    if dimension.period == "month":
        return month_key(raw)
    column_type = _column(model, dimension.column).type
    python_type = getattr(column_type, "python_type", str) if not isinstance(column_type, Numeric) else Decimal
    if python_type is int:
        if not raw.lstrip("-").isdigit() or not -2 ** 31 < int(raw) < 2 ** 31:
            raise ReportError(_("Choose a group shown in the report."))
        return int(raw)
    if isinstance(column_type, Boolean):
        return raw in ("1", "True", "true")
    return raw[:200]


# -- names of keys ---------------------------------------------------------------------------------
def _title_attribute(target) -> str:
    from app.core.registry import registry

    spec = next((s for s in registry.specs.values() if s.model is target), None)
    if spec is not None and spec.title_column:
        return spec.title_column
    columns = target.__table__.columns
    return next((c for c in ("name", "title", "display_name", "username", "code") if c in columns), "id")


def _target_model(column):
    """The model a foreign-key column points at (its table's mapped class)."""
    fk = next(iter(column.foreign_keys), None)
    if fk is None:
        return None
    table = fk.column.table
    from flask_appbuilder import Model

    mappers = {*Model.registry.mappers, *db.Model.registry.mappers}
    found = [m.class_ for m in mappers if getattr(m.class_, "__table__", None) is table]
    # the most derived class (the app's user, not FAB's it extends)
    return max(found, key=lambda cls: len(cls.__mro__)) if found else None


def labeller(model, dimension: Dimension, keys=()) -> Callable[[Any], str]:
    """How a dimension's key is shown: a choice's label, a related record's name (the names of `keys` read in one
    statement), yes/no, a month."""
    none = _("(none)")
    if dimension.period == "month":
        return lambda k: k or none
    column = _column(model, dimension.column)
    choices = column.info.get("choices")
    if choices:
        names = {value: label for value, label in choices}
        return lambda k: none if k in (None, "") else str(names.get(k, k))
    if isinstance(column.type, Boolean):
        return lambda k: none if k is None else (_("Yes") if k else _("No"))
    target = _target_model(column)
    if target is None:
        return lambda k: none if k in (None, "") else str(k)
    cache: dict = names_of(target, keys)

    def name(key):
        if key is None:
            return none
        if key not in cache:
            cache.update(names_of(target, [key]))
        return cache.get(key, str(key))
    return name


def names_of(target, keys) -> dict:
    """{id: name} of records of `target` in one statement (people by their display name)."""
    keys = [k for k in dict.fromkeys(keys) if k is not None]
    if not keys:
        return {}
    if hasattr(target, "display_name") and "display_name" not in target.__table__.columns:
        return {r.id: str(r.display_name) for r in db.session.scalars(select(target).where(target.id.in_(keys)))}
    attribute = getattr(target, _title_attribute(target))
    return {k: str(v) for k, v in db.session.execute(select(target.id, attribute).where(target.id.in_(keys)))}


# -- what a report can be built from (the centre's builder) ----------------------------------------
def groupable_columns(spec) -> list[tuple[str, str, Optional[str]]]:
    """[(column, label, period)] a module's rows may be grouped by: choices, related records, yes/no, months."""
    out = []
    for column in spec.model.__table__.columns:
        if column.primary_key or column.key.endswith(("_hash", "_token", "_secret")):
            continue
        label = str(spec.label_columns.get(column.key, column.key))
        if column.info.get("choices") or isinstance(column.type, Boolean):
            out.append((column.key, label, None))
        elif column.foreign_keys and _target_model(column) is not None:
            label = str(spec.label_columns.get(column.key[:-3], label)) if column.key.endswith("_id") else label
            out.append((column.key, label, None))
        elif isinstance(column.type, (Date, DateTime)):
            out.append((column.key, label, "month"))
    return out


def measurable_columns(spec) -> list[tuple[str, str]]:
    """[(column, label)] of a module's numbers that may be summed or averaged."""
    return [(c.key, str(spec.label_columns.get(c.key, c.key))) for c in spec.model.__table__.columns
            if isinstance(c.type, Numeric) and not c.foreign_keys]


def parse_params(args, report: ReportSpec) -> Params:
    """Params from a request's arguments; ReportError names what is wrong."""
    def day(name):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise ReportError(_("Enter dates as 2026-05-31.")) from None

    start, end = day("start"), day("end")
    if start and end and start > end:
        raise ReportError(_("The period ends before it starts."))
    by = (args.get("by") or "").strip()
    if by and report.dimensions and by not in {d.name for d in report.dimensions}:
        raise ReportError(_("Choose one of the groupings offered."))
    return Params(start, end, by)


__all__ = ["Dimension", "Measure", "Params", "Result", "Row", "ReportSpec", "ReportError", "MONEY", "NUMBER",
           "PERCENT", "TEXT", "all_reports", "run", "drill_conditions"]
