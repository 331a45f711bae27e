"""Building and folding the chart aggregates on PostgreSQL (see the package's description).

For each table with served charts, one PL/pgSQL function and three statement triggers (insert,
update, delete; with transition tables) append the statement's net change per chart to
chart_delta, and a truncate trigger empties the table's totals. The function reads the rows as
JSON, so a later migration that renames or drops a charted column never breaks a write (the
definition changes with the spec, and `ensure` rebuilds it).

`ensure()` compares each chart's stored signature with its current SQL and rebuilds what
differs, holding writes only for the moment it replaces the function (see _rebuild): the
GROUP BY over the whole table runs in a snapshot while writes go on. `fold()` moves the changes
into the totals.
"""
from __future__ import annotations

import hashlib
import logging
import zlib

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.core.clock import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

VERSION = "3"
# Besides the totals per owner, department and shared flag, each group has one total over all
# of them (owner and department ALL_OWNERS), which a user who sees every row reads alone, and,
# for a module scoped by department, one per department (owner ALL_OWNERS, the department's id,
# 0 for none), from which a department's largest groups are read in order.
ALL_OWNERS = -1
FUNCTION_PREFIX = "zwt_chart_"
# Folds and rebuilds take this transaction lock, so they never interleave.
LOCK_KEY = zlib.crc32(b"core.chart_cache")
LOCK_TIMEOUT = "10s"
_LIKE_PREFIX = FUNCTION_PREFIX.replace("_", "\\_") + "%"


def _registry():
    from app.core.registry import registry

    return registry


def served_charts() -> dict[str, list[tuple]]:
    """{table name: [(spec, chart), ...]} for every chart the aggregate serves."""
    from app.core.chart_cache import served

    tables: dict[str, list[tuple]] = {}
    for spec in _registry().specs.values():
        for chart in [*(spec.charts or []), *spec.report_totals]:
            if served(spec, chart):
                tables.setdefault(spec.model.__table__.name, []).append((spec, chart))
    return tables


# -- SQL of one table --------------------------------------------------------------------------
def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quote(name: str) -> str:
    return db.engine.dialect.identifier_preparer.quote(name)


def _dimensions(spec, chart, text_of, value_of) -> list[str]:
    """group_key, owner_id, department_id, shared and the measure as SQL: `text_of(column)` is
    the column's value as jsonb renders it (the key's text), `value_of(column)` its value."""
    columns = spec.model.__table__.columns

    def name(attribute):   # the column's name in the table, which may differ from the attribute's
        return columns[attribute].name

    raw = text_of(name(chart.group_by))
    key = f"left({raw}, 7)" if chart.period == "month" else raw
    scope = spec.scope
    owner = f"coalesce(({value_of(name(scope.owner))})::integer, 0)" if scope is not None else "0"
    department = f"coalesce(({value_of(name(scope.department))})::integer, 0)" \
        if scope is not None and scope.department else "0"
    shared = f"({value_of(name(scope.shared))}) IS NOT NULL" if scope is not None and scope.shared else "false"
    measure = "0::numeric" if chart.measure == "count" else \
        f"coalesce(({value_of(name(chart.measure[4:]))})::numeric, 0)"
    return [f"CASE WHEN {raw} IS NULL THEN '' ELSE '=' || {key} END", owner, department, shared, measure,
            _counted(chart, lambda attribute: text_of(name(attribute)))]


