"""The visual chain builder's model: every shipped chain reads into the builder and is written back
as YAML that compiles to the same chain; conditions become field/operator/value clauses."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from app.workflow.builder import BuilderError, condition_to_model, model_to_condition, model_to_yaml, yaml_to_model
from app.workflow.definitions import parse_definition

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def _bare(definition):
    return dataclasses.replace(definition, source="", digest="")


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_chain_round_trips_through_the_builder(app, path):
    source = path.read_text(encoding="utf-8")
    with app.test_request_context():
        original = parse_definition(source, filename=path.name)
        model = yaml_to_model(source)
        written = model_to_yaml(model)
        again = parse_definition(written, filename=path.name)
        assert _bare(again) == _bare(original)
        # opened again, the builder shows the same chain, and saving it again changes nothing
        assert yaml_to_model(written) == model
        assert model_to_yaml(yaml_to_model(written)) == written


def test_shipped_conditions_become_clauses():
    assert condition_to_model("doc.amount > 100000") == {
        "join": "and", "clauses": [{"field": "amount", "op": ">", "value": 100000}]}
    assert condition_to_model("doc.standard_terms == false")["clauses"][0]["value"] is False
    assert condition_to_model('doc.a < 0.8 || doc.b == "x"') == {
        "join": "or", "clauses": [{"field": "a", "op": "<", "value": 0.8}, {"field": "b", "op": "==", "value": "x"}]}
    # what clauses cannot say is kept as written
    assert condition_to_model("(doc.a > 1 && doc.b) || doc.c") == {"expression": "(doc.a > 1 && doc.b) || doc.c"}


def test_clauses_are_written_as_conditions():
    model = {"join": "and", "clauses": [{"field": "amount", "op": ">=", "value": "5000"},
                                        {"field": "title", "op": "!=", "value": "测试"}]}
    assert model_to_condition(model, "x") == 'doc.amount >= 5000 && doc.title != "测试"'


@pytest.mark.parametrize("model", [
    None, {}, {"steps": []},
    {"steps": [{"id": "a", "when": {"clauses": [{"field": "amount", "op": "~", "value": 1}]}}]},
    {"steps": [{"id": "a", "when": {"clauses": [{"field": "", "op": ">", "value": 1}]}}]},
    {"steps": [{"id": "a", "when": {"clauses": [{"field": "amount", "op": ">", "value": ""}]}}]},
    {"steps": [{"id": "a", "when": {"join": "xor", "clauses": [{"field": "amount", "op": ">", "value": 1}]}}]},
])
def test_incomplete_builder_input_is_refused_with_a_message(app, model):
    with app.test_request_context(), pytest.raises(BuilderError) as raised:
        model_to_yaml(model)
    assert str(raised.value)
