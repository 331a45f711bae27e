"""An event's agenda and its preparation (活动日程): agenda sessions, tasks and milestones with owners, dates and
status, moved by dragging on the timeline; owners reminded by a daily job the day before a task is due.
Screens, the API and the job call these."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from app.core.clock import company_today, utcnow
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.org import User
from app.core.scope import scope_clause, visible
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.events.models import CANCELLED, ENDED, Event
from app.modules.events.plan_models import DONE, TASK_STATUS_CHOICES, TODO, EventSession, EventTask

LONGEST_TASK = dt.timedelta(days=366)


class WrongState(DomainError):
    status = 409


def event_for_change(actor, event_id) -> Event:
    """The event a plan's record (agenda, task, booking, expense) belongs to, if the actor may see it and it is
    neither ended nor cancelled."""
    event = visible("events", actor, event_id) if actor is not None else db.session.get(Event, event_id)
    if event is None:
        raise ValidationErrors({"event": [_("Choose an event from the list.")]})
    if event.status in (ENDED, CANCELLED):
        raise WrongState("events.closed", _("An ended or cancelled event is not changed."))
    return event


# -- agenda -----------------------------------------------------------------------------------------------------
def _check_session(actor, item: EventSession) -> None:
    errors: dict[str, list[str]] = {}
    item.title = (item.title or "").strip()
    if not item.title:
        errors["title"] = [_("Please enter the title.")]
    if item.starts_at is None:
        errors["starts_at"] = [_("Please enter when it starts.")]
    if item.ends_at is None:
        errors["ends_at"] = [_("Please enter when it ends.")]
    elif item.starts_at is not None and item.ends_at < item.starts_at:
        errors["ends_at"] = [_("It cannot end before it starts.")]
    if errors:
        raise ValidationErrors(errors)
    event_for_change(actor, item.event_id if item.event_id is not None else getattr(item.event, "id", None))


def _save_session(actor, item: EventSession) -> EventSession:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _check_session(actor, item)
        db.session.add(item)
    return item


def _delete_session(actor, item: EventSession) -> None:
    with unit_of_work(actor):
        event_for_change(actor, item.event_id)
        db.session.delete(item)


class event_sessions:
    create = update = staticmethod(_save_session)
    delete = staticmethod(_delete_session)


# -- preparation tasks and milestones ---------------------------------------------------------------------------
def _check_task(actor, task: EventTask) -> None:
    errors: dict[str, list[str]] = {}
    task.status, task.milestone = task.status or TODO, bool(task.milestone)
    task.title = (task.title or "").strip()
    if not task.title:
        errors["title"] = [_("Please enter the title.")]
    if task.owner_id is None and task.owner is None:
        errors["owner"] = [_("Choose who does it.")]
    if task.due_on is None:
        errors["due_on"] = [_("Please enter the due date.")]
    if task.starts_on is None and task.due_on is not None:
        task.starts_on = task.due_on
    if task.milestone and task.due_on is not None:
        task.starts_on = task.due_on            # a milestone is a day
    if task.starts_on is not None and task.due_on is not None:
        if task.due_on < task.starts_on:
            errors["due_on"] = [_("It cannot be due before it starts.")]
        elif task.due_on - task.starts_on > LONGEST_TASK:
            errors["due_on"] = [_("A task lasts at most a year; split it.")]
    if task.status not in {value for value, _label in TASK_STATUS_CHOICES}:
        errors["status"] = [_("Choose a status from the list.")]
    if errors:
        raise ValidationErrors(errors)
    event_for_change(actor, task.event_id if task.event_id is not None else getattr(task.event, "id", None))
    owner = task.owner if task.owner is not None else db.session.get(User, task.owner_id)
    if owner is None or not owner.active:
        raise ValidationErrors({"owner": [_("Choose an active user.")]})
    task.done_at = (task.done_at or utcnow()) if task.status == DONE else None
    stored = db.session.scalar(select(EventTask.due_on).where(EventTask.id == task.id)) if task.id else None
    if stored is not None and stored != task.due_on:
        task.reminded_on = None                  # a new due date: remind again


def _save_task(actor, task: EventTask) -> EventTask:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _check_task(actor, task)
        db.session.add(task)
    return task


def _delete_task(actor, task: EventTask) -> None:
    with unit_of_work(actor):
        event_for_change(actor, task.event_id)
        db.session.delete(task)


class event_tasks:
    create = update = staticmethod(_save_task)
    delete = staticmethod(_delete_task)


def move_task(actor, task_id: int, starts_on: dt.date, due_on: dt.date) -> EventTask:
    """Drag on the timeline: the task's new dates (a milestone keeps one day)."""
    with unit_of_work(actor):
        task = db.session.scalar(select(EventTask).where(EventTask.id == task_id).with_for_update())
        if task is None or (actor is not None and visible("events", actor, task.event_id) is None):
            raise NotFound("events.task_not_found", _("The task does not exist or you may not see it."))
        task.starts_on, task.due_on = (due_on, due_on) if task.milestone else (starts_on, due_on)
        with db.session.no_autoflush:
            _check_task(actor, task)
    return task


def schedule(actor, start: dt.date, end: dt.date) -> dict:
    """The events and tasks the actor may see between `start` and `end` (inclusive): what the calendar and the
    timeline draw. The days are the company's (times are stored in UTC)."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    from app.core.registry import registry

    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])

    def utc(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(dt.timezone.utc).replace(tzinfo=None)

    first, after = utc(start), utc(end + dt.timedelta(days=1))
    clause = scope_clause(registry.get("events"), actor)
    stmt = (select(Event).where(Event.starts_at < after, Event.ends_at >= first)
            .order_by(Event.starts_at, Event.id).limit(500))
    events = list(db.session.scalars(stmt.where(clause) if clause is not None else stmt))
    tasks_stmt = (select(EventTask).join(Event, Event.id == EventTask.event_id)
                  .where(or_(and_(EventTask.starts_on <= end, EventTask.due_on >= start),
                             EventTask.event_id.in_([e.id for e in events])))
                  .order_by(EventTask.starts_on, EventTask.id).limit(2000))
    tasks = list(db.session.scalars(tasks_stmt.where(clause) if clause is not None else tasks_stmt))
    return {"events": events, "tasks": tasks}


def remind_due_tasks(today: dt.date | None = None) -> int:
    """Tell each owner of an open task due tomorrow or overdue (once per due date); return how many were told."""
    from app.core.notify import notify_each

    today = today or company_today()
    stmt = (select(EventTask).join(Event, Event.id == EventTask.event_id)
            .where(EventTask.status != DONE, EventTask.due_on <= today + dt.timedelta(days=1),
                   or_(EventTask.reminded_on.is_(None), EventTask.reminded_on != EventTask.due_on),
                   Event.status.notin_((ENDED, CANCELLED)))
            .order_by(EventTask.id).limit(5000).with_for_update(of=EventTask, skip_locked=True))
    with unit_of_work(None) as uow:
        messages = []
        for task in db.session.scalars(stmt):
            owner = db.session.get(User, task.owner_id)
            task.reminded_on = task.due_on
            if owner is None or not owner.active:
                continue
            late = task.due_on < today
            title = (_("Overdue: %(task)s (%(event)s)", task=task.title, event=task.event.title) if late else
                     _("Due soon: %(task)s (%(event)s)", task=task.title, event=task.event.title))
            body = _("Due on %(date)s.", date=task.due_on.isoformat())
            messages.append((owner, title, body, f"/event_schedule/?event={task.event_id}"))
        if messages:
            notify_each(uow, messages)
    return len(messages)
