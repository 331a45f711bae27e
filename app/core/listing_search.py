"""A search's matches in list order at a million rows (PostgreSQL): the keys of its first
count_cap + 1 matches, read in one statement per list page, each data-scope branch on its own.

A search may match a tenth of the rows (a common word), one row in twenty-five (a given name among
two million contacts), or a few scattered over the whole table (a code of an old year), and the
planner cannot tell which from its statistics: it walks the list's order index when it expects
many matches and reads them all from the search indexes when it expects few, and a wrong guess
costs seconds. So each branch is read in up to three steps, each taken only when the one before
falls short, within one statement (a step's condition is a one-time filter of the plan):

1. the window: the branch's first WINDOW rows in list order, their keys from an index alone, and
   the matches among them. Enough matches (cap + 1), or every row of the branch: done.
2. the walk, when the window's matches say that the first WALK rows hold enough (with a margin)
   and that walking to the cap + 1st match reads fewer rows than the term's matches in the table
   (its share of the window times the table's rows, as the statistics know them): the keys of
   the branch's first WALK rows, again from an index alone, and their rows fetched in list order
   until cap + 1 of them match (a nested loop over the keys WITH ORDINALITY, which the planner
   knows to be in order, under the LIMIT). A given name in one contact of 25: 24,000 rows walked
   instead of its 83,000 matches read.
3. the search indexes: the branch's matches collected from the bigram, code and phone indexes,
   one select per part of the search (a MATERIALIZED CTE, planned for all its rows: bitmap
   scans), and the first cap + 1 kept. A rare term has few.

The branches' keys are merged as in ModuleInterface.page_keys.
"""
from __future__ import annotations

from sqlalchemy import (BigInteger, Integer, and_, asc, column as sql_column, desc, func, inspect as sa_inspect,
                        literal, select, table as sql_table, true, union)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import InternalTraversal

# The window (step 1) and the walk (step 2), in rows of a branch.
WINDOW = 10_000
WALK = 100_000
# The walk is taken when the window's matches, scaled to WALK rows, reach this many times the
# matches a search shows: a margin for terms whose rows thin out further down the list.
WALK_MARGIN = 1.5
# A row read through the search indexes (a bitmap scan, in the table's order) costs about as much
# as a row fetched by key along the walk (measured at a million rows): the walk is taken when its
# rows, (cap + 1) / d, are fewer than COLLECT_COST times the matches the search indexes would
# give, d × the table's rows.
COLLECT_COST = 1.0

# The planner's row count of a table (kept by ANALYZE and autovacuum).
_PG_CLASS = sql_table("pg_class", sql_column("oid"), sql_column("reltuples"))


class ArrayOf(ColumnElement):
    """PostgreSQL's ARRAY(SELECT …): a sub-query's one column as an array (read once)."""

    inherit_cache = True
    _traverse_internals = [("select", InternalTraversal.dp_clauseelement)]

    def __init__(self, select_):
        self.select = select_


@compiles(ArrayOf, "postgresql")
def _array_of(element, compiler, **kw):
    return "ARRAY(%s)" % compiler.process(element.select, **kw)


