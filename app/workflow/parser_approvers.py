"""Reading one approver rule of a chain (a step's `approvers`, or a CC rule's `to`), every kind:

    - user: lisi                     - manager_of: submitter   (levels: N)
    - role: Finance                  - manager_chain: {levels: 3, until_role: GeneralManager}
    - department_head: LEGAL         - department_head: {department: 法务部} / {field: department_id}
    - field: owner_id                - submitter_picks: {from: {role: Finance}, multiple: true, min: 1}
    - admin: true                      (from: any / {users: [a, b]} / {role: R} / {department: CODE})

Problems go to the parser's reader with line, column and field path, as every other problem."""
from __future__ import annotations

import yaml

from app.workflow.chain import (APPROVER_KINDS, DEPARTMENT_HEAD_KEYS, MANAGER_CHAIN_KEYS, MAX_LEVELS, PICKS_FROM,
                                PICKS_KEYS, ApproverRule)
from app.workflow.conditions import _
from app.workflow.parser_words import _quote_list, _suggest


def form_fields(document: str | None) -> dict | None:
    """{field name: kind} of the fields a document type's forms define (approval forms), or None."""
    from app.workflow.person_fields import fields_of

    return fields_of(document) if document else None


class ApproverReader:
    """Mixed into ChainParser: needs `self.r`, `self.fields`, `self.document`."""

    def _approver(self, node, path: str, cc: bool = False) -> ApproverRule | None:
        r = self.r
        values = r.mapping(node, path, APPROVER_KINDS + ("levels",))
        if values is None:
            return None
        kinds = [k for k in APPROVER_KINDS if k in values]
        if len(kinds) != 1:
            if not kinds:
                r.add(node, path, _("An approver needs exactly one of: %(kinds)s.", kinds=_quote_list(APPROVER_KINDS)))
            else:
                r.add(node, path, _("An approver takes exactly one of: %(kinds)s; found %(found)s.",
                                    kinds=_quote_list(APPROVER_KINDS), found=_quote_list(kinds)))
            return None
        kind = kinds[0]
        key_node, value_node = values[kind]
        kind_path = f"{path}.{kind}"
        levels = 1
        if "levels" in values:
            if kind != "manager_of":
                r.add(values["levels"][0], f"{path}.levels", _("levels only goes with manager_of."))
            else:
                levels = self._levels(values["levels"][1], f"{path}.levels") or 1
        if kind == "admin":
            if r.boolean(value_node, kind_path) is not True:
                r.add(value_node, kind_path, _("Write admin: true to ask the workflow admin."))
                return None
            return ApproverRule("admin", True)
        if kind == "manager_chain":
            return self._manager_chain(value_node, kind_path)
        if kind == "submitter_picks":
            return self._picks(value_node, kind_path, cc)
        if kind == "department_head" and isinstance(value_node, yaml.MappingNode):
            return self._department_head(value_node, kind_path)
        if kind == "manager_of":
            value = r.choice(value_node, kind_path, ("submitter",))
        else:
            value = r.text(value_node, kind_path)
        if value is None:
            return None
        if kind == "field" and not self._field_ok(value_node, kind_path, value, "person"):
            return None
        return ApproverRule(kind, value, levels)

    def _levels(self, node, path: str) -> int | None:
        levels = self.r.integer(node, path)
        if levels is not None and levels > MAX_LEVELS:
            self.r.add(node, path, _("levels is %(levels)d; at most %(most)d levels up can be asked.",
                                     levels=levels, most=MAX_LEVELS))
            return None
        return levels

    def _field_ok(self, node, path: str, name: str, kind: str) -> bool:
        """A document column, or a field of the document's forms of the right kind (person for an
        approver, department for a department head)."""
        if self.fields is None or name in self.fields:
            return True
        forms = form_fields(self.document) or {}
        if forms.get(name) == kind:
            return True

        if name in forms:
            wanted = _("a person") if kind == "person" else _("a department")
            self.r.add(node, path, _("The form field %(field)s is not %(kind)s field (it is of kind %(found)s).",
                                     field=name, kind=wanted, found=forms[name]))
        else:
            known = sorted(set(self.fields) | {n for n, k in forms.items() if k == kind})
            self.r.add(node, path, _("%(document)s has no field %(field)s.", document=self.document, field=name)
                       + _suggest(name, known))
        return False

    def _manager_chain(self, node, path: str) -> ApproverRule | None:
        r = self.r
        values = r.mapping(node, path, MANAGER_CHAIN_KEYS)
        if values is None:
            return None
        if not values:
            r.add(node, path, _("manager_chain needs levels: N, until_role: <role>, or both."))
            return None
        levels = self._levels(values["levels"][1], f"{path}.levels") if "levels" in values else MAX_LEVELS
        until = r.text(values["until_role"][1], f"{path}.until_role") if "until_role" in values else None
        if levels is None or ("until_role" in values and until is None):
            return None
        return ApproverRule("manager_chain", "submitter", levels=levels, until_role=until)

    def _department_head(self, node, path: str) -> ApproverRule | None:
        r = self.r
        values = r.mapping(node, path, DEPARTMENT_HEAD_KEYS)
        if values is None:
            return None
        if len(values) != 1:
            r.add(node, path, _("department_head takes one of: department: <code or name>, field: <field>."))
            return None
        key, (_key_node, value_node) = next(iter(values.items()))
        value = r.text(value_node, f"{path}.{key}")
        if value is None:
            return None
        if key == "department":
            return ApproverRule("department_head", value)
        if not self._field_ok(value_node, f"{path}.field", value, "department"):
            return None
        return ApproverRule("department_head", None, from_field=value)

    def _picks(self, node, path: str, cc: bool) -> ApproverRule | None:
        r = self.r
        values = r.mapping(node, path, PICKS_KEYS, required=("from",))
        if values is None or "from" not in values:
            return None
        allowed = self._picks_from(values["from"][1], f"{path}.from")
        multiple = cc
        if "multiple" in values:
            multiple = r.boolean(values["multiple"][1], f"{path}.multiple")
        least = 0 if cc else 1
        if "min" in values:
            least = r.integer(values["min"][1], f"{path}.min", minimum=0 if cc else 1)
        if allowed is None or multiple is None or least is None:
            return None
        where = values.get("min", values["from"])[1]
        if least > 1 and not multiple:
            r.add(where, f"{path}.min", _("min is %(min)d, but only one person can be chosen; write multiple: true.",
                                          min=least))
            return None
        if allowed[0] == "users" and least > len(allowed[1]):
            r.add(where, f"{path}.min", _("min is %(min)d, but only %(count)d people can be chosen.",
                                          min=least, count=len(allowed[1])))
            return None
        return ApproverRule("submitter_picks", allowed, multiple=multiple, min=least)

    def _picks_from(self, node, path: str) -> tuple | None:
        r = self.r
        if isinstance(node, yaml.ScalarNode):
            if r.choice(node, path, ("any",)) is None:
                return None
            return ("any", ())
        values = r.mapping(node, path, PICKS_FROM[:3])
        if values is None:
            return None
        if len(values) != 1:
            r.add(node, path, _("from takes one of: any, role: <role>, users: [names], department: <code>."))
            return None
        key, (_key_node, value_node) = next(iter(values.items()))
        if key == "users":
            items = r.sequence(value_node, f"{path}.users", allow_scalar=True)
            if items is None:
                return None
            names = tuple(dict.fromkeys(n for pos, item in enumerate(items)
                                        if (n := r.text(item, f"{path}.users[{pos}]")) is not None))
            if not names:
                r.add(value_node, f"{path}.users", _("Name at least one person the submitter may choose."))
                return None
            return ("users", names)
        name = r.text(value_node, f"{path}.{key}")
        return (key, (name,)) if name is not None else None
