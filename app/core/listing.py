"""Every generated module's list: the search box, quick filter chips, the column chooser, row
actions and the rows drawn as people read them (list_rows.py draws the rows, list_cells.py their cells).

The list's own arguments sit beside FAB's filter arguments (_flt_<n>_<column>) and narrow the
list, its exports and its charts alike, always inside the user's data scope:

    q=华信          the code from its start whatever the case, phone numbers by their digits
                    anywhere, the name and other text columns (title_column,
                    text_search_columns, global_search) by any part; "%" and "_" match
                    themselves. On PostgreSQL every part is served by an index (see
                    search_condition), so the search stays fast at a million rows.
    status=active   the spec's status column
    mine=1          rows the user owns (spec.scope.owner)
    period=month    spec.date_column in this week / month / quarter of the user's time zone
"""
from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass

from flask import abort, current_app, has_request_context, redirect, render_template, request
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.widgets import ListWidget
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import DateTime, String, Text, and_, false, func, or_

from app.core import global_search, list_cells, list_layout, versions
from app.core.datamodel import current_actor, like_literal
from app.core.list_rows import menu_items, row_texts, rows, rows_html
from app.core.preferences import get_preference, set_preference
from app.core.view_index import views_at
from app.core.webhooks import user_zone
from app.extensions import db

SEARCH, STATUS, MINE, PERIOD = "q", "status", "mine", "period"
OWN_ARGS = (SEARCH, STATUS, MINE, PERIOD)
MAX_SEARCH_LENGTH = 100
PERIODS = {"week": _l("This week"), "month": _l("This month"), "quarter": _l("This quarter")}
PAGE_SIZES = (10, 25, 50, 100)


class ListArgError(Exception):
    """A list argument no list can take; the message says why, in the user's language."""


class ModuleListWidget(ListWidget):
    """The table of a module's list and of its tabs on other records' pages."""

    template = "zwt/widgets/list.html"
    spec = None

    def __call__(self, **kwargs):
        spec = self.spec
        kwargs["count_cap"] = spec.count_cap if spec is not None else None
        kwargs["page_sizes"] = sorted(set(PAGE_SIZES) | {spec.page_size if spec is not None else 25})
        kwargs["list_url"] = list_url
        kwargs["empty_text"] = empty_text(spec) if spec is not None else ""
        if spec is not None and spec.actions:
            kwargs["row_version"] = versions.page_mark()
        if spec is not None and not spec.add_columns:   # records made elsewhere have no 新建
            self.template_args["can_add"] = False
        if spec is not None and spec.made_elsewhere:
            self.template_args["made_elsewhere"] = True
        return super().__call__(**kwargs)


# -- URLs that keep the list's arguments ---------------------------------------------------------
def list_url(drop=(), drop_prefixes=(), path: str | None = None, **changes) -> str:
    """This page's address with `changes` set (None removes), `drop` and arguments starting with
    one of `drop_prefixes` removed, other arguments (repeated ones too) kept in order."""
    kept = [(k, v) for k, v in request.args.items(multi=True)
            if k not in changes and k not in drop and not k.startswith(tuple(drop_prefixes))]
    kept += [(k, str(v)) for k, v in changes.items() if v is not None]
    query = urllib.parse.urlencode(kept)
    return (path or request.path) + ("?" + query if query else "")


def _page_arg(view) -> str:
    return f"page_{view.__class__.__name__}"


# -- the search ------------------------------------------------------------------------------------
def _text_column(model, name: str):
    column = model.__table__.columns.get(name) if name else None
    if column is None or not isinstance(column.type, (String, Text)) or "choices" in column.info:
        return None
    return column


def search_columns(spec) -> dict[str, list[str]]:
    """The text columns the search box matches, by how: {"code": …, "phone": …, "text": …}.
    The same parts as the global search's (global_search.py), so that its "more" link lands on
    a list holding what it found."""
    parts = {"code": [], "phone": [], "text": []}
    for name in [spec.title_column, *spec.text_search_columns, spec.code_column, *spec.global_search]:
        if _text_column(spec.model, name) is None or any(name in names for names in parts.values()):
            continue
        if name == spec.code_column:
            parts["code"].append(name)
        elif any(word in name.lower() for word in global_search.PHONE_WORDS):
            parts["phone"].append(name)
        else:
            parts["text"].append(name)
    return parts


