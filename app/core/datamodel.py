"""The data layer behind every generated screen, API, export and chart of a module.

An SQLAInterface that adds, in one place: the data-scope filter (every query FAB builds goes
through apply_filters, including show/edit/delete/actions by primary key), capped counts, SQL
aggregates for charts, and service calls for create / update / delete.
"""
from __future__ import annotations

from contextvars import ContextVar
from decimal import Decimal, InvalidOperation

from flask import current_app, has_request_context
from flask_appbuilder.models import filters as fab_filters
from flask_appbuilder.models.sqla.filters import FilterContains
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.utils.base import get_column_root_relation, is_column_dotted
from flask_babel import gettext as _
from sqlalchemy import (Numeric, String, any_, asc, bindparam, desc, func, inspect as sa_inspect, literal_column,
                        select, union)
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Load, defaultload, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from app.core.errors import DomainError
from app.core.listing_search import ArrayOf, search_keys
from app.core.literal_filters import LiteralFilterConverter, like_literal  # noqa: F401 (like_literal: callers import it here)
from app.core.scope import scope_branches, scope_clause


def current_actor():
    """The signed-in user of this request (session or JWT), or None."""
    if not has_request_context():
        return None
    user = current_app.appbuilder.sm.current_user
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def month_of(column, dialect_name: str):
    """SQL expression 'YYYY-MM' for a date/datetime column on SQLite and PostgreSQL."""
    if dialect_name == "postgresql":
        # A literal format, not a bound parameter, so the expression matches the extended
        # statistics a module's migration may create on to_char(column, 'YYYY-MM').
        return func.to_char(column, literal_column("'YYYY-MM'"))
    return func.strftime("%Y-%m", column)


# Set while a list is read (ModuleInterface.query): what apply_inner_select_joins adds for lists only.
_LISTING: ContextVar[bool] = ContextVar("zwt_listing", default=False)

class ModuleFilters(fab_filters.Filters):
    """FAB's Filters, with the tables of filters each column offers (every column's, and the searchable
    columns') built the first time they are asked for. FAB makes a Filters per screen and API at start (with
    tables for every column: about 3 MB for the app) and a new one per list request to join the applied
    filters, which only needs the applied filters themselves."""

    def __init__(self, filter_converter, datamodel, search_columns=None, search_filters=None, own=None):
        self.search_columns = search_columns or []
        self.filter_converter = filter_converter
        self.datamodel = datamodel
        self.clear_filters()
        self._given = search_filters or {}
        self._own = own or {}           # column → the spec's own filter classes
        self._tables = None

    def _built(self) -> list:
        if self._tables is None:
            search = self._get_filters(self.search_columns) if self.search_columns else {}
            for column, given in self._given.items():
                search[column] = list(search.get(column, [])) + list(given)
            every = self._get_filters(self.datamodel.get_columns_list())
            for column, classes in self._own.items():
                extra = [cls(column, self.datamodel) for cls in classes]
                for table in (every, search):
                    table[column] = list(table.get(column, [])) + extra
            self._tables = [search, every]
        return self._tables

    def _put(index: int):
        def put(self, table) -> None:
            self._built()[index] = table
        return put

    _search_filters = property(lambda self: self._built()[0], _put(0))
    _all_filters = property(lambda self: self._built()[1], _put(1))
    del _put

    def get_joined_filters(self, filters) -> "ModuleFilters":
        joined = ModuleFilters(self.filter_converter, self.datamodel)
        joined.filters = self.filters + filters.filters
        joined.values = self.values + filters.values
        return joined

    def copy(self) -> "ModuleFilters":
        copied = ModuleFilters(self.filter_converter, self.datamodel)
        copied.filters = list(self.filters)
        copied.values = list(self.values)
        return copied

    def rest_add_filters(self, data) -> None:
        """An API filter is the column's own filter with that operator. FAB looks the operator up
        in a process-wide table that the last-built filter of that name wins (its own, which
        would treat "%" as a wildcard again)."""
        for item in data:
            column = item.get("col") if isinstance(item, dict) else None
            own = next((f for f in self._search_filters.get(column, []) if f.arg_name == item.get("opr")), None) \
                if isinstance(column, str) else None
            if own is None:
                super().rest_add_filters([item])
            else:
                self._add_filter(type(own)(column, self.datamodel), item.get("value"))



