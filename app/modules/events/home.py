"""Home page panel: the reader's event preparation tasks not done, due within a week or overdue."""
from __future__ import annotations

import datetime as dt

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.clock import company_today
from app.core.home import HomeItem, HomePanel
from app.core.home_parts import capped, due_note
from app.core.registry import registry
from app.extensions import db
from app.modules.events.models import CANCELLED, Event
from app.modules.events.plan_models import DONE, EventTask


def _mine(user, until: dt.date):
    return (select(EventTask.id).join(Event, Event.id == EventTask.event_id)
            .where(EventTask.owner_id == user.id, EventTask.status != DONE, EventTask.due_on <= until,
                   Event.status != CANCELLED))


def _items(user, limit):
    today = company_today()
    view = registry.views["events"].__name__
    rows = db.session.execute(select(EventTask.title, EventTask.due_on, Event.id, Event.code)
                              .join(Event, Event.id == EventTask.event_id)
                              .where(EventTask.id.in_(_mine(user, today + dt.timedelta(days=7))))
                              .order_by(EventTask.due_on, EventTask.id).limit(limit))
    out = []
    for title, due, event_id, code in rows:
        note, tone = due_note(due, today)
        out.append(HomeItem(f"{code} · {title}", url_for(f"{view}.show", pk=event_id), note, tone))
    return out


PANELS = [
    HomePanel(key="event-tasks", title=_l("My event tasks"), items=_items, permission=("can_read", "events"),
              count=lambda user: capped(_mine(user, company_today())),
              more_url=lambda: url_for("ScheduleView.index", view="timeline"),
              empty=_l("No event task due in the next seven days."), icon="fa-tasks", order=36),
]
