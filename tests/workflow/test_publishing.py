"""Chains in the database: shipped YAML seeds them once, publishing makes immutable versions,
rollback republishes an earlier text, and bad text never replaces the active version."""
from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from app.core.errors import DomainError
from app.extensions import db
from app.workflow import publishing
from app.workflow.models import WorkflowDefinition, WorkflowVersion
from tests.conftest import unique
from tests.workflow.helpers import chain_yaml, publish_chain, step

SHIPPED = {"contract_approval", "leave_request", "expense_claim", "seal_request", "general_request"}
def _chain(name: str, title: str = "测试审批") -> str:
    return yaml.safe_dump({"name": name, "title": title, "document": "contracts",
                           "steps": [{"id": "manager", "name": "经理审批", "approvers": [{"manager_of": "submitter"}]}]},
                          allow_unicode=True, sort_keys=False)


def test_the_shipped_chains_are_in_the_database_after_setup(ctx):
    names = set(db.session.scalars(select(WorkflowDefinition.name)))
    assert SHIPPED <= names
    assert publishing.seed_from_directory() == []        # a second run publishes nothing


def test_seeding_and_publishing_never_make_up_a_document_type(ctx):
    from app.core.registry import registry

    assert set(db.session.scalars(select(WorkflowDefinition.document))) <= set(registry.specs)
    assert "purchase_order_approval" in set(db.session.scalars(select(WorkflowDefinition.name)))   # its module is in
    source = _chain(unique("chain_").lower()).replace("document: contracts", "document: no_such_documents")
    with pytest.raises(publishing.InvalidDefinition) as refused:
        publishing.publish(None, source, shipped=True)
    assert [(p.line, p.path) for p in refused.value.problems] == [(3, "document")]


def test_yaml_seeds_a_new_chain_once_and_the_database_stays_the_source_of_truth(ctx, tmp_path):
    name = unique("chain_").lower()
    file = tmp_path / f"{name}.yaml"
    file.write_text(_chain(name), encoding="utf-8")
    assert publishing.seed_from_directory(tmp_path) == [name]

    file.write_text(_chain(name, title="改过的标题"), encoding="utf-8")
    assert publishing.seed_from_directory(tmp_path) == []
    assert publishing.get_definition(name).title == "测试审批"
    assert [v.number for v in publishing.versions_of(name)] == [1]


def test_publishing_makes_a_new_version_and_rollback_republishes_an_old_text(ctx):
    name = unique("chain_").lower()
    first = publishing.publish(None, _chain(name, "第一版"))
    second = publishing.publish(None, _chain(name, "第二版"))
    assert (first.number, second.number) == (1, 2)
    assert publishing.get_definition(name).active_version_id == second.id

    third = publishing.roll_back(None, name, 1)
    assert third.number == 3 and third.source == first.source
    assert publishing.get_definition(name).title == "第一版"
    assert db.session.get(WorkflowVersion, first.id).source == first.source   # versions never change


def test_a_chain_cannot_move_to_another_document_type(ctx):
    name = unique("chain_").lower()
    publishing.publish(None, _chain(name))
    moved = _chain(name).replace("document: contracts", "document: customers")
    with pytest.raises(DomainError) as refused:
        publishing.publish(None, moved)
    assert refused.value.code == "workflow.document_changed"
    assert len(publishing.versions_of(name)) == 1


def test_fields_of_an_installed_document_are_checked_at_publish_time(org):
    good = publish_chain([step("manager", [{"manager_of": "submitter"}])])
    with pytest.raises(publishing.InvalidDefinition) as refused:
        publish_chain([step("manager", [{"field": "no_such_column"}])])
    assert any("no_such_column" in str(p) for p in refused.value.problems)
    with pytest.raises(publishing.InvalidDefinition):
        publishing.publish(None, chain_yaml([step("manager", [{"manager_of": "submitter"}], when="doc.amout > 1")]))
    assert publishing.get_definition("contract_approval").active_version_id == good.id


def test_bad_yaml_names_line_and_column(ctx):
    broken = "name: x\ntitle: t\ndocument: contracts\nsteps:\n  - id: a\n   name: bad indent\n"
    with pytest.raises(publishing.InvalidDefinition) as refused:
        publishing.publish(None, broken)
    problem = refused.value.problems[0]
    assert problem.line == 6 and problem.column >= 1
