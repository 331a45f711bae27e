"""The reader of approval chain YAML: walks the composed nodes, checks every key and value against
the format, and builds the `Definition`, collecting every problem with its line, column and field
path (see app.workflow.definitions for the format and the routing rules)."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from dataclasses import replace

import yaml

from app.workflow.parser_approvers import ApproverReader
from app.workflow.parser_words import _quote_list, _suggest
from app.workflow.conditions import STEP_FIELDS, SUBMITTER_FIELDS, ConditionError, _, compile_condition
from app.workflow.chain import (
    BRANCH_KEYS, CC_KEYS, COMMENT_ACTIONS, DURATION_RE, EMPTY_APPROVERS, END, ESCALATE_TO, EVENTS,
    INACTIVE_APPROVER, MAX_SOURCE, MODES, NAME_RE, ON_REJECT, ON_TIMEOUT, ROOT_KEYS, SELF_APPROVAL,
    SELF_APPROVAL_RETIRED, SETTINGS_KEYS, SIGNATURE, SLA_KEYS, STEP_KEYS, WITHDRAW, Branch, CcRule, Definition, Problem, Settings, Sla, StepDef,
)

_STR, _INT, _BOOL, _NULL = ("tag:yaml.org,2002:" + t for t in ("str", "int", "bool", "null"))


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "").strip()
    if problem == "mapping values are not allowed here":
        return _("A ':' is not allowed here; check the indentation of this line.")
    if problem == "could not find expected ':'":
        return _("Expected 'key: value' here; check the indentation.")
    if problem.startswith("expected <block end>"):
        return _("This line is not indented like the lines around it.")
    if "'\\t'" in problem:
        return _("Tabs cannot be used for indentation; use spaces.")
    return _("YAML syntax error: %(problem)s", problem=problem or str(exc))


def _kind(node) -> str:
    if isinstance(node, yaml.MappingNode):
        return _("a mapping")
    if isinstance(node, yaml.SequenceNode):
        return _("a list")
    return {
        _STR: _("text"), _INT: _("a whole number"), _BOOL: _("true/false"), _NULL: _("nothing"),
    }.get(node.tag, _("a number") if node.tag.endswith(":float") else _("a value"))


class _Reader:
    """Walks composed YAML nodes, converting values and collecting problems."""

    def __init__(self, filename: str, text: str):
        self.filename = filename
        self.lines = text.splitlines()
        self.problems: list = []

    def add(self, node, path: str, message: str, column: int | None = None) -> None:
        mark = node.start_mark if node is not None else None
        line = mark.line + 1 if mark else 1
        col = column if column is not None else (mark.column + 1 if mark else 1)
        self.problems.append(Problem(self.filename, line, col, path or "(root)", message))

    # -- shapes --
    def mapping(self, node, path: str, allowed, required=()) -> dict | None:
        """{key: (key_node, value_node)}; None (with a problem) when node is not a mapping."""
        if not isinstance(node, yaml.MappingNode):
            self.add(node, path, _("Expected %(expected)s, found %(found)s.", expected=_("a mapping"), found=_kind(node)))
            return None
        result: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            key_path = f"{path}.{key}" if path else str(key)
            if key is None:
                self.add(key_node, path, _("Keys must be plain names."))
            elif key in result:
                self.add(key_node, key_path, _("The key '%(key)s' appears twice (first on line %(line)d).",
                                               key=key, line=result[key][0].start_mark.line + 1))
            elif key not in allowed:
                self.add(key_node, key_path, _("Unknown key '%(key)s'.", key=key) + _suggest(key, allowed))
            else:
                result[key] = (key_node, value_node)
        for key in required:
            if key not in result:
                self.add(node, f"{path}.{key}" if path else key, _("The required key '%(key)s' is missing.", key=key))
        return result

    def sequence(self, node, path: str, allow_scalar: bool = False) -> list | None:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if allow_scalar and isinstance(node, yaml.ScalarNode) and node.tag == _STR:
            return [node]
        self.add(node, path, _("Expected %(expected)s, found %(found)s.", expected=_("a list"), found=_kind(node)))
        return None

    def text(self, node, path: str, pattern: re.Pattern | None = None) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR:
            hint = " " + _("Put it in quotes if it is meant as text.") if isinstance(node, yaml.ScalarNode) \
                and node.tag != _NULL else ""
            self.add(node, path, _("Expected %(expected)s, found %(found)s.", expected=_("text"), found=_kind(node)) + hint)
            return None
        value = node.value.strip()
        if not value:
            self.add(node, path, _("This must not be empty."))
            return None
        if pattern is not None and not pattern.match(value):
            self.add(node, path, _("'%(value)s' is not a valid name: use lower-case letters, digits and _, starting with a letter.",
                                   value=value))
            return None
        return value

    def choice(self, node, path: str, choices) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (_STR, _BOOL):
            self.add(node, path, _("Expected one of: %(choices)s.", choices=_quote_list(choices)))
            return None
        value = node.value.strip()
        if value not in choices:
            self.add(node, path, _("Unknown value '%(value)s'; expected one of: %(choices)s.",
                                   value=value, choices=_quote_list(choices)) + _suggest(value, choices))
            return None
        return value

    def boolean(self, node, path: str) -> bool | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL:
            self.add(node, path, _("Expected %(expected)s, found %(found)s.", expected=_("true/false"), found=_kind(node)))
            return None
        return node.value.strip().lower() in ("true", "yes", "on", "y")

    def integer(self, node, path: str, minimum: int = 1) -> int | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _INT:
            self.add(node, path, _("Expected %(expected)s, found %(found)s.", expected=_("a whole number"), found=_kind(node)))
            return None
        value = yaml.SafeLoader("").construct_yaml_int(node)
        if value < minimum:
            self.add(node, path, _("Must be at least %(minimum)d.", minimum=minimum))
            return None
        return value

    def duration(self, node, path: str) -> timedelta | None:
        text = node.value.strip() if isinstance(node, yaml.ScalarNode) and node.tag in (_STR, _INT) else None
        match = DURATION_RE.match(text or "")
        if not match or int(match.group(1)) == 0:
            self.add(node, path, _("'%(value)s' is not a duration; write minutes, hours or days, as in 30m, 24h or 3d.",
                                   value=text if text is not None else _kind(node)))
            return None
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return timedelta(**{unit: int(match.group(1))})

    def condition(self, node, path: str, fields: set | None, document: str | None) -> Condition | None:
        source = self.text(node, path)
        if source is None:
            return None
        try:
            condition = compile_condition(node.value)
        except ConditionError as exc:
            self.add(node, path, _("Invalid condition: %(reason)s", reason=exc.message), self._column_in(node, exc.column))
            return None
        for root, known in (("submitter", SUBMITTER_FIELDS), ("step", STEP_FIELDS)):
            for name in sorted(condition.reads[root] - known):
                self.add(node, path, _("The condition reads %(root)s.%(field)s, but %(root)s has no field %(field)s; "
                                       "it has %(known)s.", root=root, field=name, known=_quote_list(sorted(known)))
                         + _suggest(name, known))
        if fields is not None:
            unknown = sorted(condition.fields - fields)
            for name in unknown:
                self.add(node, path, _("The condition reads doc.%(field)s, but %(document)s has no field %(field)s.",
                                       field=name, document=document) + _suggest(name, fields))
            samples = getattr(self, "samples", None)
            if samples and not unknown:
                self._probe(node, path, condition, samples, document)
        return condition

    def _probe(self, node, path: str, condition: Condition, samples: dict, document: str | None) -> None:
        """Evaluate the condition on sample documents of the document type's own column types
        (every field filled): a comparison of a number with a text, a result that is not a
        yes/no, an invalid regular expression fail here as they would on every real document."""
        for pick in (0, 1):
            context = {"doc": {name: values[pick] for name, values in samples.items()},
                       "submitter": {"id": 1, "username": "someone", "department": "部门", "department_code": "D1",
                                     "roles": ["Sales"]},
                       "step": {"id": "step", "name": "step"}}
            try:
                condition.evaluate(context)
            except ConditionError as exc:
                self.add(node, path, _("The condition cannot be evaluated on this document type (%(document)s): %(reason)s",
                                       document=document, reason=exc.message),
                         self._column_in(node, exc.column))
                return

    def _column_in(self, node, offset: int | None) -> int | None:
        """The file column of position `offset` inside a one-line scalar, when it can be told."""
        mark, end = node.start_mark, node.end_mark
        if offset is None or mark.line != end.line or mark.line >= len(self.lines):
            return None
        raw = self.lines[mark.line][mark.column:end.column]
        if node.style is None and raw == node.value:
            return mark.column + offset
        if node.style in ("'", '"') and raw[1:-1] == node.value:
            return mark.column + 1 + offset
        return None

    def field_names(self, node, path: str, fields: set | None, document: str | None) -> tuple:
        items = self.sequence(node, path)
        if items is None:
            return ()
        names = []
        for pos, item in enumerate(items):
            name = self.text(item, f"{path}[{pos}]")
            if name is None:
                continue
            if fields is not None and name not in fields:
                self.add(item, f"{path}[{pos}]", _("%(document)s has no field %(field)s.", document=document, field=name)
                         + _suggest(name, fields))
            names.append(name)
        return tuple(names)


def _compose(text: str, reader: _Reader):
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reader.problems.append(Problem(reader.filename, (mark.line + 1) if mark else 1, (mark.column + 1) if mark else 1,
                                       "(yaml)", _yaml_message(exc)))
    except yaml.YAMLError as exc:
        reader.problems.append(Problem(reader.filename, 1, 1, "(yaml)", _("YAML syntax error: %(problem)s", problem=str(exc))))
    return None


# -- reading a definition ---------------------------------------------------------------------------
class ChainParser(ApproverReader):
    def __init__(self, text: str, filename: str, documents: dict | None, allow_missing_document: bool):
        self.text = text
        self.r = _Reader(filename, text)
        self.documents = documents
        self.allow_missing_document = allow_missing_document
        self.document: str | None = None
        self.fields: set | None = None
        self.name_node = None

    def parse(self) -> Definition | None:
        r = self.r
        if len(self.text) > MAX_SOURCE:
            r.add(None, "(root)", _("The file is larger than %(size)d characters.", size=MAX_SOURCE))
            return None
        root = _compose(self.text, r)
        if r.problems:
            return None
        if root is None:
            r.add(None, "(root)", _("The file is empty."))
            return None
        top = r.mapping(root, "", ROOT_KEYS, required=("name", "title", "document", "steps"))
        if top is None:
            return None
        name = title = None
        if "name" in top:
            self.name_node = top["name"][1]
            name = r.text(top["name"][1], "name", NAME_RE)
        if "title" in top:
            title = r.text(top["title"][1], "title")
        if "document" in top:
            self._read_document(top["document"][1])
        admin = r.text(top["admin"][1], "admin") if "admin" in top else "admin"
        settings = self._settings(top["settings"][1]) if "settings" in top else Settings()
        cc = self._cc_rules(top["cc"][1], "cc", "cc") if "cc" in top else ()
        steps = self._steps(top["steps"][1], settings.sla) if "steps" in top else ()
        if r.problems:
            return None
        definition = Definition(name=name, title=title, document=self.document, admin=admin, settings=settings,
                                steps=steps, cc=cc, source=self.text,
                                digest=hashlib.sha256(self.text.encode("utf-8")).hexdigest())
        self._check_loops(definition, top["steps"][1])
        if not r.problems:
            self._check_reachable(definition, top["steps"][1])
        return None if r.problems else definition

    def _check_reachable(self, definition: Definition, steps_node) -> None:
        """Every step must lie on some route from the first step: a step no `next` leads to
        would never ask anyone."""
        reached, todo = set(), [definition.steps[0].id]
        while todo:
            step_id = todo.pop()
            if step_id == END or step_id in reached:
                continue
            reached.add(step_id)
            todo.extend(definition._possible_successors(definition.step(step_id)))
        for pos, step in enumerate(definition.steps):
            if step.id not in reached:
                step_node = steps_node.value[pos]
                where = next((v for k, v in step_node.value if k.value == "id"), step_node)
                self.r.add(where, f"steps[{pos}]", _("No route reaches step %(step)s: no step before it leads "
                                                     "to it.", step=step.id))

    def _read_document(self, node) -> None:
        document = self.r.text(node, "document")
        if document is None:
            return
        self.document = document
        if self.documents is None:
            return
        if document in self.documents:
            self.fields = set(self.documents[document])
            if isinstance(self.documents[document], dict):
                self.r.samples = self.documents[document]
        elif not self.allow_missing_document:
            self.r.add(node, "document", _("Unknown document type '%(document)s'.", document=document)
                       + _suggest(document, self.documents))

    # -- settings --
    def _settings(self, node) -> Settings:
        r = self.r
        values = r.mapping(node, "settings", SETTINGS_KEYS)
        if values is None:
            return Settings()
        out = {}
        if "self_approval" in values:
            node_value = values["self_approval"][1]
            if isinstance(node_value, yaml.ScalarNode) and node_value.value.strip() == SELF_APPROVAL_RETIRED:
                if self.documents is not None:   # checking or publishing: refused
                    r.add(node_value, "settings.self_approval",
                          _("self_approval: allow is no longer offered: a submitter never decides on their own "
                            "document at any step. Write escalate_to_manager (their manager decides in their place) "
                            "or skip (their own place in a step is passed)."))
                values = {k: v for k, v in values.items() if k != "self_approval"}
                out["self_approval"] = "escalate_to_manager"   # a version published before: the same rule
        for key, choices in (("self_approval", SELF_APPROVAL), ("empty_approvers", EMPTY_APPROVERS),
                             ("inactive_approver", INACTIVE_APPROVER), ("on_reject", ON_REJECT),
                             ("withdraw", WITHDRAW)):
            if key in values:
                out[key] = r.choice(values[key][1], f"settings.{key}", choices)
        if "auto_pass_duplicates" in values:
            out["auto_pass_duplicates"] = r.boolean(values["auto_pass_duplicates"][1], "settings.auto_pass_duplicates")
        if "comment_required" in values:
            items = r.sequence(values["comment_required"][1], "settings.comment_required")
            if items is not None:
                out["comment_required"] = frozenset(
                    v for pos, item in enumerate(items)
                    if (v := r.choice(item, f"settings.comment_required[{pos}]", COMMENT_ACTIONS)) is not None)
        if "locked_fields" in values:
            out["locked_fields"] = r.field_names(values["locked_fields"][1], "settings.locked_fields",
                                                 self.fields, self.document)
        if "sla" in values:
            out["sla"] = self._sla(values["sla"][1], "settings.sla", Sla())
        return Settings(**{k: v for k, v in out.items() if v is not None})

    def _sla(self, node, path: str, base: Sla) -> Sla:
        r = self.r
        values = r.mapping(node, path, SLA_KEYS)
        if values is None:
            return base
        out = {}
        for key in ("remind_after", "escalate_after"):
            if key in values:
                out[key] = r.duration(values[key][1], f"{path}.{key}")
        if "on_timeout" in values:
            out["on_timeout"] = r.choice(values["on_timeout"][1], f"{path}.on_timeout", ON_TIMEOUT)
        if "escalate_to" in values:
            out["escalate_to"] = r.choice(values["escalate_to"][1], f"{path}.escalate_to", ESCALATE_TO)
        merged = Sla(**{**base.__dict__, **{k: v for k, v in out.items() if v is not None}})
        if merged.remind_after and merged.escalate_after and merged.remind_after >= merged.escalate_after:
            where = values.get("escalate_after") or values.get("remind_after")
            r.add(where[1], f"{path}.{where[0].value}", _("The reminder must come before the escalation."))
        return merged

    # -- approvers and cc --
    def _approvers(self, node, path: str, cc: bool = False) -> tuple:
        items = self.r.sequence(node, path)
        if items is None:
            return ()
        return tuple(rule for pos, item in enumerate(items)
                     if (rule := self._approver(item, f"{path}[{pos}]", cc)))

    def _keyed_picks(self, rules: tuple, key: str, node, path: str) -> tuple:
        """The rules with the key the submitter's choice is kept under; one choice per list."""
        picks = [rule for rule in rules if rule.kind == "submitter_picks"]
        if len(picks) > 1:
            self.r.add(node, path, _("Only one submitter_picks may be written here; the submitter chooses "
                                     "everyone in it at once (multiple: true)."))
        return tuple(replace(rule, pick_key=key) if rule.kind == "submitter_picks" else rule for rule in rules)

    def _cc_rules(self, node, path: str, key: str = "cc") -> tuple:
        r = self.r
        items = r.sequence(node, path)
        if items is None:
            return ()
        rules, picks = [], 0
        for pos, item in enumerate(items):
            rule_path = f"{path}[{pos}]"
            values = r.mapping(item, rule_path, CC_KEYS, required=CC_KEYS)
            if values is None or "on" not in values or "to" not in values:
                continue
            events = r.sequence(values["on"][1], f"{rule_path}.on", allow_scalar=True) or []
            on = frozenset(e for i, event in enumerate(events)
                           if (e := r.choice(event, f"{rule_path}.on[{i}]", EVENTS)) is not None)
            to = self._approvers(values["to"][1], f"{rule_path}.to", cc=True)
            picks += sum(rule.kind == "submitter_picks" for rule in to)
            to = self._keyed_picks(to, key, values["to"][1], f"{rule_path}.to") if picks <= 1 else to
            if picks > 1:
                r.add(values["to"][1], f"{rule_path}.to", _("Only one submitter_picks may be written in these CC "
                                                           "rules; the submitter chooses everyone copied at once."))
            if isinstance(values["to"][1], yaml.SequenceNode) and not values["to"][1].value:
                r.add(values["to"][1], f"{rule_path}.to", _("Name at least one recipient."))
            rules.append(CcRule(on, to))
        return tuple(rules)

    # -- steps --
    def _steps(self, node, sla: Sla) -> tuple:
        r = self.r
        items = r.sequence(node, "steps")
        if items is None:
            return ()
        if not items:
            r.add(node, "steps", _("A chain needs at least one step."))
            return ()
        # Ids first: `next` may point forward.
        ids: dict = {}
        for pos, item in enumerate(items):
            if isinstance(item, yaml.MappingNode):
                for key_node, value_node in item.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == "id" \
                            and isinstance(value_node, yaml.ScalarNode) and value_node.tag == _STR:
                        step_id = value_node.value.strip()
                        if step_id in ids:
                            r.add(value_node, f"steps[{pos}].id",
                                  _("The step id '%(id)s' is used twice (first by steps[%(first)d]).", id=step_id,
                                    first=ids[step_id]))
                        else:
                            ids[step_id] = pos
        steps = []
        for pos, item in enumerate(items):
            step = self._step(item, f"steps[{pos}]", ids, sla)
            if step is not None:
                steps.append(step)
        return tuple(steps)

    def _step(self, node, path: str, ids: dict, sla: Sla) -> StepDef | None:
        r = self.r
        values = r.mapping(node, path, STEP_KEYS, required=("id", "name", "approvers"))
        if values is None:
            return None
        step_id = None
        if "id" in values:
            step_id = r.text(values["id"][1], f"{path}.id", NAME_RE)
            if step_id == END:
                r.add(values["id"][1], f"{path}.id", _("'end' is reserved for the end of the chain."))
                step_id = None
        name = r.text(values["name"][1], f"{path}.name") if "name" in values else None
        approvers = self._approvers(values["approvers"][1], f"{path}.approvers") if "approvers" in values else ()
        if step_id is not None and approvers:
            approvers = self._keyed_picks(approvers, f"step:{step_id}", values["approvers"][1], f"{path}.approvers")
        chained = any(rule.kind == "manager_chain" for rule in approvers)
        mode = r.choice(values["mode"][1], f"{path}.mode", MODES) if "mode" in values else \
            ("sequential" if chained else "any")
        if chained and mode not in (None, "sequential"):
            r.add(values["mode"][1], f"{path}.mode", _("manager_chain asks each manager in turn: write mode: "
                                                       "sequential, or leave mode out."))
        quorum = None
        if "quorum" in values:
            quorum = r.integer(values["quorum"][1], f"{path}.quorum")
            if mode is not None and mode != "quorum":
                r.add(values["quorum"][0], f"{path}.quorum", _("quorum only goes with mode: quorum."))
        if mode == "quorum":
            if "quorum" not in values:
                r.add(node, f"{path}.quorum", _("mode: quorum needs quorum: N (how many approvals are enough)."))
            elif quorum is not None and approvers and all(a.kind == "user" for a in approvers):
                users = len({a.value for a in approvers})
                if quorum > users:
                    r.add(values["quorum"][1], f"{path}.quorum",
                          _("quorum is %(quorum)d, but only %(count)d approvers are named.", quorum=quorum, count=users))
        when = r.condition(values["when"][1], f"{path}.when", self.fields, self.document) if "when" in values else None
        branches = self._next(values["next"][1], f"{path}.next", ids) if "next" in values else ()
        editable = r.field_names(values["editable_fields"][1], f"{path}.editable_fields", self.fields, self.document) \
            if "editable_fields" in values else ()
        step_sla = self._sla(values["sla"][1], f"{path}.sla", sla) if "sla" in values else sla
        cc = self._cc_rules(values["cc"][1], f"{path}.cc", f"cc:{step_id}") if "cc" in values else ()
        signature = r.choice(values["signature"][1], f"{path}.signature", SIGNATURE) if "signature" in values \
            else "optional"
        if step_id is None or name is None or mode is None:
            return None
        return StepDef(id=step_id, name=name, approvers=approvers, mode=mode, quorum=quorum, when=when, next=branches,
                       editable_fields=editable, sla=step_sla, cc=cc, signature=signature or "optional")

    def _target(self, node, path: str, ids: dict) -> str | None:
        target = self.r.text(node, path)
        if target is None:
            return None
        if target != END and target not in ids:
            self.r.add(node, path, _("Unknown step '%(step)s'.", step=target) + _suggest(target, list(ids) + [END]))
            return None
        return target

    def _next(self, node, path: str, ids: dict) -> tuple:
        r = self.r
        if isinstance(node, yaml.ScalarNode):
            target = self._target(node, path, ids)
            return (Branch(None, target),) if target else ()
        items = r.sequence(node, path)
        if items is None:
            return ()
        if not items:
            r.add(node, path, _("Name a step, end, or at least one branch."))
            return ()
        branches = []
        for pos, item in enumerate(items):
            branch_path = f"{path}[{pos}]"
            values = r.mapping(item, branch_path, BRANCH_KEYS, required=("to",))
            if values is None:
                continue
            when = r.condition(values["when"][1], f"{branch_path}.when", self.fields, self.document) \
                if "when" in values else None
            target = self._target(values["to"][1], f"{branch_path}.to", ids) if "to" in values else None
            if target is not None and ("when" not in values or when is not None):
                branches.append(Branch(when, target))
        return tuple(branches)

    def _check_loops(self, definition: Definition, steps_node) -> None:
        """A route is fixed by the document, so a cycle through `next` would never end."""
        state: dict = {}
        for start in definition.steps:
            if state.get(start.id):
                continue
            state[start.id] = 1
            trail = [start.id]
            stack = [(start.id, iter(definition._possible_successors(start)))]
            while stack:
                step_id, successors = stack[-1]
                nxt = next(successors, None)
                if nxt is None:
                    state[step_id] = 2
                    stack.pop()
                    trail.pop()
                    continue
                if nxt == END or state.get(nxt) == 2:
                    continue
                if state.get(nxt) == 1:
                    loop = trail[trail.index(nxt):] + [nxt]
                    pos = definition._index[step_id]
                    step_node = steps_node.value[pos]
                    where = next((v for k, v in step_node.value if k.value == "next"), step_node)
                    self.r.add(where, f"steps[{pos}].next",
                               _("The chain loops: %(loop)s.", loop=" → ".join(loop)))
                    return
                state[nxt] = 1
                trail.append(nxt)
                stack.append((nxt, iter(definition._possible_successors(definition.step(nxt)))))
