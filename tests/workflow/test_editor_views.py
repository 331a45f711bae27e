"""The chain editor (/workflows/): only admins; invalid text is never published and its problems
name line and column; publishing, rolling back and exporting; the diagram and the dry run."""
from __future__ import annotations

import re

import yaml
from sqlalchemy import select

from app.extensions import db
from app.workflow import publishing
from app.workflow.definitions import parse_definition
from app.workflow.diagram import render_svg
from app.workflow.models import WorkflowDefinition
from tests.conftest import unique


def chain_text(name: str, title: str = "测试审批", **extra_step) -> str:
    doc = {"name": name, "title": title, "document": "contracts", "admin": "admin",
           "settings": {"comment_required": ["reject"]},
           "steps": [{"id": "manager", "name": "部门经理审批", "approvers": [{"manager_of": "submitter"}], **extra_step},
                     {"id": "finance", "name": "财务审批", "approvers": [{"role": "Finance"}],
                      "when": "doc.amount > 100000"}]}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def new_chain(**extra_step):
    name = unique("chain_").lower()
    publishing.publish(None, chain_text(name, **extra_step), note="first")
    return name


def active_source(name: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(WorkflowDefinition).where(WorkflowDefinition.name == name)).active_version.source


def numbers(name: str) -> list[int]:
    db.session.expire_all()
    return [v.number for v in publishing.versions_of(name)]


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_only_admins_may_open_the_editor_or_publish(org, login):
    name = new_chain()
    before = active_source(name)
    for user in (org.manager, org.east_rep, org.finance_user):
        client = login(user)
        assert client.get("/workflows/").status_code == 403
        assert client.get(f"/workflows/{name}/").status_code == 403
        assert client.get(f"/workflows/{name}/export.yaml").status_code == 403
        resp = client.post(f"/workflows/{name}/", data={"source": chain_text(name, "改名"), "op": "publish"})
        assert resp.status_code == 403
        assert client.post(f"/workflows/{name}/rollback/1").status_code == 403
        assert client.post("/workflows/new", data={"source": chain_text(unique("x").lower()), "op": "publish"}
                           ).status_code == 403
    assert active_source(name) == before and numbers(name) == [1]
    assert 'href="/workflows/"' not in text(login(org.manager).get("/approvals/"))
    assert login(org.admin).get("/workflows/").status_code == 200


def test_the_list_shows_each_chain_with_its_active_version(org, login):
    name = new_chain()
    html = text(login(org.admin).get("/workflows/"))
    row = re.search(rf'<tr data-chain="{name}">(.*?)</tr>', html, re.S).group(1)
    assert "测试审批" in row and re.search(r'<td class="zwt-c-meta zwt-num" data-label="[^"]+">1</td>', row)


def test_invalid_text_shows_line_and_column_and_keeps_the_active_version(org, login):
    name = new_chain()
    before = active_source(name)
    broken = chain_text(name).replace("- id: finance\n", "- id: finance\n  mode: sometimes\n", 1)

    resp = login(org.admin).post(f"/workflows/{name}/", data={"source": broken, "op": "publish", "note": "x"})

    assert resp.status_code == 400
    html = text(resp)
    problem = re.search(r'<li data-line="(\d+)" data-column="(\d+)">(.*?)</li>', html, re.S)
    line = broken.splitlines().index("  mode: sometimes") + 1
    assert problem and int(problem.group(1)) == line and int(problem.group(2)) == len("  mode: ") + 1
    assert "steps[1].mode" in problem.group(3) and "sometimes" in problem.group(3)
    assert "mode: sometimes" in html            # the text stays as typed
    assert active_source(name) == before and numbers(name) == [1]


def test_a_yaml_syntax_error_is_reported_where_it_is(org, login):
    name = new_chain()
    resp = login(org.admin).post(f"/workflows/{name}/", data={"source": "name: x\n  title: [oops\n", "op": "validate"})
    assert resp.status_code == 400
    assert re.search(r'<li data-line="2" data-column="\d+">', text(resp))
    assert numbers(name) == [1]


def test_publishing_valid_text_makes_a_new_version(org, login):
    name = new_chain()
    changed = chain_text(name, "测试审批（新）")

    checked = login(org.admin).post(f"/workflows/{name}/", data={"source": changed, "op": "validate"})
    assert checked.status_code == 200 and 'id="zwt-valid"' in text(checked) and numbers(name) == [1]
    resp = login(org.admin).post(f"/workflows/{name}/", data={"source": changed, "op": "publish", "note": "新标题"})

    assert resp.status_code == 302
    assert numbers(name) == [2, 1] and active_source(name) == changed
    assert publishing.versions_of(name)[0].note == "新标题"


