"""The global search behind the top bar box and Ctrl+K: code, name or phone across modules.

Every registered module whose spec declares `global_search` columns takes part; a module joins
by declaring them. Its columns play one of three parts:
- the spec's code column: equal to the query, or starting with it (two characters or more),
  whatever the case;
- phone columns (named like phone / mobile / tel / fax): their digits, spaces and dashes left
  out, starting with the query's digits or containing them;
- any other column (names, titles): containing the query (two characters or more).
The query is text, never a pattern: "%" and "_" match themselves.

A user sees only modules they may read and, in them, only rows of their data scope: the same
scope_clause() the lists use, through the parent for child modules (contacts → customers).

Speed (PostgreSQL, a million customers): one statement per module, a UNION ALL of one branch
per way of matching, in order of relevance, each limited to a few rows and written so an index
serves it (migration 0008: lower(code) and phone digits with text_pattern_ops, trigram and
bigram GIN indexes), and an outer LIMIT, so later branches do not run once earlier ones found
enough. Each module's statement runs under a statement timeout taken from one budget for the
whole search: a slow branch costs its hits (the group says it is incomplete), never a slow box.
"""
from __future__ import annotations

import functools
import re
import time
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from sqlalchemy import String, and_, bindparam, func, inspect as sa_inspect, literal, literal_column, select, text, \
    union_all
from sqlalchemy.exc import DBAPIError

from app.core.datamodel import current_actor, like_literal
from app.core.scope import scope_clause
from app.extensions import db

MAX_LENGTH = 100
PER_MODULE = 5
MIN_TEXT = 2            # name parts: the bigram index needs two characters
MIN_DIGITS = 3          # phone digits
# The database's share of a search on PostgreSQL; a module's statement gets what is left of it
# (at least FLOOR_MS), so three modules answer well under the 200 ms the box is allowed.
BUDGET_MS = 150
FLOOR_MS = 40
SLACK_MS = 40
PHONE_WORDS = ("phone", "mobile", "tel", "fax")
QUERY_CANCELED = "57014"
BIGRAM_COLUMN = re.compile(r'zwt_bigrams\(\(*"?(\w+)"?\)*(?:::\w+)?\)')
TRIGRAM_DIGITS_COLUMN = re.compile(r'replace\(replace\(\(*"?(\w+)"?\)*(?:::\w+)?,')

# Ranks: the order branches run and hits are listed in.
EXACT_CODE, CODE_PREFIX, PHONE_PREFIX, TEXT_CONTAINS, PHONE_CONTAINS = range(5)


