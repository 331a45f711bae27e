"""Request input the frame refuses before any screen or API sees it.

Some input can only fail deep inside a library or the database and would answer 500: a NUL
character (PostgreSQL cannot store it in text), JSON nested deeper than the parser's recursion
limit, a path id beyond the database's integer range, and the list arguments FAB's screens
parse with a bare int() (`page_<View>=abc`) or pass on unchecked (`_oc_<View>=<any column>`,
a negative offset PostgreSQL refuses). Each gets a 4xx with a Chinese message here, for every
generated screen and API at once, including FAB's own.
"""
from __future__ import annotations

import json
import re
import urllib.parse

from flask import abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _

NUL = "\x00"
# Deeper JSON than any form of this app sends; marshmallow and the services recurse too.
MAX_JSON_DEPTH = 32
# Web lists: FAB offers page sizes up to 100; the offset must stay within a 32-bit integer.
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
# FAB's own patterns (flask_appbuilder.urltools): the view's class name follows the prefix.
LIST_ARGS = {
    "page": re.compile("page_(.*)"),
    "psize": re.compile("psize_(.*)"),
    "order_column": re.compile("_oc_(.*)"),
    "order_direction": re.compile("_od_(.*)"),
}


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def largest_id() -> int:
    """Keys are INTEGER columns: 32 bits on PostgreSQL, 64 bits on SQLite."""
    from app.extensions import db

    return 2**31 - 1 if db.engine.dialect.name == "postgresql" else 2**63 - 1


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _has_nul(value) -> bool:
    return isinstance(value, str) and NUL in value


def _check_args() -> None:
    for key, values in request.args.lists():
        if _has_nul(key) or any(_has_nul(v) for v in values):
            raise Refused(400, _("The address contains a NUL character, which no field accepts."))


def _check_view_args(appbuilder) -> None:
    """An id in the path beyond what a key column can hold, or no number at all where the key is
    a number, names no record (FAB's screens and its GET /<pk> take the key as text)."""
    limit = None
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and not isinstance(value, bool):
            limit = limit or largest_id()
            if value > limit:
                raise Refused(404, "")
        elif name == "pk" and isinstance(value, str):
            apis, views, _by_name = _views(appbuilder)
            view = apis.get(request.blueprint) or views.get(request.blueprint)
            if view is not None and _integer_key(view.datamodel):
                limit = limit or largest_id()
                if not (value.isdigit() and int(value) <= limit):
                    raise Refused(404, "")


def _integer_key(datamodel) -> bool:
    try:
        name = datamodel.get_pk_name()
        return isinstance(name, str) and datamodel.is_integer(name)
    except Exception:  # a datamodel without a single key column
        return False


def _check_form() -> None:
    if request.method not in ("POST", "PUT", "PATCH") or request.mimetype not in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        return
    for key, values in request.form.lists():
        if _has_nul(key) or any(_has_nul(v) for v in values):
            raise Refused(400, _("The form contains a NUL character, which no field accepts."))


def json_problem(data) -> str | None:
    """Why a parsed JSON document is refused (too deep, or a NUL in a string), or None.
    Iterative, so a hostile document cannot exhaust the stack here either."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return _("The JSON is nested too deeply (at most %(depth)d levels).", depth=MAX_JSON_DEPTH)
        if isinstance(value, dict):
            for key, item in value.items():
                if _has_nul(key):
                    return _("The JSON contains a NUL character, which no field accepts.")
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif _has_nul(value):
            return _("The JSON contains a NUL character, which no field accepts.")
    return None


def _check_json() -> None:
    if not request.is_json or not request.content_length:
        return
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise Refused(400, _("The JSON is nested too deeply (at most %(depth)d levels).", depth=MAX_JSON_DEPTH))
    if data is None and request.get_data(cache=True).strip() != b"null":
        raise Refused(400, _("The request body is not valid JSON."))
    problem = json_problem(data)
    if problem:
        raise Refused(400, problem)


def parse_rison(value: str):
    """The `q` argument as FAB's APIs read it: Rison, or else JSON. Raises ValueError."""
    import prison

    try:
        return prison.loads(value)
    except Exception:
        pass
    try:
        return json.loads(urllib.parse.parse_qs(f"q={value}").get("q")[0])
    except RecursionError:
        raise ValueError("too deep")
    except Exception as exc:
        raise ValueError(str(exc)) from exc


