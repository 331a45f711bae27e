"""The screens: 发起审批 lists the forms, a form renders and refuses wrong values on the page
(400, nothing saved), a submitted 报销 shows its lines, sums and total in 人民币大写, approvers
open the request and its files, strangers get 404, administrators define forms."""
import io

from sqlalchemy import func, select

from app.extensions import db
from app.modules.approval_forms import service
from app.modules.approval_forms.models import ApprovalRequest
from tests.factories import make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_launch_page_lists_the_forms_by_group(org, login):
    page = login(org.east_rep).get("/approval_forms/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in ("请假", "报销", "用印", "通用审批", "人事", "财务"):
        assert name in html


def test_the_leave_form_renders_its_fields(org, login):
    html = login(org.east_rep).get("/approval_forms/new/leave").get_data(as_text=True)
    assert "请假类型" in html and "f-period-start" in html and "年假" in html


def test_a_wrong_expense_is_refused_on_the_page_and_nothing_is_saved(org, login):
    before = db.session.scalar(select(func.count(ApprovalRequest.id)))
    page = login(org.east_rep).post("/approval_forms/new/expense", data={
        "f-lines-0-date": "2026-12-01", "f-lines-0-category": "餐费", "f-lines-0-amount": "abc"})
    assert page.status_code == 400
    assert "金额" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ApprovalRequest.id))) == before


def test_an_expense_claim_shows_its_lines_total_and_capitals(org, login):
    client = login(org.east_rep)
    page = client.post("/approval_forms/new/expense", content_type="multipart/form-data", data={
        "f-lines-0-date": "2026-12-01", "f-lines-0-category": "差旅费", "f-lines-0-description": "高铁",
        "f-lines-0-amount": "1200.50", "f-lines-0-receipt": (io.BytesIO(PDF), "票据.pdf"),
        "f-lines-1-date": "2026-12-02", "f-lines-1-category": "餐费", "f-lines-1-amount": "99.50"})
    assert page.status_code == 302, page.get_data(as_text=True)[:2000]
    request_id = int(page.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    html = client.get(f"/approval_forms/request/{request_id}").get_data(as_text=True)
    assert "1,300.00" in html and "壹仟叁佰元整" in html and "票据.pdf" in html
    # The approver opens it and its receipt through their task; a stranger is told nothing.
    request = db.session.get(ApprovalRequest, request_id)
    receipt = request.values["lines"][0]["receipt"][0]
    manager = login(org.manager)
    assert manager.get(f"/approval_forms/request/{request_id}").status_code == 200
    assert manager.get(f"/approval_forms/request/{request_id}/file/{receipt}").data == PDF
    stranger = login(make_user("Sales", org.south))
    assert stranger.get(f"/approval_forms/request/{request_id}").status_code == 404
    assert stranger.get(f"/approval_forms/request/{request_id}/file/{receipt}").status_code == 404


def test_the_route_preview_answers_for_the_page(org, login):
    answer = login(org.east_rep).post("/approval_forms/preview/leave", data={
        "f-leave_type": "年假", "f-period-start": "2026-12-07", "f-period-end": "2026-12-11",
        "f-reason": "探亲"}).get_json()
    assert [s["id"] for s in answer["steps"]] == ["manager", "department_head"]


def test_administrators_define_forms_and_staff_may_not(org, login):
    assert login(org.east_rep).get("/approval_forms/admin/").status_code in (302, 403)
    admin = login(org.admin)
    assert "请假" in admin.get("/approval_forms/admin/").get_data(as_text=True)
    page = admin.post("/approval_forms/admin/edit/", data={
        "code": "car", "name": "用车", "icon": "fa-car", "group": "行政", "chain": "general_request",
        "active": "1", "position": "3",
        "fields": "- {name: destination, label: 目的地, kind: text, required: true}\n"
                  "- {name: when, label: 用车时间, kind: daterange}\n"})
    assert page.status_code == 302
    assert service.form_by_code("car").name == "用车"
    bad = admin.post("/approval_forms/admin/edit/", data={"code": "bad", "name": "坏", "chain": "general_request",
                                                         "fields": "- {name: x, label: X, kind: colour}"})
    assert bad.status_code == 400


def test_the_approvals_inbox_link_to_a_request_leads_to_its_page(org, login):
    request = service.submit_request(org.east_rep, "leave", {
        "leave_type": "调休", "reason": "加班调休",
        "period": {"start": "2026-12-07", "end": "2026-12-08", "start_half": "pm", "end_half": "pm"}})
    manager = login(org.manager)
    page = manager.get(f"/approval_requests/show/{request.id}")
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/approval_forms/request/{request.id}")
    html = manager.get(f"/approval_forms/request/{request.id}").get_data(as_text=True)
    assert "调休" in html and "2026-12-07 下午" in html and "1.5" in html


def test_my_requests_list_and_the_api_show_only_my_own(org, login, api_token):
    mine = service.submit_request(org.east_rep, "general", {"title": "申请白板", "content": "会议室用"})
    theirs = service.submit_request(org.south_rep, "general", {"title": "申请投影仪", "content": "会议室用"})
    client = login(org.east_rep)
    html = client.get("/approval_requests/list/").get_data(as_text=True)
    assert mine.code in html and theirs.code not in html
    answer = client.get("/api/v1/approval_requests/", headers=api_token(org.east_rep))
    assert answer.status_code == 200
    codes = {row["code"] for row in answer.get_json()["result"]}
    assert mine.code in codes and theirs.code not in codes
    assert client.get(f"/api/v1/approval_requests/{theirs.id}", headers=api_token(org.east_rep)).status_code == 404


def test_a_request_reads_as_submitted_after_its_form_changes(org, login):
    service.save_form(org.admin, code="visit", name="外出", chain="general_request", fields=[
        {"name": "place", "label": "外出地点", "kind": "text", "required": True}])
    old = service.submit_request(org.east_rep, "visit", {"place": "客户现场"})
    service.save_form(org.admin, code="visit", name="外出登记", chain="general_request", fields=[
        {"name": "where", "label": "去向", "kind": "text", "required": True}])
    html = login(org.east_rep).get(f"/approval_forms/request/{old.id}").get_data(as_text=True)
    assert "外出地点" in html and "客户现场" in html and "去向" not in html
