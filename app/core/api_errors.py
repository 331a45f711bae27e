"""The REST API's error messages in the user's language.

FAB writes its API errors in English and passes marshmallow's validation messages through
untranslated ("Not a valid number.", "Must be one of: a, b."). Every JSON error response of
/api/ passes through `translate()` once, here, so the generated module APIs and FAB's own
(security, API keys) answer in Chinese in the zh locale. Database refusals that FAB reports
with the driver's text ("UNIQUE constraint failed: ab_role.name") become a sentence without
table names.
"""
from __future__ import annotations

import json
import re
from typing import Callable

from flask import request
from flask_babel import gettext as _


def _range(m) -> str:
    """marshmallow's Range message: one or two bounds, each inclusive or not."""
    def bound(op, value):
        return {
            "greater than or equal to": _("at least %(value)s", value=value),
            "greater than": _("more than %(value)s", value=value),
            "less than or equal to": _("at most %(value)s", value=value),
            "less than": _("less than %(value)s", value=value),
        }[op]

    if m["op2"] is None:
        return _("Must be %(bound)s.", bound=bound(m["op1"], m["v1"]))
    return _("Must be %(low)s and %(high)s.", low=bound(m["op1"], m["v1"]), high=bound(m["op2"], m["v2"]))


def _schema_detail(detail: str) -> str:
    """The first line of a jsonschema error about the `q` argument."""
    patterns: list[tuple[str, Callable]] = [
        (r"(?P<v>.+) is not of type '(?P<t>\w+)'", lambda m: _(
            "%(value)s is not of the expected type (%(type)s).", value=m["v"], type=_TYPES.get(m["t"], m["t"]))),
        (r"(?P<v>.+) is not one of (?P<c>\[.*\])", lambda m: _(
            "%(value)s is not one of %(choices)s.", value=m["v"], choices=m["c"])),
        (r"(?P<v>.+) is not valid under any of the given schemas", lambda m: _(
            "%(value)s is not a value this argument accepts.", value=m["v"])),
        (r"Additional properties are not allowed \((?P<n>.+) (?:was|were) unexpected\)", lambda m: _(
            "Unknown arguments: %(names)s.", names=m["n"])),
        (r"'(?P<n>.+)' is a required property", lambda m: _("The argument %(name)s is missing.", name=m["n"])),
        (r"(?P<v>.+) is less than the minimum of (?P<n>.+)", lambda m: _(
            "%(value)s is less than the smallest allowed value %(minimum)s.", value=m["v"], minimum=m["n"])),
    ]
    for pattern, make in patterns:
        found = re.fullmatch(pattern, detail.strip())
        if found:
            return make(found)
    return detail


_TYPES = {}


def _init_types() -> None:
    _TYPES.update({"integer": _("integer"), "string": _("text"), "number": _("number"),
                   "array": _("list"), "object": _("object"), "boolean": _("true or false")})


def _db_refusal(text: str) -> str:
    lowered = text.lower()
    if "unique" in lowered or "duplicate key" in lowered:
        return _("A record with the same value already exists.")
    if "not null" in lowered or "null value" in lowered:
        return _("A required value is missing.")
    if "foreign key" in lowered:
        return _("The data refers to a record that does not exist, or is still used by other records.")
    return _("The data refers to a record that does not exist, or conflicts with another record.")


