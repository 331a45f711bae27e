"""Demo events: a past 客户答谢会 (ended, with registrations and check-ins), a trade show open for registration
with a waiting list, a live stream in preparation — owned by the marketing demo user (周敏)."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select

from app.core.clock import utcnow
from app.extensions import db
from app.modules.events import service
from app.modules.events.models import Event

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
    service.advance(owner, show.id, "open")
    for number, person in enumerate(_people(rng, 34), start=1):
        service.register(None, show.id, {**person, "email": f"guest{number:02d}@example.com"})

    service.create_event(owner, Event(
        title="新品线上发布直播", kind="live", starts_at=now + dt.timedelta(days=45),
        ends_at=now + dt.timedelta(days=45, hours=2), online_url="https://live.example.com/zwt-2027",
        budget=15000, asked="company"))
    return "3 events, 74 registrations"
