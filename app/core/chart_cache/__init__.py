"""Charts kept current in PostgreSQL: one small aggregate table for every chart of every module.

A chart of a module groups its rows by a column (or the month of a date column) and counts or
sums them. On PostgreSQL the frame keeps, for each chart, the count and sum per group value and
per (owner, department, shared flag), which is what the data scope needs:

- `chart_aggregate` holds the totals as of the last fold;
- statement triggers on the module's table (generated from its ChartSpecs by `maintain.ensure`,
  at `run.py init` and by the minute job) append every write's net change to `chart_delta`, in
  the writer's own transaction, so nothing is ever counted twice or lost;
- the minute job folds the changes into the totals (idempotent, safe to run twice at once).

A chart reads totals plus changes not yet folded in one statement, under the user's data scope:
it shows exactly what a GROUP BY over the table would, at the cost of a few thousand small rows.
A chart with list filters, a chart whose module's scope goes through a parent without copies of
its scope columns (order shipments), a chart whose aggregate is not built (yet) for its current
definition, and every chart on SQLite are grouped directly in SQL (datamodel.chart_rows).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask_appbuilder import Model
from sqlalchemy import (BigInteger, Boolean, Column, DateTime, Index, Integer, Numeric, String, Text, and_, cast,
                        false, func, or_, select, union_all)

from app.extensions import db

BigId = BigInteger().with_variant(Integer(), "sqlite")


class ChartAggregate(Model):
    """Rows of a module counted and summed per chart group value and per owner, department and
    shared flag (0 stands for no owner / department), and per group value over all of them
    (owner and department -1)."""

    __tablename__ = "chart_aggregate"
    # The top groups over every owner (owner -1) read in order (charts_0002).
    __table_args__ = (Index("ix_chart_aggregate_top_total", "module", "chart", "owner_id", "total"),
                      Index("ix_chart_aggregate_top_n", "module", "chart", "owner_id", "n"))

    # The key's order lets a reader of every row (owner -1) or of one owner walk the index.
    module = Column(String(64), primary_key=True)
    chart = Column(String(64), primary_key=True)
    owner_id = Column(Integer, primary_key=True)
    department_id = Column(Integer, primary_key=True)
    shared = Column(Boolean, primary_key=True)
    # '' for NULL, else '=' and the value as text (so NULL and '' stay apart).
    group_key = Column(Text, primary_key=True)
    n = Column(BigInteger, nullable=False)
    total = Column(Numeric, nullable=False)


class ChartDelta(Model):
    """A write's net change to a chart's totals, appended by the table's trigger."""

    __tablename__ = "chart_delta"
    __table_args__ = (Index("ix_chart_delta_module_chart", "module", "chart"),)

    id = Column(BigId, primary_key=True)
    module = Column(String(64), nullable=False)
    chart = Column(String(64), nullable=False)
    group_key = Column(Text, nullable=False)
    owner_id = Column(Integer, nullable=False)
    department_id = Column(Integer, nullable=False)
    shared = Column(Boolean, nullable=False)
    n = Column(BigInteger, nullable=False)
    total = Column(Numeric, nullable=False)


class ChartState(Model):
    """A chart whose aggregate is built, and for which definition (signature of its SQL)."""

    __tablename__ = "chart_state"

    module = Column(String(64), primary_key=True)
    chart = Column(String(64), primary_key=True)
    signature = Column(String(64), nullable=False)
    built_at = Column(DateTime, nullable=False)


# -- which charts the aggregate serves ---------------------------------------------------------
def is_postgresql(session=None) -> bool:
    return (session or db.session).get_bind().dialect.name == "postgresql"


def served(spec, chart) -> bool:
    """Whether `chart` of `spec` can be kept as an aggregate: its group and measure are columns
    of the module's own table, and its scope (if any) is by owner / department columns (its own,
    or copies of its parent's)."""
    table = getattr(spec.model, "__table__", None)
    if table is None:
        return False
    columns = table.columns
    if chart.group_by not in columns or _decoder(columns[chart.group_by], chart) is None:
        return False
    if chart.measure != "count" and (not chart.measure.startswith("sum:") or chart.measure[4:] not in columns):
        return False
    if any(column not in columns for column, _values in chart.exclude):
        return False
    scope = spec.scope
    if scope is None:
        return True
    if (scope.via and not scope.copied) or not scope.owner or scope.owner not in columns:
        return False
    return all(c is None or c in columns for c in (scope.department, scope.shared))


def _decoder(column, chart):
    """Turns a stored group key back into the value a direct GROUP BY returns, or None when the
    column's type is not one the aggregate keeps."""
    if chart.period == "month":
        return str
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return None
    if kind is bool:
        return lambda text: text == "true"
    if kind is dt.datetime:
        return dt.datetime.fromisoformat
    if kind is dt.date:
        return dt.date.fromisoformat
    if kind in (int, str, Decimal):
        return kind
    if kind is float:
        return float
    return None


def decode_key(stored: str, decode):
    if stored == "":
        return None
    try:
        return decode(stored[1:])
    except (ValueError, InvalidOperation):
        return stored[1:]


