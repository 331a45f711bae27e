"""The events module's scheduled job: every morning the owners of preparation tasks due the next day, or overdue,
are reminded (once per due date)."""
from __future__ import annotations

from app.core.jobs import in_app_context


@in_app_context
def remind_event_tasks(today: str | None = None) -> dict:
    import datetime as dt

    from app.modules.events.planning import remind_due_tasks

    return {"reminded": remind_due_tasks(dt.date.fromisoformat(today) if today else None)}


CRON = [
    lambda config: {"func": remind_event_tasks, "cron": config.get("EVENT_TASK_CRON", "0 8 * * *"),
                    "name": "events.task_reminders"},
]
