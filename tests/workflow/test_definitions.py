"""Approval chain definitions: an admin's YAML becomes a checked, compiled chain, or every
mistake in it is reported with file, line, column and field path (scenario 18)."""
from __future__ import annotations

import hashlib
import textwrap
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app.workflow.conditions import ConditionError
from app.workflow.definitions import (
    ApproverRule, Branch, DefinitionError, Problem, Settings, Sla, check_files, describe_rule, load_directory,
    parse_definition,
)

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
CONTRACT_FIELDS = {"id", "code", "title", "customer_id", "amount", "standard_terms", "signed_on", "starts_on",
                   "ends_on", "status", "owner_id", "department_id", "notes"}
DOCUMENTS = {"contracts": CONTRACT_FIELDS}

CHAIN = """\
name: contract_approval
title: 合同审批
document: contracts
steps:
  - id: manager
    name: 部门经理审批
    approvers:
      - manager_of: submitter
  - id: finance
    name: 财务总监审批
    approvers:
      - role: Finance
    when: "doc.amount > 100000"
"""


def y(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def problems_of(text: str, documents=None, filename="chain.yaml") -> list[Problem]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(y(text), filename, documents)
    return caught.value.problems


def only(problems: list[Problem], path: str) -> Problem:
    found = [p for p in problems if p.path == path]
    assert len(found) == 1, f"expected one problem at {path}, got: {[str(p) for p in problems]}"
    return found[0]


def doc(amount, standard_terms=True, **more) -> dict:
    return {"doc": {"amount": Decimal(amount), "standard_terms": standard_terms, **more},
            "submitter": {"id": 1, "username": "zhangwei", "department": "销售部", "department_code": "SALES",
                          "roles": ["Sales"]}}


# -- a valid chain -------------------------------------------------------------------------------
def test_valid_chain_compiles_with_defaults():
    definition = parse_definition(CHAIN, "contract.yaml", DOCUMENTS)
    assert (definition.name, definition.title, definition.document, definition.admin) == \
        ("contract_approval", "合同审批", "contracts", "admin")
    assert definition.settings == Settings()
    assert definition.settings.comment_required == {"reject", "return"}
    assert definition.digest == hashlib.sha256(CHAIN.encode("utf-8")).hexdigest()
    assert definition.source == CHAIN
    manager, finance = definition.steps
    assert manager.approvers == (ApproverRule("manager_of", "submitter", 1),)
    assert (manager.mode, manager.quorum, manager.when, manager.next) == ("any", None, None, ())
    assert finance.when.source == "doc.amount > 100000" and finance.when.fields == {"amount"}
    assert definition.step("finance") is finance
    with pytest.raises(KeyError):
        definition.step("ceo")


def test_every_setting_and_rule_kind_is_read():
    definition = parse_definition(y("""
        name: full
        title: 全部
        document: contracts
        admin: wangfang
        settings:
          self_approval: skip
          auto_pass_duplicates: false
          empty_approvers: auto_approve
          inactive_approver: admin
          on_reject: end
          withdraw: never
          comment_required: [approve, transfer]
          locked_fields: [amount, customer_id]
          sla: {remind_after: 24h, escalate_after: 3d, on_timeout: auto_reject, escalate_to: admin}
        cc:
          - on: [approved, rejected]
            to: [{role: Finance}, {field: owner_id}]
        steps:
          - id: first
            name: 一
            approvers:
              - user: lina
              - role: Manager
              - department_head: submitter
              - department_head: LEGAL
              - manager_of: submitter
                levels: 2
              - field: owner_id
              - admin: true
            mode: quorum
            quorum: 2
            editable_fields: [notes]
            sla: {remind_after: 30m}
            cc:
              - on: step_done
                to: [{user: lina}]
          - id: second
            name: 二
            approvers: []
            mode: sequential
        """), "full.yaml", DOCUMENTS)
    s = definition.settings
    assert (s.self_approval, s.auto_pass_duplicates, s.empty_approvers, s.inactive_approver, s.on_reject,
            s.withdraw) == ("skip", False, "auto_approve", "admin", "end", "never")
    assert s.comment_required == {"approve", "transfer"} and s.locked_fields == ("amount", "customer_id")
    assert s.sla == Sla(timedelta(hours=24), timedelta(days=3), "auto_reject", "admin")
    assert definition.admin == "wangfang"
    assert definition.cc[0].on == {"approved", "rejected"}
    assert definition.cc[0].to == (ApproverRule("role", "Finance"), ApproverRule("field", "owner_id"))
    first, second = definition.steps
    assert [r.kind for r in first.approvers] == ["user", "role", "department_head", "department_head",
                                                 "manager_of", "field", "admin"]
    assert first.approvers[4].levels == 2 and first.approvers[6].value is True
    assert (first.mode, first.quorum, first.editable_fields) == ("quorum", 2, ("notes",))
    # A step's SLA is merged over the chain's.
    assert first.sla == Sla(timedelta(minutes=30), timedelta(days=3), "auto_reject", "admin")
    assert second.sla == s.sla and second.approvers == () and second.mode == "sequential"
    assert first.cc[0].on == {"step_done"} and first.cc[0].to == (ApproverRule("user", "lina"),)


def test_rules_read_in_words():
    assert describe_rule(ApproverRule("manager_of", "submitter", 2)) == "the submitter's manager, 2 levels up"
    assert describe_rule(ApproverRule("department_head", "LEGAL")) == "head of department LEGAL"
    assert describe_rule(ApproverRule("admin", True)) == "the workflow admin"


# -- scenario 18: every mistake with file, line, column and path ---------------------------------
def test_bad_indent_is_reported_at_the_line_and_column_yaml_stops():
    problems = problems_of("""
        name: contract_approval
        title: 合同审批
        document: contracts
        steps:
          - id: manager
            name: 部门经理审批
             approvers: []
        """, filename="workflows/contract_approval.yaml")
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.file, problem.line, problem.column, problem.path) == \
        ("workflows/contract_approval.yaml", 7, 15, "(yaml)")
    assert str(problem).startswith("workflows/contract_approval.yaml:7:15: (yaml): ")
    assert "indent" in problem.message


