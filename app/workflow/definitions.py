"""Approval chain definitions: YAML text → a validated, compiled, immutable `Definition`.

One file per chain (workflows/<name>.yaml; the format is described in README.md and in
workflows/contract_approval.yaml). `parse_definition` reads the YAML as composed nodes, so every
problem it reports names the file, line, column and field path of the offending node, and it
reports all problems at once. Nothing of a definition is executed while checking it: conditions
are compiled by app.workflow.conditions, which refuses anything outside its allow-list.

Routing rules (used by `Definition.route` and `Definition.next_step`):
- a document starts at the first step;
- a step whose `when` is false is skipped: the document passes through it as if it had been
  approved without anyone being asked, and goes on by that step's own `next`;
- `next` is a step id, "end", or a list of branches: the first branch whose `when` is true (or
  that has no `when`) wins; when none wins, or `next` is absent, the following step in the list
  is taken, and after the last step the chain ends.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from app.workflow.conditions import Condition, ConditionError, _

END = "end"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
DURATION_RE = re.compile(r"^([0-9]+)\s*([mhd])$")
MAX_SOURCE = 200_000

SELF_APPROVAL = ("allow", "skip", "escalate_to_manager")
EMPTY_APPROVERS = ("admin", "auto_approve", "reject")
INACTIVE_APPROVER = ("manager", "admin")
ON_REJECT = ("end", "return_to_submitter")
WITHDRAW = ("anytime", "before_first_approval", "never")
COMMENT_ACTIONS = ("approve", "reject", "return", "transfer")
ON_TIMEOUT = ("escalate", "auto_approve", "auto_reject")
ESCALATE_TO = ("manager", "admin")
MODES = ("any", "all", "sequential", "quorum")
EVENTS = ("submitted", "approved", "rejected", "returned", "withdrawn", "step_done")
APPROVER_KINDS = ("user", "role", "department_head", "manager_of", "field", "admin")

ROOT_KEYS = ("name", "title", "document", "admin", "settings", "cc", "steps")
SETTINGS_KEYS = ("self_approval", "auto_pass_duplicates", "empty_approvers", "inactive_approver", "on_reject",
                 "withdraw", "comment_required", "locked_fields", "sla")
SLA_KEYS = ("remind_after", "escalate_after", "on_timeout", "escalate_to")
STEP_KEYS = ("id", "name", "approvers", "mode", "quorum", "when", "next", "editable_fields", "sla", "cc")
BRANCH_KEYS = ("when", "to")
CC_KEYS = ("on", "to")



# -- the compiled definition ---------------------------------------------------------------------
@dataclass(frozen=True)
class Sla:
    remind_after: timedelta | None = None
    escalate_after: timedelta | None = None
    on_timeout: str = "escalate"
    escalate_to: str = "manager"


@dataclass(frozen=True)
class ApproverRule:
    """kind is one of user, role, department_head, manager_of, field, admin; value is the user
    name, role name, department code (or "submitter"), "submitter", column name, or True."""

    kind: str
    value: object
    levels: int = 1


@dataclass(frozen=True)
class CcRule:
    on: frozenset
    to: tuple


@dataclass(frozen=True)
class Branch:
    when: Condition | None
    to: str  # a step id or "end"


@dataclass(frozen=True)
class Settings:
    self_approval: str = "allow"
    auto_pass_duplicates: bool = True
    empty_approvers: str = "admin"
    inactive_approver: str = "manager"
    on_reject: str = "return_to_submitter"
    withdraw: str = "before_first_approval"
    comment_required: frozenset = frozenset({"reject", "return"})
    locked_fields: tuple = ()
    sla: Sla = Sla()


@dataclass(frozen=True)
class StepDef:
    id: str
    name: str
    approvers: tuple = ()
    mode: str = "any"
    quorum: int | None = None
    when: Condition | None = None
    next: tuple = ()          # Branch, ...; empty: the following step
    editable_fields: tuple = ()
    sla: Sla = Sla()          # the step's own, merged over settings.sla
    cc: tuple = ()


def _step_context(context, step: StepDef) -> dict:
    """What a condition on `step` sees. `context` is the dict, or a function giving it (called
    only when a condition is met, so a chain without conditions never reads the document)."""
    if callable(context):
        context = context()
    return {**context, "step": {"id": step.id, "name": step.name}}


@dataclass(frozen=True)
class Definition:
    name: str
    title: str
    document: str
    admin: str
    settings: Settings
    steps: tuple
    cc: tuple
    source: str
    digest: str
    _index: dict = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        object.__setattr__(self, "_index", {step.id: pos for pos, step in enumerate(self.steps)})

    def step(self, step_id: str) -> StepDef:
        """The step with this id; KeyError when the definition has none."""
        return self.steps[self._index[step_id]]

    @property
    def first_step_ids(self) -> tuple:
        """Ids of the steps a document may meet first, in list order: the first step, and when it
        has a `when`, every step it can lead to, and so on through steps with a `when`."""
        found, todo, seen = set(), [self.steps[0].id], set()
        while todo:
            step_id = todo.pop()
            if step_id == END or step_id in seen:
                continue
            seen.add(step_id)
            found.add(step_id)
            step = self.step(step_id)
            if step.when is not None:
                todo.extend(self._possible_successors(step))
        return tuple(s.id for s in self.steps if s.id in found)

    def _following(self, step: StepDef) -> str:
        pos = self._index[step.id] + 1
        return self.steps[pos].id if pos < len(self.steps) else END

    def _possible_successors(self, step: StepDef) -> list:
        targets = [b.to for b in step.next]
        if not step.next or all(b.when is not None for b in step.next):
            targets.append(self._following(step))
        return targets

    def _successor(self, step: StepDef, context: dict) -> str:
        """Where a document goes after `step`: the first branch that applies, else the following step."""
        if step.next:
            here = _step_context(context, step)
            for branch in step.next:
                if branch.when is None or branch.when.evaluate(here):
                    return branch.to
        return self._following(step)

    def _land(self, step_id: str, context: dict, seen: set) -> StepDef | None:
        """The first step from `step_id` on that applies to this document (skipping steps whose
        `when` is false); None when the chain ends first."""
        while step_id != END:
            if step_id in seen:
                raise ConditionError(_("The chain %(name)s loops back to step %(step)s.", name=self.name, step=step_id))
            seen.add(step_id)
            step = self.step(step_id)
            if step.when is None or step.when.evaluate(_step_context(context, step)):
                return step
            step_id = self._successor(step, context)
        return None

    def next_step(self, step_id: str, context: dict) -> StepDef | None:
        """The step after `step_id` for this document; None means the chain ends.

        Raises ConditionError when a condition cannot be evaluated on this document."""
        step = self.step(step_id)
        return self._land(self._successor(step, context), context, {step_id})

    def route(self, context: dict) -> list:
        """The steps a document with this context passes through from the start, in order.

        Raises ConditionError when a condition cannot be evaluated on this document."""
        seen: set = set()
        steps = []
        step = self._land(self.steps[0].id, context, seen)
        while step is not None:
            steps.append(step)
            step = self._land(self._successor(step, context), context, seen)
        return steps


# -- problems ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.path}: {self.message}"


class DefinitionError(Exception):
    """One or more definitions are invalid; `.problems` lists every problem found."""

    def __init__(self, problems: list):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


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
    from app.workflow.parser import ChainParser

    parser = ChainParser(text, filename, documents, allow_missing_document)
    definition = parser.parse()
    problems = sorted(parser.r.problems, key=lambda p: (p.line, p.column))
    return definition, problems, parser.name_node


def definition_files(path="workflows") -> list:
    folder = Path(path)
    return sorted(list(folder.glob("*.yaml")) + list(folder.glob("*.yml")))


def check_files(files, documents: dict | None = None) -> tuple:
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
        definition, file_problems, name_node = _parse(text, str(file), documents, True)
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
    """{document type: its column names} of the installed modules (an app must be running)."""
    from app.core.registry import registry

    return {name: {column.key for column in spec.model.__table__.columns} for name, spec in registry.specs.items()}


def describe_rule(rule: ApproverRule) -> str:
    """An approver rule in words, for screens and the command line."""
    if rule.kind == "user":
        return _("user %(name)s", name=rule.value)
    if rule.kind == "role":
        from app.core.names import role_label

        return _("role %(name)s", name=role_label(rule.value))
    if rule.kind == "department_head":
        if rule.value == "submitter":
            return _("head of the submitter's department")
        return _("head of department %(code)s", code=rule.value)
    if rule.kind == "manager_of":
        if rule.levels == 1:
            return _("the submitter's manager")
        return _("the submitter's manager, %(levels)d levels up", levels=rule.levels)
    if rule.kind == "field":
        return _("the user in the document's field %(field)s", field=rule.value)
    return _("the workflow admin")