def search_condition(spec, term: str, dialect: str):
    """The SQL condition of the search box for `term` (trimmed, not empty): the code from its
    start whatever the case, a phone number by its digits anywhere, names and other text by any
    part. On PostgreSQL each part is an index's expression (migrations 0004 and 0008), and the
    term is written into the SQL so that the planner reads from the indexes' statistics how
    many rows it matches: a term found in many rows ("科技") is read along the list's order index
    until the page is full, a rare one collected from the search indexes (a union of index
    scans) and sorted."""
    model, parts = spec.model, search_columns(spec)
    lowered = like_literal(term.lower())
    digits = global_search.phone_digits(term)
    bigrams = global_search._bigram_columns() if dialect == "postgresql" else set()
    branches = [func.lower(getattr(model, name)).like(global_search._pattern(lowered + "%"), escape="\\")
                for name in parts["code"]]
    if len(digits) >= global_search.MIN_DIGITS:
        branches += [global_search.digits_of(getattr(model, name)).like(global_search._pattern(f"%{digits}%"))
                     for name in parts["phone"]]
    for name in parts["text"]:
        column = getattr(model, name)
        condition = global_search.contains(column, term, lowered)
        indexed = (model.__table__.name, name) in bigrams or name in spec.text_search_columns
        if dialect == "postgresql" and indexed and len(term) >= 2:
            # The bigram index finds the candidates; the (I)LIKE decides. Along the list's order index
            # the (I)LIKE comes first: the bigrams of a row's name cost ten times as much.
            condition = and_(condition,
                             func.zwt_bigrams(column).op("@>")(func.zwt_bigrams(global_search._pattern(term))))
        branches.append(condition)
    from app.core.custom_fields.listing import search_conditions

    branches += search_conditions(spec, term, dialect)
    if not branches:
        return false()
    return or_(*branches)


def search_placeholder(view) -> str:
    parts = search_columns(view.spec)
    labels = [str(view.label_columns.get(name, name)) for name in parts["text"] + parts["code"] + parts["phone"]]
    joiner = "、" if str(get_locale() or "zh").startswith("zh") else ", "
    return _("Search %(columns)s", columns=joiner.join(labels)) if labels else _("Search")


# -- chips: status, mine, date presets, the module's quick filters -----------------------------------
def status_choices(spec) -> list[tuple[str, str]]:
    column = spec.model.__table__.columns.get(spec.status_column) if spec.status_column else None
    return [(value, str(label)) for value, label in (column.info.get("choices", []) if column is not None else [])]


def owner_column(spec):
    scope = spec.scope
    if scope is None or scope.via or not scope.owner or scope.owner not in spec.model.__table__.columns:
        return None
    return getattr(spec.model, scope.owner)


def period_range(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """[first day, first day after) of this week (from Monday), month or quarter."""
    if period == "week":
        start = today - dt.timedelta(days=today.weekday())
        return start, start + dt.timedelta(days=7)
    first_month = today.month if period == "month" else (today.month - 1) // 3 * 3 + 1
    start = today.replace(month=first_month, day=1)
    months = 1 if period == "month" else 3
    year, month = divmod(start.month - 1 + months, 12)
    return start, dt.date(start.year + year, month + 1, 1)


def _period_condition(spec, period: str, now: dt.datetime | None = None):
    column = getattr(spec.model, spec.date_column)
    zone = user_zone()
    now = now or dt.datetime.now(dt.timezone.utc)
    start, end = period_range(period, now.astimezone(zone).date())
    if isinstance(column.type, DateTime):
        def utc(day):
            return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.timezone.utc).replace(tzinfo=None)
        start, end = utc(start), utc(end)
    return and_(column >= start, column < end)


def read_args(view) -> dict:
    """The list's own arguments of this request, checked. Raises ListArgError."""
    spec, args = view.spec, request.args
    found = {}
    term = (args.get(SEARCH) or "").strip()
    if len(term) > MAX_SEARCH_LENGTH:
        raise ListArgError(_("The search text is too long: at most %(n)d characters.", n=MAX_SEARCH_LENGTH))
    if term:
        found[SEARCH] = term
    if args.get(STATUS):
        if args[STATUS] not in dict(status_choices(spec)):
            raise ListArgError(_("“%(value)s” is not a status of this list.", value=args[STATUS]))
        found[STATUS] = args[STATUS]
    if args.get(MINE):
        if args[MINE] != "1" or owner_column(spec) is None:
            raise ListArgError(_("This list cannot show only your own records that way."))
        found[MINE] = True
    if args.get(PERIOD):
        if args[PERIOD] not in PERIODS or not spec.date_column:
            raise ListArgError(_("“%(value)s” is not a period this list can show (this week, month or quarter).",
                                 value=args[PERIOD]))
        found[PERIOD] = args[PERIOD]
    return found


def conditions(view, found: dict) -> list:
    spec = view.spec
    out = []
    if SEARCH in found:
        out.append(search_condition(spec, found[SEARCH], db.session.get_bind().dialect.name))
    if STATUS in found:
        out.append(getattr(spec.model, spec.status_column) == found[STATUS])
    if MINE in found:
        actor = current_actor()
        out.append(owner_column(spec) == (actor.id if actor is not None else -1))
    if PERIOD in found:
        out.append(_period_condition(spec, found[PERIOD]))
    return out


