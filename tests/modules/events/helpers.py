"""Events for the tests, made through the service."""
from __future__ import annotations

import datetime as dt

from app.core.clock import utcnow
from app.modules.events import service
from app.modules.events.models import Event
from tests.conftest import unique

_phones = iter(range(10_000_000, 99_999_999, 7919))


def phone() -> str:
    """A mobile number no other test registered."""
    return f"139{next(_phones):08d}"


def event(actor, capacity=None, opened=True, **fields) -> Event:
    start = utcnow() + dt.timedelta(days=7)
    made = service.create_event(actor, Event(title=fields.pop("title", unique("客户答谢会")), kind="meeting",
                                             starts_at=start, ends_at=start + dt.timedelta(hours=3),
                                             venue="上海国际会议中心", capacity=capacity, **fields))
    if opened:
        service.advance(actor, made.id, "open")
    return made
