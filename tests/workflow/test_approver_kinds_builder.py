"""The chain builder (流程设计器) offers the newer approver kinds and round-trips them: what it saves,
`workflows check` reads, and the builder opens it again unchanged."""
from __future__ import annotations

import dataclasses
import html
import json
import re

from app.workflow.builder import model_to_yaml, yaml_to_model
from app.workflow.definitions import parse_definition
from tests.workflow.test_editor_views import active_source, new_chain, numbers

KINDS = """\
name: kinds_round_trip
title: 审批人类型
document: contracts
cc:
- 'on':
  - submitted
  to:
  - submitter_picks:
      from: any
steps:
- id: pick
  name: 发起人自选
  approvers:
  - submitter_picks:
      from:
        users:
        - lisi
        - wangwu
      multiple: true
      min: 2
  mode: all
- id: line
  name: 连续多级主管
  approvers:
  - manager_chain:
      levels: 3
      until_role: Manager
  mode: sequential
- id: head
  name: 指定部门负责人
  approvers:
  - department_head:
      department: 法务部
  - department_head:
      field: department_id
  - field: owner_id
"""


def _bare(definition):
    return dataclasses.replace(definition, source="", digest="")


def test_a_chain_of_every_new_kind_round_trips_through_the_builder(app):
    with app.test_request_context():
        original = parse_definition(KINDS, "kinds.yaml")
        model = yaml_to_model(KINDS)
        written = model_to_yaml(model)
        assert _bare(parse_definition(written, "kinds.yaml")) == _bare(original)
        assert yaml_to_model(written) == model
        assert model_to_yaml(yaml_to_model(written)) == written


def _builder_model(client, name) -> dict:
    page = client.get(f"/workflow-builder/{name}/").get_data(as_text=True)
    config = re.search(r'data-config="([^"]*)"', page).group(1)
    return json.loads(html.unescape(config))


def test_the_builder_offers_the_new_kinds_saves_them_and_opens_them_unchanged(org, login, app):
    name = new_chain()
    client = login(org.admin)
    model = _builder_model(client, name)
    assert {"manager_chain", "submitter_picks"} <= set(model["kinds"])
    chain = model["chain"]
    chain["steps"].append({"id": "picked", "name": "财务自选", "mode": "any",
                           "approvers": [{"submitter_picks": {"from": {"role": "Finance"}}}]})
    chain["steps"].append({"id": "line", "name": "连续多级主管", "mode": "sequential",
                           "approvers": [{"manager_chain": {"levels": 2}}]})
    chain["steps"].append({"id": "head", "name": "指定部门负责人", "mode": "any",
                           "approvers": [{"department_head": {"field": "department_id"}}]})
    resp = client.post(f"/workflow-builder/{name}/save", json={"chain": chain, "note": "新审批人类型"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert sorted(numbers(name)) == [1, 2]
    source = active_source(name)
    definition = parse_definition(source)
    assert [r.kind for s in definition.steps[-3:] for r in s.approvers] == \
        ["submitter_picks", "manager_chain", "department_head"]
    # `workflows check` reads what the builder saved
    runner = app.test_cli_runner()
    path = app.instance_path + f"/{name}.yaml"
    with open(path, "w", encoding="utf-8") as out:
        out.write(source)
    from run import cli
    result = runner.invoke(cli, ["workflows", "check", path])
    assert result.exit_code == 0, result.output
    # opened again, the builder shows what was saved, and saving it again publishes the same text
    again = _builder_model(client, name)["chain"]
    assert again["steps"][-3:] == chain["steps"][-3:]
    assert model_to_yaml(again) == source


def test_a_wrong_new_kind_is_refused_by_the_builder_with_nothing_published(org, login):
    name = new_chain()
    client = login(org.admin)
    chain = _builder_model(client, name)["chain"]
    chain["steps"][0]["approvers"] = [{"manager_chain": {"levels": 50}}]
    chain["steps"][0]["mode"] = "sequential"
    resp = client.post(f"/workflow-builder/{name}/save", json={"chain": chain})
    assert resp.status_code == 400
    assert "manager_chain.levels" in resp.get_data(as_text=True)
    assert numbers(name) == [1]
