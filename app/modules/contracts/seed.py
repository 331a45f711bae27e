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
from app.modules.contracts import lines, service
from app.modules.contracts.models import APPROVED, Contract, ContractInstalment, ContractType
from app.modules.customers.api import Contact, Customer

LEGAL_CODE = "LEGAL"
# (username, family name, given name, role, mobile): the head of 法务部.
LEGAL_HEAD = ("legal", "孙", "律明", "Manager", "13800138010")

KINDS = ["设备采购合同", "软件开发服务合同", "技术服务合同", "框架采购协议", "仓储物流服务合同",
         "系统集成项目合同", "设备维保服务合同", "产品代理销售协议", "广告投放服务合同", "管理咨询服务合同",
         "原材料供货合同", "工程施工合同"]
# Payment terms the demo contracts use: (name, basis, days, percent).
PLANS = [
    [("全款", "signing", 15, "100")],
    [("预付款", "signing", 7, "30"), ("尾款", "delivery", 30, "70")],
    [("预付款", "signing", 7, "30"), ("到货款", "delivery", 10, "60"), ("质保金", "delivery", 365, "10")],
    [("首期", "signing", 0, "50"), ("二期", "delivery", 0, "50")],
]
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


def seal_picture(text: str = "合同专用章") -> bytes:
    """A round red seal (公司印章) drawn for the demo: the company's name around a star."""
    import io
    import math

    from PIL import Image, ImageDraw

    from app.core.signing import _font

    size = 360
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    red = (210, 20, 20, 235)
    draw.ellipse((8, 8, size - 8, size - 8), outline=red, width=12)
    centre = size / 2
    star = [(centre + (70 if i % 2 == 0 else 28) * math.sin(i * math.pi / 5),
             centre - (70 if i % 2 == 0 else 28) * math.cos(i * math.pi / 5)) for i in range(10)]
    draw.polygon(star, fill=red)
    font = _font(34)
    name = (current_app.config.get("APP_NAME") or "掌务通") + "演示有限公司"
    for number, char in enumerate(name):
        angle = math.radians(-120 + 240 * number / max(len(name) - 1, 1))
        x, y = centre + 128 * math.sin(angle), centre - 128 * math.cos(angle)
        glyph = Image.new("RGBA", (44, 44), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((5, 2), char, font=font, fill=red)
        glyph = glyph.rotate(-math.degrees(angle), resample=Image.BICUBIC)
        image.alpha_composite(glyph, (int(x - 22), int(y - 22)))
    words = _font(30)
    width = draw.textlength(text, font=words)
    draw.text((centre - width / 2, centre + 88), text, font=words, fill=red)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _signing_setup(admin, staff: dict) -> None:
    """The demo signs electronically: 张伟 (head of sales) signs for the company, with the contract seal."""
    from app.core.files.service import attach_generated
    from app.modules.contracts.models import ContractSeal

    signer = staff.get("zhangwei")
    with unit_of_work(admin):
        for kind in db.session.scalars(select(ContractType).where(ContractType.signer_id.is_(None))):
            kind.signer_id = signer.id if signer is not None else None
        if db.session.scalar(select(ContractSeal.id).limit(1)) is None:
            seal = ContractSeal(name="合同专用章", active=True, notes="演示用印章")
            db.session.add(seal)
            db.session.flush()
            attach_generated("contract_seals", seal.id, seal_picture(), "合同专用章.png", content_type="image/png",
                             actor=admin)


def load_demo(admin, staff: dict, seed: int = 2026, count: int = 80) -> str:
    ensure_legal_department(admin, staff)
    _signing_setup(admin, staff)
    rng = random.Random(seed)
    customers = list(db.session.scalars(
        select(Customer).where(Customer.status.in_(["active", "potential", "dormant"])).order_by(Customer.id)))
    if not customers:
        return "0 contracts"
    now = dt.datetime.utcnow()
    types = list(db.session.scalars(select(ContractType).where(ContractType.active.is_(True))
                                    .order_by(ContractType.sort_order)))
    made = 0
    for customer in rng.sample(customers, min(count, len(customers))):
        owner = customer.owner
        created = customer.created_at + (now - customer.created_at) * rng.random()
        starts = created.date() + dt.timedelta(days=rng.randint(3, 30))
        contact = db.session.scalar(select(Contact.id).where(Contact.customer_id == customer.id)
                                    .order_by(Contact.is_primary.desc(), Contact.id).limit(1))
        contract = service.create_contract(owner, Contract(
            title=_title(rng, customer, starts.year), customer_id=customer.id,
            amount=Decimal(rng.randrange(200, 8001) * 100),
            standard_terms=rng.random() > 0.25, type_id=rng.choice(types).id if types else None,
            contact_id=contact, starts_on=starts,
            ends_on=starts + dt.timedelta(days=365 * rng.choice([1, 1, 2, 3]) - 1),
            notes=rng.choice(NOTES), owner_id=owner.id, created_at=created))
        for seq, (name, basis, days, percent) in enumerate(rng.choice(PLANS), start=1):
            lines.save_instalment(owner, ContractInstalment(contract_id=contract.id, seq=seq, name=name, basis=basis,
                                                            days=days, percent=percent))
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