def test_outdented_line_is_reported_too():
    problems = problems_of("""
        name: c
        title: T
        document: contracts
        steps:
          - id: a
            name: A
          approvers: []
        """)
    assert [(p.line, p.path) for p in problems] == [(7, "(yaml)")]


def test_tabs_are_reported_as_such():
    problems = problems_of("name: c\n\ttitle: T\n")
    assert (problems[0].line, problems[0].column, problems[0].path) == (2, 1, "(yaml)")
    assert "Tab" in problems[0].message


def test_unknown_step_reference_names_the_step_and_suggests_the_close_one():
    problems = problems_of("""
        name: c
        title: T
        document: contracts
        steps:
          - id: manager
            name: M
            approvers: []
            next: fianance
          - id: finance
            name: F
            approvers: []
        """)
    problem = only(problems, "steps[0].next")
    assert (problem.line, problem.column) == (8, 11)
    assert "'fianance'" in problem.message and "'finance'" in problem.message
    assert str(problem) == f"chain.yaml:8:11: steps[0].next: {problem.message}"


def test_unknown_step_in_a_branch_is_reported_at_the_branch():
    problems = problems_of("""
        name: c
        title: T
        document: contracts
        steps:
          - id: manager
            name: M
            approvers: []
            next: [{when: "doc.amount > 500000", to: ceo}, {to: finance}]
          - id: finance
            name: F
            approvers: []
        """)
    problem = only(problems, "steps[0].next[0].to")
    assert (problem.line, problem.column) == (8, 46) and "'ceo'" in problem.message


