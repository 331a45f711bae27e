"""The condition language of approval chains: a checked subset of CEL (Common Expression Language).

A condition such as ``doc.amount > 100000 && !doc.standard_terms`` decides whether a step
applies or which branch a chain takes. Conditions come from admins, so they are never handed to
Python: cel-python parses them into a tree, and `compile_condition` walks that tree and refuses,
before anything runs, every construct outside a small allow-list — names other than the roots
`doc`, `submitter` and `step`, fields starting with an underscore, functions and methods not
listed below, message construction, root-scoped names (`.x`), too long or too deeply nested
input. What passes is evaluated by cel-python's tree-walking interpreter (never its transpiler,
which uses exec), on plain values converted to CEL types.
"""
from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

from flask import has_app_context


class _Imported:
    """A package imported on first use: the CEL language (celpy, lark, re2: about 3 MB) is loaded
    when a condition is compiled or evaluated, not by every web process at start."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)


celpy = _Imported("celpy")
lark = _Imported("lark")

MAX_LENGTH = 500
# Evaluation recurses once per tree level; CEL's own parse trees are about ten levels per
# bracket, so this allows any sensible condition and keeps far from Python's recursion limit.
MAX_DEPTH = 250

ROOTS = frozenset({"doc", "submitter", "step"})
# What the engine puts under `submitter` and `step` (doc holds the document's columns).
SUBMITTER_FIELDS = frozenset({"id", "username", "department", "department_code", "roles"})
STEP_FIELDS = frozenset({"id", "name"})
FUNCTIONS = frozenset({"size", "has", "int", "double", "string", "timestamp", "duration"})
METHODS = frozenset({"size", "startsWith", "endsWith", "contains", "matches"})


def _(msgid: str, **params) -> str:
    """gettext when an app is there to say which language, else the English msgid."""
    if has_app_context():
        from flask_babel import gettext

        return gettext(msgid, **params)
    return msgid % params if params else msgid


class ConditionError(Exception):
    """A condition was refused (at compile time) or could not be evaluated for a document.

    `message` is translated and reads well for an admin; `column` is the 1-based position of the
    offending part in the condition's source, when known.
    """

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return self.message


_ENVIRONMENT = None


def _environment() -> celpy.Environment:
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = celpy.Environment(runner_class=celpy.InterpretedRunner)
    return _ENVIRONMENT


def _offset(source: str, line: int | None, column: int | None) -> int | None:
    """(line, column) as cel-python reports them → 1-based position in the whole source."""
    if line is None or column is None:
        return None
    lines = source.split("\n")
    return sum(len(text) + 1 for text in lines[: max(line - 1, 0)]) + column


def _position(source: str, node) -> int | None:
    if isinstance(node, lark.Token):
        return _offset(source, node.line, node.column)
    meta = getattr(node, "meta", None)
    if meta is None or getattr(meta, "empty", True):
        return None
    return _offset(source, meta.line, meta.column)


def _root_name(member: lark.Tree) -> str | None:
    """'doc' for a `member` node that is just the identifier doc."""
    if member.data != "member" or len(member.children) != 1:
        return None
    primary = member.children[0]
    if not isinstance(primary, lark.Tree) or primary.data != "primary" or len(primary.children) != 1:
        return None
    ident = primary.children[0]
    if isinstance(ident, lark.Tree) and ident.data == "ident":
        return str(ident.children[0])
    return None


def _string_literal(expr) -> str | None:
    """The value of an `expr` node that is a single plain string literal, else None."""
    node = expr
    while isinstance(node, lark.Tree) and len(node.children) == 1 and node.data != "literal":
        node = node.children[0]
    if isinstance(node, lark.Tree) and node.data == "literal":
        token = node.children[0]
        if token.type == "STRING_LIT" and token.value[:1] in "\"'":
            body = token.value[1:-1]
            if "\\" not in body:
                return body
    return None


def _is_field_selection(call: lark.Tree) -> bool:
    """has(x.y): exactly one argument, and that argument is a field selection."""
    args = [c for c in call.children[1:] if isinstance(c, lark.Tree)]
    if len(args) != 1 or len(args[0].children) != 1:
        return False
    node = args[0].children[0]
    while isinstance(node, lark.Tree) and len(node.children) == 1 and node.data != "member":
        node = node.children[0]
    return isinstance(node, lark.Tree) and node.data == "member" and isinstance(node.children[0], lark.Tree) \
        and node.children[0].data == "member_dot"


def _check(source: str, tree: lark.Tree) -> dict[str, frozenset[str]]:
    """Refuse everything outside the allow-list; return {root: names read from it}."""
    reads: dict[str, set[str]] = {root: set() for root in ROOTS}
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ConditionError(_("The condition is nested too deeply."), _position(source, node))
        if isinstance(node, lark.Token):
            continue
        kind = node.data
        if kind == "ident":
            name = str(node.children[0])
            if name not in ROOTS:
                raise ConditionError(
                    _("Unknown name '%(name)s': a condition may only read doc, submitter and step.", name=name),
                    _position(source, node))
        elif kind in ("dot_ident", "dot_ident_arg"):
            raise ConditionError(_("Names starting with a dot are not allowed."), _position(source, node))
        elif kind == "member_object":
            raise ConditionError(_("Building objects is not allowed in a condition."), _position(source, node))
        elif kind in ("member_dot", "member_dot_arg"):
            name_token = node.children[1]
            name = str(name_token)
            if name.startswith("_"):
                raise ConditionError(_("Names starting with an underscore are not allowed: '%(name)s'.", name=name),
                                     _position(source, name_token))
            if kind == "member_dot_arg" and name not in METHODS:
                raise ConditionError(
                    _("The method '%(name)s' is not allowed; allowed methods: %(allowed)s.",
                      name=name, allowed=", ".join(sorted(METHODS))),
                    _position(source, name_token))
            root = _root_name(node.children[0]) if kind == "member_dot" else None
            if root in reads:
                reads[root].add(name)
        elif kind == "member_index":
            root = _root_name(node.children[0])
            if root in reads:
                key = _string_literal(node.children[1])
                if key is None:
                    raise ConditionError(_("A field must be named by a plain string, as in doc[\"amount\"]."),
                                         _position(source, node.children[1]))
                if key.startswith("_"):
                    raise ConditionError(_("Names starting with an underscore are not allowed: '%(name)s'.", name=key),
                                         _position(source, node.children[1]))
                reads[root].add(key)
        elif kind == "ident_arg":
            name_token = node.children[0]
            name = str(name_token)
            if name not in FUNCTIONS:
                raise ConditionError(
                    _("The function '%(name)s' is not allowed; allowed functions: %(allowed)s.",
                      name=name, allowed=", ".join(sorted(FUNCTIONS))),
                    _position(source, name_token))
            if name == "has" and not _is_field_selection(node):
                raise ConditionError(_("has() takes a field, as in has(doc.notes)."), _position(source, name_token))
        for child in node.children:
            stack.append((child, depth + 1))
    return {root: frozenset(names) for root, names in reads.items()}


class Condition:
    """A compiled, checked condition. Compare and hash by source text.

    `fields` are the `doc.<x>` names it reads; `reads` maps each root (doc, submitter, step) to
    the names read from it."""

    __slots__ = ("source", "fields", "reads", "_program")

    def __init__(self, source: str, reads: dict, program):
        self.source = source
        self.reads = reads
        self.fields = reads["doc"]
        self._program = program

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Condition) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def evaluate(self, context: dict) -> bool:
        """True or False for this document; ConditionError (translated) when it cannot tell."""
        activation = {name: to_cel(value) for name, value in context.items() if name in ROOTS}
        try:
            result = self._program.evaluate(activation)
        except celpy.CELEvalError as exc:
            raise ConditionError(_explain(exc), _offset(self.source, exc.line, exc.column)) from None
        except RecursionError:
            raise ConditionError(_("The condition is nested too deeply.")) from None
        except ConditionError:
            raise
        except Exception as exc:  # cel-python lets some type errors through as plain Python ones
            raise ConditionError(_("The condition could not be evaluated: %(reason)s", reason=str(exc)[:200])) from None
        if isinstance(result, celpy.CELEvalError):
            raise ConditionError(_explain(result), _offset(self.source, result.line, result.column))
        if not isinstance(result, celpy.celtypes.BoolType):
            raise ConditionError(_("The condition must give true or false, not %(value)s.", value=_show(result)))
        return bool(result)


def _show(value) -> str:
    text = "null" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _explain(exc: Exception) -> str:
    """A short message for an evaluation error (cel-python's own may dump the whole activation)."""
    args = exc.args
    cause = args[1] if len(args) > 1 else None
    text = str(args[0]) if args else ""
    if cause is KeyError:
        if text.startswith("no such member in mapping: "):
            return _("There is no field %(name)s.", name=text.split(": ", 1)[1])
        return _("A name in the condition has no value.")
    if "match error" in text or "error parsing regexp" in text or "missing )" in text:
        return _("The regular expression is invalid.")
    if cause is ZeroDivisionError:
        return _("Division by zero.")
    if cause is TypeError or "no matching overload" in text:
        return _("The values in the condition have types that cannot be combined this way.")
    return _("The condition could not be evaluated: %(reason)s", reason=text[:200])


def to_cel(value):
    """Plain Python (JSON-like, plus Decimal, date, datetime, timedelta) → CEL values."""
    if value is None:
        return None
    if hasattr(value, "cel_value"):   # values read only when a condition needs them (custom fields)
        return to_cel(value.cel_value())
    if isinstance(value, bool):
        return celpy.celtypes.BoolType(value)
    if isinstance(value, int):
        return celpy.celtypes.IntType(value)
    if isinstance(value, (float, Decimal)):
        return celpy.celtypes.DoubleType(float(value))
    if isinstance(value, str):
        return celpy.celtypes.StringType(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)  # stored times are UTC
        return celpy.celtypes.TimestampType(value.astimezone(dt.timezone.utc))
    if isinstance(value, dt.date):
        return celpy.celtypes.TimestampType(dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc))
    if isinstance(value, dt.timedelta):
        return celpy.celtypes.DurationType(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return celpy.celtypes.ListType([to_cel(item) for item in value])
    if isinstance(value, dict):
        return celpy.celtypes.MapType({celpy.celtypes.StringType(str(k)): to_cel(v) for k, v in value.items()})
    raise ConditionError(_("A value of type %(type)s cannot be used in a condition.", type=type(value).__name__))


def compile_condition(source: str) -> Condition:
    """Parse and check a condition; raises ConditionError before anything can run."""
    if not isinstance(source, str):
        raise ConditionError(_("A condition must be text."))
    if not source.strip():
        raise ConditionError(_("The condition is empty."))
    if len(source) > MAX_LENGTH:
        raise ConditionError(_("The condition is longer than %(max)d characters.", max=MAX_LENGTH), MAX_LENGTH + 1)
    environment = _environment()
    try:
        tree = environment.compile(source)
    except celpy.CELParseError as exc:
        column = _offset(source, exc.line, exc.column)
        cause = exc.__context__
        at_end = getattr(getattr(cause, "token", None), "type", None) == "$END"
        if at_end or column is None or column > len(source.rstrip()):
            message = _("Syntax error: the condition ends too early.")
            column = len(source.rstrip()) + 1
        else:
            message = _("Syntax error at column %(column)d, near '%(text)s'.",
                        column=column, text=source[column - 1:column + 9].split("\n")[0])
        raise ConditionError(message, column) from None
    except RecursionError:
        raise ConditionError(_("The condition is nested too deeply.")) from None
    reads = _check(source, tree)
    return Condition(source, reads, environment.program(tree))
