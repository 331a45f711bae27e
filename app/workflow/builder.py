"""The visual chain builder's model: an approval chain as plain JSON-ready data, read from and
written back to the chain YAML (the one source of truth the YAML editor and `workflows check` use).

The model is the YAML's own structure, except that each condition (`when` of a step or of a
branch) is a list of clauses ``{"field", "op", "value"}`` joined by ``"and"``/``"or"``, so an admin
picks a field, an operator and a value instead of typing an expression. A condition the clauses
cannot express (brackets, mixed 且/或, other roots) is kept as ``{"expression": "..."}`` and is
written back unchanged."""
from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

import yaml
from flask_babel import gettext as _

OPERATORS = ("==", "!=", ">", ">=", "<", "<=")
JOINS = {"and": "&&", "or": "||"}
NUMBER_OPERATORS = OPERATORS
TEXT_OPERATORS = ("==", "!=")
BOOL_OPERATORS = ("==", "!=")

_FIELD = r"doc\.([a-z_][a-z0-9_]*)"
_LITERAL = r'(true|false|-?\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*")'
_CLAUSE_RE = re.compile(rf"^\s*{_FIELD}\s*(==|!=|>=|<=|>|<)\s*{_LITERAL}\s*$")
_BARE_BOOL_RE = re.compile(rf"^\s*(!?){_FIELD}\s*$")
_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


class _Loader(yaml.SafeLoader):
    """YAML as the chain reader sees it: only true/false are yes/no (`on:` stays a key)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


class BuilderError(ValueError):
    """The builder's input cannot become chain YAML; the message is for the admin."""


# -- YAML -> model --
def _clause(text: str) -> dict | None:
    match = _CLAUSE_RE.match(text)
    if match:
        field, op, literal = match.groups()
        return {"field": field, "op": op, "value": json.loads(literal)}
    match = _BARE_BOOL_RE.match(text)
    if match:
        return {"field": match.group(2), "op": "==", "value": not match.group(1)}
    return None


def condition_to_model(text) -> dict | None:
    """A `when` expression as builder clauses, or {"expression": text} when clauses cannot say it."""
    if text is None:
        return None
    text = str(text)
    if "(" in text or ")" in text or ("&&" in text and "||" in text):
        return {"expression": text}
    join = "or" if "||" in text else "and"
    clauses = [_clause(part) for part in text.split(JOINS[join])]
    if not clauses or any(c is None for c in clauses):
        return {"expression": text}
    return {"join": join, "clauses": clauses}


def _step_to_model(step: dict) -> dict:
    step = dict(step)
    if "when" in step:
        step["when"] = condition_to_model(step["when"])
    if isinstance(step.get("next"), list):
        step["next"] = [dict(branch, when=condition_to_model(branch["when"])) if isinstance(branch, dict)
                        and "when" in branch else branch for branch in step["next"]]
    return step


def yaml_to_model(source: str) -> dict:
    """The builder model of a chain's YAML text (comments are not kept)."""
    try:
        data = yaml.load(source, Loader=_Loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise BuilderError(_("The chain text is not valid YAML.")) from exc
    if not isinstance(data, dict):
        raise BuilderError(_("The chain text is not a mapping of keys and values."))
    model = dict(data)
    model["steps"] = [_step_to_model(s) if isinstance(s, dict) else s for s in data.get("steps") or []]
    return model


# -- model -> YAML --
def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, str):
        try:
            Decimal(value)
        except InvalidOperation:
            return json.dumps(value, ensure_ascii=False)
        if re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
            return value.strip()
        return json.dumps(value, ensure_ascii=False)
    raise BuilderError(_("A condition's value must be a number, text or yes/no."))


def model_to_condition(model, where: str) -> str | None:
    """The `when` expression of builder clauses; BuilderError names the step when they are incomplete."""
    if model in (None, "", {}):
        return None
    if isinstance(model, str):
        raise BuilderError(_("%(where)s: choose the condition's field, operator and value.", where=where))
    if not isinstance(model, dict):
        raise BuilderError(_("%(where)s: the condition is not understood.", where=where))
    if "expression" in model:
        text = str(model["expression"] or "").strip()
        if not text:
            raise BuilderError(_("%(where)s: the condition is empty.", where=where))
        return text
    join = model.get("join", "and")
    if join not in JOINS:
        raise BuilderError(_("%(where)s: clauses are combined with 且 or 或.", where=where))
    clauses = model.get("clauses") or []
    if not isinstance(clauses, list) or not clauses:
        raise BuilderError(_("%(where)s: the condition has no clauses.", where=where))
    parts = []
    for n, clause in enumerate(clauses, 1):
        if not isinstance(clause, dict):
            raise BuilderError(_("%(where)s: clause %(n)d is not understood.", where=where, n=n))
        field, op, value = clause.get("field"), clause.get("op"), clause.get("value")
        if not isinstance(field, str) or not _NAME_RE.match(field):
            raise BuilderError(_("%(where)s: clause %(n)d has no field chosen.", where=where, n=n))
        if op not in OPERATORS:
            raise BuilderError(_("%(where)s: clause %(n)d has no operator chosen.", where=where, n=n))
        if value is None or value == "":
            raise BuilderError(_("%(where)s: clause %(n)d has no value.", where=where, n=n))
        parts.append(f"doc.{field} {op} {_literal(value)}")
    return f" {JOINS[join]} ".join(parts)


def _clean(value):
    """`value` without empty entries (what the builder's blank inputs leave)."""
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _step_to_yaml(step, n: int) -> dict:
    if not isinstance(step, dict):
        raise BuilderError(_("Step %(n)d is not understood.", n=n))
    where = _("Step %(n)d", n=n)
    out = {}
    for key, value in step.items():
        if value in (None, "", [], {}) and key != "when":
            continue
        if key == "when":
            condition = model_to_condition(value, where)
            if condition is not None:
                out["when"] = condition
        elif key == "next" and isinstance(value, list):
            out["next"] = [dict(b, when=model_to_condition(b.get("when"), where))
                           if isinstance(b, dict) and b.get("when") not in (None, "", {}) else b for b in value]
        else:
            out[key] = _clean(value)
    return {k: v for k, v in out.items() if v not in (None, "", [], {})}


def model_to_yaml(model) -> str:
    """The chain YAML of a builder model; BuilderError (a message for the admin) when it is malformed."""
    if not isinstance(model, dict):
        raise BuilderError(_("The builder sent no chain."))
    steps = model.get("steps")
    if not isinstance(steps, list) or not steps:
        raise BuilderError(_("A chain needs at least one step."))
    data = _clean({key: value for key, value in model.items() if key != "steps"})
    data["steps"] = [_step_to_yaml(step, n) for n, step in enumerate(steps, 1)]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