def test_all_problems_are_reported_at_once_in_file_order():
    problems = problems_of("""
        name: Contract-Approval
        title: 123
        colour: red
        settings:
          self_approval: sometimes
          auto_pass_duplicates: maybe
          withdraw: befor_first_approval
          comment_required: [reject, shout]
          sla: {remind_after: 24x, escalate_after: 0h, on_timeout: wait, escalate_to: ceo}
        steps:
          - id: manager
            name: M
            approvers: [{manager_of: boss}, {rol: Finance}, {admin: false}, {user: a, role: b}, {user: a, levels: 2}]
            mode: quorum
          - id: manager
            name: M2
            approvers: [{user: a}, {user: b}]
            mode: both
          - id: end
            name: E
            approvers: []
          - id: z
            approvers: x
            quorum: 0
        """)
    paths = [p.path for p in problems]
    assert paths == [
        "document", "name", "title", "colour", "settings.self_approval", "settings.auto_pass_duplicates",
        "settings.withdraw", "settings.comment_required[1]", "settings.sla.remind_after",
        "settings.sla.escalate_after", "settings.sla.on_timeout", "settings.sla.escalate_to",
        "steps[0].quorum", "steps[0].approvers[0].manager_of", "steps[0].approvers[1]",
        "steps[0].approvers[1].rol", "steps[0].approvers[2].admin", "steps[0].approvers[3]",
        "steps[0].approvers[4].levels",
        "steps[1].id", "steps[1].mode", "steps[2].id", "steps[3].name", "steps[3].approvers", "steps[3].quorum",
        "steps[3].quorum",
    ], "\n".join(map(str, problems))
    messages = {p.path: p.message for p in problems}
    assert "Did you mean 'role'?" in messages["steps[0].approvers[1].rol"]
    assert "Did you mean 'before_first_approval'?" in messages["settings.withdraw"]
    assert "'colour'" in messages["colour"]
    assert "'manager'" in messages["steps[1].id"]
    assert "missing" in messages["document"] and "missing" in messages["steps[3].name"]
    assert "quotes" in messages["title"]
    # The missing key is reported where its mapping starts.
    assert only(problems, "document").line == 1 and only(problems, "steps[3].name").line == 22


def test_quorum_cannot_exceed_the_named_users():
    problems = problems_of("""
        name: c
        title: T
        document: contracts
        steps:
          - id: board
            name: B
            approvers: [{user: a}, {user: b}, {user: b}]
            mode: quorum
            quorum: 3
        """)
    problem = only(problems, "steps[0].quorum")
    assert (problem.line, problem.column) == (9, 13) and "2" in problem.message


def test_quorum_over_roles_is_checked_when_the_instance_starts_not_here():
    parse_definition(y("""
        name: c
        title: T
        document: contracts
        steps:
          - id: board
            name: B
            approvers: [{role: Manager}]
            mode: quorum
            quorum: 3
        """))


def test_quorum_only_goes_with_quorum_mode():
    problems = problems_of("""
        name: c
        title: T
        document: contracts
        steps:
          - id: a
            name: A
            approvers: [{user: a}]
            quorum: 1
        """)
    assert only(problems, "steps[0].quorum").message


@pytest.mark.parametrize("value", ["24", "1.5h", "24 hours", "0m", "-1h", "h", "[1h]"])
def test_bad_durations_are_refused(value):
    problems = problems_of(f"""
        name: c
        title: T
        document: contracts
        settings:
          sla: {{remind_after: {value}}}
        steps:
          - id: a
            name: A
            approvers: []
        """)
    assert only(problems, "settings.sla.remind_after").line == 5


def test_reminder_must_come_before_escalation():
    problems = problems_of("""
        name: c
        title: T
        document: contracts
        settings:
          sla: {escalate_after: 24h}
        steps:
          - id: a
            name: A
            approvers: []
            sla: {remind_after: 2d}
        """)
    assert only(problems, "steps[0].sla.remind_after").line == 10


def test_duplicate_keys_and_unknown_events_are_reported():
    problems = problems_of("""
        name: c
        name: d
        title: T
        document: contracts
        cc:
          - on: [approved, exploded]
            to: []
        steps:
          - id: a
            name: A
            approvers: []
        """)
    assert "line 1" in only(problems, "name").message
    assert "'exploded'" in only(problems, "cc[0].on[1]").message
    assert only(problems, "cc[0].to").line == 7