class SearchRefused(ValueError):
    """The query cannot be searched for; `message` (translated) says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Hit:
    id: int
    title: str
    code: str
    secondary: str
    url: str
    rank: int

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "code": self.code, "secondary": self.secondary, "url": self.url}


@dataclass
class Group:
    module: str
    label: str
    icon: str
    hits: list = field(default_factory=list)
    more: bool = False          # more hits than shown: the list holds them all
    more_url: str = ""
    partial: bool = False       # the module's search was cut off by the time budget
    child: bool = False

    def as_dict(self) -> dict:
        return {"module": self.module, "label": self.label, "icon": self.icon, "more": self.more,
                "more_url": self.more_url, "partial": self.partial, "hits": [h.as_dict() for h in self.hits]}


# -- the query ------------------------------------------------------------------------------
def clean_query(raw) -> str:
    """The query trimmed; SearchRefused when it is empty, too long or holds a NUL character."""
    query = (raw or "").strip()
    if not query:
        raise SearchRefused(_("Type a code, a name or a phone number to search for."))
    if "\x00" in query:
        raise SearchRefused(_("The search text contains a NUL character, which no field accepts."))
    if len(query) > MAX_LENGTH:
        raise SearchRefused(_("The search text is too long: at most %(n)d characters.", n=MAX_LENGTH))
    return query


def phone_digits(query: str) -> str:
    """The digits of a query that looks like a phone number (digits, spaces, dashes, a leading
    + with a country code, China's 86 left out as numbers are stored without it), or ""."""
    body = query[1:].lstrip() if query.startswith("+") else query
    digits = body.replace(" ", "").replace("-", "")
    if not (digits.isdigit() and digits.isascii()):
        return ""
    return digits[2:] if query.startswith("+") and digits.startswith("86") else digits


def digits_of(column):
    """The column's digits, as migration 0008 indexes them (the constants written out, so the
    expression is the index's)."""
    dash, space, empty = literal_column("'-'"), literal_column("' '"), literal_column("''")
    return func.replace(func.replace(column, dash, empty), space, empty)


def _pattern(value: str):
    """A LIKE pattern as an inline literal: PostgreSQL uses a text_pattern_ops index for
    LIKE 'x%' only when it sees the pattern while planning."""
    return bindparam(None, value, type_=String(), literal_execute=True, unique=True)


def caseless(term: str) -> bool:
    """True when no character of `term` has a case or comes out of lower-casing another: Chinese
    characters (any letter without case) and digits. A name holds such a term whatever the case
    of its other letters, so LIKE finds what ILIKE finds, at about a quarter of the cost on
    PostgreSQL (ILIKE lower-cases every row's text first: a department's 124,000 contact names
    55–67 ms against 13–15)."""
    return all(unicodedata.category(ch) in ("Lo", "Nd") for ch in term)


def contains(column, term: str, literal_term: str):
    """`column` holds `term` anywhere, whatever the case; `literal_term` is the term escaped for
    LIKE (its lower case for ILIKE)."""
    pattern = _pattern(f"%{literal_term}%")
    return column.like(pattern, escape="\\") if caseless(term) else column.ilike(pattern, escape="\\")


# -- which modules and columns ---------------------------------------------------------------
def _columns(spec) -> tuple[list, list, list]:
    """(code, phone, text) columns of the spec's global_search."""
    table = spec.model.__table__.columns
    code, phone, words = [], [], []
    for name in spec.global_search:
        if name not in table:
            continue
        column = getattr(spec.model, name)
        if name == spec.code_column:
            code.append(column)
        elif any(word in name.lower() for word in PHONE_WORDS):
            phone.append(column)
        else:
            words.append(column)
    return code, phone, words


def _parent(spec):
    """(relationship attribute, parent spec) of the first many-to-one relation among the list
    columns that leads to another searchable module's records (a contact's or a contract's
    customer), or (None, None)."""
    from app.core.registry import registry

    mapper = sa_inspect(spec.model)
    for name in spec.list_columns:
        rel = mapper.relationships.get(name)
        if rel is None or rel.direction.name != "MANYTOONE":
            continue
        for other in registry.specs.values():
            if other.model is rel.mapper.class_ and other.title_column and other.global_search:
                return getattr(spec.model, name), other
    return None, None


def searchable_specs(user) -> list:
    """Specs with global_search columns that `user` may read, in registry order."""
    from app.core.registry import registry

    sm = current_app.appbuilder.sm
    return [spec for spec in registry.specs.values()
            if spec.global_search and sm.has_access("can_read", spec.permission_name)]


def _indexed_columns(name: str, like: str, pattern) -> set:
    """(table, column) pairs of the indexes whose definition is LIKE `like`, the column as `pattern`'s first
    group finds it in the definition; read once per process and database."""
    cache = current_app.extensions.setdefault(name, {})
    key = str(db.engine.url)
    if key not in cache:
        rows = db.session.execute(text(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexdef LIKE :like"), {"like": like}).all()
        cache[key] = {(table, match.group(1)) for table, definition in rows
                      for match in [pattern.search(definition)] if match}
    return cache[key]


def _bigram_columns() -> set:
    """(table, column) pairs with a zwt_bigrams GIN index on PostgreSQL, e.g.
    "... USING gin (public.zwt_bigrams((name)::text))"."""
    return _indexed_columns("zwt_bigram_columns", "%zwt_bigrams(%", BIGRAM_COLUMN)


def _trigram_phone_columns() -> set:
    """(table, column) pairs whose digits (digits_of) have a pg_trgm GIN index on PostgreSQL, e.g. "... USING gin
    (replace(replace((phone)::text, '-'::text, ''::text), ' '::text, ''::text) gin_trgm_ops)"."""
    return _indexed_columns("zwt_trigram_phone_columns", "%gin_trgm_ops%", TRIGRAM_DIGITS_COLUMN)


# -- the statements --------------------------------------------------------------------------
def module_statement(spec, user, query: str, postgres: bool):
    """One statement for a module: (rank, id, title, code, phones…, parent title) of up to
    PER_MODULE + 1 candidate rows, or None when no branch applies."""
    model = spec.model
    code_cols, phone_cols, text_cols = _columns(spec)
    scope = scope_clause(spec, user)
    lowered = query.lower()
    literal_query = like_literal(lowered)
    digits = phone_digits(query)
    bigrams = _bigram_columns() if postgres else set()
    branches = []

    def branch(rank, condition):
        stmt = select(literal_column(str(rank)).label("rank"), model.id.label("id")).where(condition)
        if scope is not None:
            stmt = stmt.where(scope)
        stmt = stmt.limit(PER_MODULE + 1)
        # PostgreSQL takes (SELECT … LIMIT n) UNION ALL (…); SQLite wants each in a subquery.
        branches.append(stmt if postgres else select(stmt.subquery()))

    for column in code_cols:
        branch(EXACT_CODE, func.lower(column) == lowered)
        if len(query) >= MIN_TEXT:      # every code starts with "K"
            branch(CODE_PREFIX, and_(func.lower(column).like(_pattern(literal_query + "%"), escape="\\"),
                                     func.lower(column) != lowered))
    if len(digits) >= MIN_DIGITS:
        for column in phone_cols:
            branch(PHONE_PREFIX, digits_of(column).like(_pattern(digits + "%")))
    if len(query) >= MIN_TEXT:
        for column in text_cols:
            condition = contains(column, query, literal_query)
            if (model.__table__.name, column.key) in bigrams:
                # The bigram index finds the candidates; ILIKE decides (see migration 0004).
                condition = and_(func.zwt_bigrams(column).op("@>")(func.zwt_bigrams(query)), condition)
            branch(TEXT_CONTAINS, condition)
    if len(digits) >= MIN_DIGITS:
        for column in phone_cols:
            branch(PHONE_CONTAINS, and_(digits_of(column).like(_pattern("%" + digits + "%")),
                                        digits_of(column).notlike(_pattern(digits + "%"))))
    if not branches:
        return None
    hits = (union_all(*branches) if len(branches) > 1 else branches[0]).limit(PER_MODULE + 1).subquery("hits")
    table = model.__table__
    title = table.c[spec.title_column] if spec.title_column else table.c.id
    code = table.c[code_cols[0].key] if code_cols else literal(None, String())
    joined = hits.join(table, table.c.id == hits.c.id)
    parent_title = literal(None, String())
    relation, parent = _parent(spec)
    if relation is not None:
        alias = parent.model.__table__.alias("parent")
        (local, remote), = relation.property.local_remote_pairs
        joined = joined.outerjoin(alias, table.c[local.key] == alias.c[remote.key])
        parent_title = alias.c[parent.title_column]
    return select(hits.c.rank, table.c.id, title, code, *[table.c[c.key] for c in phone_cols],
                  parent_title).select_from(joined)


def _group(spec, query: str, rows) -> Group:
    best: dict[int, Hit] = {}
    for row in rows:
        rank, pk, title, code, *rest = row
        phones, parent_title = rest[:-1], rest[-1]
        secondary = " · ".join(str(v) for v in (*phones, parent_title) if v)
        hit = Hit(id=pk, title="" if title is None else str(title), code=code or "", secondary=secondary,
                  url=f"/{spec.name}/show/{pk}", rank=rank)
        if pk not in best or rank < best[pk].rank:
            best[pk] = hit
    ordered = sorted(best.values(), key=lambda h: (h.rank, len(h.title), -h.id))
    return Group(module=spec.name, label=str(spec.label_plural), icon=spec.icon, hits=ordered[:PER_MODULE],
                 more=len(ordered) > PER_MODULE,
                 more_url=f"/{spec.name}/list/?{urlencode({'q': query})}",
                 child=bool(spec.scope is not None and spec.scope.via))


def _timed_out(error: DBAPIError) -> bool:
    return getattr(getattr(error, "orig", None), "sqlstate", None) == QUERY_CANCELED


class _TimeLimit:
    """The statement timeout of the search's statements on PostgreSQL, set for the transaction
    (SET LOCAL) only when it must shrink, and put back afterwards: two statements per search
    when nothing is slow."""

    SETTINGS = ("statement_timeout", "max_parallel_workers_per_gather")

    def __init__(self, session):
        self.session, self.current, self.saved = session, None, None

    def at_most(self, ms: int) -> None:
        # Shrunk only by a worthwhile step: each statement costs a round trip.
        if self.current is not None and self.current <= ms + SLACK_MS:
            return
        # No parallel workers either: starting them costs more than these few rows.
        values = [func.set_config("statement_timeout", str(ms), True),
                  func.set_config("max_parallel_workers_per_gather", "0", True)]
        if self.saved is None:
            values = [func.current_setting(name) for name in self.SETTINGS] + values
        row = self.session.execute(select(*values)).one()
        if self.saved is None:
            self.saved = row[:2]
        self.current = ms

    def lost(self) -> None:
        """A statement was cancelled: the transaction is gone, and its settings with it."""
        self.session.rollback()
        self.current = self.saved = None

    def restore(self) -> None:
        if self.saved is not None:
            self.session.execute(select(*[func.set_config(name, value, True)
                                          for name, value in zip(self.SETTINGS, self.saved)]))
            self.current = self.saved = None


def search(user, query: str, specs=None) -> list[Group]:
    """Groups of hits for `query` (already cleaned) in the modules `user` may read, those with
    the best hits first; modules without hits are left out. On PostgreSQL the modules share a
    time budget: one that runs out of it comes back empty and marked partial."""
    specs = searchable_specs(user) if specs is None else specs
    session = db.session
    postgres = session.get_bind().dialect.name == "postgresql"
    statements = [(spec, stmt) for spec in specs
                  if (stmt := module_statement(spec, user, query, postgres)) is not None]
    groups = []
    deadline = time.perf_counter() + BUDGET_MS / 1000
    limit = _TimeLimit(session)
    for spec, stmt in statements:
        partial = False
        if postgres:
            # On a busy server even setting the limit may outlast it: any cancelled statement
            # costs this module its hits, never the answer.
            try:
                limit.at_most(max(FLOOR_MS, int((deadline - time.perf_counter()) * 1000)))
                rows = session.execute(stmt).all()
            except DBAPIError as error:
                if not _timed_out(error):
                    raise
                limit.lost()
                rows, partial = [], True
        else:
            rows = session.execute(stmt).all()
        group = _group(spec, query, rows)
        group.partial = partial
        if group.hits or partial:
            groups.append(group)
    if postgres:
        try:
            limit.restore()
        except DBAPIError as error:
            if not _timed_out(error):
                raise
            limit.lost()
    order = {spec.name: i for i, (spec, _stmt) in enumerate(statements)}
    groups.sort(key=lambda g: (min((h.rank for h in g.hits), default=99), g.child, order[g.module]))
    return groups


# -- the screens -----------------------------------------------------------------------------
def _wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _signed_in(fn):
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        if current_actor() is None:
            if _wants_json():
                return jsonify(message=_("Please sign in first.")), 401
            login = current_app.appbuilder.sm.auth_view.__class__.__name__ + ".login"
            return redirect(url_for(login, next=request.full_path))
        return fn(self, *args, **kwargs)

    return wrapper


class GlobalSearchView(BaseView):
    """/search/?q=…: JSON for the search dialog, a results page otherwise (top bar form, no
    script). Open to every signed-in user; what they find follows their permissions and scope."""

    route_base = "/search"
    default_view = "index"

    @expose("/")
    @_signed_in
    def index(self):
        raw = request.args.get("q", "")
        wants_json = _wants_json()
        started = time.perf_counter()
        try:
            query = clean_query(raw)
        except SearchRefused as refused:
            if wants_json:
                return jsonify(message=refused.message), 400
            # An empty box is the page's starting point, not a mistake.
            status = 200 if not raw.strip() else 400
            return self.render_template("zwt/search.html", title=_("Global search"), query=raw.replace("\x00", "")[:MAX_LENGTH],
                                        groups=[], message=refused.message if status == 400 else "",
                                        searched=False, hint=""), status
        hint = _("Type at least two characters to search names.") if len(query) < MIN_TEXT else ""
        groups = search(current_actor(), query)
        took = (time.perf_counter() - started) * 1000
        if wants_json:
            return jsonify(q=query, groups=[g.as_dict() for g in groups], hint=hint,
                           total=sum(len(g.hits) for g in groups), took_ms=round(took, 1))
        return self.render_template("zwt/search.html", title=_("Global search"), query=query, groups=groups,
                                    message="", searched=True, hint=hint)

    @expose("/dialog")
    @_signed_in
    def dialog(self):
        """The search dialog's markup, for pages whose layout does not include it."""
        return render_template("zwt/search_dialog.html")


def register_views(appbuilder) -> None:
    """Add the search endpoint."""
    appbuilder.add_view_no_menu(GlobalSearchView)
