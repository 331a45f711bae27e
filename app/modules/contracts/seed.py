"""Demo contracts with the demo customers, and the legal department that reviews contracts on
non-standard terms (the contract_approval chain asks its head)."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from app.core.org import Department, User, place_department
from app.core.setup import DEMO_PASSWORD
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.contracts import service
from app.modules.contracts.models import APPROVED, Contract
from app.modules.customers.api import Customer

LEGAL_CODE = "LEGAL"
# (username, family name, given name, role, mobile): the head of 法务部.
LEGAL_HEAD = ("legal", "孙", "律明", "Manager", "13800138010")

KINDS = ["设备采购合同", "软件开发服务合同", "技术服务合同", "框架采购协议", "仓储物流服务合同",
         "系统集成项目合同", "设备维保服务合同", "产品代理销售协议", "广告投放服务合同", "管理咨询服务合同",
         "原材料供货合同", "工程施工合同"]
NOTES = ["付款方式：签订后预付30%，验收后付清。", "含一年免费维保。", "按季度结算，开具增值税专用发票。",
         "客户要求延长质保期至三年，条款经法务审核。", None, None, None]


def ensure_legal_department(admin, staff: dict) -> Department:
    """法务部 (code LEGAL) under the head office, headed by the demo user "legal", unless the
    demo already has a department with that code."""
    dept = db.session.scalar(select(Department).where(Department.code == LEGAL_CODE))
    if dept is not None:
        return dept
    sm = current_app.appbuilder.sm
    username, family, given, role, mobile = LEGAL_HEAD
    user = sm.find_user(username=username) or sm.add_user(
        username, given, family, f"{username}@demo.zhangwutong.cn", sm.find_role(role), password=DEMO_PASSWORD)
    parent = db.session.scalar(select(Department).where(Department.code == "HQ"))
    with unit_of_work(admin):
        dept = Department(code=LEGAL_CODE, name="法务部", parent=parent)
        db.session.add(dept)
        db.session.flush()
        place_department(dept)
        head = db.session.get(User, user.id)
        head.department_id = dept.id
        head.mobile = mobile
        dept.head_id = head.id
    staff[username] = head
    return dept


def _title(rng: random.Random, customer: Customer, year: int) -> str:
    short = customer.name.replace("股份有限公司", "").replace("有限公司", "")
    return f"{short}{year}年度{rng.choice(KINDS)}"


def load_demo(admin, staff: dict, seed: int = 2026, count: int = 80) -> str:
    ensure_legal_department(admin, staff)
    rng = random.Random(seed)
    customers = list(db.session.scalars(
        select(Customer).where(Customer.status.in_(["active", "potential", "dormant"])).order_by(Customer.id)))
    if not customers:
        return "0 contracts"
    now = dt.datetime.utcnow()
    made = 0
    for customer in rng.sample(customers, min(count, len(customers))):
        owner = customer.owner
        created = customer.created_at + (now - customer.created_at) * rng.random()
        starts = created.date() + dt.timedelta(days=rng.randint(3, 30))
        contract = service.create_contract(owner, Contract(
            title=_title(rng, customer, starts.year), customer_id=customer.id,
            amount=Decimal(rng.randrange(200, 8001) * 100),
            standard_terms=rng.random() > 0.25,
            starts_on=starts, ends_on=starts + dt.timedelta(days=365 * rng.choice([1, 1, 2, 3]) - 1),
            notes=rng.choice(NOTES), owner_id=owner.id, created_at=created))
        made += 1
        age = (now - created).days
        if age > 120:
            # Contracts concluded before approvals were kept in 掌务通 arrive as approved, then
            # go through the same signing (and archiving) steps as any other.
            with unit_of_work(admin):
                contract.status = APPROVED
            contract.signed_on = starts - dt.timedelta(days=rng.randint(1, 5))
            service.mark_signed(owner, [contract])
            if contract.ends_on < now.date():
                service.archive(owner, [contract])
    return f"{made} contracts"