def test_duplicate_step_ids_are_reported_at_the_second():
    problems = problems_of("""
        name: c
        title: T
        document: contracts
        steps:
          - id: a
            name: A
            approvers: []
          - id: a
            name: B
            approvers: []
        """)
    problem = only(problems, "steps[1].id")
    assert (problem.line, problem.column) == (8, 9) and "steps[0]" in problem.message


def test_a_step_no_route_reaches_is_refused():
    problems = problems_of("""
        name: c
        title: T
        document: contracts
        steps:
          - id: a
            name: A
            approvers: []
            next: end
          - id: orphan
            name: O
            approvers: []
        """)
    assert any(": steps[1]: " in str(p) and "orphan" in str(p) for p in problems), problems


def test_a_loop_through_next_is_refused():
    problems = problems_of("""
        name: c
        title: T
        document: contracts
        steps:
          - id: a
            name: A
            approvers: []
          - id: b
            name: B
            approvers: []
            next: [{when: "doc.amount > 1", to: end}, {to: a}]
        """)
    problem = only(problems, "steps[1].next")
    assert problem.line == 11 and "a → b → a" in problem.message


def test_file_level_problems_use_root():
    assert [(p.path, p.line) for p in problems_of("")] == [("(root)", 1)]
    assert [p.path for p in problems_of("- a\n- b\n")] == ["(root)"]
    assert {p.path for p in problems_of("name: c\n")} == {"title", "document", "steps"}
    assert [p.path for p in problems_of("name: c\ntitle: T\ndocument: contracts\nsteps: []\n")] == ["steps"]


def test_a_huge_file_is_refused_without_parsing():
    problems = problems_of("# " + "x" * 300_000)
    assert problems[0].path == "(root)"


# -- conditions inside definitions ----------------------------------------------------------------
@pytest.mark.parametrize("condition", [
    "doc.amount >",
    "doc.__class__ == null",
    "''.join(['a'])",
    "__import__('os').system('id')",
    "lambda: 1",
])
def test_invalid_or_unsafe_conditions_are_refused_at_publish_time(condition):
    problems = problems_of(f"""
        name: c
        title: T
        document: contracts
        steps:
          - id: a
            name: A
            approvers: []
            when: "{condition}"
        """)
    problem = only(problems, "steps[0].when")
    assert problem.line == 8 and problem.message.startswith("Invalid condition")


def test_condition_problem_points_at_the_column_inside_the_condition():
    problems = problems_of("""
        name: c
        title: T
        document: contracts
        steps:
          - id: a
            name: A
            approvers: []
            next:
              - when: doc.amount > 1 && foo
                to: end
        """)
    problem = only(problems, "steps[0].next[0].when")
    assert (problem.line, problem.column) == (9, 33) and "'foo'" in problem.message


# -- checks against the document's fields ----------------------------------------------------------
def test_fields_are_checked_against_the_document_when_known():
    text = """
        name: c
        title: T
        document: contracts
        settings:
          locked_fields: [amount, amout]
        steps:
          - id: a
            name: A
            approvers: [{field: ownr_id}]
            editable_fields: [notse]
            when: "doc.standrd_terms == false && doc.amount > 1"
        """
    parse_definition(y(text))  # without documents nothing is checked
    problems = problems_of(text, DOCUMENTS)
    messages = {p.path: p.message for p in problems}
    assert set(messages) == {"settings.locked_fields[1]", "steps[0].approvers[0].field",
                             "steps[0].editable_fields[0]", "steps[0].when"}
    assert "'amount'" in messages["settings.locked_fields[1]"]
    assert "'owner_id'" in messages["steps[0].approvers[0].field"]
    assert "'notes'" in messages["steps[0].editable_fields[0]"]
    assert "standrd_terms" in messages["steps[0].when"] and "'standard_terms'" in messages["steps[0].when"]