class _Where(BaseFilter):
    """A ready SQL condition among FAB's filters, so that the data scope, counts and paging of
    the data layer apply to it as to any filter."""

    name = "where"

    def apply(self, query, value):
        return query.filter(value)


class _Search(_Where):
    """The search box's condition: the data layer reads a search's matches its own way
    (datamodel.search_keys) and shows its first count_cap of them."""

    search = True


def narrowed(view, filters):
    """`filters` (FAB's, joined with the base filters) plus the list's own arguments."""
    found = read_args(view)
    extra = conditions(view, found)
    if not extra:
        return filters
    out = filters.copy()
    for i, condition in enumerate(extra):
        out._add_filter((_Search if i == 0 and SEARCH in found else _Where)("id", view.datamodel), condition)
    return out


def past_search_pages(view, filters, page, page_size) -> bool:
    """Whether `page` lies past the first count_cap matches of a search, which is all a search
    shows (datamodel.search_keys); the list then says so instead of showing rows."""
    cap = view.spec.count_cap if view.spec is not None else None
    return bool(cap and page and page * page_size >= cap and view.datamodel.is_search(filters))


@dataclass
class Chip:
    key: str
    label: str
    href: str
    active: bool
    tone: str = ""
    group: str = ""


def _quick_active(quick) -> bool:
    return all(str(value) in request.args.getlist(arg) for arg, value in quick.args.items())


def chips(view) -> list[Chip]:
    """The quick filters above the list; clicking an active one removes it."""
    spec, args, page = view.spec, request.args, _page_arg(view)
    out = []
    for value, label in status_choices(spec):
        active = args.get(STATUS) == value
        out.append(Chip(f"status-{value}", label, list_url(drop=(page,), status=None if active else value), active,
                        spec.status_tones.get(value, "default"), "status"))
    if owner_column(spec) is not None:
        active = args.get(MINE) == "1"
        out.append(Chip("mine", _("Mine"), list_url(drop=(page,), mine=None if active else "1"), active, group="mine"))
    if spec.date_column:
        for key, label in PERIODS.items():
            active = args.get(PERIOD) == key
            out.append(Chip(f"period-{key}", str(label), list_url(drop=(page,), period=None if active else key),
                            active, group="period"))
    for quick in spec.quick_filters:
        active = _quick_active(quick)
        if active:
            href = list_url(drop=(page, *quick.args))
        else:
            href = list_url(drop=(page, *quick.args), **{k: str(v) for k, v in quick.args.items()})
        out.append(Chip(f"quick-{quick.key}", str(quick.label), href, active, group="quick"))
    return out


def advanced_active(view) -> bool:
    """Whether a filter of the advanced panel narrows the list (beyond an active quick filter)."""
    quick = {(arg, str(value)) for q in view.spec.quick_filters if _quick_active(q) for arg, value in q.args.items()}
    return any(arg.startswith("_flt_") and (arg, value) not in quick for arg, value in request.args.items(multi=True))


def filtering(view) -> bool:
    return any(request.args.get(arg) for arg in OWN_ARGS) or any(a.startswith("_flt_") for a in request.args)


def clear_url(view) -> str:
    return list_url(drop=(*OWN_ARGS, _page_arg(view)), drop_prefixes=("_flt_",))


# -- the columns a user chose ------------------------------------------------------------------------
def _columns_key(spec) -> str:
    return f"list_columns:{spec.name}"


def locked_columns(view) -> list[str]:
    """Columns the chooser cannot hide: the one that names the row and links to it."""
    title = view.spec.title_column
    return [title if title in view.list_columns else view.list_columns[0]] if view.list_columns else []


def shown_columns(view) -> list[str]:
    from app.core import saved_views

    chosen = saved_views.columns_of_request(view) if has_request_context() else None
    if chosen is None:
        chosen = get_preference(getattr(current_actor(), "id", None), _columns_key(view.spec))
    if not isinstance(chosen, list):
        # Custom fields are optional columns: shown once chosen.
        from app.core.custom_fields.listing import native_columns

        return native_columns(view)
    keep = set(chosen) | set(locked_columns(view))
    return [c for c in view.list_columns if c in keep]


def save_columns(view):
    """POST /<module>/columns: the columns this user sees in the list (or reset=1 for all)."""
    actor = current_actor()
    if actor is None or not view.appbuilder.sm.has_access("can_read", view.class_permission_name):
        abort(403)
    target = request.form.get("next") or ""
    list_path = f"{view.route_base}/list/"
    if not target.startswith(list_path) or "//" in target or "\\" in target:
        target = list_path
    if request.form.get("reset"):
        set_preference(actor.id, _columns_key(view.spec), None)
    else:
        chosen = request.form.getlist("columns")
        unknown = [c for c in chosen if c not in view.list_columns]
        if unknown:
            return refusal(400, _("The list has no column “%(column)s”.", column=unknown[0][:60]), list_path)
        set_preference(actor.id, _columns_key(view.spec), [c for c in view.list_columns if c in chosen])
    db.session.commit()
    return redirect(target)