def _text(value) -> str:
    """A value as jsonb renders it to text."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _counted(chart, text_of) -> str:
    """Whether a row counts for `chart` (its `exclude` pairs), as SQL: "true" for every row."""
    conditions = [f"({text_of(column)} IS NOT NULL AND {text_of(column)} NOT IN "
                  f"({', '.join(_literal(_text(value)) for value in values)}))" for column, values in chart.exclude]
    return " AND ".join(conditions) or "true"


def _delta_insert(charts, source: str) -> str:
    """INSERT of the net change per chart group from `source`: rows (s: +1 / -1, j: the row as
    jsonb). Groups whose change is nil (an update of other columns) add nothing."""
    rows = []
    for spec, chart in charts:
        key, owner, department, shared, measure, counted = _dimensions(
            spec, chart, *[lambda col: f"(r.j ->> {_literal(col)})"] * 2)
        names = [_literal(spec.name), _literal(chart.name), key]
        weight = "1" if counted == "true" else f"CASE WHEN {counted} THEN 1 ELSE 0 END"
        rows.append(", ".join(names + [owner, department, shared, measure, weight]))
        rows.append(", ".join(names + [str(ALL_OWNERS), str(ALL_OWNERS), "false", measure, weight]))
        if by_department(spec):
            rows.append(", ".join(names + [str(ALL_OWNERS), department, "false", measure, weight]))
    values = ",\n        ".join(f"({row})" for row in rows)
    return f"""INSERT INTO chart_delta (module, chart, group_key, owner_id, department_id, shared, n, total)
      SELECT c.module, c.chart, c.group_key, c.owner_id, c.department_id, c.shared, sum(r.s * c.w),
             sum(r.s * c.w * c.v)
      FROM ({source}) AS r
      CROSS JOIN LATERAL (VALUES
        {values}
      ) AS c(module, chart, group_key, owner_id, department_id, shared, v, w)
      GROUP BY 1, 2, 3, 4, 5, 6
      HAVING sum(r.s * c.w) <> 0 OR sum(r.s * c.w * c.v) <> 0;"""


def function_sql(table: str, charts) -> str:
    modules = ", ".join(sorted({_literal(spec.name) for spec, _c in charts}))
    inserted = "SELECT 1 AS s, to_jsonb(t) AS j FROM zwt_new AS t"
    deleted = "SELECT -1 AS s, to_jsonb(t) AS j FROM zwt_old AS t"
    return f"""CREATE OR REPLACE FUNCTION {_quote(FUNCTION_PREFIX + table)}() RETURNS trigger LANGUAGE plpgsql AS $zwt$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_delta_insert(charts, inserted)}
  ELSIF TG_OP = 'UPDATE' THEN
    {_delta_insert(charts, inserted + " UNION ALL " + deleted)}
  ELSIF TG_OP = 'DELETE' THEN
    {_delta_insert(charts, deleted)}
  ELSE
    DELETE FROM chart_delta WHERE module IN ({modules});
    DELETE FROM chart_aggregate WHERE module IN ({modules});
  END IF;
  RETURN NULL;
END
$zwt$"""


def trigger_sql(table: str) -> list[tuple[str, str]]:
    """[(trigger name, CREATE TRIGGER)] of `table`: the same for every definition of its charts
    (the function holds what changes), so a rebuild never drops them, which would lock out
    readers too."""
    name, quoted = f"{FUNCTION_PREFIX}{table}", _quote(table)
    statements = []
    for event, referencing in (("INSERT", "NEW TABLE AS zwt_new"), ("UPDATE", "OLD TABLE AS zwt_old NEW TABLE AS zwt_new"),
                               ("DELETE", "OLD TABLE AS zwt_old"), ("TRUNCATE", None)):
        trigger = f"{name}_{event.lower()}"
        statements.append((trigger, f"CREATE TRIGGER {_quote(trigger)} AFTER {event} ON {quoted} "
                           + (f"REFERENCING {referencing} " if referencing else "")
                           + f"FOR EACH STATEMENT EXECUTE FUNCTION {_quote(name)}()"))
    return statements


def rebuild_sql(table: str, charts) -> list[str]:
    """The totals of every chart of `table`, grouped over the whole table."""
    statements = []
    for spec, chart in charts:
        dims = _dimensions(spec, chart, lambda col: f"(to_jsonb(t.{_quote(col)}) #>> '{{}}')",
                           lambda col: f"t.{_quote(col)}")
        statements.append(
            f"INSERT INTO chart_aggregate (module, chart, group_key, owner_id, department_id, shared, n, total) "
            f"SELECT {_literal(spec.name)}, {_literal(chart.name)}, {dims[0]}, {dims[1]}, {dims[2]}, {dims[3]}, "
            f"count(*), sum({dims[4]}) FROM {_quote(table)} AS t WHERE {dims[5]} GROUP BY 3, 4, 5, 6")
        statements.append(
            f"INSERT INTO chart_aggregate (module, chart, group_key, owner_id, department_id, shared, n, total) "
            f"SELECT module, chart, group_key, {ALL_OWNERS}, {ALL_OWNERS}, false, sum(n), sum(total) "
            f"FROM chart_aggregate WHERE module = {_literal(spec.name)} AND chart = {_literal(chart.name)} "
            f"GROUP BY module, chart, group_key")
        if by_department(spec):
            statements.append(
                f"INSERT INTO chart_aggregate (module, chart, group_key, owner_id, department_id, shared, n, total) "
                f"SELECT module, chart, group_key, {ALL_OWNERS}, department_id, false, sum(n), sum(total) "
                f"FROM chart_aggregate WHERE module = {_literal(spec.name)} AND chart = {_literal(chart.name)} "
                f"AND owner_id <> {ALL_OWNERS} GROUP BY module, chart, group_key, department_id")
    return statements


def by_department(spec) -> bool:
    """Whether the module's charts keep a total per department (its scope has a department)."""
    return spec.scope is not None and bool(spec.scope.department)