def test_unknown_document_type_is_refused_when_documents_are_given():
    problem = only(problems_of(CHAIN.replace("contracts", "contrcts"), DOCUMENTS), "document")
    assert (problem.line, problem.column) == (3, 11) and "'contracts'" in problem.message
    # A module not installed yet is accepted by the loader, without field checks.
    assert parse_definition(CHAIN.replace("contracts", "orders"), documents=DOCUMENTS,
                            allow_missing_document=True).document == "orders"


# -- routes ------------------------------------------------------------------------------------------
def test_amount_branch_routes_big_contracts_to_finance_and_small_ones_to_the_manager_only():
    definition = parse_definition(CHAIN)
    assert [s.id for s in definition.route(doc("150000"))] == ["manager", "finance"]
    assert [s.id for s in definition.route(doc("80000"))] == ["manager"]
    assert definition.next_step("manager", doc("150000")).id == "finance"
    assert definition.next_step("manager", doc("80000")) is None
    assert definition.next_step("finance", doc("150000")) is None


BRANCHED = """
    name: branched
    title: 分支
    document: contracts
    steps:
      - id: manager
        name: 经理
        approvers: [{manager_of: submitter}]
        next:
          - {when: "doc.amount > 500000", to: ceo}
          - {when: "doc.amount > 100000", to: finance}
          - {to: end}
      - id: finance
        name: 财务
        approvers: [{role: Finance}]
        next: end
      - id: ceo
        name: 总经理
        approvers: [{user: admin}]
        next: finance
"""


def test_branches_take_the_first_that_applies():
    definition = parse_definition(y(BRANCHED))
    assert [s.id for s in definition.route(doc("900000"))] == ["manager", "ceo", "finance"]
    assert [s.id for s in definition.route(doc("150000"))] == ["manager", "finance"]
    assert [s.id for s in definition.route(doc("1000"))] == ["manager"]
    assert definition.next_step("ceo", doc("900000")).id == "finance"


def test_when_no_branch_applies_the_following_step_is_taken():
    definition = parse_definition(y("""
        name: c
        title: T
        document: contracts
        steps:
          - id: a
            name: A
            approvers: []
            next: [{when: "doc.amount > 10", to: c}]
          - id: b
            name: B
            approvers: []
          - id: c
            name: C
            approvers: []
        """))
    assert [s.id for s in definition.route(doc("100"))] == ["a", "c"]
    assert [s.id for s in definition.route(doc("1"))] == ["a", "b", "c"]


def test_a_skipped_step_passes_the_document_on_by_its_own_next():
    definition = parse_definition(y("""
        name: c
        title: T
        document: contracts
        steps:
          - id: a
            name: A
            approvers: []
          - id: b
            name: B
            approvers: []
            when: "doc.amount > 10"
            next: d
          - id: d
            name: D
            approvers: []
        """))
    assert [s.id for s in definition.route(doc("100"))] == ["a", "b", "d"]
    assert [s.id for s in definition.route(doc("1"))] == ["a", "d"]
    assert definition.next_step("a", doc("1")).id == "d"


def test_first_step_may_be_skipped():
    definition = parse_definition(y("""
        name: discount
        title: 折扣
        document: orders
        steps:
          - id: manager
            name: 经理
            approvers: [{manager_of: submitter}]
            when: "doc.discount_rate < 0.9"
          - id: director
            name: 总监
            approvers: [{role: Manager}]
            when: "doc.discount_rate < 0.8"
        """))
    assert definition.first_step_ids == ("manager", "director")
    rate = lambda r: {"doc": {"discount_rate": Decimal(r)}}  # noqa: E731
    assert [s.id for s in definition.route(rate("0.95"))] == []
    assert [s.id for s in definition.route(rate("0.85"))] == ["manager"]
    assert [s.id for s in definition.route(rate("0.7"))] == ["manager", "director"]


def test_a_condition_that_cannot_be_evaluated_refuses_the_route():
    definition = parse_definition(CHAIN)
    with pytest.raises(ConditionError, match="amount"):
        definition.route({"doc": {}})


