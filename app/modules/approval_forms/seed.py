"""The shipped approval forms (created by `run.py init` when missing, never overwritten) and demo
requests for `run.py demo`."""
from __future__ import annotations

import datetime as dt
import io
import random

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.core.errors import DomainError
from app.core.org import Department, User, place_department
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.approval_forms import service
from app.modules.approval_forms.models import ApprovalForm, ApprovalRequest

OFFICE_CODE = "OFFICE"
# (username, family name, given name, role): the head of 行政部, who keeps the company seals.
OFFICE_HEAD = ("office", "周", "文静", "Manager")

SHIPPED = [
    dict(code="leave", name="请假", icon="fa-calendar", group="人事", position=1, chain="leave_request",
         description="年假、事假、病假、调休；三天以上还需部门负责人审批。",
         fields=[
             {"name": "leave_type", "label": "请假类型", "kind": "choice", "required": True,
              "options": ["年假", "事假", "病假", "调休"]},
             {"name": "period", "label": "请假时间", "kind": "daterange", "required": True, "half_day": True,
              "help": "可按半天请假：开始选“下午”、结束选“上午”各算半天。"},
             {"name": "reason", "label": "请假事由", "kind": "textarea", "required": True},
             {"name": "handover", "label": "工作交接人", "kind": "user", "required": False},
         ]),
    dict(code="expense", name="报销", icon="fa-money", group="财务", position=1, chain="expense_claim",
         description="差旅、交通、招待等费用报销；超过 5000 元还需总经理审批。",
         fields=[
             {"name": "lines", "label": "费用明细", "kind": "table", "required": True, "columns": [
                 {"name": "date", "label": "日期", "kind": "date", "required": True},
                 {"name": "category", "label": "费用类别", "kind": "choice", "required": True,
                  "options": ["差旅费", "交通费", "餐费", "招待费", "办公用品", "通讯费", "其他"]},
                 {"name": "description", "label": "说明", "kind": "text"},
                 {"name": "amount", "label": "金额", "kind": "amount", "required": True},
                 {"name": "receipt", "label": "票据", "kind": "attachment"},
             ]},
             {"name": "note", "label": "备注", "kind": "textarea"},
         ]),
    dict(code="seal", name="用印", icon="fa-certificate", group="行政", position=1, chain="seal_request",
         description="加盖公章、合同章、财务章或法人章。",
         fields=[
             {"name": "seal_kind", "label": "印章类型", "kind": "choice", "required": True,
              "options": ["公章", "合同专用章", "财务专用章", "法人章"]},
             {"name": "document", "label": "用印文件", "kind": "attachment", "required": True},
             {"name": "copies", "label": "用印份数", "kind": "number", "required": True},
             {"name": "purpose", "label": "用印事由", "kind": "textarea", "required": True},
         ]),
    dict(code="general", name="通用审批", icon="fa-file-text-o", group="行政", position=9, chain="general_request",
         description="其他需要领导审批的事项。",
         fields=[
             {"name": "title", "label": "标题", "kind": "text", "required": True},
             {"name": "content", "label": "内容", "kind": "textarea", "required": True},
             {"name": "attachments", "label": "附件", "kind": "attachment"},
         ]),
]


def ensure_shipped_forms() -> list[str]:
    """Create the shipped forms that do not exist yet; returns the codes created."""
    made = []
    for form in SHIPPED:
        if db.session.scalar(select(ApprovalForm.id).where(ApprovalForm.code == form["code"])) is None:
            service.save_form(None, check_chain=False, **form)
            made.append(form["code"])
    return made


def ensure_office(admin, staff: dict) -> Department:
    """行政部 (code OFFICE) under the head office, headed by the demo user "office" (the seal step
    of 用印 asks its head)."""
    dept = db.session.scalar(select(Department).where(Department.code == OFFICE_CODE))
    if dept is not None:
        return dept
    from flask import current_app

    from app.core.setup import DEMO_PASSWORD

    sm = current_app.appbuilder.sm
    username, family, given, role = OFFICE_HEAD
    user = sm.find_user(username=username) or sm.add_user(
        username, given, family, f"{username}@demo.zhangwutong.cn", sm.find_role(role), password=DEMO_PASSWORD)
    parent = db.session.scalar(select(Department).where(Department.code == "HQ"))
    with unit_of_work(admin):
        dept = Department(code=OFFICE_CODE, name="行政部", parent=parent)
        db.session.add(dept)
        db.session.flush()
        place_department(dept)
        head = db.session.get(User, user.id)
        head.department_id = dept.id
        dept.head_id = head.id
    staff[username] = head
    return dept


REASONS = ["家中有事需处理。", "身体不适，需要休息。", "回老家探亲。", "孩子开家长会。", "办理个人证件。"]
LINES = [("差旅费", "上海往返高铁票"), ("交通费", "拜访客户打车"), ("餐费", "出差餐补"), ("招待费", "客户来访接待"),
         ("办公用品", "打印纸、文件夹"), ("通讯费", "本月话费")]


def _pdf(name: str) -> FileStorage:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return FileStorage(stream=io.BytesIO(body), filename=name)


def load_demo(admin, staff: dict, seed: int = 2026, count: int = 24) -> str:
    ensure_office(admin, staff)
    if db.session.scalar(select(ApprovalRequest.id).limit(1)) is not None:
        return "approval requests already there"
    rng = random.Random(seed)
    people = [u for u in db.session.scalars(select(User).where(User.active.is_(True), User.manager_id.isnot(None))
                                            .order_by(User.id))]
    if not people:
        return "0 approval requests"
    today = dt.date.today()
    made = 0
    for n in range(count):
        person = rng.choice(people)
        kind = ["leave", "leave", "expense", "expense", "seal", "general"][n % 6]
        start = today + dt.timedelta(days=rng.randint(-20, 20))
        if kind == "leave":
            raw = {"leave_type": rng.choice(["年假", "事假", "病假", "调休"]),
                   "period": {"start": start.isoformat(),
                              "end": (start + dt.timedelta(days=rng.choice([0, 0, 1, 2, 4]))).isoformat(),
                              "start_half": rng.choice(["am", "am", "pm"]), "end_half": "pm"},
                   "reason": rng.choice(REASONS)}
        elif kind == "expense":
            raw = {"lines": [{"date": (start - dt.timedelta(days=i)).isoformat(), "category": c, "description": d,
                              "amount": f"{rng.randrange(30, 3600)}.{rng.choice(['00', '50', '80'])}",
                              "receipt": _pdf(f"票据{i + 1}.pdf")}
                             for i, (c, d) in enumerate(rng.sample(LINES, rng.randint(1, 3)))]}
        elif kind == "seal":
            raw = {"seal_kind": rng.choice(["公章", "合同专用章"]), "document": _pdf("合同盖章版.pdf"),
                   "copies": str(rng.randint(1, 4)), "purpose": "与客户签订年度服务合同。"}
        else:
            raw = {"title": "申请购买部门培训书籍", "content": "为提升团队业务能力，申请购买专业书籍 10 本。"}
        try:
            service.submit_request(person, kind, raw, comment="请审批。")
        except DomainError:
            db.session.rollback()
            continue
        made += 1
    return f"{made} approval requests"