def search_keys(datamodel, filters, order_column, order_direction) -> list | None:
    """The keys of a search's first count_cap + 1 matches in list order (see the module's
    docstring); None where this reading does not apply (no cap, not PostgreSQL, filters on other
    tables' columns): the list is then read as any other."""
    spec = datamodel.spec
    cap = spec.count_cap if spec is not None else None
    if cap is None or datamodel.session.get_bind().dialect.name != "postgresql":
        return None
    model, table = datamodel.obj, datamodel.obj.__table__
    pk = sa_inspect(model).primary_key[0]
    column = getattr(model, order_column)
    by_key = column.key == pk.key
    direction = asc if order_direction == "asc" else desc  # as FAB reads it

    def ordered(k, o):
        return [direction(k)] if by_key else [direction(o), direction(k)]

    order, limit = datamodel._order(order_column, order_direction), cap + 1
    # The filters and the search, worked out once: each branch adds its own condition to them.
    unscoped = datamodel._narrowed(datamodel.session.query(model), datamodel.get_inner_filters(filters), None)
    unscoped = unscoped.whereclause
    if unscoped is None:
        return None
    # What a row must meet besides being in the branch (its keys come from the branch).
    matches = _without_bigrams(unscoped)
    if matches is None:
        return None
    unscoped_arms = _arms(unscoped)
    unscoped_read = {c.name for c in _columns_in(unscoped) if c.table is table} | {pk.name, column.name}
    parts = []
    for i, branch in enumerate(datamodel._branches()):
        where = unscoped if branch is None else and_(unscoped, branch)
        # The tables the condition reads at its surface (subqueries correlate): as the FROM list of
        # SELECT … WHERE it, without compiling that SELECT (a millisecond a search).
        if any(f is not table for f in where._from_objects):
            return None
        read = unscoped_read | {c.name for c in _columns_in(branch) if c.table is table} if branch is not None \
            else unscoped_read
        wanted = [c for c in table.columns if c.name in read]

        def first(rows):
            keys = select(pk).select_from(table)
            return (keys if branch is None else keys.where(branch)).order_by(*order).limit(rows)

        # 1. The window. Along the key without a branch its rows come with its keys; else the keys
        # from an index alone (the branch's (owner_id, id)-like index, or the sort index with the
        # scope's columns in it), then their rows: along the key a department's rows are one in
        # thirty.
        # Its columns labelled: a CTE of the table's own Column objects copies each one with its
        # foreign keys and their events (a tenth of a search page's time).
        labelled = [c.label(c.key) for c in wanted]
        if branch is None and by_key:
            window = select(*labelled).select_from(table).order_by(*order).limit(WINDOW).cte(f"zwt_window_{i}")
        else:
            window = select(*labelled).where(pk == func.any(ArrayOf(first(WINDOW)))).cte(f"zwt_window_{i}")
        k, o = window.c[pk.key], window.c[column.key]
        hits = (select(k.label("k"), o.label("o")).where(ClauseAdapter(window).traverse(matches))
                .order_by(*ordered(k, o)).limit(limit).cte(f"zwt_hits_{i}"))
        found = select(func.count()).select_from(hits).scalar_subquery()
        enough = found >= limit
        whole = select(func.count()).select_from(window).scalar_subquery() < WINDOW
        # 2. The walk, when the window's density d promises enough matches within WALK rows, and
        # walking (cap + 1) / d rows costs less than collecting the d × rows matches of the table.
        rows = (select(func.greatest(_PG_CLASS.c.reltuples, 1.0))
                .where(_PG_CLASS.c.oid == func.to_regclass(table.name)).scalar_subquery())
        promising = and_(found * (WALK / WINDOW) >= literal(int(limit * WALK_MARGIN), Integer),
                         found * found * COLLECT_COST * rows >= literal(limit * WINDOW * WINDOW, BigInteger))
        keys = (func.unnest(ArrayOf(first(WALK))).table_valued("key", with_ordinality="n")
                .render_derived(name=f"zwt_keys_{i}"))
        walked = (select(pk.label("k"), column.label("o"))
                  .select_from(keys.join(table, pk == keys.c.key))
                  .where(and_(~(enough | whole), promising, matches))
                  .order_by(keys.c.n).limit(limit).cte(f"zwt_walk_{i}"))
        walked_enough = select(func.count()).select_from(walked).scalar_subquery() >= limit
        # 3. The search indexes.
        # One select per part of the search (code, phone, each text column), merged: under an OR
        # of them the bitmap scan works out the bigrams of every candidate row again (they cost
        # thirty times its ILIKE: 18,000 candidates, 0.7 s); alone, the bigram condition is the
        # index's and the ILIKE decides.
        arms = [select(pk.label("k"), column.label("o")).where(arm if branch is None else and_(arm, branch))
                for arm in unscoped_arms]
        every = (arms[0] if len(arms) == 1 else union(*arms)).cte(f"zwt_all_{i}").prefix_with("MATERIALIZED")
        collected = (select(every.c.k, every.c.o).order_by(*ordered(every.c.k, every.c.o)).limit(limit)
                     .subquery(f"zwt_first_{i}"))
        parts.append(select(hits.c.k, hits.c.o))
        parts.append(select(walked.c.k, walked.c.o))
        parts.append(select(collected.c.k, collected.c.o).where(~(enough | whole | walked_enough)))
    # UNION: a branch's collected keys include its window's, and branches may share rows.
    merged = union(*parts).subquery("zwt_found")
    statement = select(merged.c.k).order_by(*ordered(merged.c.k, merged.c.o)).limit(limit)
    return list(datamodel.session.execute(statement).scalars())


def _without_bigrams(clause):
    """`clause` with its bigram conditions (zwt_bigrams(column) @> zwt_bigrams(term)) taken as
    true: they only let an index find a search's candidates, the ILIKE beside them decides. Along
    a list's order index they would only cost time (the bigrams of a row cost ten times its
    ILIKE)."""
    from sqlalchemy.sql import visitors

    if clause is None:
        return None
    return visitors.replacement_traverse(clause, {}, lambda element: true() if _is_bigram(element) else None)


def _is_bigram(element) -> bool:
    from sqlalchemy.sql.elements import BinaryExpression, Grouping
    from sqlalchemy.sql.functions import Function

    while isinstance(element, Grouping):
        element = element.element
    return (isinstance(element, BinaryExpression) and isinstance(element.left, Function)
            and element.left.name == "zwt_bigrams")


def _arms(clause) -> list:
    """`clause` as conditions whose union it is: the first OR in it that holds a bigram condition
    (the search box's: code OR phone OR name …) taken arm by arm, the rest of `clause` beside each;
    [clause] when it has none."""
    from sqlalchemy.sql import operators, visitors
    from sqlalchemy.sql.elements import BooleanClauseList

    found = next((e for e in visitors.iterate(clause) if isinstance(e, BooleanClauseList)
                  and e.operator is operators.or_ and any(_is_bigram(x) for x in visitors.iterate(e))), None)
    if found is None:
        return [clause]
    return [visitors.replacement_traverse(clause, {}, lambda e, arm=arm: arm if e is found else None)
            for arm in found.clauses]


def _columns_in(clause):
    """The table columns a SQL condition reads (the model's annotated columns too), subqueries
    included."""
    from sqlalchemy.sql import visitors
    from sqlalchemy.sql.elements import ColumnClause

    return [element for element in visitors.iterate(clause)
            if isinstance(element, ColumnClause) and getattr(element, "table", None) is not None]
