"""Approval forms (发起审批) with the newer approver kinds: a person field of the form names the
approver (empty: the admin, with the reason), the submitter picks a step's approver and people to
copy on the form's page, the route preview shows both, and a wrong choice writes nothing."""
from __future__ import annotations

import pytest
import yaml
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.extensions import db
from app.modules.approval_forms import service
from app.modules.approval_forms.models import ApprovalRequest
from app.workflow import publishing
from app.workflow.models import ApprovalCc, ApprovalInstance
from tests.conftest import unique
from tests.workflow.helpers import actions, tasks


def _chain(name: str, steps: list, cc: list | None = None, admin: str = "admin") -> None:
    doc = {"name": name, "title": "用车审批", "document": "approval_requests", "admin": admin,
           "settings": {"self_approval": "escalate_to_manager", "empty_approvers": "admin"}, "steps": steps}
    if cc:
        doc["cc"] = cc
    publishing.publish(None, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def _form(org, steps, cc=None) -> str:
    code = unique("car").lower()
    chain = f"{code}_chain"
    service.save_form(org.admin, code=code, name="用车", chain="general_request", fields=[
        {"name": "driver", "label": "司机", "kind": "user", "required": False},
        {"name": "plate", "label": "车牌", "kind": "text", "required": True}])
    _chain(chain, steps, cc, admin=org.admin.username)
    service.save_form(org.admin, code=code, name="用车", chain=chain, fields=[
        {"name": "driver", "label": "司机", "kind": "user", "required": False},
        {"name": "plate", "label": "车牌", "kind": "text", "required": True}])
    return code


def _instance(request):
    return db.session.scalar(select(ApprovalInstance).where(ApprovalInstance.document == "approval_requests",
                                                            ApprovalInstance.record_id == request.id))


def test_the_forms_person_field_names_the_approver(org):
    code = _form(org, [{"id": "driver", "name": "司机确认", "approvers": [{"field": "driver"}]}])
    made = service.submit_request(org.east_rep, code, {"driver": str(org.south_rep.id), "plate": "沪A12345"})
    assert [t.assignee_id for t in tasks(_instance(made), "pending")] == [org.south_rep.id]


def test_an_empty_person_field_goes_to_the_admin_with_the_reason(org):
    code = _form(org, [{"id": "driver", "name": "司机确认", "approvers": [{"field": "driver"}]}])
    made = service.submit_request(org.east_rep, code, {"plate": "沪A12345"})
    run = _instance(made)
    assert [t.assignee_id for t in tasks(run, "pending")] == [org.admin.id]
    assert "person_field_empty" in {a.reason for a in actions(run, "reassign")}


def test_the_preview_asks_for_the_choice_then_names_the_person(org):
    allowed = {"users": [org.finance_user.username, org.east_rep.username]}
    code = _form(org, [{"id": "fin", "name": "财务审核", "approvers": [{"submitter_picks": {"from": allowed}}]}])
    before = service.route_preview(org.east_rep, code, {"plate": "沪A1"})
    (picker,) = before["pickers"]
    assert picker["field"] == "pick:step:fin" and org.finance_user.id in {o["id"] for o in picker["options"]}
    assert org.east_rep.id not in {o["id"] for o in picker["options"]}
    assert before["steps"][0]["people"][0].startswith("(")
    after = service.route_preview(org.east_rep, code, {"plate": "沪A1"}, {"step:fin": [str(org.finance_user.id)]})
    assert after["steps"][0]["people"] == [f"{org.finance_user.display_name} ({org.finance_user.username})"]


def test_a_wrong_choice_on_the_form_writes_no_request(org):
    code = _form(org, [{"id": "fin", "name": "财务审核", "approvers": [{"submitter_picks": {"from": {"role": "Finance"}}}]}])
    before = db.session.scalar(select(func.count(ApprovalRequest.id)))
    for picks in (None, {"step:fin": [str(org.manager.id)]}, {"step:fin": [str(org.east_rep.id)]}):
        with pytest.raises(DomainError):
            service.submit_request(org.east_rep, code, {"plate": "沪A1"}, picks=picks)
        db.session.rollback()
    assert db.session.scalar(select(func.count(ApprovalRequest.id))) == before
    made = service.submit_request(org.east_rep, code, {"plate": "沪A1"}, picks={"step:fin": [str(org.finance_user.id)]})
    assert [t.assignee_id for t in tasks(_instance(made), "pending")] == [org.finance_user.id]


def test_the_form_page_submits_the_choice_and_a_wrong_one_is_a_400(org, login):
    code = _form(org, [{"id": "fin", "name": "财务审核", "approvers": [{"submitter_picks": {"from": {"role": "Finance"}}}]}],
                 cc=[{"on": ["submitted"], "to": [{"submitter_picks": {"from": "any"}}]}])
    client = login(org.east_rep)
    page = client.get(f"/approval_forms/new/{code}").get_data(as_text=True)
    assert 'id="zwt-pickers"' in page
    before = db.session.scalar(select(func.count(ApprovalRequest.id)))
    wrong = client.post(f"/approval_forms/new/{code}", data={"f-plate": "沪A1", "pick:step:fin": str(org.manager.id)})
    assert wrong.status_code == 400 and org.manager.display_name in wrong.get_data(as_text=True)
    assert 'id="zwt-form-error"' in wrong.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ApprovalRequest.id))) == before
    ok = client.post(f"/approval_forms/new/{code}", data={"f-plate": "沪A1", "pick:step:fin": str(org.finance_user.id),
                                                          "pick:cc": [str(org.south_rep.id)]})
    assert ok.status_code == 302
    made = db.session.scalar(select(ApprovalRequest).order_by(ApprovalRequest.id.desc()).limit(1))
    run = _instance(made)
    assert set(db.session.scalars(select(ApprovalCc.user_id).where(ApprovalCc.instance_id == run.id))) == \
        {org.south_rep.id}


def test_the_people_search_is_for_writers_only_and_scoped_to_the_allowed_set(org, login):
    code = _form(org, [{"id": "fin", "name": "财务审核", "approvers": [{"submitter_picks": {"from": {"role": "Finance"}}}]}])
    client = login(org.east_rep)
    found = client.get(f"/approval_forms/people/{code}?key=step:fin&q={org.finance_user.username}").get_json()
    assert [r["id"] for r in found["results"]] == [org.finance_user.id]
    assert client.get(f"/approval_forms/people/{code}?key=step:fin&q={org.manager.username}").get_json()["results"] == []
    assert client.get(f"/approval_forms/people/{code}?key=nope&q=a").status_code == 404
    assert login(org.readonly).get(f"/approval_forms/people/{code}?key=step:fin&q=a").status_code in (302, 403)