def _check_rison(appbuilder) -> None:
    """FAB answers 500 for some malformed `q` ("((((" breaks its parser outside the error it
    catches), for a negative page (PostgreSQL refuses a negative OFFSET) and for filter values
    of the wrong type; English for the rest."""
    value = request.args.get("q")
    if not value or not is_api_request():
        return
    try:
        data = parse_rison(value)
    except (ValueError, RecursionError):
        raise Refused(400, _("The query argument q is neither valid Rison nor JSON."))
    problem = json_problem(data) or _paging_problem(data)
    if problem:
        raise Refused(400, problem)
    api = _views(appbuilder)[0].get(request.blueprint)
    if api is not None and isinstance(data, dict) and isinstance(data.get("filters"), list):
        problems = [p for f in data["filters"] if isinstance(f, dict) for p in _rest_filter_problems(api, f)]
        if problems:
            raise Refused(400, " ".join(problems))


def _paging_problem(data) -> str | None:
    """Every "page" and "page_size" in `q` (the list's, and those of _info's related fields)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key == "page" and isinstance(item, int) and not 0 <= item <= MAX_PAGE:
                    return _("The page number “%(value)s” is not valid.", value=item)
                if key == "page_size" and isinstance(item, int) and not (1 <= item <= MAX_PAGE or item == -1):
                    return _("The page size “%(value)s” is not valid.", value=item)
                stack.append(item)
    return None


def _label(view, column: str) -> str:
    return str((getattr(view, "label_columns", None) or {}).get(column, column))


def _rest_filter_problems(api, item: dict) -> list[str]:
    """Messages for one {col, opr, value} of an API list's `q`; unknown columns are FAB's to refuse."""
    from app.core.filter_values import filter_value_problem

    column, operator, value = item.get("col"), item.get("opr"), item.get("value")
    candidates = (api._filters.get_search_filters() or {}).get(column) if isinstance(column, str) else None
    if not candidates:
        return []
    label = _label(api, column)
    flt = next((f for f in candidates if f.arg_name == operator), None)
    if flt is None:
        return [_("The filter “%(operator)s” cannot be used on “%(column)s”.", operator=operator, column=label)]
    if operator in ("in", "not_in"):
        if not isinstance(value, list):
            return [_("The filter “%(operator)s” on “%(column)s” takes a list of values.", operator=operator,
                      column=label)]
        values = value
    else:
        values = [value]
    limit = largest_id()
    return [p for v in values if (p := filter_value_problem(api.datamodel, flt, v, label, limit))]


# -- the list arguments of FAB's screens ------------------------------------------------------
def _views(appbuilder) -> tuple[dict, dict, dict]:
    """({blueprint: model API}, {blueprint: model screen}, {class name: model screen})."""
    from flask_appbuilder.api import ModelRestApi as BaseModelApi
    from flask_appbuilder.baseviews import BaseModelView

    cache = getattr(appbuilder, "_zwt_model_views", None)
    if cache is None:
        apis = [v for v in appbuilder.baseviews if isinstance(v, BaseModelApi) and getattr(v, "blueprint", None)]
        views = [v for v in appbuilder.baseviews if isinstance(v, BaseModelView) and getattr(v, "blueprint", None)]
        cache = ({v.blueprint.name: v for v in apis}, {v.blueprint.name: v for v in views},
                 {v.__class__.__name__: v for v in views})
        appbuilder._zwt_model_views = cache
    return cache


FILTER_ARG = re.compile(r"_flt_(\d)_(.*)")


def _web_filter_problems(view) -> list[tuple[str, str]]:
    """[(argument, message)] for `_flt_<n>_<column>` arguments with a filter number the column
    lacks (FAB: IndexError) or a value of the wrong type."""
    from app.core.filter_values import filter_value_problem

    problems, limit = [], None
    for arg in request.args:
        found = FILTER_ARG.fullmatch(arg) or FILTER_ARG.search(arg)
        if not found or view._filters is None:
            continue
        index, column = int(found.group(1)), found.group(2)
        candidates = view._filters._all_filters.get(column)
        if candidates is None:
            continue
        label = _label(view, column)
        if index >= len(candidates):
            problems.append((arg, _("The list cannot be filtered that way by “%(column)s”.", column=label)))
            continue
        limit = limit or largest_id()
        for value in request.args.getlist(arg):
            problem = filter_value_problem(view.datamodel, candidates[index], value, label, limit)
            if problem:
                problems.append((arg, problem))
    return problems


def list_arg_problems(views_by_name: dict, view=None) -> list[tuple[str, str]]:
    """[(argument, message)] for every list argument FAB would choke on or misuse."""
    problems = _web_filter_problems(view) if view is not None else []
    for arg, value in request.args.items():
        for kind, pattern in LIST_ARGS.items():
            found = pattern.search(arg)
            if not found:
                continue
            view = views_by_name.get(found.group(1))
            if kind == "page":
                if not re.fullmatch(r"\d{1,7}", value.strip()) or int(value) > MAX_PAGE:
                    problems.append((arg, _("The page number “%(value)s” is not valid.", value=value)))
            elif kind == "psize":
                largest = max(MAX_PAGE_SIZE, getattr(view, "page_size", 0) or 0)
                if not re.fullmatch(r"\d{1,7}", value.strip()) or not 1 <= int(value) <= largest:
                    problems.append((arg, _("The page size “%(value)s” is not valid: choose 1 to %(largest)d rows.",
                                            value=value, largest=largest)))
            elif kind == "order_column":
                if view is not None and value not in (view.order_columns or []):
                    problems.append((arg, _("The list cannot be sorted by “%(column)s”.", column=value)))
            elif value not in ("asc", "desc"):
                problems.append((arg, _("The sort direction “%(value)s” is not valid: use asc or desc.", value=value)))
    return problems


def _check_list_args(appbuilder) -> None:
    if is_api_request():
        return
    _apis, by_blueprint, by_name = _views(appbuilder)
    if request.blueprint not in by_blueprint:
        return
    problems = list_arg_problems(by_name, by_blueprint[request.blueprint])
    if problems:
        raise Refused(400, " ".join(message for _arg, message in problems))


def _cleaned_url() -> str:
    """This page without the list arguments that were refused."""
    _apis, by_blueprint, by_name = _views(current_app.appbuilder)
    refused = {arg for arg, _message in list_arg_problems(by_name, by_blueprint.get(request.blueprint))}
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in refused and NUL not in k + v]
    return request.path + ("?" + urllib.parse.urlencode(kept) if kept else "")


def refusal_response(status: int, message: str):
    if is_api_request() or request.accept_mimetypes.best == "application/json":
        return jsonify(message=message), status
    appbuilder = current_app.appbuilder
    return render_template("zwt/widgets/refused.html", code=status, message=message, retry_url=_cleaned_url(),
                           base_template=appbuilder.base_template, appbuilder=appbuilder), status


def install(app, appbuilder) -> None:
    if app.extensions.get("zwt_inputs"):
        return
    app.extensions["zwt_inputs"] = True

    @app.before_request
    def _refuse_bad_input():
        try:
            _check_view_args(appbuilder)
            _check_args()
            _check_rison(appbuilder)
            _check_form()
            _check_json()
            _check_list_args(appbuilder)
        except Refused as refused:
            if refused.status == 404:
                abort(404)
            return refusal_response(refused.status, refused.message)
        return None

