"""Approval chains in the database: publish (a new immutable version), roll back, export, and
the first-run seeding from workflows/*.yaml. After the first run the database is the source
of truth; the YAML folder only seeds chains the database does not have yet."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.workflow.definitions import (DefinitionError, declared_document, definition_files, installed_documents,
                                      parse_definition)
from app.workflow.models import WorkflowDefinition, WorkflowVersion

WORKFLOWS_DIR = Path(__file__).resolve().parent.parent.parent / "workflows"


class InvalidDefinition(ValidationErrors):
    """A definition that does not validate; `problems` are the file:line:column messages."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__({"source": [str(p) for p in problems]}, code="workflow.invalid_definition")


def validate(source: str, filename: str = "<editor>", shipped: bool = False):
    """The compiled Definition, or InvalidDefinition listing every problem (line, column, path).
    A chain for a document type no installed module has is refused (publishing never makes up a
    document type); `shipped` is kept for callers and changes nothing."""
    try:
        return parse_definition(source, filename=filename, documents=installed_documents(),
                                allow_missing_document=False)
    except DefinitionError as exc:
        raise InvalidDefinition(exc.problems) from exc


def unknown_names(definition) -> list[str]:
    """What the chain names that this database does not have: users (approvers, CC, the chain's
    admin), roles and department codes. The chain still publishes (people may be added later),
    but until then such a rule asks nobody and the step goes by `empty_approvers`."""
    from flask_appbuilder.security.sqla.models import Role

    from app.core.org import Department, User

    rules = [(_("step %(step)s", step=step.id), rule) for step in definition.steps for rule in step.approvers]
    rules += [(_("step %(step)s, CC", step=step.id), rule) for step in definition.steps for cc in step.cc
              for rule in cc.to]
    rules += [(_("CC"), rule) for cc in definition.cc for rule in cc.to]
    wanted: dict = {"user": {definition.admin or "admin"}, "role": set(), "department_head": set()}
    named = []   # (where, kind, name) of every name a rule uses
    for where, rule in rules:
        if rule.kind in ("user", "role"):
            named.append((where, rule.kind, rule.value))
        elif rule.kind == "department_head" and rule.value not in (None, "submitter"):
            named.append((where, "department_head", rule.value))
        elif rule.kind == "manager_chain" and rule.until_role:
            named.append((where, "role", rule.until_role))
        elif rule.kind == "submitter_picks" and rule.value[0] != "any":
            kind = {"users": "user", "role": "role", "department": "department_head"}[rule.value[0]]
            named += [(where, kind, name) for name in rule.value[1]]
    for _where, kind, name in named:
        wanted[kind].add(name)
    known = {
        "user": set(db.session.scalars(select(User.username).where(User.username.in_(wanted["user"])))),
        "role": set(db.session.scalars(select(Role.name).where(Role.name.in_(wanted["role"])))) if wanted["role"] else set(),
        "department_head": set(db.session.scalars(select(Department.code).where(
            Department.code.in_(wanted["department_head"])))) | set(db.session.scalars(select(Department.name).where(
                Department.name.in_(wanted["department_head"])))) if wanted["department_head"] else set(),
    }
    found = []
    if (definition.admin or "admin") not in known["user"]:
        found.append(_("admin: there is no user named %(name)s.", name=definition.admin or "admin"))
    seen = set()
    for where, kind, name in named:
        if name in known[kind] or (where, kind, name) in seen:
            continue
        seen.add((where, kind, name))
        message = {"user": _("there is no user named %(name)s.", name=name),
                   "role": _("there is no role named %(name)s.", name=name),
                   "department_head": _("there is no department with the code or name %(name)s.", name=name)}[kind]
        found.append(f"{where}: {message}")
    found += _picks_shortfalls(definition)
    return found + quorum_shortfalls(definition)


def _picks_shortfalls(definition) -> list[str]:
    """submitter_picks rules whose `min` is more than the active people they allow today."""
    from app.workflow.picks import choice_count, pickers

    found = []
    for picker in pickers(definition, None):
        if picker.rule.min > 1 and choice_count(picker, None) < picker.rule.min:
            found.append(_("%(where)s: the submitter must choose at least %(min)d people, but fewer can be chosen "
                           "today.", where=picker.label, min=picker.rule.min))
    return found