# -- reading -----------------------------------------------------------------------------------
def chart_rows(datamodel, chart, filters=None, direct=None) -> list[tuple]:
    """[(group key, value)] of `chart` for the current user: from the aggregate when it serves
    the chart, else grouped directly in SQL by `direct` (datamodel.chart_rows). Same rows
    either way."""
    direct = direct or datamodel.chart_rows
    spec = datamodel.spec
    if spec is None or _filtered(filters) or not is_postgresql(datamodel.session) or not served(spec, chart):
        return direct(chart, filters)
    rows = aggregate_rows(spec, chart, session=datamodel.session)
    return direct(chart, filters) if rows is None else rows


def _filtered(filters) -> bool:
    return filters is not None and bool(getattr(filters, "filters", None))


def aggregate_rows(spec, chart, session=None, user=None) -> list[tuple] | None:
    """The chart's rows from totals plus unfolded changes, or None when its aggregate is not
    built for its current definition."""
    from app.core.chart_cache.maintain import ALL_OWNERS, signatures
    from app.core.datamodel import _fill_months, current_actor

    session = session or db.session
    expected = signatures().get((spec.name, chart.name))
    if expected is None:
        return None
    state = ChartState.__table__.c
    built = select(state.module).where(state.module == spec.name, state.chart == chart.name,
                                       state.signature == expected).exists()
    # Whether the totals are built is asked in the same statement; only a chart without rows
    # asks again, to tell "nothing to show" from "not built".
    parts = [select(t.group_key, t.owner_id, t.department_id, t.shared, t.n, t.total)
             .where(t.module == spec.name, t.chart == chart.name, built)
             for t in (ChartAggregate.__table__.c, ChartDelta.__table__.c)]
    rows = union_all(*parts).subquery("chart_rows")
    query = select(rows.c.group_key.label("k"), cast(func.sum(rows.c.n), BigInteger).label("n"),
                   func.sum(rows.c.total).label("t"))
    condition = _scope_condition(spec, rows, user if user is not None else current_actor())
    if condition is None and chart.period != "month":
        candidates = _top_candidates(spec, chart, session)
        if candidates is not None:
            query = query.where(rows.c.group_key.in_(candidates))
    # Who sees every row reads the totals over all owners; others the ones of their scope.
    # (The totals over all owners also carry department -1 and no shared flag: said, so that their key's index
    # reaches the groups asked for.)
    query = query.where(and_(rows.c.owner_id == ALL_OWNERS, rows.c.department_id == ALL_OWNERS,
                             rows.c.shared.is_(false())) if condition is None else
                        and_(rows.c.owner_id != ALL_OWNERS, condition))
    query = query.group_by(rows.c.group_key).having(func.sum(rows.c.n) > 0)
    if chart.period == "month":
        query = query.order_by(rows.c.group_key)
    else:
        query = query.order_by(func.sum(rows.c.n if chart.measure == "count" else rows.c.total).desc(),
                               rows.c.group_key).limit(chart.limit)
    decode = _decoder(spec.model.__table__.columns[chart.group_by], chart)
    out = []
    for key, n, total in session.execute(query):
        value = n if chart.measure == "count" else total
        out.append((decode_key(key, decode), value))
    if not out and not session.scalar(select(built)):
        return None
    return _fill_months(out) if chart.period == "month" else out


CANDIDATES_MAX = 5000


def _top_candidates(spec, chart, session):
    """The group keys that can be among a chart's top `limit` over every owner: those with changes not yet folded,
    and the first limit + (their number) of the folded totals in the chart's order — a group without changes keeps
    its folded total, so no other can reach the top. Read along ix_chart_aggregate_top_*, not the whole chart.
    None (every group is read) when more than CANDIDATES_MAX groups have changes not yet folded: a bulk load
    before the minute job folded it."""
    from app.core.chart_cache.maintain import ALL_OWNERS

    aggregate, delta = ChartAggregate.__table__.c, ChartDelta.__table__.c
    changed = select(delta.group_key).where(delta.module == spec.name, delta.chart == chart.name,
                                            delta.owner_id == ALL_OWNERS).distinct()
    count = session.scalar(select(func.count()).select_from(changed.limit(CANDIDATES_MAX + 1).subquery())) or 0
    if count > CANDIDATES_MAX:
        return None
    measure = aggregate.n if chart.measure == "count" else aggregate.total
    top = (select(aggregate.group_key).where(aggregate.module == spec.name, aggregate.chart == chart.name,
                                             aggregate.owner_id == ALL_OWNERS)
           .order_by(measure.desc(), aggregate.group_key).limit(chart.limit + count))
    return [*session.scalars(top), *session.scalars(changed)]


def _scope_condition(spec, rows, user):
    """scope_clause's rules (own / department subtree / all, plus shared rows) on the totals'
    owner, department and shared columns; None means every row."""
    from app.core.org import subtree_ids
    from app.core.scope import ALL, DEPARTMENT, effective_scope

    scope = spec.scope
    if scope is None:
        return None
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    granted = effective_scope(user, spec.permission_name)
    if granted == ALL:
        return None
    clause = rows.c.owner_id == user.id
    if granted == DEPARTMENT and scope.department and user.department_id:
        clause = or_(clause, rows.c.department_id.in_(subtree_ids(user.department_id)))
    if scope.shared:
        clause = or_(clause, rows.c.shared)
    return clause