def test_conditions_see_the_step_they_belong_to():
    definition = parse_definition(y("""
        name: c
        title: T
        document: contracts
        steps:
          - id: a
            name: A
            approvers: []
            when: "step.id == 'a'"
          - id: b
            name: B
            approvers: []
            when: "step.id == 'a'"
        """))
    assert [s.id for s in definition.route({"doc": {}})] == ["a"]


# -- the shipped chains and the loader ---------------------------------------------------------------
def test_every_shipped_chain_validates_against_the_installed_modules(app):
    from app.workflow.definitions import installed_documents

    with app.app_context():
        documents = installed_documents()
    definitions = load_directory(WORKFLOWS, documents)
    assert {d.name for d in definitions} >= {"contract_approval", "purchase_order_approval",
                                             "invoice_void_approval", "payment_refund_approval",
                                             "order_discount_approval"}
    for definition in definitions:
        if definition.document in documents:
            parse_definition(definition.source, definition.name, documents)  # strict where installed


def test_shipped_contract_chain_routes_as_the_scenario_says():
    definition = next(d for d in load_directory(WORKFLOWS) if d.name == "contract_approval")
    assert [s.id for s in definition.route(doc("150000"))] == ["manager", "finance"]
    assert [s.id for s in definition.route(doc("80000"))] == ["manager"]
    assert [s.id for s in definition.route(doc("80000", standard_terms=False))] == ["manager", "legal"]
    assert definition.settings.locked_fields == ("amount", "customer_id", "standard_terms")
    assert definition.settings.comment_required == {"reject", "return"}


def test_shipped_purchase_order_chain_has_amount_tiers():
    definition = next(d for d in load_directory(WORKFLOWS) if d.name == "purchase_order_approval")
    tiers = {amount: [s.id for s in definition.route({"doc": {"amount": Decimal(amount)}})]
             for amount in ("50000", "50000.01", "600000")}
    assert tiers == {"50000": ["department_head"], "50000.01": ["department_head", "finance"],
                     "600000": ["department_head", "finance", "general_manager"]}


def test_loader_reports_every_files_problems_and_duplicate_names(tmp_path):
    (tmp_path / "a.yaml").write_text(CHAIN, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(CHAIN, encoding="utf-8")
    (tmp_path / "c.yaml").write_text("name: c\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_directory(tmp_path)
    files = [Path(p.file).name for p in caught.value.problems]
    assert files.count("b.yaml") == 1 and files.count("c.yaml") == 3
    duplicate = next(p for p in caught.value.problems if p.file.endswith("b.yaml"))
    assert (duplicate.line, duplicate.path) == (1, "name") and "a.yaml" in duplicate.message
    definitions, problems = check_files([tmp_path / "a.yaml"])
    assert [d.name for d in definitions] == ["contract_approval"] and problems == []


def test_definitions_are_immutable_and_comparable():
    first, second = parse_definition(CHAIN), parse_definition(CHAIN)
    assert first == second
    with pytest.raises(AttributeError):
        first.name = "x"
    assert first.steps[1].next == () and isinstance(Branch(None, "end"), Branch)


def test_problems_are_translated_inside_the_app(app):
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale("zh_CN"):
        problems = problems_of(CHAIN.replace("manager_of: submitter", "manager_of: boss"))
    assert problems[0].path == "steps[0].approvers[0].manager_of"
    assert "boss" in problems[0].message and "Unknown value" not in problems[0].message


def test_conditions_may_only_read_what_the_engine_gives_about_the_submitter_and_step():
    problems = problems_of("""
        name: c
        title: T
        document: contracts
        steps:
          - id: a
            name: A
            approvers: []
            when: "'Finance' in submitter.role && step.title == 'x'"
        """)
    messages = [p.message for p in problems if p.path == "steps[0].when"]
    assert len(messages) == 2
    assert "submitter.role" in messages[0] and "'roles'" in messages[0]
    assert "step.title" in messages[1]
