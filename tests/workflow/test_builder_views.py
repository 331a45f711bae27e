"""The chain builder's screen and endpoints (/workflow-builder/<name>/): only admins; the check
returns the YAML, diagram and problems; saving publishes through the YAML editor's path; invalid
input is refused in Chinese with nothing published."""
from __future__ import annotations

from app.workflow.builder import yaml_to_model
from app.workflow.definitions import parse_definition
from tests.workflow.test_editor_views import active_source, new_chain, numbers


def _model(name):
    return yaml_to_model(active_source(name))


def test_only_admins_may_open_the_builder_or_use_its_endpoints(org, login):
    name = new_chain()
    for user in (org.manager, org.east_rep, org.finance_user):
        client = login(user)
        assert client.get(f"/workflow-builder/{name}/").status_code == 403
        assert client.post(f"/workflow-builder/{name}/check", json={"chain": _model(name)}).status_code == 403
        assert client.post(f"/workflow-builder/{name}/save", json={"chain": _model(name)}).status_code == 403
    assert numbers(name) == [1]
    page = login(org.admin).get(f"/workflow-builder/{name}/")
    assert page.status_code == 200 and "chain_builder.js" in page.get_data(as_text=True)


def test_the_check_returns_yaml_diagram_and_nothing_is_saved(org, login):
    name = new_chain()
    model = _model(name)
    model["steps"][0]["when"] = {"join": "or", "clauses": [{"field": "amount", "op": ">=", "value": 5000},
                                                          {"field": "standard_terms", "op": "==", "value": False}]}
    resp = login(org.admin).post(f"/workflow-builder/{name}/check", json={"chain": model})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    assert data["valid"] and "<svg" in data["diagram"]
    assert "doc.amount >= 5000 || doc.standard_terms == false" in data["yaml"]
    assert numbers(name) == [1]


def test_saving_publishes_what_the_yaml_editor_then_shows(org, login):
    name = new_chain()
    model = _model(name)
    model["steps"].append({"id": "legal", "name": "法务审核", "approvers": [{"department_head": "LEGAL"}],
                           "mode": "any", "sla": {"remind_after": "8h", "escalate_after": "", "on_timeout": ""},
                           "when": {"join": "and", "clauses": [{"field": "amount", "op": ">", "value": "20000"}]}})
    client = login(org.admin)
    resp = client.post(f"/workflow-builder/{name}/save", json={"chain": model, "note": "加法务"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert sorted(numbers(name)) == [1, 2]
    source = active_source(name)
    assert 'doc.amount > 20000' in source and "escalate_after" not in source
    definition = parse_definition(source)
    assert [s.id for s in definition.steps] == ["manager", "finance", "legal"]
    assert "法务审核" in client.get(f"/workflows/{name}/").get_data(as_text=True)
    # opened again, the builder shows what was saved
    assert _model(name)["steps"][2]["when"] == {"join": "and", "clauses": [{"field": "amount", "op": ">",
                                                                            "value": 20000}]}


def test_invalid_builder_input_is_refused_in_chinese_and_nothing_is_published(org, login):
    name = new_chain()
    client = login(org.admin)
    bad_clause = _model(name)
    bad_clause["steps"][0]["when"] = {"join": "and", "clauses": [{"field": "amount", "op": ">", "value": ""}]}
    unknown_field = _model(name)
    unknown_field["steps"][0]["when"] = {"join": "and", "clauses": [{"field": "nope", "op": ">", "value": 1}]}
    no_approver = _model(name)
    no_approver["steps"][0]["approvers"] = [{"role": ""}]
    wrong_operator = _model(name)
    wrong_operator["steps"][0]["when"] = {"clauses": [{"field": "standard_terms", "op": ">", "value": True}]}
    text_for_number = _model(name)
    text_for_number["steps"][0]["when"] = {"clauses": [{"field": "amount", "op": ">", "value": "很多"}]}
    for body in ({}, {"chain": "x"}, {"chain": {"steps": []}}, {"chain": bad_clause}, {"chain": unknown_field},
                 {"chain": no_approver}, {"chain": wrong_operator}, {"chain": text_for_number}):
        for endpoint in ("check", "save"):
            resp = client.post(f"/workflow-builder/{name}/{endpoint}", json=body,
                               headers={"Accept-Language": "zh-CN"})
            assert resp.status_code == 400, (body, resp.get_data(as_text=True))
            data = resp.get_json()
            assert data["valid"] is False and data["message"]
    assert numbers(name) == [1]


def test_an_unknown_chain_is_not_found(org, login):
    assert login(org.admin).get("/workflow-builder/no_such_chain/").status_code == 404


def test_the_builder_speaks_chinese_and_english(org, login):
    name = new_chain()
    client = login(org.admin)
    zh = client.get(f"/workflow-builder/{name}/").get_data(as_text=True)
    client.get("/lang/en")
    en = client.get(f"/workflow-builder/{name}/").get_data(as_text=True)
    assert "保存并发布" in zh and "Save and publish" in en
