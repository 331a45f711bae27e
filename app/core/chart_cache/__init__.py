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
from sqlalchemy import (BigInteger, Boolean, Column, DateTime, Index, Integer, Numeric, String, Text, and_, any_,
                        bindparam, cast, false, func, or_, select, text, union_all)
from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db

BigId = BigInteger().with_variant(Integer(), "sqlite")


class ChartAggregate(Model):
    """Rows of a module counted and summed per chart group value and per owner, department and
    shared flag (0 stands for no owner / department), per group value over all of them
    (owner and department -1), and, for a module scoped by department, per group value and
    department (owner -1)."""

    __tablename__ = "chart_aggregate"
    # The top groups over every owner (owner and department -1), or of one department (owner -1), read in order
    # (charts_0003).
    __table_args__ = (Index("ix_chart_aggregate_top_total", "module", "chart", "owner_id", "department_id", "total"),
                      Index("ix_chart_aggregate_top_n", "module", "chart", "owner_id", "department_id", "n"))

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
    user = user if user is not None else current_actor()
    condition = _scope_condition(spec, rows, user)
    departments = _department_scope(spec, user) if condition is not None and chart.period != "month" else None
    if departments is not None:
        if not session.scalar(select(built)):
            return None
        top = _department_top(spec, chart, session, user, departments)
        if top is not None:
            decode = _decoder(spec.model.__table__.columns[chart.group_by], chart)
            return [(decode_key(key, decode), value) for key, value in top]
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
                                            delta.owner_id == ALL_OWNERS, delta.department_id == ALL_OWNERS).distinct()
    count = session.scalar(select(func.count()).select_from(changed.limit(CANDIDATES_MAX + 1).subquery())) or 0
    if count > CANDIDATES_MAX:
        return None
    measure = aggregate.n if chart.measure == "count" else aggregate.total
    top = (select(aggregate.group_key).where(aggregate.module == spec.name, aggregate.chart == chart.name,
                                             aggregate.owner_id == ALL_OWNERS, aggregate.department_id == ALL_OWNERS)
           .order_by(measure.desc(), aggregate.group_key).limit(chart.limit + count))
    return [*session.scalars(top), *session.scalars(changed)]


DEPARTMENTS_MAX = 64
TOP_ROUNDS = 4


def _department_scope(spec, user) -> list[int] | None:
    """The departments whose rows `user` sees by their department scope (theirs and those below it), when that is
    their scope of a module whose totals are kept per department; None otherwise."""
    from app.core.chart_cache.maintain import by_department
    from app.core.org import subtree_ids
    from app.core.scope import DEPARTMENT, effective_scope

    if not by_department(spec) or spec.scope.shared or not getattr(user, "department_id", None):
        return None
    if effective_scope(user, spec.permission_name) != DEPARTMENT:
        return None
    departments = subtree_ids(user.department_id)
    return departments if 0 < len(departments) <= DEPARTMENTS_MAX else None


def _department_top(spec, chart, session, user, departments: list[int]) -> list[tuple] | None:
    """A department manager's top `limit` groups of `chart` from the totals kept per department, read in order
    along ix_chart_aggregate_top_* instead of summing every group of the department: [(stored key, value)].

    The candidates are the first groups of each department, the groups with changes not yet folded and the
    groups of the user's own rows kept under another department; their exact values are summed. A group that
    is no candidate has, in each department, at most the value of that department's last group read, so when
    the last of the top is above the sum of those the top is exact; otherwise each department is read deeper,
    and after TOP_ROUNDS rounds None tells the caller to sum every group."""
    from app.core.chart_cache.maintain import ALL_OWNERS

    aggregate, delta = ChartAggregate.__table__.c, ChartDelta.__table__.c
    counting = chart.measure == "count"

    def of_chart(t):
        return and_(t.module == spec.name, t.chart == chart.name)

    def add(into, key, n, total):
        sums = into.setdefault(key, [0, Decimal(0)])
        sums[0] += n
        sums[1] += total

    extra: dict[str, list] = {}
    own = union_all(*[select(t.group_key, t.n, t.total).where(of_chart(t), t.owner_id == user.id,
                                                               t.department_id.not_in(departments))
                      for t in (aggregate, delta)])
    for key, n, total in session.execute(own):
        add(extra, key, n, total)
    changed = set(session.scalars(
        select(delta.group_key).where(of_chart(delta), delta.owner_id == ALL_OWNERS,
                                      delta.department_id.in_(departments)).distinct().limit(CANDIDATES_MAX + 1)))
    if len(changed) > CANDIDATES_MAX or len(extra) > CANDIDATES_MAX:
        return None
    measure = "n" if counting else "total"
    firsts = text(f"""
        SELECT d.id, t.group_key, t.m FROM unnest(CAST(:departments AS integer[])) AS d(id)
        CROSS JOIN LATERAL (SELECT a.group_key, a.{measure} AS m FROM chart_aggregate AS a
                            WHERE a.module = :module AND a.chart = :chart AND a.owner_id = :all
                              AND a.department_id = d.id
                            ORDER BY a.{measure} DESC, a.group_key COLLATE "C" LIMIT :depth) AS t""")
    depth = chart.limit + len(changed) + len(extra)
    for _round in range(TOP_ROUNDS):
        read: dict[int, list] = {}
        for department, key, value in session.execute(firsts, {"departments": departments, "module": spec.name,
                                                               "chart": chart.name, "all": ALL_OWNERS,
                                                               "depth": depth}):
            read.setdefault(department, []).append((key, value))
        candidates = sorted(changed | set(extra) | {key for groups in read.values() for key, _v in groups})
        sums: dict[str, list] = {}
        if candidates:
            keys = bindparam("keys", candidates, type_=ARRAY(Text))
            parts = [select(t.group_key, t.n, t.total).where(of_chart(t), t.owner_id == ALL_OWNERS,
                                                              t.department_id.in_(departments),
                                                              t.group_key == any_(keys))
                     for t in (aggregate, delta)]
            for key, n, total in session.execute(union_all(*parts)):
                add(sums, key, n, total)
        for key, (n, total) in extra.items():
            add(sums, key, n, total)
        # (in the order read: the keys' code points, as Python compares them)
        ranked = sorted(((key, n if counting else total) for key, (n, total) in sums.items() if n > 0),
                        key=lambda row: (-row[1], row[0]))
        top = ranked[:chart.limit]
        deeper = {department: groups[-1] for department, groups in read.items() if len(groups) >= depth}
        if not deeper:   # every group of the departments was read
            return top
        if len(top) == chart.limit:
            last = (-top[-1][1], top[-1][0])
            if len(departments) == 1:
                # one department: a group not read comes after its last group read, in the same order
                key, value = next(iter(deeper.values()))
                if last <= (-value, key):
                    return top
            elif top[-1][1] > sum(max(value, 0) for _key, value in deeper.values()):
                return top
        depth *= 4
    return None


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