def _signature(table: str, charts) -> str:
    body = "\n".join([VERSION, function_sql(table, charts), *(sql for _n, sql in trigger_sql(table)),
                      *rebuild_sql(table, charts)])
    return hashlib.sha256(body.encode()).hexdigest()


_signatures: dict | None = None


def signatures() -> dict[tuple[str, str], str]:
    """{(module, chart): signature of its current SQL}; derived from the code, so the same in
    every process."""
    global _signatures
    if _signatures is None:
        found = {}
        for table, charts in served_charts().items():
            signature = _signature(table, charts)
            for spec, chart in charts:
                found[(spec.name, chart.name)] = signature
        _signatures = found
    return _signatures


# -- maintenance -------------------------------------------------------------------------------
def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def ensure(force: bool = False) -> list[str]:
    """Rebuild the aggregates of every table whose charts changed (all with `force`), drop those
    of charts no module declares any more. Returns the tables rebuilt. Idempotent, and two runs
    at once take turns; a table whose writers hold it longer than LOCK_TIMEOUT is left for the
    next run."""
    if not _postgresql():
        return []
    wanted = served_charts()
    expected = signatures()
    rebuilt = []
    with db.engine.connect() as conn:
        # For the whole run: folds and other rebuilds wait (a fold between the two steps of a
        # rebuild would count changes twice).
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
        conn.commit()
        try:
            built = {(m, c): s for m, c, s in conn.execute(text("SELECT module, chart, signature FROM chart_state"))}
            conn.commit()
            for table, charts in wanted.items():
                if not force and all(built.get((s.name, c.name)) == expected[(s.name, c.name)] for s, c in charts):
                    continue
                try:
                    _rebuild(conn, table, charts, expected)
                    rebuilt.append(table)
                except OperationalError as exc:   # lock_timeout: writers held the table
                    conn.rollback()
                    log.warning("chart aggregate of %s not rebuilt now: %s", table, exc.orig)
            with conn.begin():
                _drop_unused(conn, wanted, expected)
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            conn.commit()
    if rebuilt:
        _vacuum()
    return rebuilt