def chooser(view, shown: list[str]) -> list[list]:
    """The column chooser's boxes, [name, label, shown, locked] each (drawn by js/list.js)."""
    locked = set(locked_columns(view))
    return [[c, str(view.label_columns.get(c, c)), int(c in shown), int(c in locked)] for c in view.list_columns]


def refusal(status: int, message: str, retry_url: str):
    appbuilder = current_app.appbuilder
    return render_template("zwt/widgets/refused.html", code=status, message=message, retry_url=retry_url,
                           base_template=appbuilder.base_template, appbuilder=appbuilder), status


def refusal_of_args(view):
    """A 400 page when the list's own arguments cannot be read, else None."""
    try:
        read_args(view)
    except ListArgError as error:
        return refusal(400, str(error), list_url(drop=(*OWN_ARGS, _page_arg(view))))
    return None


# -- the list widget, with the user's columns and the list's own arguments -----------------------------
def is_main_list(view) -> bool:
    return request.endpoint == f"{view.endpoint}.list"


def list_widget(view, filters, actions=None, order_column="", order_direction="", page=None, page_size=None,
                widgets=None, **kwargs) -> dict:
    """FAB's _get_list_widget, drawing the user's columns and rows as list_cells renders them; on
    the module's own list page the search box and chips narrow it too."""
    widgets = widgets or {}
    actions = actions or view.actions
    page_size = page_size or view.page_size
    if not order_column and view.base_order:
        order_column, order_direction = view.base_order
    main = is_main_list(view)
    joined = filters.get_joined_filters(view._base_filters)
    if main:
        joined = narrowed(view, joined)
    count, items = view.datamodel.query(joined, order_column, order_direction, page=page, page_size=page_size)
    if main and past_search_pages(view, joined, page, page_size):
        kwargs["notice"] = _("A search shows its first %(n)s matches; add words to the search or a filter to "
                             "find the others.", n="{:,}".format(view.spec.count_cap))
    pks = [view._serialize_pk_if_composite(pk) for pk in view.datamodel.get_keys(items)]
    # On a parent's page its own column (a contract's customer) would only repeat the parent.
    parents = {flt.column_name for flt in filters.filters if flt.is_related_view}
    columns = [c for c in shown_columns(view) if c not in parents] or shown_columns(view)
    if main:
        kwargs.update(filtering=filtering(view), clear_url=clear_url(view), import_url=import_url(view))
    drawn, items_of_menu = rows(view, items, pks, columns, parents), menu_items(view)
    place = {item["name"]: str(i) for i, item in enumerate(items_of_menu)}
    for row in drawn:
        row.menu_numbers = " ".join(place[name] for name in row.menu.split() if name in place)
    widgets["list"] = view.list_widget(
        label_columns=view.label_columns, include_columns=columns, value_columns=[], order_columns=view.order_columns,
        formatters_columns=view.formatters_columns, page=page, page_size=page_size, count=count, pks=pks,
        actions=actions, filters=filters, modelview_name=view.__class__.__name__,
        rows=drawn, menu_items=items_of_menu, row_texts=row_texts(), main=main, rows_html=rows_html,
        head_classes=lambda c: list_cells.head_classes(view, c), table_style=list_layout.table_style,
        order=(order_column, order_direction), chooser=chooser(view, columns) if main else None, **kwargs)
    return widgets


def import_url(view) -> str | None:
    """The module's import screen (a view routed at /<module>/import), for those who may write."""
    from flask import url_for

    if not view.appbuilder.sm.has_access("can_write", view.class_permission_name):
        return None
    importer = next(iter(views_at(view.appbuilder, f"{view.route_base}/import")), None)
    return url_for(f"{importer.__class__.__name__}.{importer.default_view}") if importer is not None else None


def page_context(view) -> dict:
    """What the list page draws around the table: search box, chips, panels, page actions."""
    return {
        "search_term": (request.args.get(SEARCH) or "").strip()[:MAX_SEARCH_LENGTH],
        "search_placeholder": search_placeholder(view),
        "search_keep": [(k, v) for k, v in request.args.items(multi=True) if k != SEARCH and k != _page_arg(view)],
        "chips": chips(view),
        "advanced_active": advanced_active(view),
        "filtering": filtering(view),
        "clear_url": clear_url(view),
        "import_url": import_url(view),
        "query_string": request.query_string.decode(),
        "may_add": bool(view.spec.add_columns) and not view.spec.made_elsewhere,   # records made elsewhere: no 新建
    }


def empty_text(spec) -> str:
    return _("No %(things)s yet", things=spec.label_plural)