def _named_record(model, name, list_columns):
    """The loader of a record a list row names (`name`, many-to-one): joined, without its own
    relations, and, when its model says what its name reads (`named_by`) and the list shows
    nothing else of it, with those columns only (a user's password hash, logins and times were read
    for every owner of a page)."""
    attr = getattr(model, name)
    return _named_columns(joinedload(attr), attr.property.mapper.class_, name, list_columns).lazyload("*")


def _named_columns(loader, target, name: str, list_columns):
    named_by = getattr(target, "named_by", None)
    if named_by and not any(col.startswith(f"{name}.") for col in list_columns):
        return loader.load_only(*(getattr(target, column) for column in named_by))
    return loader


def _scoped(query, branch):
    """`query` narrowed to one data-scope branch (None: no limit), as _narrowed(…, branch) gives it."""
    return query if branch is None else query.filter(branch)

class ModuleInterface(SQLAInterface):
    filter_converter_class = LiteralFilterConverter

    def __init__(self, obj, session=None, spec=None):
        # FAB builds plain interfaces of related models through this constructor too.
        super().__init__(obj, session=session)
        self.spec = spec

    @classmethod
    def for_spec(cls, spec) -> "ModuleInterface":
        return cls(spec.model, spec=spec)

    def get_inner_filters(self, filters):
        """FAB's (the filters on the model's own columns and its to-one relations), as a ModuleFilters: FAB's
        would build every column's filter table for each list request."""
        inner = ModuleFilters(self.filter_converter_class, self)
        kept = []
        for flt, value in zip(filters.filters, filters.values) if filters else ():
            column = flt.column_name
            if not is_column_dotted(column) or self.is_relation_many_to_one(get_column_root_relation(column)) \
                    or self.is_relation_one_to_one(get_column_root_relation(column)):
                kept.append((column, flt.__class__, value))
        return inner.add_filter_list(kept)

    def get_filters(self, search_columns=None, search_filters=None):
        """FAB's filters plus the spec's own filter classes, which screens (by index in the
        URL) and the API (by arg_name) both find."""
        return ModuleFilters(self.filter_converter_class, self, search_columns=search_columns or [],
                             search_filters=search_filters,
                             own=self.spec.search_filters if self.spec is not None else None)

    # -- scope ---------------------------------------------------------------------------
    def scope_condition(self):
        if self.spec is None:
            return None
        return scope_clause(self.spec, current_actor())

    def apply_filters(self, query, filters):
        return self._narrowed(query, filters, self.scope_condition())

    def _narrowed(self, query, filters, scope):
        """`query` with FAB's filters, the bigram candidates of "contains" searches and `scope`
        (a condition, or None for no limit)."""
        _typed_amounts(self.obj, filters)
        query = super().apply_filters(query, filters)
        for condition in self._bigram_conditions(filters):
            query = query.filter(condition)
        return query if scope is None else query.filter(scope)

    def _bigram_conditions(self, filters):
        """On PostgreSQL, a "contains" search on a text-search column also asks the bigram index
        for candidate rows; the ILIKE still decides. Terms under two characters gain nothing. A
        phone column whose digits have a trigram index (e.g. events_0004) is asked for the digits
        of a number typed in part: trigrams of digits pick far fewer rows than their bigrams."""
        if self.spec is None or not self.spec.text_search_columns or filters is None:
            return
        if self.session.get_bind().dialect.name != "postgresql":
            return
        from app.core import global_search

        trigrams = None
        for flt, values in zip(filters.filters, filters.values):
            if not (isinstance(flt, FilterContains) and flt.column_name in self.spec.text_search_columns):
                continue
            column = getattr(self.obj, flt.column_name)
            # Screens pass each filter's values as a list (all must match), the API a string.
            for value in values if isinstance(values, list) else [values]:
                if not (isinstance(value, str) and len(value) >= 2):
                    continue
                digits = global_search.phone_digits(value) if value.strip().isdigit() else ""
                if len(digits) >= global_search.MIN_DIGITS and any(
                        word in flt.column_name.lower() for word in global_search.PHONE_WORDS):
                    if trigrams is None:
                        trigrams = global_search._trigram_phone_columns()
                    if (self.obj.__table__.name, column.name) in trigrams:
                        yield global_search.digits_of(column).like(global_search._pattern(f"%{digits}%"))
                        continue
                term = bindparam(None, value, type_=String(), literal_execute=True, unique=True)
                yield func.zwt_bigrams(column).op("@>")(func.zwt_bigrams(term))

    def is_search(self, filters) -> bool:
        """Whether `filters` hold a text search: the list's search box (a filter marked
        `search`) or a "contains" filter on one of the spec's text-search columns."""
        if filters is None or self.spec is None:
            return False
        return any(getattr(flt, "search", False) or (isinstance(flt, FilterContains)
                                                      and flt.column_name in self.spec.text_search_columns)
                   for flt in filters.filters)

    # -- pages ---------------------------------------------------------------------------
    def _keyed(self, order_column, page_size, select_columns) -> bool:
        """Whether a page is read as its keys first (PostgreSQL, ordered by a column of the
        module's own table)."""
        return (self.spec is not None and bool(page_size) and order_column in sa_inspect(self.obj).columns
                and self.session.get_bind().dialect.name == "postgresql"
                and not (select_columns and self.exists_col_to_many(select_columns)))

    def _branches(self) -> list:
        return scope_branches(self.spec, current_actor()) if self.spec is not None else [None]

    def page_keys(self, filters, order_column, order_direction, page, page_size):
        """SELECT of the keys of one page in list order, each scope branch read on its own.

        Every branch (own rows, the department's, the shared pool's: scope.scope_branches)
        gives its first (page + 1) × page_size keys in list order from its own index, the
        union of them is sorted and the page cut from it: the first rows of the union are
        among the first rows of their branch. Only the key and the sort column are read, so an
        index holding both (the primary key, (owner_id, id), the lists' (column, id) indexes)
        answers a deep page without reading the table."""
        pk = sa_inspect(self.obj).primary_key[0]
        column = getattr(self.obj, order_column)
        direction = asc if order_direction == "asc" else desc  # as FAB reads it
        by_key = column.key == pk.key
        offset = (page or 0) * page_size
        base, filters = self.session.query(self.obj), self.get_inner_filters(filters)
        branches = self._branches()
        order = self._order(order_column, order_direction)
        if len(branches) == 1:
            query = self._narrowed(base, filters, branches[0]).with_entities(pk).order_by(*order)
            return query.offset(offset).limit(page_size).statement
        cols = [pk.label("k")] if by_key else [pk.label("k"), column.label("o")]
        unscoped = self._narrowed(base, filters, None)    # the filters applied once, each branch added
        parts = [_scoped(unscoped, branch).with_entities(*cols).order_by(*order).limit(offset + page_size)
                 .subquery().select() for branch in branches]
        merged = union(*parts).subquery()
        merged_order = [direction(merged.c.k)] if by_key else [direction(merged.c.o), direction(merged.c.k)]
        return select(merged.c.k).order_by(*merged_order).offset(offset).limit(page_size)

    def apply_order_by(self, query, order_column, order_direction, aliases_mapping=None,
                       bypass_many_to_many=False, add_pk=False):
        """FAB's ORDER BY, and a custom field's typed value for its list column (cf_<name>)."""
        from app.core.custom_fields.listing import order_expression

        custom = order_expression(self, order_column) if order_column else None
        if custom is None:
            return super().apply_order_by(query, order_column, order_direction, aliases_mapping=aliases_mapping,
                                          bypass_many_to_many=bypass_many_to_many, add_pk=add_pk)
        direction = asc if order_direction == "asc" else desc  # as FAB reads it
        return query.order_by(direction(custom), direction(sa_inspect(self.obj).primary_key[0]))

    def _order(self, order_column, order_direction) -> list:
        """The list's ORDER BY: the column, then the key (FAB's tie-break), one direction."""
        pk = sa_inspect(self.obj).primary_key[0]
        column = getattr(self.obj, order_column)
        direction = asc if order_direction == "asc" else desc  # as FAB reads it
        return [direction(column)] if column.key == pk.key else [direction(column), direction(pk)]

    def apply_inner_select_joins(self, query, select_columns=None, aliases_mapping=None):
        """FAB's joins for the selected columns; in a list, a record a row names (a contract's
        customer) is read for what the row shows of it, not with its own relations: a customer's
        tags (a statement of their own), owner and department were read for every contract list."""
        query = super().apply_inner_select_joins(query, select_columns, aliases_mapping)
        if not _LISTING.get():
            return query
        for described in query.column_descriptions[1:]:
            entity = described.get("entity")
            if entity is not None and described.get("expr") is entity:
                query = query.options(Load(entity).lazyload("*"))
        columns = self.spec.list_columns if self.spec is not None and not select_columns else None
        for rel in sa_inspect(self.obj).relationships:
            if rel.direction.name == "MANYTOONE":
                loader = defaultload(rel.class_attribute)
                if columns is not None:
                    loader = _named_columns(loader, rel.mapper.class_, rel.key, columns)
                query = query.options(loader.lazyload("*"))
        return query

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        listing = _LISTING.set(True)
        try:
            return self._query(filters, order_column, order_direction, page, page_size, select_columns,
                               outer_default_load)
        finally:
            _LISTING.reset(listing)

    def _query(self, filters, order_column, order_direction, page, page_size, select_columns, outer_default_load):
        """FAB's query, with a page on PostgreSQL read as its keys first (page_keys) and then its
        rows by key; a page past the end of a list whose count is exact reads nothing. A search
        shows its first count_cap matches only (search_keys)."""
        cap = self.spec.count_cap if self.spec is not None else None
        searching = bool(page_size) and cap is not None and self.is_search(filters)
        offset = (page or 0) * (page_size or 0)
        if searching and offset >= cap:
            found = self.search_keys(filters, order_column, order_direction) \
                if self._keyed(order_column, page_size, select_columns) else None
            return (len(found) if found is not None
                    else self.query_count(self.session.query(self.obj), filters, select_columns)), []
        if not self._keyed(order_column, page_size, select_columns):
            count, rows = super().query(filters, order_column, order_direction, page, page_size, select_columns,
                                        outer_default_load)
            if not select_columns:
                self._load_related(rows)
            return count, rows[:cap - offset] if searching else rows
        pk = sa_inspect(self.obj).primary_key[0]
        found = self.search_keys(filters, order_column, order_direction) if searching else None
        if found is not None:
            # A search's first cap + 1 matches give its count and every page it shows.
            count, keys = len(found), found[offset:min(offset + page_size, cap)]
            if not keys:
                return count, []
            return count, self._rows(pk.in_(keys), select_columns, order_column, order_direction)
        # The count reads its keys newest first (or in the list's direction when the list is in key
        # order): from the key's and (owner_id, id)-like indexes alone, whatever the sort column.
        by_key = getattr(self.obj, order_column).key == pk.key
        count = self.query_count(self.session.query(self.obj), filters, select_columns,
                                 order=[(asc if by_key and order_direction == "asc" else desc)(pk)])
        cap = self.spec.count_cap
        if (cap is None or count <= cap) and (page or 0) * page_size >= count:
            return count, []
        keys = self.page_keys(filters, order_column, order_direction, page, page_size)
        # = ANY(ARRAY(keys)): the page's keys are read once (an InitPlan) and its rows fetched by
        # key. As "IN (keys)" the planner may join the whole table to the related ones first and
        # keep the page's rows last (the REST list, which joins customer, owner and department:
        # 1.7 s at a million contracts).
        return count, self._rows(pk == any_(ArrayOf(keys)), select_columns, order_column, order_direction)

    def _rows(self, condition, select_columns, order_column, order_direction) -> list:
        """The rows meeting `condition` (their keys) in list order, related rows joined: the
        records a list column names (a contact's customer, an interaction's contact and user) come
        with the page, not one statement per row."""
        query = self.session.query(self.obj).filter(condition)
        query = self.apply_inner_select_joins(query, select_columns, {})
        if not select_columns and self.spec is not None:
            for name in dict.fromkeys(col.split(".", 1)[0] for col in self.spec.list_columns):
                if self.is_relation_many_to_one(name):
                    query = query.options(_named_record(self.obj, name, self.spec.list_columns))
        query = self.apply_order_by(query, order_column, order_direction, aliases_mapping={}, add_pk=True)
        rows = query.all()
        # With related columns selected, FAB's query gives (row, related…) tuples.
        return [getattr(row, self.obj.__name__) if hasattr(row, self.obj.__name__) else row for row in rows]

    def _load_related(self, rows) -> None:
        """The records the list's columns name (a stock level's warehouse and bin …) for rows read by FAB's query,
        one statement per relation, set on the rows as loaded (not one lazy load per row)."""
        if not rows or self.spec is None:
            return
        mapper = sa_inspect(self.obj)
        for name in dict.fromkeys(col.split(".", 1)[0] for col in self.spec.list_columns):
            rel = mapper.relationships.get(name)
            if rel is None or rel.direction.name != "MANYTOONE" or len(rel.local_columns) != 1:
                continue
            local = next(iter(rel.local_columns))
            target = rel.mapper
            if len(target.primary_key) != 1:
                continue
            key = mapper.get_property_by_column(local).key
            waiting = [row for row in rows if name in sa_inspect(row).unloaded]
            wanted = {getattr(row, key) for row in waiting} - {None}
            if not wanted:
                continue
            pk = target.get_property_by_column(target.primary_key[0]).key
            found = {getattr(record, pk): record for record in
                     self.session.query(target.class_).options(lazyload("*"))
                     .filter(target.primary_key[0].in_(wanted))}
            for row in waiting:
                set_committed_value(row, name, found.get(getattr(row, key)))

    def search_keys(self, filters, order_column, order_direction) -> list | None:
        """The keys of a search's first count_cap + 1 matches in list order, in one statement; None
        where this reading does not apply: the list is then read as any other (listing_search.py).
        A search shows no page past the cap (listing.py says so): nobody reads the 2,000th page
        of a search, and its count already stops there."""
        return search_keys(self, filters, order_column, order_direction)

    # -- counts --------------------------------------------------------------------------
    def query_count(self, query, filters=None, select_columns=None, order=None) -> int:
        """Exact up to the module's cap; cap + 1 means "more than cap". On PostgreSQL a capped
        count reads at most cap + 1 keys of each scope branch, in `order` when given (the query
        reads keys newest first). Unordered, the planner may read them in the table's order, and
        the matches of a search can lie at its far end: codes of this year, say."""
        statement = self.count_statement(query, filters, select_columns, order)
        if statement is None:
            return self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={}).count()
        return self.session.execute(statement).scalar_one()

    def count_statement(self, query, filters=None, select_columns=None, order=None):
        """query_count's statement (a select of one number), to be read alone or beside other
        counts (a detail page's tabs); None when the module has no cap."""
        cap = self.spec.count_cap if self.spec is not None else None
        if cap is None:
            return None
        keys = sa_inspect(self.obj).primary_key
        branches = self._branches() if self.session.get_bind().dialect.name == "postgresql" else [None]
        if len(branches) > 1:
            query = self.apply_inner_select_joins(query, select_columns, {})
            unscoped = self._narrowed(query, self.get_inner_filters(filters), None)
            parts = [_scoped(unscoped, branch).order_by(None).order_by(*order or ()).with_entities(*keys)
                     .limit(cap + 1).subquery().select() for branch in branches]
            merged = union(*parts).subquery()
            limited = select(merged.c[0]).limit(cap + 1).subquery()
            return select(func.count()).select_from(limited)
        inner = self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
        # Select the key columns, not a literal: with no filter a literal would lose the table.
        limited = inner.order_by(None).order_by(*order or ()).with_entities(*keys).limit(cap + 1).subquery()
        return select(func.count()).select_from(limited)

    # -- export --------------------------------------------------------------------------
    def export_query(self, filters, order_column="", order_direction=""):
        """All rows the user may see under `filters`, in list order, related rows joined."""
        query = self.apply_all(self.session.query(self.obj), filters, order_column, order_direction)
        for col in self.spec.export_columns:
            head = col.split(".", 1)[0]
            if self.is_relation_many_to_one(head):
                query = query.options(joinedload(getattr(self.obj, head)))
        return query

    # -- charts --------------------------------------------------------------------------
    def chart_rows(self, chart, filters=None) -> list[tuple]:
        """[(group key, value)] aggregated in SQL, scope and list filters applied."""
        model = self.obj
        column = getattr(model, chart.group_by)
        key = month_of(column, self.session.get_bind().dialect.name) if chart.period == "month" else column
        if chart.measure == "count":
            measure = func.count()
        else:
            measure = func.coalesce(func.sum(getattr(model, chart.measure[4:])), 0)
        query = self.session.query(key.label("k"), measure.label("v")).select_from(model)
        for name, values in chart.exclude:
            query = query.filter(getattr(model, name).notin_(values))
        if filters is not None:
            _typed_amounts(model, filters)
            query = filters.apply_all(query)
            for condition in self._bigram_conditions(filters):
                query = query.filter(condition)
        condition = self.scope_condition()
        if condition is not None:
            query = query.filter(condition)
        query = query.group_by(key)
        if chart.period == "month":
            query = query.order_by(key)
        else:
            query = query.order_by(measure.desc()).limit(chart.limit)
        rows = [(k, v) for k, v in query.all()]
        return _fill_months(rows) if chart.period == "month" else rows

    # -- writes go through the module's service --------------------------------------------
    def _call(self, hook, item):
        try:
            return hook(current_actor(), item)
        except (IntegrityError, DataError) as exc:
            # What the service's checks did not catch, the database did: still the user's input.
            self.session.rollback()
            raise DomainError("db.rejected", _("The data refers to a record that does not exist, "
                                               "or conflicts with another record.")) from exc

    def add(self, item, commit=True):
        self._call(self.spec.service.create, item)

    def edit(self, item, commit=True):
        self._call(self.spec.service.update, item)

    def delete(self, item, commit=True):
        try:
            self._call(self.spec.service.delete, item)
        except DomainError as error:
            from app.core.references import in_use_error  # names what still refers to the record

            raise (error.code == "db.rejected" and in_use_error(current_actor(), item)) or error

    def delete_all(self, items):
        for item in items:
            self.delete(item)


