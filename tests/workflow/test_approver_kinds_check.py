"""`workflows check` and publishing read the newer approver kinds and refuse their mistakes with
file:line:column and the field path: levels out of range, a `min` the choice can never reach, a
field the document (or its forms) does not have, a person field that is not one, a manager chain on
a step that is not one after another, two choices in one list."""
from __future__ import annotations

import pytest

from app.workflow.definitions import DefinitionError, parse_definition
from app.workflow.chain import ApproverRule

DOCUMENTS = {"contracts": {"owner_id": (1, 2), "department_id": (1, 2), "amount": (1, 2)}}

HEAD = """\
name: kinds
title: 审批人类型
document: contracts
"""


def _problems(body: str) -> list[tuple]:
    with pytest.raises(DefinitionError) as refused:
        parse_definition(HEAD + body, "kinds.yaml", documents=DOCUMENTS)
    return [(p.line, p.column, p.path, p.message) for p in refused.value.problems]


def _steps(approvers: str, extra: str = "") -> str:
    return f"steps:\n  - id: s1\n    name: 第一步\n    approvers:\n{approvers}{extra}"


def test_every_new_kind_reads_into_its_rule():
    definition = parse_definition(HEAD + """\
cc:
  - on: [submitted]
    to: [{submitter_picks: {from: any}}]
steps:
  - id: pick
    name: 自选
    approvers:
      - submitter_picks: {from: {users: [lisi, wangwu]}, multiple: true, min: 2}
    mode: all
  - id: line
    name: 连续多级主管
    approvers:
      - manager_chain: {levels: 3, until_role: Manager}
  - id: head
    name: 部门负责人
    approvers:
      - department_head: {department: 法务部}
      - department_head: {field: department_id}
""", "kinds.yaml", documents=DOCUMENTS)
    pick, line, head = definition.steps
    assert pick.approvers == (ApproverRule("submitter_picks", ("users", ("lisi", "wangwu")), multiple=True, min=2,
                                           pick_key="step:pick"),)
    assert line.mode == "sequential"
    assert line.approvers == (ApproverRule("manager_chain", "submitter", levels=3, until_role="Manager"),)
    assert head.approvers == (ApproverRule("department_head", "法务部"),
                              ApproverRule("department_head", None, from_field="department_id"))
    cc_rule = definition.cc[0].to[0]
    assert (cc_rule.pick_key, cc_rule.multiple, cc_rule.min) == ("cc", True, 0)


def _at(text: str, token: str) -> tuple[int, int]:
    """(line, column) of the first `token` in the text, counted from 1."""
    before = text[:text.index(token)]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


@pytest.mark.parametrize("approvers, token, path, words", [
    ("      - manager_chain: {levels: 21}\n", "21", "steps[0].approvers[0].manager_chain.levels", "20"),
    ("      - manager_chain: {levels: 0}\n", "0}", "steps[0].approvers[0].manager_chain.levels", "1"),
    ("      - manager_chain: {}\n", "{}", "steps[0].approvers[0].manager_chain", "levels"),
    ("      - manager_of: submitter\n        levels: 99\n", "99", "steps[0].approvers[0].levels", "20"),
    ("      - submitter_picks: {from: {users: [a, b]}, multiple: true, min: 3}\n", "3}",
     "steps[0].approvers[0].submitter_picks.min", "3"),
    ("      - submitter_picks: {from: {role: Finance}, min: 2}\n", "2}",
     "steps[0].approvers[0].submitter_picks.min", "multiple"),
    ("      - submitter_picks: {from: everyone}\n", "everyone", "steps[0].approvers[0].submitter_picks.from", "any"),
    ("      - submitter_picks: {multiple: true}\n", "{multiple", "steps[0].approvers[0].submitter_picks.from",
     "from"),
    ("      - department_head: {field: ownr_dept}\n", "ownr_dept", "steps[0].approvers[0].department_head.field",
     "ownr_dept"),
    ("      - department_head: {department: A, field: department_id}\n", "{department",
     "steps[0].approvers[0].department_head", "department"),
    ("      - field: approver_person\n", "approver_person", "steps[0].approvers[0].field", "approver_person"),
    ("      - submitter_picks: {from: any}\n      - submitter_picks: {from: any}\n", "- submitter_picks",
     "steps[0].approvers", "submitter_picks"),
])
def test_mistakes_in_the_new_kinds_are_refused_where_they_are(approvers, token, path, words):
    body = _steps(approvers)
    problems = _problems(body)
    assert [(line, column, where) for line, column, where, _m in problems] == [(*_at(HEAD + body, token), path)], \
        problems
    assert words in problems[0][3]


def test_a_manager_chain_is_asked_one_after_another_only():
    problems = _problems(_steps("      - manager_chain: {levels: 2}\n", "    mode: all\n"))
    assert [(p[0], p[2]) for p in problems] == [(9, "steps[0].mode")]


def test_a_form_field_person_is_checked_against_the_forms_fields(app, ctx):
    """For approval requests, `field:` may name a person field of the forms; another kind or an
    unknown name is refused."""
    from app.modules.approval_forms import service
    from app.workflow.definitions import installed_documents
    from tests.conftest import unique
    from tests.factories import make_user

    admin = make_user("Admin")
    code = unique("f").lower()
    service.save_form(admin, code=code, name="用车", chain="general_request", fields=[
        {"name": "driver_person", "label": "司机", "kind": "user", "required": False},
        {"name": "car_plate", "label": "车牌", "kind": "text", "required": True}])
    head = "name: car\ntitle: 用车\ndocument: approval_requests\nsteps:\n  - id: s1\n    name: 司机确认\n    approvers:\n"
    ok = parse_definition(head + "      - field: driver_person\n", "car.yaml", documents=installed_documents())
    assert ok.steps[0].approvers[0].value == "driver_person"
    for name, words in (("car_plate", "car_plate"), ("no_such_field", "no_such_field")):
        with pytest.raises(DefinitionError) as refused:
            parse_definition(head + f"      - field: {name}\n", "car.yaml", documents=installed_documents())
        (problem,) = refused.value.problems
        assert (problem.line, problem.column, problem.path) == (8, 16, "steps[0].approvers[0].field")
        assert words in problem.message