def quorum_shortfalls(definition) -> list[str]:
    """Quorum steps that ask for more votes than the active people their rules can name today
    (users and role members; a manager or department head counts as one): at run time the
    chain's admin makes up the shortfall."""
    from flask_appbuilder.security.sqla.models import Role

    from app.core.org import User

    found = []
    for step in definition.steps:
        if step.mode != "quorum":
            continue
        people: set = set()
        for rule in step.approvers:
            if rule.kind == "user":
                people |= set(db.session.scalars(select(User.id).where(User.username == rule.value,
                                                                        User.active.is_(True))))
            elif rule.kind == "role":
                people |= set(db.session.scalars(select(User.id).join(User.roles).where(
                    Role.name == rule.value, User.active.is_(True))))
            else:
                people.add(f"{rule.kind}:{rule.value}")
        if len(people) < (step.quorum or 1):
            found.append(_("step %(step)s: the quorum asks for %(quorum)d approvals but only %(count)d active "
                           "people can be asked; the workflow admin will make up the shortfall.",
                           step=step.id, quorum=step.quorum or 1, count=len(people)))
    return found


def publish(actor, source: str, note: str | None = None, filename: str = "<editor>",
            expected_name: str | None = None, shipped: bool = False) -> WorkflowVersion:
    """Validate and publish `source` as the next version of its chain; new submissions use it,
    running instances stay on theirs. Invalid text changes nothing."""
    definition = validate(source, filename, shipped)
    if expected_name and definition.name != expected_name:
        raise DomainError("workflow.renamed", _("The chain's name cannot be changed here (it is %(name)s).",
                                                name=expected_name), field="source")
    with unit_of_work(actor):
        row = db.session.scalar(select(WorkflowDefinition).where(WorkflowDefinition.name == definition.name)
                                .with_for_update())
        if row is None:
            row = WorkflowDefinition(name=definition.name, title=definition.title, document=definition.document,
                                     created_at=utcnow())
            db.session.add(row)
            db.session.flush()
        elif row.document != definition.document:
            raise DomainError("workflow.document_changed",
                              _("A chain cannot move to another document type; create a new chain instead."),
                              field="source")
        number = (db.session.scalar(select(func.max(WorkflowVersion.number))
                                    .where(WorkflowVersion.definition_id == row.id)) or 0) + 1
        version = WorkflowVersion(definition_id=row.id, number=number, source=source,
                                  digest=hashlib.sha256(source.encode("utf-8")).hexdigest(), note=note,
                                  published_by_id=getattr(actor, "id", None), published_at=utcnow())
        db.session.add(version)
        db.session.flush()
        row.title = definition.title
        row.active_version_id = version.id
    return version


def roll_back(actor, name: str, number: int) -> WorkflowVersion:
    """Make an earlier version's text current again, as a new version (history stays whole)."""
    row = get_definition(name)
    old = db.session.scalar(select(WorkflowVersion).where(WorkflowVersion.definition_id == row.id,
                                                          WorkflowVersion.number == number))
    if old is None:
        raise NotFound("workflow.no_version", _("Version %(number)s does not exist.", number=number))
    return publish(actor, old.source, note=_("Rolled back to version %(number)s", number=number),
                   expected_name=name)


def get_definition(name: str) -> WorkflowDefinition:
    row = db.session.scalar(select(WorkflowDefinition).where(WorkflowDefinition.name == name))
    if row is None:
        raise NotFound("workflow.no_definition", _("The approval chain %(name)s does not exist.", name=name))
    return row


def versions_of(name: str) -> list[WorkflowVersion]:
    row = get_definition(name)
    return list(db.session.scalars(select(WorkflowVersion).where(WorkflowVersion.definition_id == row.id)
                                   .order_by(WorkflowVersion.number.desc())))


def seed_from_directory(path: Path = WORKFLOWS_DIR) -> list[str]:
    """Publish each YAML chain the database does not know yet (first run, or a newly shipped
    chain). Returns the names published. Raises InvalidDefinition for a broken shipped file."""
    published = []
    known = set(db.session.scalars(select(WorkflowDefinition.name)))
    documents = installed_documents()
    for file in definition_files(path):
        source = file.read_text(encoding="utf-8")
        if declared_document(source) not in documents:
            continue   # a chain for a module not installed: published once its module is
        definition = validate(source, str(file), shipped=True)
        if definition.name in known:
            continue
        publish(None, source, note=_("Shipped version"), filename=str(file), shipped=True)
        published.append(definition.name)
    return published
