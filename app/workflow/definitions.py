"""Approval chain definitions: YAML text → a validated, compiled, immutable `Definition`
(app/workflow/chain.py).

One file per chain (workflows/<name>.yaml; the format is described in README.md and in
workflows/contract_approval.yaml). `parse_definition` reads the YAML as composed nodes, so every
problem it reports names the file, line, column and field path of the offending node, and it
reports all problems at once. Nothing of a definition is executed while checking it: conditions
are compiled by app.workflow.conditions, which refuses anything outside its allow-list.
"""
from __future__ import annotations

from pathlib import Path

from app.workflow.conditions import _
from app.workflow.chain import (  # noqa: F401  (the chain's types, used with these functions)
    END, NAME_RE, DURATION_RE, MAX_SOURCE, SELF_APPROVAL, EMPTY_APPROVERS, INACTIVE_APPROVER, ON_REJECT,
    WITHDRAW, COMMENT_ACTIONS, ON_TIMEOUT, ESCALATE_TO, MODES, EVENTS, APPROVER_KINDS, ROOT_KEYS,
    SETTINGS_KEYS, SLA_KEYS, STEP_KEYS, BRANCH_KEYS, CC_KEYS, Sla, ApproverRule, CcRule, Branch, Settings,
    StepDef, _step_context, Definition, Problem, DefinitionError,
)
from app.workflow.parser import ChainParser


def parse_definition(text: str, filename: str = "<text>", documents: dict | None = None,
                     allow_missing_document: bool = False) -> Definition:
    """Validate and compile one definition; raises DefinitionError listing every problem.

    `documents` ({document type: its field names}), when given, also checks that the document
    type exists and that every field the definition names (locked and editable fields, `field:`
    approvers, `doc.<x>` in conditions) is real. With `allow_missing_document`, a document type
    absent from `documents` (a module not installed) is accepted without those field checks.
    """
    definition, problems, _node = _parse(text, filename, documents, allow_missing_document)
    if problems:
        raise DefinitionError(problems)
    return definition


def _parse(text, filename, documents, allow_missing_document):
    parser = ChainParser(text, filename, documents, allow_missing_document)
    definition = parser.parse()
    problems = sorted(parser.r.problems, key=lambda p: (p.line, p.column))
    return definition, problems, parser.name_node


def declared_document(text: str) -> str | None:
    """The `document:` a chain's text names, read without checking anything else (None when it
    cannot be told)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    value = data.get("document") if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) else None


def definition_files(path="workflows") -> list:
    folder = Path(path)
    return sorted(list(folder.glob("*.yaml")) + list(folder.glob("*.yml")))


def check_files(files, documents: dict | None = None, allow_missing_document: bool = True) -> tuple:
    """(valid definitions, problems) of the files, in the given order. Chain names must be unique
    across them; document types not in `documents` (modules not installed) are accepted
    without field checks. A file is named in problems as `str(file)`."""
    definitions, problems, seen = [], [], {}
    for file in files:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(file), 1, 1, "(root)", _("Cannot read the file: %(reason)s",
                                                                 reason=getattr(exc, "strerror", None) or str(exc))))
            continue
        definition, file_problems, name_node = _parse(text, str(file), documents, allow_missing_document)
        problems.extend(file_problems)
        if definition is None:
            continue
        if definition.name in seen:
            mark = name_node.start_mark
            problems.append(Problem(str(file), mark.line + 1, mark.column + 1, "name",
                                    _("The chain name %(name)s is already used by %(file)s.",
                                      name=definition.name, file=seen[definition.name])))
            continue
        seen[definition.name] = str(file)
        definitions.append(definition)
    return definitions, problems


def load_directory(path="workflows", documents: dict | None = None) -> list:
    """Every definition in the folder, sorted by file name; raises DefinitionError with all files'
    problems. Document types not in `documents` (modules not installed) are accepted unchecked."""
    definitions, problems = check_files(definition_files(path), documents)
    if problems:
        raise DefinitionError(problems)
    return definitions


def installed_documents() -> dict:
    """{document type: {column name: two sample values of its type}} of the installed modules
    (an app must be running). The samples let a check evaluate conditions as they will run."""
    from app.core.registry import registry

    return {name: {column.key: (_custom_samples(name) if column.key == "custom" else _samples(column))
                   for column in spec.model.__table__.columns}
            for name, spec in registry.specs.items()}


CUSTOM_SAMPLES = {"text": ("abc", ""), "textarea": ("abc", ""), "integer": (1000, 0),
                  "decimal": ("100000.00", "0"), "date": ("2026-01-01", "2020-06-30"),
                  "datetime": ("2026-01-01T08:00:00+00:00", "2020-06-30T23:59:00+00:00"),
                  "choice": ("a", "b"), "multichoice": (["a"], []), "boolean": (True, False), "user": (1, 2)}


def _custom_samples(module: str) -> tuple:
    """Two sample `doc.custom` maps of the module's active custom fields, typed by their kinds:
    a condition on a custom field is checked like one on a column."""
    from flask import has_app_context

    from app.core.custom_fields.definitions import fields_of
    from app.core.custom_fields.values import load
    from app.extensions import db

    if not has_app_context():   # the check of files without an app: no custom fields known
        return ({}, {})
    try:
        fields = fields_of(module)
    except Exception:   # no database yet (a check before `run.py init`): no custom fields known
        db.session.rollback()
        return ({}, {})
    return tuple({f.name: load(f, CUSTOM_SAMPLES.get(f.kind, (None, None))[pick]) for f in fields} for pick in (0, 1))


def _samples(column) -> tuple:
    """Two filled values of a column's type (None for a type a condition cannot read)."""
    import datetime as dt
    from decimal import Decimal

    try:
        kind = column.type.python_type
    except NotImplementedError:
        return (None, None)
    if kind is bool:
        return (True, False)
    if kind is int:
        return (1000, 0)
    if kind in (float, Decimal):
        return (Decimal("100000.00"), Decimal("0"))
    if kind is str:
        return ("abc", "")
    if kind is dt.datetime:
        return (dt.datetime(2026, 1, 1, 8, 0), dt.datetime(2020, 6, 30, 23, 59))
    if kind is dt.date:
        return (dt.date(2026, 1, 1), dt.date(2020, 6, 30))
    return (None, None)


def describe_rule(rule: ApproverRule) -> str:
    """An approver rule in words, for screens and the command line."""
    if rule.kind == "user":
        return _("user %(name)s", name=rule.value)
    if rule.kind == "role":
        from app.core.names import role_label

        return _("role %(name)s", name=role_label(rule.value))
    if rule.kind == "department_head":
        if rule.from_field:
            return _("head of the department in the document's field %(field)s", field=rule.from_field)
        if rule.value == "submitter":
            return _("head of the submitter's department")
        return _("head of department %(code)s", code=rule.value)
    if rule.kind == "manager_of":
        if rule.levels == 1:
            return _("the submitter's manager")
        return _("the submitter's manager, %(levels)d levels up", levels=rule.levels)
    if rule.kind == "manager_chain":
        if rule.until_role:
            from app.core.names import role_label

            return _("the submitter's managers one after another, up to %(role)s (at most %(levels)d levels)",
                     role=role_label(rule.until_role), levels=rule.levels)
        return _("the submitter's managers one after another, %(levels)d levels up", levels=rule.levels)
    if rule.kind == "submitter_picks":
        from app.workflow.approver_kinds import describe_allowed

        return _("chosen by the submitter: %(who)s", who=describe_allowed(rule))
    if rule.kind == "field":
        return _("the user in the document's field %(field)s", field=rule.value)
    return _("the workflow admin")