def _vacuum() -> None:
    """The totals and changes are rewritten all the time: keep the two small tables compact and
    their statistics true, whether or not the server's autovacuum is on."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE chart_delta, chart_aggregate"))


def _rebuild(conn, table: str, charts, expected) -> None:
    """Two steps, writers held only for the first, which is quick:

    1. (the table locked against writes, so no write is half-way through the old function)
       replace the function, add the triggers the first time, forget the old totals and
       changes: from its commit on, every write leaves its change; charts group directly.
    2. (one snapshot) forget the changes that snapshot sees, and count the table as it sees it:
       changes committed after the snapshot stay, and are exactly what it does not count."""
    modules = sorted({spec.name for spec, _c in charts})
    with conn.begin():
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        conn.execute(text(f"LOCK TABLE {_quote(table)} IN SHARE ROW EXCLUSIVE MODE"))
        conn.execute(text(function_sql(table, charts)))
        present = set(conn.execute(text("SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:table AS regclass)"),
                                   {"table": _quote(table)}).scalars())
        for trigger, statement in trigger_sql(table):
            if trigger not in present:
                conn.execute(text(statement))
        for name in ("chart_state", "chart_delta", "chart_aggregate"):
            conn.execute(text(f"DELETE FROM {name} WHERE module = ANY(:modules)"), {"modules": modules})
    conn.execution_options(isolation_level="REPEATABLE READ")
    try:
        with conn.begin():
            conn.execute(text("DELETE FROM chart_delta WHERE module = ANY(:modules)"), {"modules": modules})
            for statement in rebuild_sql(table, charts):
                conn.execute(text(statement))
            now = utcnow()
            for spec, chart in charts:
                conn.execute(text("INSERT INTO chart_state (module, chart, signature, built_at) "
                                  "VALUES (:m, :c, :s, :at)"),
                             {"m": spec.name, "c": chart.name, "s": expected[(spec.name, chart.name)], "at": now})
    finally:
        conn.execution_options(isolation_level="READ COMMITTED")


def _drop_unused(conn, wanted, expected) -> None:
    """Totals of charts no longer declared, and functions (with their triggers) of tables that
    have no served chart any more."""
    stale = [(m, c) for m, c in conn.execute(text("SELECT module, chart FROM chart_state")) if (m, c) not in expected]
    for module, chart in stale:
        for name in ("chart_delta", "chart_aggregate", "chart_state"):
            conn.execute(text(f"DELETE FROM {name} WHERE module = :m AND chart = :c"), {"m": module, "c": chart})
    functions = conn.execute(text(
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname LIKE :prefix"), {"prefix": _LIKE_PREFIX}).scalars()
    for function in list(functions):
        if function[len(FUNCTION_PREFIX):] not in wanted:
            conn.execute(text(f"DROP FUNCTION IF EXISTS {_quote(function)}() CASCADE"))


def fold() -> int:
    """Move the changes written so far into the totals; returns how many totals changed.
    Changes of transactions not yet committed stay for the next fold."""
    if not _postgresql():
        return 0
    folded = _fold()
    if folded:
        _vacuum()
    return folded


def _fold() -> int:
    with db.engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM chart_delta)")).scalar_one():
            return 0
        emptied = conn.execute(text("""
            WITH moved AS (
                DELETE FROM chart_delta
                RETURNING module, chart, group_key, owner_id, department_id, shared, n, total)
            INSERT INTO chart_aggregate AS a (module, chart, group_key, owner_id, department_id, shared, n, total)
            SELECT module, chart, group_key, owner_id, department_id, shared, sum(n), sum(total)
            FROM moved GROUP BY 1, 2, 3, 4, 5, 6
            ON CONFLICT (module, chart, group_key, owner_id, department_id, shared)
            DO UPDATE SET n = a.n + excluded.n, total = a.total + excluded.total
            RETURNING a.module, a.chart, a.group_key, a.owner_id, a.department_id, a.shared, a.n""")).all()
        for row in emptied:
            if row.n == 0:
                conn.execute(text(
                    "DELETE FROM chart_aggregate WHERE module = :m AND chart = :c AND group_key = :k "
                    "AND owner_id = :o AND department_id = :d AND shared = :s AND n = 0"),
                    {"m": row.module, "c": row.chart, "k": row.group_key, "o": row.owner_id,
                     "d": row.department_id, "s": row.shared})
    return len(emptied)