def _typed_amounts(model, filters) -> None:
    """Filter values on amount (Numeric) columns as Decimal. FAB passes the typed text through,
    and PostgreSQL refuses to compare numeric with text: a 500 instead of a list. Text that is
    not a number becomes None, as FAB does for integer and date columns."""
    if filters is None:
        return
    columns = model.__table__.columns

    def decimal(value):
        if isinstance(value, (Decimal, int)) or value is None:
            return value
        try:
            return Decimal(str(value).replace(",", "").strip())
        except InvalidOperation:
            return None

    for i, flt in enumerate(filters.filters):
        column = columns.get(flt.column_name)
        if column is not None and isinstance(column.type, Numeric) and i < len(filters.values):
            value = filters.values[i]
            filters.values[i] = [decimal(v) for v in value] if isinstance(value, list) else decimal(value)


def _fill_months(rows: list[tuple]) -> list[tuple]:
    """Months without rows count as 0, so a line chart does not skip them."""
    present = {k: v for k, v in rows if k}
    if not present:
        return rows
    first, last = min(present), max(present)
    year, month = int(first[:4]), int(first[5:7])
    filled = []
    while f"{year:04d}-{month:02d}" <= last:
        key = f"{year:04d}-{month:02d}"
        filled.append((key, present.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return filled


def include_in_migrations(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic autogenerate hook: the search indexes exist only in PostgreSQL migrations (bigram
    indexes and the global search's pattern and trigram indexes of migration 0008 use functions
    and operator classes SQLite does not have), and the sort indexes of migration 0010 serve lists
    at a million rows only, so models do not declare them."""
    return not (type_ == "index" and name and name.endswith(("_bigram", "_search", "_sort")))


def chosen_id(obj, relation: str):
    """The id a many-to-one relation will hold once saved. Screens set the relation (`owner`),
    the API and imports the column (`owner_id`); a loaded relation nobody changed says nothing."""
    from sqlalchemy import inspect as sa_inspect

    history = sa_inspect(obj).attrs[relation].history
    if history.added or history.deleted:
        chosen = history.added[0] if history.added else None
        return chosen.id if chosen is not None else None
    return getattr(obj, f"{relation}_id")
