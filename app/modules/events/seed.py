"""Demo events: a past 客户答谢会 (ended, with registrations and check-ins), a trade show open for registration
with a waiting list, a live stream in preparation — owned by the marketing demo user (周敏)."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select

from app.core.clock import utcnow
from app.extensions import db
from decimal import Decimal

from app.modules.events import planning, resources, service
from app.modules.events.models import APPROVAL_DONE, Event
from app.modules.events.plan_models import (DOING, DONE, MATERIAL, STAFF, TODO, VENUE, EventAllocation, EventExpense,
                                            EventResource, EventSession, EventTask)

SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"]
DEMO_TITLE = "2026年度客户答谢会"
COMPANIES = ["上海华信精密", "杭州远景科技", "苏州恒通机电", "南京宏达贸易", "宁波东方材料", "无锡联创电子"]


def _people(rng, count: int) -> list[dict]:
    return [{"name": rng.choice(SURNAMES) + rng.choice(GIVEN),
             "phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}", "company": rng.choice(COMPANIES),
             "consent": "1"} for _ in range(count)]


def load_demo(admin, staff: dict, seed: int = 2026) -> str:
    if db.session.scalar(select(func.count()).select_from(Event).where(Event.title == DEMO_TITLE)):
        return "0 events"
    owner = staff.get("zhoumin") or admin
    rng = random.Random(seed)
    now = utcnow().replace(minute=0, second=0, microsecond=0)

    past = service.create_event(owner, Event(
        title=DEMO_TITLE, kind="meeting", starts_at=now - dt.timedelta(days=20),
        ends_at=now - dt.timedelta(days=20, hours=-4), venue="上海浦东香格里拉大酒店", capacity=80, budget=60000,
        asked="company,title", description="感谢客户一年来的支持：新品发布、抽奖与晚宴。"))
    _approved(past)
    _plan_past(owner, past)
    service.advance(owner, past.id, "open")
    guests = [service.register(None, past.id, person, now=now - dt.timedelta(days=30))
              for person in _people(rng, 40)]
    service.advance(owner, past.id, "start")
    for guest in guests[:33]:
        service.check_in(owner, past.id, guest.code, now=now - dt.timedelta(days=20))
    service.advance(owner, past.id, "end")

    show = service.create_event(owner, Event(
        title="2027上海国际工业博览会展位", kind="exhibition", starts_at=now + dt.timedelta(days=25),
        ends_at=now + dt.timedelta(days=27), venue="国家会展中心（上海）8.1H", capacity=30, budget=120000,
        asked="company,email", consent_text="我同意掌务通使用以上信息联系我参加本次展会。",
        registration_deadline=now + dt.timedelta(days=24)))
    _approved(show)
    service.advance(owner, show.id, "open")
    for number, person in enumerate(_people(rng, 34), start=1):
        service.register(None, show.id, {**person, "email": f"guest{number:02d}@example.com"})

    service.create_event(owner, Event(
        title="新品线上发布直播", kind="live", starts_at=now + dt.timedelta(days=45),
        ends_at=now + dt.timedelta(days=45, hours=2), online_url="https://live.example.com/zwt-2027",
        budget=15000, asked="company"))
    _plan_show(owner, show)
    return "3 events, 74 registrations"


def _approved(event) -> None:
    """The demo's big events, approved (活动预算审批) before the demo begins."""
    event.approval = APPROVAL_DONE
    db.session.commit()


def _plan_past(owner, past) -> None:
    """Resources, and the customer evening's agenda, bookings and expenses (made while it was prepared)."""
    hall = resources.event_resources.create(owner, EventResource(
        kind=VENUE, name="浦东香格里拉·宴会厅", unit="天", unit_cost=Decimal("18000"), capacity=120))
    resources.event_resources.create(owner, EventResource(
        kind=VENUE, name="公司总部一楼多功能厅", unit="天", unit_cost=Decimal("0"), capacity=60))
    resources.event_resources.create(owner, EventResource(
        kind=MATERIAL, name="易拉宝展架", unit="个", unit_cost=Decimal("180"), stock=20))
    gifts = resources.event_resources.create(owner, EventResource(
        kind=MATERIAL, name="定制伴手礼", unit="份", unit_cost=Decimal("88"), stock=200))
    host = resources.event_resources.create(owner, EventResource(
        kind=STAFF, name=f"主持人 {owner.display_name}", unit="人天", unit_cost=Decimal("800"), user_id=owner.id))
    for title, start, hours, speaker in (("签到与茶歇", 0, 1, None), ("年度回顾与新品发布", 1, 1, "总经理"),
                                         ("客户分享", 2, 1, "华信精密 采购总监"), ("抽奖与晚宴", 3, 1, None)):
        planning.event_sessions.create(owner, EventSession(
            event_id=past.id, title=title, starts_at=past.starts_at + dt.timedelta(hours=start),
            ends_at=past.starts_at + dt.timedelta(hours=start + hours), speaker=speaker, room="宴会厅"))
    day = past.starts_at.replace(hour=0)
    for resource, quantity in ((hall, 1), (gifts, 40), (host, 1)):
        resources.allocate(owner, EventAllocation(event_id=past.id, resource_id=resource.id, quantity=quantity,
                                                  starts_at=day, ends_at=day + dt.timedelta(days=1)))
    resources.event_expenses.create(owner, EventExpense(event_id=past.id, title="邀请函印刷与快递",
                                                        amount=Decimal("2400"), spent_on=day.date()))


def _plan_show(owner, show) -> None:
    """The trade show's booth material and its preparation tasks and milestone."""
    booth = db.session.scalar(select(EventResource).where(EventResource.name == "易拉宝展架"))
    resources.allocate(owner, EventAllocation(event_id=show.id, resource_id=booth.id, quantity=6))
    start = show.starts_at.date()
    for title, before, length, milestone, status in (
            ("确定展位设计方案", 30, 5, False, DONE), ("展品清单与物流", 20, 10, False, DOING),
            ("邀请重点客户", 18, 12, False, DOING), ("展位搭建完成", 1, 1, True, TODO),
            ("展后线索分配", -5, 3, False, TODO)):
        due = start - dt.timedelta(days=before) + dt.timedelta(days=length - 1)
        planning.event_tasks.create(owner, EventTask(
            event_id=show.id, title=title, owner_id=owner.id, starts_on=start - dt.timedelta(days=before),
            due_on=due, milestone=milestone, status=status))