def test_the_editor_warns_of_names_nobody_has_and_still_publishes(org, login):
    name = new_chain()
    typo = chain_text(name).replace("{manager_of: submitter}", "{user: zhangsna}").replace(
        "manager_of: submitter", "user: zhangsna")
    assert "zhangsna" in typo

    checked = login(org.admin).post(f"/workflows/{name}/", data={"source": typo, "op": "validate"})
    assert checked.status_code == 200 and 'id="zwt-notices"' in text(checked) and "zhangsna" in text(checked)
    fine = login(org.admin).post(f"/workflows/{name}/", data={"source": chain_text(name, "改个标题"), "op": "validate"})
    assert 'id="zwt-valid"' in text(fine) and 'id="zwt-notices"' not in text(fine)

    admin = login(org.admin)
    published = admin.post(f"/workflows/{name}/", data={"source": typo, "op": "publish"})
    assert published.status_code == 302 and numbers(name) == [2, 1]
    shown = admin.get(published.headers["Location"])
    assert shown.status_code == 200 and "zhangsna" in text(shown)


def test_the_chain_name_cannot_change_in_its_editor(org, login):
    name = new_chain()
    resp = login(org.admin).post(f"/workflows/{name}/", data={"source": chain_text(name + "_other"), "op": "publish"})
    assert resp.status_code == 400 and numbers(name) == [1]


def test_rolling_back_publishes_the_old_text_as_a_new_version(org, login):
    name = new_chain()
    first = active_source(name)
    publishing.publish(None, chain_text(name, "第二版"))
    client = login(org.admin)

    confirm = client.get(f"/workflows/{name}/rollback/1")
    assert confirm.status_code == 200 and 'id="zwt-rollback-form"' in text(confirm) and numbers(name) == [2, 1]
    resp = client.post(f"/workflows/{name}/rollback/1")

    assert resp.status_code == 302
    assert numbers(name) == [3, 2, 1] and active_source(name) == first
    assert client.post(f"/workflows/{name}/rollback/9").status_code == 404


def test_export_downloads_the_active_yaml(org, login):
    name = new_chain()
    resp = login(org.admin).get(f"/workflows/{name}/export.yaml")
    assert resp.status_code == 200
    assert f'filename="{name}.yaml"' in resp.headers["Content-Disposition"]
    assert resp.get_data(as_text=True) == active_source(name)


def test_the_editor_draws_the_steps_and_runs_a_dry_run(org, login):
    name = new_chain()
    client = login(org.admin)
    page = text(client.get(f"/workflows/{name}/"))
    assert page.count('class="zwt-step"') == 2 and "doc.amount &gt; 100000" in page

    big = client.post(f"/workflows/{name}/", data={"source": active_source(name), "op": "dry_run",
                                                   "doc": '{"amount": 150000}', "submitter": org.east_rep.username})
    html = text(big)
    assert big.status_code == 200
    assert re.search(r'<tr class="zwt-taken" data-step="finance">', html)
    assert org.manager.username in html and org.finance_user.username in html
    small = text(client.post(f"/workflows/{name}/", data={"source": active_source(name), "op": "dry_run",
                                                          "doc": '{"amount": 5000}', "submitter": ""}))
    assert re.search(r'<tr class="text-muted zwt-skipped" data-step="finance">', small)
    bad = text(client.post(f"/workflows/{name}/", data={"source": active_source(name), "op": "dry_run",
                                                        "doc": "{amount", "submitter": ""}))
    assert 'id="zwt-dry-result"' in bad and "alert-danger" in bad
    assert numbers(name) == [1]


def test_a_new_chain_is_pasted_and_published_but_never_over_an_existing_one(org, login):
    client = login(org.admin)
    name = unique("fresh_").lower()

    resp = client.post("/workflows/new", data={"source": chain_text(name), "op": "publish", "note": "新建"})

    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/workflows/{name}/")
    assert numbers(name) == [1]
    again = client.post("/workflows/new", data={"source": chain_text(name, "覆盖"), "op": "publish"})
    assert again.status_code == 400 and numbers(name) == [1]


def test_the_diagram_follows_branches_and_labels_them():
    source = yaml.safe_dump({
        "name": "branchy", "title": "分支", "document": "contracts",
        "steps": [
            {"id": "a", "name": "初审", "approvers": [{"user": "admin"}],
             "next": [{"when": "doc.amount > 500000", "to": "c"}, {"when": "doc.standard_terms == false", "to": "end"}]},
            {"id": "b", "name": "复审", "approvers": [{"role": "Finance"}], "mode": "all"},
            {"id": "c", "name": "终审", "approvers": [{"manager_of": "submitter", "levels": 2}],
             "when": "doc.amount > 100000"},
        ]}, allow_unicode=True, sort_keys=False)

    svg = str(render_svg(parse_definition(source)))

    assert svg.startswith("<svg") and svg.count('class="zwt-step"') == 3
    edges = set(re.findall(r'data-from="([a-z]*)" data-to="([a-z]*)"', svg))
    assert edges == {("", "a"), ("a", "c"), ("a", "end"), ("a", "b"), ("b", "c"), ("c", "end")}
    assert "doc.amount &gt; 500000" in svg and "doc.standard_terms == false" in svg
    assert "doc.amount &gt; 100000" in svg      # c's skip condition, inside its box
