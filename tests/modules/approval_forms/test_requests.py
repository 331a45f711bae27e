"""Approval forms: the shipped forms submit into their chains, conditions on doc.days and
doc.total route differently, wrong values are refused on their fields with nothing saved, the
route is previewed before submitting, strangers see nothing, and changing a form never changes
an already-submitted request."""
import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.core.errors import Forbidden, ValidationErrors
from app.extensions import db
from app.modules.approval_forms import service
from app.modules.approval_forms.models import ApprovalRequest
from app.workflow.models import PENDING, ApprovalInstance, ApprovalTask
from tests.factories import make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="票据.pdf"):
    return FileStorage(stream=io.BytesIO(PDF), filename=name)


def leave(days_after_start=0, kind="年假", start_half="am", end_half="pm"):
    start = dt.date(2026, 12, 7)
    return {"leave_type": kind, "reason": "回老家探亲。",
            "period": {"start": start.isoformat(), "end": (start + dt.timedelta(days=days_after_start)).isoformat(),
                       "start_half": start_half, "end_half": end_half}}


def expense(*amounts, receipts=True):
    return {"lines": [{"date": "2026-12-01", "category": "差旅费", "description": f"第{n}项", "amount": a,
                       **({"receipt": [pdf(f"票据{n}.pdf")]} if receipts else {})}
                      for n, a in enumerate(amounts, 1)]}


def steps_of(request):
    instance = db.session.scalar(select(ApprovalInstance).where(ApprovalInstance.document == "approval_requests",
                                                                ApprovalInstance.record_id == request.id))
    return instance, sorted({t.step_id for t in db.session.scalars(
        select(ApprovalTask).where(ApprovalTask.instance_id == instance.id))})


def count_requests():
    return db.session.scalar(select(func.count(ApprovalRequest.id)))


def test_the_four_forms_are_shipped_with_their_chains(org):
    shipped = {"leave": "leave_request", "expense": "expense_claim", "seal": "seal_request",
               "general": "general_request"}
    codes = {f.code: f.chain for f in service.active_forms()}
    # Other tests of the session may have defined forms of their own beside the shipped ones.
    assert {code: chain for code, chain in codes.items() if code in shipped} == shipped


def test_the_shipped_chains_check_clean_against_the_request_fields(app, ctx):
    from pathlib import Path

    from app.workflow.definitions import check_files, installed_documents

    root = Path(__file__).resolve().parents[3] / "workflows"
    files = [root / f"{n}.yaml" for n in ("leave_request", "expense_claim", "seal_request", "general_request")]
    definitions, problems = check_files(files, installed_documents())
    assert problems == [] and {d.document for d in definitions} == {"approval_requests"}


def test_a_leave_of_three_days_goes_to_the_manager_only(org):
    request = service.submit_request(org.east_rep, "leave", leave(2))
    assert request.status == "in_approval" and request.days == Decimal("3") and request.category == "年假"
    instance, steps = steps_of(request)
    assert steps == ["manager"]
    task = db.session.scalar(select(ApprovalTask).where(ApprovalTask.instance_id == instance.id))
    assert task.assignee_id == org.manager.id and task.status == PENDING


def test_a_leave_of_more_than_three_days_also_goes_to_the_department_head(org):
    from app.workflow import engine

    request = service.submit_request(org.east_rep, "leave", leave(3, kind="事假"))
    assert request.days == Decimal("4")
    instance, _steps = steps_of(request)
    task = db.session.scalar(select(ApprovalTask).where(ApprovalTask.instance_id == instance.id))
    engine.approve(org.manager, task.id, "同意。")
    db.session.expire_all()
    assert db.session.get(ApprovalInstance, instance.id).current_step == "department_head"


def test_half_days_count_as_half(org):
    request = service.submit_request(org.east_rep, "leave", leave(1, start_half="pm", end_half="am"))
    assert request.days == Decimal("1.0")


def test_an_expense_claim_sums_its_lines_and_keeps_the_receipts(org):
    request = service.submit_request(org.east_rep, "expense", expense("1200.50", "300"))
    assert request.total == Decimal("1500.50")
    lines = request.values["lines"]
    assert [line["amount"] for line in lines] == ["1200.50", "300.00"]
    assert all(len(line["receipt"]) == 1 for line in lines)
    _instance, steps = steps_of(request)
    assert steps == ["manager"]


@pytest.mark.parametrize("amounts, route", [(("3000", "2000"), ["manager", "finance"]),
                                            (("3000", "2000.01"), ["manager", "finance", "general_manager"])])
def test_an_expense_claim_over_5000_also_goes_to_the_general_manager(amounts, route, org):
    preview = service.route_preview(org.east_rep, "expense", expense(*amounts, receipts=False))
    assert preview["errors"] == {} and [s["id"] for s in preview["steps"]] == route


def test_the_route_preview_names_the_people_and_saves_nothing(org):
    before = count_requests()
    preview = service.route_preview(org.east_rep, "leave", leave(4))
    assert [s["id"] for s in preview["steps"]] == ["manager", "department_head"]
    assert any(org.manager.username in p for p in preview["steps"][0]["people"])
    assert count_requests() == before


