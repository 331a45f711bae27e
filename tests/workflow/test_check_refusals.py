"""`workflows check` and publishing refuse chains that would fail when a document is routed:
a number compared with a text, a condition that is not a yes/no, an invalid regular
expression, an unknown document type, a step no route reaches — each with file:line:column
and the field path, also through YAML anchors and aliases."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.workflow import publishing
from app.workflow.definitions import check_files, installed_documents, parse_definition
from app.workflow.models import WorkflowDefinition
from app.extensions import db
from tests.workflow.test_views import restore_shipped_chain, shipped_chain_afterwards  # noqa: F401

CHAIN = """\
name: contract_approval
title: 合同审批
document: {document}
steps:
  - id: manager
    name: 经理
    approvers: [{{manager_of: submitter}}]
  - id: finance
    name: 财务
    approvers: [{{role: Finance}}]
    when: "{when}"
"""


def chain(when: str = "doc.amount > 100000", document: str = "contracts") -> str:
    return CHAIN.format(when=when.replace('"', '\\"'), document=document)


def refusals(source: str, locale: str = "zh_CN") -> list[str]:
    with force_locale(locale):
        with pytest.raises(publishing.InvalidDefinition) as refused:
            publishing.publish(None, source)
    return [str(p) for p in refused.value.problems]


@pytest.mark.parametrize("when", [
    "doc.amount > '100000'",              # a number compared with a text
    "doc.amount + 1",                     # not a yes/no
    "doc.title.matches('[')",             # an invalid regular expression
    "doc.amount.startsWith('1')",         # a text function on a number
])
def test_publishing_refuses_a_condition_that_fails_on_every_document_with_line_column_and_path(ctx, when):
    before = publishing.get_definition("contract_approval").active_version_id

    problems = refusals(chain(when))

    assert len(problems) == 1, problems
    assert problems[0].startswith("<editor>:11:") and ": steps[1].when: " in problems[0]
    assert "合同" in problems[0] or "contracts" in problems[0]
    assert publishing.get_definition("contract_approval").active_version_id == before


def test_the_refusal_reads_in_english_too(ctx):
    problems = refusals(chain("doc.amount > '100000'"), locale="en")
    assert "cannot be evaluated" in problems[0] and "steps[1].when" in problems[0]


def test_good_conditions_on_every_column_type_still_publish(ctx):
    for when in ("doc.amount > 100000", "!doc.standard_terms", "doc.title.matches('^框架')",
                 "has(doc.notes) && doc.notes.contains('急')", "doc.amount >= 100000.004",
                 "size(doc.title) > 3 || doc.signed_on > timestamp('2026-01-01T00:00:00Z')"):
        parse_definition(chain(when), documents=installed_documents())


def test_an_alias_of_a_bad_condition_is_refused_where_it_is_used(ctx):
    source = chain().replace('when: "doc.amount > 100000"', "when: *bad").replace(
        "name: 经理\n", "name: 经理\n    note_only: &bad doc.amount > '1'\n")
    # note_only is not a step key: use a real anchor place instead, a branch's condition.
    source = chain().replace(
        "approvers: [{manager_of: submitter}]\n",
        "approvers: [{manager_of: submitter}]\n    next:\n      - when: &bad doc.amount > '1'\n        to: finance\n",
    ).replace('when: "doc.amount > 100000"', "when: *bad")
    problems = refusals(source)
    assert any(p.startswith("<editor>:") and "steps[0].next[0].when" in p for p in problems), problems


def test_a_full_width_colon_is_refused_with_its_line(ctx):
    source = chain().replace('when: "doc.amount > 100000"', 'when： "doc.amount > 100000"')
    problems = refusals(source)
    assert problems and all(p.startswith("<editor>:") for p in problems)
    assert any(":11:" in p or ":12:" in p for p in problems), problems


def test_an_unknown_document_type_is_refused_and_not_created(ctx):
    source = chain(document="no_such_documents").replace("contract_approval", "no_such_chain")

    problems = refusals(source)

    assert any(": document: " in p and "no_such_documents" in p for p in problems), problems
    assert db.session.query(WorkflowDefinition).filter_by(name="no_such_chain").first() is None


def test_a_step_no_route_reaches_is_refused(ctx):
    source = chain().replace("approvers: [{manager_of: submitter}]\n",
                             "approvers: [{manager_of: submitter}]\n    next: end\n")

    problems = refusals(source)

    assert any(p.startswith("<editor>:9:9: steps[1]: ") and "finance" in p for p in problems), problems


def test_workflows_check_names_file_line_column_and_path(app, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(chain("doc.amount > '100000'").replace("contract_approval", "bad_chain"), encoding="utf-8")
    from run import cli

    result = app.test_cli_runner().invoke(cli, ["workflows", "check", str(bad)])

    assert result.exit_code == 1
    assert "bad.yaml:11:" in result.output and "steps[1].when" in result.output


def test_every_shipped_chain_passes_the_evaluation_check(app):
    from pathlib import Path

    with app.app_context():
        files = sorted(Path("workflows").glob("*.yaml"))
        _definitions, problems = check_files(files, installed_documents())
    assert problems == []


def test_workflows_check_warns_about_a_quorum_too_few_people_can_reach(app, tmp_path):
    from flask import current_app

    from tests.factories import make_user, unique

    with app.app_context():
        board = current_app.appbuilder.sm.add_role(unique("Board"))
        for _ in range(2):
            person = make_user("Finance")
            person.roles.append(board)
        db.session.commit()
        name = board.name
    source = chain().replace("contract_approval", "quorum_chain").replace(
        "approvers: [{role: Finance}]", f"approvers: [{{role: {name}}}]\n    mode: quorum\n    quorum: 3")
    path = tmp_path / "quorum.yaml"
    path.write_text(source, encoding="utf-8")
    from run import cli

    result = app.test_cli_runner().invoke(cli, ["workflows", "check", str(path)])

    assert result.exit_code == 0, result.output
    assert "finance" in result.output and "3" in result.output and "2" in result.output