# (English message as FAB or marshmallow writes it, its translation). Patterns match whole messages.
MESSAGES: list[tuple[str, Callable]] = [
    # marshmallow fields and schemas
    (r"Missing data for required field\.", lambda m: _("This field is required.")),
    (r"Field may not be null\.", lambda m: _("This field cannot be empty.")),
    (r"Invalid value\.", lambda m: _("Invalid value.")),
    (r"Invalid input\.", lambda m: _("Invalid value.")),
    (r"Invalid type\.", lambda m: _("Invalid type.")),
    (r"Invalid input type\.", lambda m: _("Invalid type.")),
    (r"Unknown field\.", lambda m: _("Unknown field.")),
    (r"Not a valid list\.", lambda m: _("Not a valid list.")),
    (r"Not a valid tuple\.", lambda m: _("Not a valid list.")),
    (r"Not a valid string\.", lambda m: _("Not a valid text.")),
    (r"Not a valid utf-8 string\.", lambda m: _("Not a valid text.")),
    (r"Not a valid UUID\.", lambda m: _("Not a valid UUID.")),
    (r"Not a valid number\.", lambda m: _("Not a valid number.")),
    (r"Number too large\.", lambda m: _("The number is too large.")),
    (r"Not a valid integer\.", lambda m: _("Not a valid integer.")),
    (r"Special numeric values \(nan or infinity\) are not permitted\.", lambda m: _("Not a valid number.")),
    (r"Not a valid boolean\.", lambda m: _("Not a valid true/false value.")),
    (r"Not a valid (?:naive |aware )?datetime\.", lambda m: _("Not a valid date and time (e.g. 2026-01-05T10:00:00).")),
    (r"Not a valid date\.", lambda m: _("Not a valid date (e.g. 2026-01-05).")),
    (r"Not a valid time\.", lambda m: _("Not a valid time (e.g. 10:00:00).")),
    (r"Not a valid period of time\.", lambda m: _("Not a valid period of time.")),
    (r"\"?.*\"? cannot be formatted as a \w+\.", lambda m: _("The value cannot be formatted.")),
    (r"Not a valid mapping type\.", lambda m: _("Not a valid object.")),
    (r"Not a valid URL\.", lambda m: _("Not a valid web address.")),
    (r"Not a valid email address\.", lambda m: _("Not a valid e-mail address.")),
    (r"Not a valid IP(?:v[46])? (?:address|interface)\.", lambda m: _("Not a valid IP address.")),
    (r"Must be one of: (?P<c>.*)\.", lambda m: _("Must be one of: %(choices)s.", choices=m["c"])),
    (r"One or more of the choices you made was not in: (?P<c>.*)\.", lambda m: _(
        "Must be one of: %(choices)s.", choices=m["c"])),
    (r"Shorter than minimum length (?P<n>\d+)\.", lambda m: _("At least %(n)s characters.", n=m["n"])),
    (r"Longer than maximum length (?P<n>\d+)\.", lambda m: _("At most %(n)s characters.", n=m["n"])),
    (r"Length must be between (?P<a>\d+) and (?P<b>\d+)\.", lambda m: _(
        "Between %(a)s and %(b)s characters.", a=m["a"], b=m["b"])),
    (r"Length must be (?P<n>\d+)\.", lambda m: _("Exactly %(n)s characters.", n=m["n"])),
    (r"Must be (?P<op1>greater than or equal to|greater than|less than or equal to|less than) (?P<v1>\S+?)"
     r"(?: and (?P<op2>less than or equal to|less than) (?P<v2>\S+?))?\.", _range),
    (r"String does not match expected pattern\.", lambda m: _("The value does not have the expected form.")),
    (r"Must be equal to (?P<o>.*)\.", lambda m: _("Must be %(value)s.", value=m["o"])),
    # FAB
    (r"Not found", lambda m: _("Not found")),
    (r"Forbidden", lambda m: _("Forbidden")),
    (r"Not authorized", lambda m: _("Not signed in, or the token is not valid.")),
    (r"Arguments are not correct", lambda m: _("The request is not valid.")),
    (r"Could not process entity", lambda m: _("The request is not valid.")),
    (r"Fatal error|Internal error", lambda m: _("Something went wrong on our side. Please try again.")),
    (r"Request (?:payload )?is not JSON", lambda m: _("The request body must be a JSON object.")),
    (r"\d{3} [A-Za-z ]+: .*", lambda m: _("The request is not valid.")),
    (r"Not a valid rison(?:/json)? argument", lambda m: _("The query argument q is neither valid Rison nor JSON.")),
    (r"Not a valid rison schema (?P<d>.*)", lambda m: _(
        "The query argument q is not valid: %(detail)s", detail=_schema_detail(m["d"]))),
    (r"Filter column: (?P<c>.*) not allowed to filter", lambda m: _(
        "The list cannot be filtered by “%(column)s”.", column=m["c"])),
    (r"Filter operation: (?P<o>.*) not allowed on column: (?P<c>.*)", lambda m: _(
        "The filter “%(operator)s” cannot be used on “%(column)s”.", operator=m["o"], column=m["c"])),
    (r"Invalid order by column: (?P<c>.*)", lambda m: _("The list cannot be sorted by “%(column)s”.", column=m["c"])),
    (r"Cannot use both select and sel columns", lambda m: _("Use either select_columns or columns, not both.")),
    (r"Database exception occurred: (?P<d>.*)", lambda m: _db_refusal(m["d"])),
    (r"\(?\S*(?:IntegrityError|constraint failed|violates).*", lambda m: _db_refusal(m[0])),
    (r"Password null is not allowed", lambda m: _("This field is required.")),
]
_COMPILED = [(re.compile(pattern, re.DOTALL), make) for pattern, make in MESSAGES]


def translate(message):
    """A message, or a {field: [messages]} structure, with every known English text translated."""
    if isinstance(message, dict):
        return {key: translate(value) for key, value in message.items()}
    if isinstance(message, list):
        return [translate(value) for value in message]
    if not isinstance(message, str):
        return message
    if not _TYPES:
        _init_types()
    for pattern, make in _COMPILED:
        found = pattern.fullmatch(message.strip())
        if found:
            return make(found)
    return message


def translate_response(response):
    """An /api/ JSON error response with its messages translated (others pass unchanged)."""
    if response.status_code < 400 or response.mimetype != "application/json" or response.direct_passthrough:
        return response
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return response
    if not isinstance(body, dict) or "message" not in body:
        return response
    translated = translate(body["message"])
    if translated != body["message"]:
        body["message"] = translated
        response.set_data(json.dumps(body))
    return response


def install(app) -> None:
    if app.extensions.get("zwt_api_errors"):
        return
    app.extensions["zwt_api_errors"] = True

    from flask import jsonify
    from werkzeug.exceptions import MethodNotAllowed

    @app.errorhandler(MethodNotAllowed)
    def _method_not_allowed(error):
        if request.path.startswith("/api/"):
            response = jsonify(message=_("This method is not allowed here."))
            response.status_code = 405
            response.headers["Allow"] = ", ".join(error.valid_methods or [])
            return response
        return error

    @app.after_request
    def _translate_api_errors(response):
        if request.path.startswith("/api/"):
            return translate_response(response)
        return response
