"""活动日程 and the resource calendar (/event_schedule/): a month or week calendar of events and their
milestones, a Gantt-like timeline of events with their preparation tasks (a task dragged to new dates is moved),
and the resources' bookings on the same timeline; and 活动效果分析 (/event_analysis/). All drawn with the app's own
assets."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import jsonify, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core.clock import company_today
from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.extensions import db

VIEWS = ("month", "week", "timeline", "resources")
LONGEST_TIMELINE = 62


def local_date(moment: dt.datetime) -> dt.date:
    """The day a stored moment (naive UTC) falls on in the user's time zone."""
    from app.core.webhooks import local_time

    return dt.date.fromisoformat(local_time(moment, "%Y-%m-%d"))


@dataclass
class Bar:
    """Something drawn from one day to another on the timeline: where it starts and how wide, in per cent."""
    left: float
    width: float
    item: object
    starts: dt.date
    ends: dt.date


def _day(raw, default: dt.date) -> dt.date:
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        raise ValidationErrors({"day": [_("Enter a date like 2026-01-31.")]}) from None


def _bar(first: dt.date, days: int, starts: dt.date, ends: dt.date, item) -> Bar | None:
    last = first + dt.timedelta(days=days - 1)
    if ends < first or starts > last:
        return None
    shown_start, shown_end = max(starts, first), min(ends, last)
    left = (shown_start - first).days / days * 100
    width = ((shown_end - shown_start).days + 1) / days * 100
    return Bar(round(left, 3), round(width, 3), item, starts, ends)


def _range(view: str, day: dt.date) -> tuple[dt.date, int]:
    """The first day shown and how many days."""
    if view == "week":
        return day - dt.timedelta(days=day.weekday()), 7
    if view == "month":
        first = day.replace(day=1)
        start = first - dt.timedelta(days=first.weekday())
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        end = following - dt.timedelta(days=1)
        end += dt.timedelta(days=6 - end.weekday())
        return start, (end - start).days + 1
    first = day - dt.timedelta(days=day.weekday())         # timelines: five weeks from the week of `day`
    return first, 35


class ScheduleView(BaseView):
    """/event_schedule/?view=month|week|timeline|resources&day=YYYY-MM-DD"""

    route_base = "/event_schedule"
    default_view = "index"
    class_permission_name = "events"
    method_permission_name = {"index": "read", "move": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def index(self):
        from flask import current_app

        from app.modules.events import planning

        view = request.args.get("view") or "month"
        today = company_today()
        try:
            if view not in VIEWS:
                raise ValidationErrors({"view": [_("Choose the month, the week, the timeline or the resources.")]})
            day = _day(request.args.get("day"), today)
        except ValidationErrors as exc:
            return self.render_template("events/schedule.html", errors=exc.errors, view="month", title=_(
                "Event schedule"), days=[], weeks=[], rows=[], today=today, day=today, steps={}), 400
        first, count = _range(view, day)
        last = first + dt.timedelta(days=count - 1)
        actor = current_actor()
        found = planning.schedule(actor, first, last)
        days = [first + dt.timedelta(days=n) for n in range(count)]
        context = dict(view=view, day=day, today=today, days=days, errors={}, title=_("Event schedule"),
                       steps=self._steps(view, day), can_move=current_app.appbuilder.sm.has_access("can_write",
                                                                                                   "events"))
        if view in ("month", "week"):
            by_day = {d: {"events": [], "milestones": []} for d in days}
            for event in found["events"]:
                for n in range((local_date(event.ends_at) - local_date(event.starts_at)).days + 1):
                    shown = local_date(event.starts_at) + dt.timedelta(days=n)
                    if shown in by_day:
                        by_day[shown]["events"].append(event)
            for task in found["tasks"]:
                if task.due_on in by_day and (task.milestone or view == "week"):
                    by_day[task.due_on]["milestones"].append(task)
            weeks = [days[n:n + 7] for n in range(0, len(days), 7)]
            return self.render_template("events/schedule.html", weeks=weeks, by_day=by_day, rows=[], **context)
        if view == "resources":
            rows = self._resource_rows(first, count)
        else:
            rows = self._event_rows(found, first, count)
        return self.render_template("events/schedule.html", weeks=[], rows=rows, **context)

    @staticmethod
    def _steps(view: str, day: dt.date) -> dict:
        if view == "month":
            back = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            on = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        else:
            length = 7 if view == "week" else 28
            back, on = day - dt.timedelta(days=length), day + dt.timedelta(days=length)
        return {"back": back.isoformat(), "on": on.isoformat()}

    @staticmethod
    def _event_rows(found, first, count) -> list:
        tasks_of: dict[int, list] = {}
        for task in found["tasks"]:
            tasks_of.setdefault(task.event_id, []).append(task)
        events = {event.id: event for event in found["events"]}
        for task in found["tasks"]:
            events.setdefault(task.event_id, task.event)
        rows = []
        for event in sorted(events.values(), key=lambda e: (e.starts_at, e.id)):
            bar = _bar(first, count, local_date(event.starts_at), local_date(event.ends_at), event)
            tasks = [b for b in (_bar(first, count, t.starts_on, t.due_on, t) for t in tasks_of.get(event.id, []))
                     if b is not None]
            rows.append({"event": event, "bar": bar, "tasks": tasks})
        return rows

    @staticmethod
    def _resource_rows(first, count) -> list:
        from sqlalchemy import select

        from app.modules.events.plan_models import EventResource
        from app.modules.events.resources import bookings_between

        resources = list(db.session.scalars(select(EventResource).where(EventResource.active.is_(True))
                                            .order_by(EventResource.kind, EventResource.name).limit(200)))
        start = dt.datetime.combine(first, dt.time.min)
        bookings = bookings_between([r.id for r in resources], start, start + dt.timedelta(days=count))
        of: dict[int, list] = {}
        for booking in bookings:
            bar = _bar(first, count, local_date(booking.starts_at),
                       local_date(booking.ends_at - dt.timedelta(seconds=1)), booking)
            if bar is not None:
                of.setdefault(booking.resource_id, []).append(bar)
        return [{"resource": r, "bookings": of.get(r.id, [])} for r in resources]

    @expose("/move/<int:task_id>", methods=["POST"])
    @has_access
    def move(self, task_id: int):
        from app.modules.events import planning

        try:
            starts = _day(request.form.get("starts_on"), None)
            due = _day(request.form.get("due_on"), None)
            if starts is None or due is None:
                raise ValidationErrors({"due_on": [_("Enter a date like 2026-01-31.")]})
            task = planning.move_task(current_actor(), task_id, starts, due)
        except ValidationErrors as exc:
            return jsonify(message=next(iter(exc.errors.values()))[0]), 400
        except DomainError as exc:
            return jsonify(message=exc.message), exc.status
        return jsonify(message=_("%(task)s: %(start)s to %(due)s.", task=task.title, start=task.starts_on.isoformat(),
                                 due=task.due_on.isoformat()),
                       starts_on=task.starts_on.isoformat(), due_on=task.due_on.isoformat())
