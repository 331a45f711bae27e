"""`run.py workflows check` and `run.py workflows route`: what an admin sees on the command line."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
PROBLEM_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<path>\S+): (?P<message>.+)$")

BROKEN = """\
name: broken_chain
title: 坏的
document: contracts
steps:
  - id: manager
    name: 经理
    approvers: [{manager_of: submitter}]
    next: fianance
  - id: finance
    name: 财务
    approvers: [{field: ownr_id}]
    when: "doc.amout > 100000"
"""


@pytest.fixture
def run(app):
    """The CLI, with the shipped contract chain active (other tests publish their own versions)."""
    from app.workflow import publishing
    from run import cli

    with app.app_context():
        shipped = (WORKFLOWS / "contract_approval.yaml").read_text(encoding="utf-8")
        if publishing.get_definition("contract_approval").active_version.source != shipped:
            publishing.publish(None, shipped, note="tests: shipped text")

    runner = app.test_cli_runner()

    def _run(*args):
        return runner.invoke(cli, ["workflows", *args])

    return _run


def test_check_with_no_arguments_validates_every_shipped_chain_of_an_installed_module(run):
    from app.core.registry import registry

    result = run("check")
    assert result.exit_code == 0, result.output
    documents = {name for name, spec in registry.specs.items() if spec.workflow is not None}
    assert {"contracts", "orders", "invoices", "payments", "purchase_orders"} <= documents
    files = sorted(WORKFLOWS.glob("*.yaml"))
    installed = [f for f in files if any(f"\ndocument: {d}\n" in f.read_text(encoding="utf-8") for d in documents)]
    waiting = [f for f in files if f not in installed]
    assert result.stdout.splitlines()[-1].startswith(str(len(installed)))
    assert not any(PROBLEM_LINE.match(line) for line in result.stdout.splitlines())
    # Chains of modules this installation lacks are neither checked nor published: the check says so.
    for file in waiting:
        assert any(line.startswith(f"workflows/{file.name}") or file.name in line for line in result.stderr.splitlines())


def test_check_refuses_a_chain_of_an_unknown_document_type_with_its_position(run, tmp_path):
    chain = tmp_path / "odd.yaml"
    chain.write_text(BROKEN.replace("broken_chain", "odd_chain").replace("document: contracts", "document: invoicez"),
                     encoding="utf-8")
    result = run("check", str(chain))
    assert result.exit_code == 1
    problems = [m.groupdict() for line in result.stdout.splitlines() if (m := PROBLEM_LINE.match(line))]
    assert any(p["path"] == "document" and p["line"] == "3" and p["column"] == "11" for p in problems), result.stdout


def test_check_prints_every_problem_as_file_line_column_path_message_and_fails(run, tmp_path):
    bad = tmp_path / "broken_chain.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    result = run("check", str(bad), str(WORKFLOWS / "contract_approval.yaml"))
    assert result.exit_code == 1
    problems = [PROBLEM_LINE.match(line) for line in result.stdout.splitlines()]
    assert all(problems), result.stdout
    found = {(m["path"], int(m["line"]), int(m["column"])) for m in problems}
    assert found == {("steps[0].next", 8, 11), ("steps[1].approvers[0].field", 11, 25), ("steps[1].when", 12, 11)}
    assert {m["file"] for m in problems} == {str(bad)}
    by_path = {m["path"]: m["message"] for m in problems}
    # Messages are in the app's language; the names in them are not translated.
    assert "fianance" in by_path["steps[0].next"]
    assert "finance" in by_path["steps[0].next"].replace("fianance", "")
    assert "owner_id" in by_path["steps[1].approvers[0].field"]
    assert "amout" in by_path["steps[1].when"] and "amount" in by_path["steps[1].when"]


def test_check_reports_yaml_syntax_errors_with_their_position(run, tmp_path):
    bad = tmp_path / "indent.yaml"
    bad.write_text("name: x\ntitle: t\ndocument: contracts\nsteps:\n  - id: a\n    name: A\n     approvers: []\n",
                   encoding="utf-8")
    result = run("check", str(bad))
    assert result.exit_code == 1
    match = PROBLEM_LINE.match(result.stdout.strip())
    assert (match["line"], match["column"], match["path"]) == ("7", "15", "(yaml)")


def test_check_reports_a_missing_file(run, tmp_path):
    result = run("check", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert PROBLEM_LINE.match(result.stdout.strip())["path"] == "(root)"


def test_check_refuses_two_chains_with_one_name(run, tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text((WORKFLOWS / "contract_approval.yaml").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    result = run("check", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"))
    assert result.exit_code == 1
    match = PROBLEM_LINE.match(result.stdout.strip().splitlines()[-1])
    assert match["file"].endswith("b.yaml") and match["path"] == "name"


def test_route_shows_a_big_contract_going_to_the_manager_then_finance(run):
    result = run("route", "contract_approval", "--doc", '{"amount": 150000, "standard_terms": true}')
    assert result.exit_code == 0, result.output
    steps = [line for line in result.stdout.splitlines() if re.match(r"^\d+\. ", line)]
    assert [line.split()[1] for line in steps] == ["manager", "finance"]
    assert "[any]" in steps[0]


def test_route_shows_a_small_contract_going_to_the_manager_only(run):
    result = run("route", "contract_approval", "--doc", '{"amount": 80000.50, "standard_terms": true}')
    assert result.exit_code == 0, result.output
    steps = [line for line in result.stdout.splitlines() if re.match(r"^\d+\. ", line)]
    assert [line.split()[1] for line in steps] == ["manager"]


def test_route_for_a_named_submitter(run, org):
    result = run("route", "contract_approval", "--doc", '{"amount": 150000, "standard_terms": false}',
                 "--submitter", org.east_rep.username)
    assert result.exit_code == 0, result.output
    steps = [line.split()[1] for line in result.stdout.splitlines() if re.match(r"^\d+\. ", line)]
    assert steps == ["manager", "legal", "finance"]


@pytest.mark.parametrize("args", [
    ("route", "no_such_chain"),
    ("route", "contract_approval", "--doc", '{"amount": 150000'),
    ("route", "contract_approval", "--doc", "[1, 2]"),
    ("route", "contract_approval", "--doc", '{"amount": 1, "standard_terms": true}', "--submitter", "nobody_here"),
    ("route", "contract_approval", "--doc", '{"standard_terms": true}'),
    ("route", "contract_approval", "--doc", '{"amount": 1, "standard_terms": true, "signed_on": "2025-13-01"}'),
])
def test_route_refuses_bad_input_with_a_message_and_exit_status_2(run, args):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.strip() and "Traceback" not in result.output


def test_route_names_the_people_who_would_be_asked(run, org):
    result = run("route", "contract_approval", "--doc", '{"amount": 150000, "standard_terms": true}',
                 "--submitter", org.east_rep.username)
    assert result.exit_code == 0, result.output
    manager_step = result.stdout.split("2. finance")[0]
    assert org.manager.username in manager_step
    assert org.finance_user.username in result.stdout.split("2. finance")[1]


def test_route_prefers_the_version_published_in_the_database(run, app):
    from app.workflow.publishing import publish
    from tests.conftest import unique

    name = unique("cli_probe_")
    source = (WORKFLOWS / "contract_approval.yaml").read_text(encoding="utf-8") \
        .replace("name: contract_approval", f"name: {name}").replace("doc.amount > 100000", "doc.amount > 10")
    with app.app_context():
        publish(None, source)
    result = run("route", name, "--doc", '{"amount": 50, "standard_terms": true}')
    assert result.exit_code == 0, result.output
    steps = [line.split()[1] for line in result.stdout.splitlines() if re.match(r"^\d+\. ", line)]
    assert steps == ["manager", "finance"]


def test_check_warns_of_people_roles_and_departments_the_database_lacks(run, tmp_path):
    chain = tmp_path / "typo_chain.yaml"
    chain.write_text("""\
name: typo_chain
title: 名字写错的审批
document: contracts
admin: nobody_admin
steps:
  - id: manager
    name: 经理
    approvers: [{user: zhangsna}, {role: Finanse}, {department_head: NOPE}, {role: Finance}]
""", encoding="utf-8")
    result = run("check", str(chain))

    assert result.exit_code == 0, result.output   # the chain is valid; the names are only warnings
    warnings = [line for line in result.stderr.splitlines() if line.startswith("typo_chain: ")]
    assert len(warnings) == 4, result.output
    for name in ("nobody_admin", "zhangsna", "Finanse", "NOPE"):
        assert sum(name in line for line in warnings) == 1
    assert not any("Finance." in line or "Finance。" in line for line in warnings)