def test_a_seal_request_and_a_general_request_are_submitted(org):
    seal = service.submit_request(org.east_rep, "seal", {"seal_kind": "公章", "document": [pdf("合同.pdf")],
                                                         "copies": "2", "purpose": "签订年度合同"})
    assert seal.category == "公章" and len(seal.values["document"]) == 1
    assert steps_of(seal)[1] == ["manager"]
    general = service.submit_request(org.east_rep, "general", {"title": "购买书籍", "content": "十本"})
    assert general.chain == "general_request" and steps_of(general)[1] == ["manager"]


@pytest.mark.parametrize("form, raw, key", [
    ("leave", {"leave_type": "年假", "reason": "x"}, "period"),
    ("leave", {**leave(0), "leave_type": "婚假"}, "leave_type"),
    ("leave", {**leave(0), "period": {"start": "2026-12-07", "end": "2026-12-06"}}, "period"),
    ("expense", {"lines": [{"date": "2026-12-01", "category": "餐费", "amount": "12.345"}]}, "lines.0.amount"),
    ("expense", {"lines": [{"date": "2026-12-01", "category": "餐费", "amount": "十二元"}]}, "lines.0.amount"),
    ("expense", {"lines": [{"date": "2026-12-01", "category": "餐费", "description": "午餐"}]}, "lines.0.amount"),
    ("expense", {"lines": []}, "lines"),
    ("seal", {"seal_kind": "公章", "copies": "1", "purpose": "x"}, "document"),
])
def test_wrong_values_are_refused_on_their_field_and_nothing_is_saved(form, raw, key, org):
    before = count_requests()
    with pytest.raises(ValidationErrors) as refused:
        service.submit_request(org.east_rep, form, raw)
    assert key in refused.value.errors
    assert all("\u4e00" <= ch <= "\u9fff" for ch in refused.value.errors[key][0][:1]) or refused.value.errors[key]
    assert count_requests() == before


def test_a_stranger_may_not_see_a_request_but_its_approver_may(org):
    from app.core.errors import NotFound

    request = service.submit_request(org.east_rep, "general", {"title": "买书", "content": "十本"})
    stranger = make_user("Sales", org.south, org.manager)
    with pytest.raises(NotFound):
        service.visible_request(stranger, request.id)
    assert service.visible_request(org.manager, request.id) is request
    assert service.visible_request(org.east_rep, request.id) is request
    assert service.visible_request(org.admin, request.id) is request


def test_someone_without_write_permission_cannot_submit(org):
    with pytest.raises(Forbidden):
        service.submit_request(org.readonly, "general", {"title": "买书", "content": "十本"})


def test_changing_a_form_keeps_old_requests_as_they_were(org):
    service.save_form(org.admin, code="trip", name="出差", chain="general_request", fields=[
        {"name": "city", "label": "目的地", "kind": "text", "required": True}])
    old = service.submit_request(org.east_rep, "trip", {"city": "上海"})
    service.save_form(org.admin, code="trip", name="出差申请", chain="general_request", fields=[
        {"name": "destination", "label": "出差城市", "kind": "text", "required": True},
        {"name": "budget", "label": "预算", "kind": "amount", "required": True}])
    db.session.expire_all()
    old = db.session.get(ApprovalRequest, old.id)
    fields = service.fields_of(old.approval_form, old.form_version)
    assert [f["name"] for f in fields] == ["city"] and old.values == {"city": "上海"}
    new = service.submit_request(org.east_rep, "trip", {"destination": "北京", "budget": "800"})
    assert new.form_version == old.form_version + 1 and new.total == Decimal("800.00")


def test_only_administrators_define_forms_and_bad_definitions_are_refused(org):
    with pytest.raises(Forbidden):
        service.save_form(org.east_rep, code="x1", name="X", chain="general_request",
                          fields=[{"name": "a", "label": "A", "kind": "text"}])
    with pytest.raises(ValidationErrors) as refused:
        service.save_form(org.admin, code="x2", name="X", chain="no_such_chain",
                          fields="- {name: a, label: A, kind: colour}")
    assert set(refused.value.errors) == {"chain", "fields"}


def test_a_refused_file_refuses_the_whole_request(org):
    before = count_requests()
    bad = FileStorage(stream=io.BytesIO(b"MZ\x90\x00\x03" + bytes(200)), filename="票据.pdf")
    with pytest.raises(Exception) as refused:
        service.submit_request(org.east_rep, "seal", {"seal_kind": "公章", "document": [bad], "copies": "1",
                                                      "purpose": "盖章"})
    assert getattr(refused.value, "code", "") == "files.type_refused"
    assert count_requests() == before


def test_a_half_day_that_ends_before_it_starts_is_refused(org):
    with pytest.raises(ValidationErrors) as refused:
        service.submit_request(org.east_rep, "leave", leave(0, start_half="pm", end_half="am"))
    assert "period" in refused.value.errors
