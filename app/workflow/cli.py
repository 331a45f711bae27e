"""`run.py workflows ...`: check approval chain files and preview a document's route.

    workflows check [FILE ...]      validate (default: every workflows/*.yaml); exit 1 when invalid;
                                    warns of users, roles and departments the database lacks
    workflows route NAME --doc JSON [--submitter USERNAME]
                                    the steps a document with those fields would pass through
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import Boolean, Date, DateTime, Numeric

from app.workflow.conditions import ConditionError, _
from app.workflow.definitions import (Definition, check_files, declared_document, definition_files, describe_rule,
                                      installed_documents)

WORKFLOWS_DIR = Path(__file__).resolve().parent.parent.parent / "workflows"

workflows_group = AppGroup("workflows", help="Approval chains: check definitions, preview routes.")


def _shown(path: Path) -> Path:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return path.relative_to(Path.cwd()) if path.is_absolute() else path
    except ValueError:
        return path


@workflows_group.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def check_command(files):
    """Validate approval chain files (default: every workflows/*.yaml)."""
    paths = list(files) or definition_files(WORKFLOWS_DIR)
    if not paths:
        click.echo(_("No definition files found in %(folder)s.", folder=_shown(WORKFLOWS_DIR)), err=True)
        raise SystemExit(1)
    documents = installed_documents()
    if not files:
        # Shipped chains of modules this installation does not have wait for them: they are
        # neither checked nor published (seeding skips them too). A file named on the command
        # line is checked whatever its document type, and an unknown one is an error.
        waiting = [p for p in paths if _waiting_for_module(p, documents)]
        for path in waiting:
            click.echo(_("%(file)s: skipped: the document type %(document)s is not installed; the chain is "
                         "neither checked nor published until its module is.", file=_shown(path),
                         document=declared_document(path.read_text(encoding="utf-8"))), err=True)
        paths = [p for p in paths if p not in waiting]
    definitions, problems = check_files([_shown(path) for path in paths], documents, allow_missing_document=False)
    for problem in problems:
        click.echo(str(problem))
    for definition in definitions:
        for notice in _unknown_names(definition):
            click.echo(_("%(definition)s: warning: %(notice)s", definition=definition.name, notice=notice), err=True)
    if problems:
        raise SystemExit(1)
    click.echo(_("%(count)d definitions OK", count=len(definitions)))


def _waiting_for_module(path: Path, documents: dict) -> bool:
    try:
        document = declared_document(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False
    return document is not None and document not in documents


def _unknown_names(definition) -> list[str]:
    """Names the chain uses that the database lacks; nothing when there is no database yet."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.extensions import db
    from app.workflow.publishing import unknown_names

    try:
        return unknown_names(definition)
    except SQLAlchemyError:
        db.session.rollback()
        return []


def find_definition(name: str) -> tuple[Definition | None, str]:
    """(the chain called `name`, where it came from): the version published in the database when
    there is one, else the valid file of that name in the workflows folder."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.extensions import db
    from app.workflow.engine import active_definition

    try:
        version, definition = active_definition(name)
    except SQLAlchemyError:  # a database without the workflow tables yet: read the files
        db.session.rollback()
        version, definition = None, None
    if definition is not None:
        return definition, _("published version %(number)s", number=version.number)
    documents = installed_documents()
    for file in definition_files(WORKFLOWS_DIR):
        definitions, _problems = check_files([_shown(file)], documents)
        if definitions and definitions[0].name == name:
            return definitions[0], str(_shown(file))
    return None, ""


def typed_document(values: dict, document: str) -> dict:
    """JSON values of a document given on the command line, typed as the model's columns are:
    dates and times from ISO text, money as Decimal."""
    from app.core.registry import registry

    spec = registry.specs.get(document)
    if spec is None:
        return values
    columns = {column.key: column for column in spec.model.__table__.columns}
    typed = dict(values)
    for key, value in values.items():
        column = columns.get(key)
        if column is None or value is None:
            continue
        try:
            if isinstance(column.type, DateTime) and isinstance(value, str):
                typed[key] = dt.datetime.fromisoformat(value)
            elif isinstance(column.type, Date) and isinstance(value, str):
                typed[key] = dt.date.fromisoformat(value)
            elif isinstance(column.type, Numeric) and isinstance(value, (int, float, str, Decimal)) \
                    and not isinstance(value, bool):
                amount = Decimal(str(value))
                if not amount.is_finite():
                    raise ValueError(value)
                scale = column.type.scale
                # Stored as the column keeps it (100000.004 is 100000.00 in a 2-decimal column).
                typed[key] = amount.quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP) if scale is not None else amount
            elif isinstance(column.type, Boolean) and isinstance(value, str):
                # A yes/no given as text means what it says ("false" is no), as a form would read it.
                word = value.strip().lower()
                if word in ("true", "yes", "1", "是", "y", "t"):
                    typed[key] = True
                elif word in ("false", "no", "0", "否", "n", "f", ""):
                    typed[key] = False
                else:
                    raise ValueError(value)
        except (ValueError, ArithmeticError):
            raise ValueError(_("The value of %(field)s is not valid: %(value)s", field=key, value=value)) from None
    return typed


def submitter_context(user) -> dict:
    """What conditions see as `submitter` (empty values when no submitter is named)."""
    from app.workflow.documents import submitter_values

    if user is None:
        return {"id": None, "username": "", "department": "", "department_code": "", "roles": []}
    return submitter_values(user)


def _fail(message: str) -> None:
    click.echo(_("Error: %(message)s", message=message), err=True)
    raise SystemExit(2)


@workflows_group.command("route")
@click.argument("name")
@click.option("--doc", "doc_json", default="{}", show_default=True,
              help='The document\'s fields as a JSON object, e.g. \'{"amount": 150000}\'.')
@click.option("--submitter", "username", default=None, help="User name of the person submitting.")
def route_command(name, doc_json, username):
    """Show the steps a document with these fields would pass through."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from app.core.org import User
    from app.extensions import db

    definition, origin = find_definition(name)
    if definition is None:
        _fail(_("There is no valid approval chain named %(name)s.", name=name))
    try:
        values = json.loads(doc_json, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        _fail(_("--doc is not valid JSON: %(reason)s", reason=str(exc)))
    if not isinstance(values, dict):
        _fail(_("--doc must be a JSON object, as in {\"amount\": 150000}."))
    try:
        values = typed_document(values, definition.document)
    except ValueError as exc:
        _fail(str(exc))
    user = None
    if username:
        try:
            user = db.session.scalar(select(User).where(User.username == username))
        except SQLAlchemyError:
            db.session.rollback()
            _fail(_("The database is not set up yet; run `python run.py init` first."))
        if user is None:
            _fail(_("There is no user named %(name)s.", name=username))
    context = {"doc": values, "submitter": submitter_context(user)}
    try:
        steps = definition.route(context)
    except ConditionError as exc:
        _fail(_("A condition cannot be evaluated for this document: %(reason)s", reason=exc.message))

    try:
        from app.workflow.resolver import describe_approvers
    except ImportError:
        describe_approvers = None

    click.echo(f"{definition.name} ({definition.title}) — {origin}")
    if not steps:
        click.echo(_("No step applies: the document would be approved at once."))
        return
    for number, step in enumerate(steps, 1):
        mode = step.mode if step.mode != "quorum" else f"quorum {step.quorum}"
        click.echo(f"{number}. {step.id}  {step.name}  [{mode}]")
        rules = [describe_rule(rule) for rule in step.approvers] or [_("nobody named: empty approvers rule applies")]
        click.echo("   " + _("approvers: %(rules)s", rules="; ".join(rules)))
        if describe_approvers is not None and user is not None:
            people = describe_approvers(definition, step, context, user)
            click.echo("   " + _("would ask: %(people)s", people=", ".join(people) if people else "—"))
