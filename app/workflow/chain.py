"""An approval chain as the engine uses it: a validated, compiled, immutable `Definition` with its
steps, approver rules, branches, time limits and settings, and the problems a definition can have.
parser.py builds one from YAML; definitions.py reads and checks files.

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

from app.workflow.conditions import Condition, ConditionError, _

END = "end"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
DURATION_RE = re.compile(r"^([0-9]+)\s*([mhd])$")
MAX_SOURCE = 200_000

SELF_APPROVAL = ("escalate_to_manager", "skip")
SELF_APPROVAL_RETIRED = "allow"   # read from versions published before it was retired, as escalate_to_manager
EMPTY_APPROVERS = ("admin", "auto_approve", "reject")
INACTIVE_APPROVER = ("manager", "admin")
ON_REJECT = ("end", "return_to_submitter")
WITHDRAW = ("anytime", "before_first_approval", "never")
COMMENT_ACTIONS = ("approve", "reject", "return", "transfer", "add_signer", "withdraw")
ON_TIMEOUT = ("escalate", "auto_approve", "auto_reject")
ESCALATE_TO = ("manager", "admin")
MODES = ("any", "all", "sequential", "quorum")
EVENTS = ("submitted", "approved", "rejected", "returned", "withdrawn", "step_done")
APPROVER_KINDS = ("user", "role", "department_head", "manager_of", "manager_chain", "submitter_picks", "field", "admin")
MAX_LEVELS = 20                   # manager_of / manager_chain levels: a deeper line is a mistake
PICKS_FROM = ("role", "users", "department", "any")
MANAGER_CHAIN_KEYS = ("levels", "until_role")
PICKS_KEYS = ("from", "multiple", "min")
DEPARTMENT_HEAD_KEYS = ("department", "field")

ROOT_KEYS = ("name", "title", "document", "admin", "settings", "cc", "steps")
SETTINGS_KEYS = ("self_approval", "auto_pass_duplicates", "empty_approvers", "inactive_approver", "on_reject",
                 "withdraw", "comment_required", "locked_fields", "sla")
SLA_KEYS = ("remind_after", "escalate_after", "on_timeout", "escalate_to")
STEP_KEYS = ("id", "name", "approvers", "mode", "quorum", "when", "next", "editable_fields", "sla", "cc",
             "signature")
SIGNATURE = ("optional", "required")   # a step's approvers decide with a handwritten signature
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
    """kind is one of user, role, department_head, manager_of, manager_chain, submitter_picks,
    field, admin; value is the user name, role name, department code or name (or "submitter"),
    "submitter", the allowed set of a pick ((kind, names): ("role", ("财务",)), ("users", (…)),
    ("department", ("FIN",)), ("any", ())), a field name, or True.

    manager_chain: `levels` managers up the line (or up to and including the first holding
    `until_role`). department_head: `from_field` names the document field holding the department.
    submitter_picks: `multiple`, `min`, and `pick_key`, under which the submitter's choice is kept
    on the approval ("step:<id>", "cc:<step id>" or "cc")."""

    kind: str
    value: object
    levels: int = 1
    until_role: str | None = None
    from_field: str | None = None
    multiple: bool = False
    min: int = 1
    pick_key: str = ""


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
    self_approval: str = "escalate_to_manager"
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
    signature: str = "optional"   # "required": approving or rejecting asks for a drawn signature


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
