"""The approvals REST API covers what the screens do: submit, decide (approve, reject, return,
transfer, add a signer), withdraw, urge, comment with files, CC read, lists and route previews —
for the allowed user, and refused (4xx with a message) for everyone else."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.modules.contracts.models import Contract
from app.workflow import engine
from app.workflow.models import ApprovalCc, ApprovalTask
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import shipped_chain_afterwards  # noqa: F401  (autouse fixture)
from tests.workflow.helpers import actions, fresh, publish_chain, step, task_of, user_rule

MANAGER = {"manager_of": "submitter"}
API = "/api/v1/approvals"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def submitted(org, steps=None, **chain):
    publish_chain(steps or [step("manager", [MANAGER])], **chain)
    contract = make_contract(org.east_rep)
    return contract, engine.submit(org.east_rep, "contracts", contract.id)


def status_of(contract) -> str:
    db.session.expire_all()
    return db.session.get(Contract, contract.id).status


def png(width=40, height=20) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 0, 0, 0)).save(out, "PNG")
    return out.getvalue()


# -- submitting ---------------------------------------------------------------------------------
def test_the_owner_submits_a_draft_and_others_are_refused(org, app, api_token):
    publish_chain([step("manager", [MANAGER])])
    contract = make_contract(org.east_rep)
    client = app.test_client()

    assert client.post(f"{API}/submit", json={"document": "contracts", "record_id": contract.id},
                       headers=api_token(org.readonly)).status_code == 403
    assert client.post(f"{API}/submit", json={"document": "contracts", "record_id": contract.id},
                       headers=api_token(org.south_rep)).status_code == 404
    assert client.post(f"{API}/submit", json={"document": "nothing", "record_id": 1},
                       headers=api_token(org.east_rep)).status_code == 404
    assert client.post(f"{API}/submit", json={"document": "contracts", "record_id": "x"},
                       headers=api_token(org.east_rep)).status_code == 400
    assert status_of(contract) == "draft"

    done = client.post(f"{API}/submit", json={"document": "contracts", "record_id": contract.id, "comment": "请审批",
                                              "choices": {}}, headers=api_token(org.east_rep))
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["result"]["status"] == "running" and status_of(contract) == "in_approval"
    again = client.post(f"{API}/submit", json={"document": "contracts", "record_id": contract.id},
                        headers=api_token(org.east_rep))
    assert again.status_code == 400 and again.get_json()["message"]


def test_the_route_of_a_draft_names_whom_each_step_asks_and_is_hidden_outside_the_scope(org, app, api_token):
    publish_chain([step("manager", [MANAGER]), step("finance", user_rule(org.finance_user))])
    contract = make_contract(org.east_rep)
    client = app.test_client()

    route = client.get(f"{API}/documents/contracts/{contract.id}/route", headers=api_token(org.east_rep))
    assert route.status_code == 200
    steps = route.get_json()["result"]["steps"]
    assert [s["id"] for s in steps] == ["manager", "finance"]
    assert org.manager.display_name in steps[0]["people"][0]
    assert client.get(f"{API}/documents/contracts/{contract.id}/route",
                      headers=api_token(org.south_rep)).status_code == 404
    assert client.get(f"{API}/documents/nothing/1/route", headers=api_token(org.east_rep)).status_code == 404


# -- deciding -----------------------------------------------------------------------------------
def test_an_approver_returns_the_document_to_an_earlier_step_with_a_reason(org, app, api_token):
    _contract, run = submitted(org, [step("manager", [MANAGER]), step("finance", user_rule(org.finance_user))])
    engine.approve(org.manager, task_of(run, org.manager).id)
    task = task_of(run, org.finance_user)
    client = app.test_client()
    headers = api_token(org.finance_user)

    missing = client.post(f"{API}/tasks/{task.id}/return", json={"step": "manager"}, headers=headers)
    assert missing.status_code == 400 and missing.get_json()["message"]["comment"]
    wrong = client.post(f"{API}/tasks/{task.id}/return", json={"step": "finance", "comment": "再看"}, headers=headers)
    assert wrong.status_code == 400 and wrong.get_json()["message"]["step"]
    no_step = client.post(f"{API}/tasks/{task.id}/return", json={"comment": "再看"}, headers=headers)
    assert no_step.status_code == 400 and no_step.get_json()["message"]["step"]
    assert client.post(f"{API}/tasks/{task.id}/return", json={"step": "manager", "comment": "x"},
                       headers=api_token(org.south_rep)).status_code == 404

    done = client.post(f"{API}/tasks/{task.id}/return", json={"step": "manager", "comment": "金额不对"}, headers=headers)
    assert done.status_code == 200 and done.get_json()["result"]["status"] == "returned"
    assert fresh(run).current_step == "manager"


def test_an_approval_with_files_and_a_signature_shows_them_on_the_timeline(org, app, api_token):
    _contract, run = submitted(org)
    task = task_of(run, org.manager)
    client = app.test_client()

    resp = client.post(f"{API}/tasks/{task.id}/approve", headers=api_token(org.manager), data={
        "comment": "同意，附报价", "files": [(io.BytesIO(PDF), "报价.pdf")], "signature": (io.BytesIO(png()), "s.png")},
        content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_json()

    detail = client.get(f"{API}/instances/{run.id}", headers=api_token(org.east_rep)).get_json()["result"]
    entry = next(e for e in detail["timeline"] if e["action"] == "approve")
    assert entry["comment"] == "同意，附报价"
    assert [(f["name"], f["signature"]) for f in entry["files"]] == [("报价.pdf", False), ("signature.png", True)]
    pdf = client.get(entry["files"][0]["download"], headers=api_token(org.east_rep))
    assert pdf.status_code == 200 and pdf.data == PDF and pdf.headers["X-Content-Type-Options"] == "nosniff"
    # someone who may not see the approval: as if the file did not exist
    assert client.get(entry["files"][0]["download"], headers=api_token(org.south_rep)).status_code == 404
    assert client.get(f"{API}/instances/{run.id}", headers=api_token(org.south_rep)).status_code == 404


def test_a_refused_file_or_signature_changes_nothing(org, app, api_token):
    _contract, run = submitted(org)
    task = task_of(run, org.manager)
    client = app.test_client()
    headers = api_token(org.manager)

    exe = client.post(f"{API}/tasks/{task.id}/approve", headers=headers, content_type="multipart/form-data",
                      data={"files": [(io.BytesIO(b"MZ\x90\x00" + b"\x00" * 64), "invoice.pdf")]})
    assert exe.status_code == 400 and "invoice.pdf" in exe.get_json()["message"]["files"][0]
    fake = client.post(f"{API}/tasks/{task.id}/approve", headers=headers, content_type="multipart/form-data",
                       data={"signature": (io.BytesIO(b"\x89PNG\r\n\x1a\nnot really"), "s.png")})
    assert fake.status_code == 400 and fake.get_json()["message"]["signature"]
    huge = client.post(f"{API}/tasks/{task.id}/approve", headers=headers,
                       json={"signature": "data:image/png;base64,AAAA" + "A" * 800_000})
    assert huge.status_code == 400
    assert task_of(run, org.manager).status == "pending" and not actions(run, "approve")


def test_transfer_and_add_signer_check_their_fields(org, app, api_token):
    _contract, run = submitted(org)
    task = task_of(run, org.manager)
    client = app.test_client()
    headers = api_token(org.manager)

    bad = client.post(f"{API}/tasks/{task.id}/add_signer", json={"user": "x", "position": "sideways"}, headers=headers)
    assert bad.status_code == 400 and set(bad.get_json()["message"]) == {"user", "position"}
    added = client.post(f"{API}/tasks/{task.id}/add_signer", json={"user": org.finance_user.id, "position": "before"},
                        headers=headers)
    assert added.status_code == 200 and added.get_json()["result"]["status"] == "on_hold"
    held = client.post(f"{API}/tasks/{task.id}/approve", json={}, headers=headers)
    assert held.status_code == 409 and held.get_json()["message"]


# -- the submitter's actions ----------------------------------------------------------------------
def test_the_submitter_urges_once_an_hour_and_is_told_when_again(org, app, api_token):
    _contract, run = submitted(org)
    client = app.test_client()
    headers = api_token(org.east_rep)

    assert client.post(f"{API}/instances/{run.id}/urge", json={"comment": "客户在等"},
                       headers=api_token(org.manager)).status_code == 403
    first = client.post(f"{API}/instances/{run.id}/urge", json={"comment": "客户在等"}, headers=headers)
    assert first.status_code == 200 and first.get_json()["result"]["actions"]["next_urge_at"]
    again = client.post(f"{API}/instances/{run.id}/urge", json={}, headers=headers)
    assert again.status_code == 429
    assert 3500 <= int(again.headers["Retry-After"]) <= 3601
    assert again.get_json()["error"] == "workflow.urged_recently" and again.get_json()["message"]
    assert len(actions(run, "urge")) == 1

    task = task_of(run, org.manager)
    task.urged_at -= dt.timedelta(minutes=61)
    db.session.commit()
    assert client.post(f"{API}/instances/{run.id}/urge", json={}, headers=headers).status_code == 200


def test_the_submitter_withdraws_and_nobody_else_may(org, app, api_token):
    contract, run = submitted(org, withdraw="anytime")
    client = app.test_client()

    assert client.post(f"{API}/instances/{run.id}/withdraw", json={},
                       headers=api_token(org.manager)).status_code == 403
    assert client.post(f"{API}/instances/{run.id}/withdraw", json={},
                       headers=api_token(org.south_rep)).status_code == 404
    done = client.post(f"{API}/instances/{run.id}/withdraw", json={"comment": "改金额"}, headers=api_token(org.east_rep))
    assert done.status_code == 200 and done.get_json()["result"]["status"] == "withdrawn"
    assert status_of(contract) == "draft"
    late = client.post(f"{API}/instances/{run.id}/withdraw", json={}, headers=api_token(org.east_rep))
    assert late.status_code == 400


def test_participants_comment_with_files_and_outsiders_cannot(org, app, api_token):
    _contract, run = submitted(org)
    client = app.test_client()

    empty = client.post(f"{API}/instances/{run.id}/comments", json={"comment": "  "}, headers=api_token(org.manager))
    assert empty.status_code == 400 and empty.get_json()["message"]["comment"]
    only_file = client.post(f"{API}/instances/{run.id}/comments", headers=api_token(org.manager),
                            content_type="multipart/form-data", data={"files": [(io.BytesIO(png()), "图.png")]})
    assert only_file.status_code == 200, only_file.get_json()
    entry = only_file.get_json()["result"]["timeline"][-1]
    assert entry["action"] == "comment" and entry["files"][0]["name"] == "图.png"
    assert client.post(f"{API}/instances/{run.id}/comments", json={"comment": "看看"},
                       headers=api_token(org.south_rep)).status_code == 404
    assert [a.action for a in actions(run)][-1] == "comment"


# -- lists and CC -------------------------------------------------------------------------------
def test_lists_of_submitted_handled_and_copied_with_the_unread_filter(org, app, api_token):
    _contract, run = submitted(org, cc=[{"on": ["submitted"], "to": user_rule(org.finance_user)}])
    engine.approve(org.manager, task_of(run, org.manager).id, "好")
    client = app.test_client()

    mine = client.get(f"{API}/submitted", headers=api_token(org.east_rep)).get_json()
    assert run.id in [i["id"] for i in mine["result"]] and mine["count"] >= 1
    others = client.get(f"{API}/submitted", headers=api_token(org.south_rep)).get_json()
    assert run.id not in [i["id"] for i in others["result"]]
    assert run.id not in [i["id"] for i in client.get(f"{API}/cc", headers=api_token(org.south_rep)).get_json()["result"]]
    handled = client.get(f"{API}/handled", headers=api_token(org.manager)).get_json()
    assert run.id in [t["approval"]["id"] for t in handled["result"]]

    finance = api_token(org.finance_user)
    assert db.session.scalar(select(ApprovalCc.id).where(ApprovalCc.instance_id == run.id))
    unread = client.get(f"{API}/cc?unread=true", headers=finance).get_json()
    assert [i["id"] for i in unread["result"]] == [run.id] and unread["result"][0]["read"] is False
    assert client.post(f"{API}/instances/{run.id}/cc_read", headers=api_token(org.east_rep2)).status_code == 404
    marked = client.post(f"{API}/instances/{run.id}/cc_read", headers=finance)
    assert marked.status_code == 200 and marked.get_json()["result"]["read"] >= 1
    assert client.get(f"{API}/cc?unread=1", headers=finance).get_json()["result"] == []
    every = client.get(f"{API}/cc", headers=finance).get_json()["result"]
    assert [(i["id"], i["read"]) for i in every] == [(run.id, True)]


def test_every_new_endpoint_is_described_with_its_errors(org, app, api_token):
    spec = app.test_client().get("/api/v1/_openapi", headers=api_token(org.admin)).get_json()
    paths = {p: ops for p, ops in spec["paths"].items() if p.startswith(API)}
    wanted = {"/tasks/{task_id}/return": ("post", {"200", "400", "401", "403", "404", "409"}),
              "/instances/{instance_id}/urge": ("post", {"200", "401", "403", "404", "429"}),
              "/instances/{instance_id}/comments": ("post", {"200", "400", "401", "404", "413"}),
              "/submit": ("post", {"200", "400", "401", "403", "404"}),
              "/forms/{code}/submit": ("post", {"200", "400", "401", "404"}),
              "/cc": ("get", {"200", "401"}), "/submitted": ("get", {"200", "401"}),
              "/handled": ("get", {"200", "401"}), "/files/{file_id}": ("get", {"200", "401", "404"}),
              "/documents/{document}/{record_id}/route": ("get", {"200", "401", "404"}),
              "/forms/{code}/route": ("post", {"200", "400", "401", "404"}),
              "/instances/{instance_id}": ("get", {"200", "401", "404"}),
              "/instances/{instance_id}/cc_read": ("post", {"200", "401", "404"})}
    for path, (method, statuses) in wanted.items():
        operation = paths[API + path][method]
        assert statuses <= set(map(str, operation["responses"])), path
    assert "multipart/form-data" in paths[API + "/tasks/{task_id}/approve"]["post"]["requestBody"]["content"]


def test_an_api_call_without_a_token_is_refused(app):
    client = app.test_client()
    for path in ("/submitted", "/cc", "/handled", "/instances/1", "/files/1"):
        assert client.get(API + path).status_code == 401
    assert client.post(f"{API}/instances/1/urge", json={}).status_code == 401


def test_a_task_of_another_chain_step_answers_what_happened(org, app, api_token):
    _contract, run = submitted(org)
    task = task_of(run, org.manager)
    engine.approve(org.manager, task.id)
    late = app.test_client().post(f"{API}/tasks/{task.id}/reject", json={"comment": "晚了"},
                                  headers=api_token(org.manager))
    assert late.status_code == 409
    assert db.session.get(ApprovalTask, task.id).status == "approved"


# -- approval forms (发起审批) ---------------------------------------------------------------------
def test_an_approval_form_is_submitted_checked_as_on_the_screen(org, app, api_token):
    client = app.test_client()
    headers = api_token(org.east_rep)

    wrong = client.post(f"{API}/forms/general/submit", json={"values": {"title": ""}}, headers=headers)
    assert wrong.status_code == 400 and set(wrong.get_json()["message"]) >= {"title"}
    assert client.post(f"{API}/forms/general/submit", json={"values": "x"}, headers=headers).status_code == 400
    assert client.post(f"{API}/forms/no_such_form/submit", json={"values": {}}, headers=headers).status_code == 404
    assert client.post(f"{API}/forms/general/submit", json={"values": {"title": "买书", "content": "十本"}},
                       headers=api_token(org.readonly)).status_code == 403

    done = client.post(f"{API}/forms/general/submit", json={"values": {"title": "买书", "content": "十本"},
                                                            "comment": "急"}, headers=headers)
    assert done.status_code == 200, done.get_json()
    result = done.get_json()["result"]
    assert result["document"] == "approval_requests" and result["record_id"] == done.get_json()["request_id"]
    assert result["status"] == "running"


def test_a_form_with_an_attachment_field_takes_its_file_in_a_multipart_body(org, app, api_token):
    import json

    resp = app.test_client().post(f"{API}/forms/seal/submit", headers=api_token(org.east_rep),
                                  content_type="multipart/form-data", data={
                                      "values": json.dumps({"seal_kind": "公章", "copies": "2", "purpose": "投标"}),
                                      "files.document": (io.BytesIO(PDF), "合同.pdf")})
    assert resp.status_code == 200, resp.get_json()


def test_the_route_of_a_forms_values_is_previewed_without_saving(org, app, api_token):
    start = dt.date(2026, 12, 7)
    values = {"leave_type": "年假", "reason": "探亲", "period": {"start": start.isoformat(),
                                                                 "end": (start + dt.timedelta(days=4)).isoformat()}}
    preview = app.test_client().post(f"{API}/forms/leave/route", json={"values": values},
                                     headers=api_token(org.east_rep))
    assert preview.status_code == 200
    assert [s["id"] for s in preview.get_json()["result"]["steps"]] == ["manager", "department_head"]
    wrong = app.test_client().post(f"{API}/forms/leave/route", json={"values": {"period": 5}},
                                   headers=api_token(org.east_rep)).get_json()
    assert wrong["result"]["errors"]
    assert app.test_client().post(f"{API}/forms/leave/route", json={"values": values},
                                  headers=api_token(org.readonly)).status_code == 403


def test_the_submitter_picks_an_approver_through_the_api(org, app, api_token):
    publish_chain([step("finance", [{"submitter_picks": {"from": {"role": "Finance"}}}])])
    contract = make_contract(org.east_rep)
    client = app.test_client()
    headers = api_token(org.east_rep)

    missing = client.post(f"{API}/submit", json={"document": "contracts", "record_id": contract.id}, headers=headers)
    assert missing.status_code == 400 and status_of(contract) == "draft"
    wrong = client.post(f"{API}/submit", json={"document": "contracts", "record_id": contract.id,
                                               "choices": {"finance": [org.manager.id]}}, headers=headers)
    assert wrong.status_code == 400 and status_of(contract) == "draft"
    done = client.post(f"{API}/submit", json={"document": "contracts", "record_id": contract.id,
                                              "choices": {"finance": [org.finance_user.id]}}, headers=headers)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["result"]["waiting_for"] == [org.finance_user.display_name]


def test_the_route_preview_asks_for_the_submitters_pick_and_shows_it_once_made(org, app, api_token):
    publish_chain([step("finance", [{"submitter_picks": {"from": {"role": "Finance"}}}])])
    contract = make_contract(org.east_rep)
    client = app.test_client()
    headers = api_token(org.east_rep)
    url = f"{API}/documents/contracts/{contract.id}/route"

    before = client.get(url, headers=headers).get_json()["result"]
    assert [p["key"] for p in before["pickers"]] == ["step:finance"] and before["pickers"][0]["chosen"] == []
    assert org.finance_user.display_name not in " ".join(before["steps"][0]["people"])
    after = client.get(url, query_string={"choices": '{"finance": [%d]}' % org.finance_user.id},
                       headers=headers).get_json()["result"]
    assert after["pickers"][0]["chosen"] == [org.finance_user.id]
    assert org.finance_user.display_name in " ".join(after["steps"][0]["people"])
    for bad in ("not json", '{"finance": 5}', "[1]"):
        refused = client.get(url, query_string={"choices": bad}, headers=headers)
        assert refused.status_code == 400 and refused.get_json()["message"], bad
    huge = client.get(url, query_string={"choices": '{"finance": [99999999999, "x"]}'}, headers=headers)
    assert huge.status_code == 200 and huge.get_json()["result"]["pickers"][0]["chosen"] == []


def test_a_refused_decision_stores_none_of_its_files(org, app, api_token):
    import hashlib

    from app.core.files import store

    _contract, run = submitted(org)
    task = task_of(run, org.manager)
    content = PDF + f"% {task.id} unique".encode()
    refused = app.test_client().post(f"{API}/tasks/{task.id}/reject", headers=api_token(org.manager),
                                     content_type="multipart/form-data",
                                     data={"files": [(io.BytesIO(content), "理由.pdf")]})      # no reason given
    assert refused.status_code == 400 and refused.get_json()["message"]["comment"]
    assert not store().exists(hashlib.sha256(content).hexdigest())
