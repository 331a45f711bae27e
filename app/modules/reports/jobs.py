"""The reports module's scheduled job: every five minutes the scheduled reports whose period came are mailed, each
period once (app/modules/reports/schedule.py)."""
from __future__ import annotations

from app.core.jobs import in_app_context


@in_app_context
def deliver_scheduled_reports(now: str | None = None) -> dict:
    import datetime as dt

    from app.modules.reports.schedule import deliver_due

    return deliver_due(dt.datetime.fromisoformat(now) if now else None)


CRON = [
    lambda config: {"func": deliver_scheduled_reports, "cron": config.get("REPORT_SCHEDULE_CRON", "*/5 * * * *"),
                    "name": "reports.scheduled"},
]


@in_app_context
def export_report_rows(actor_id: int, report_name: str, query: dict, key: str, fmt: str) -> dict:
    from app.modules.reports.exports import run_export

    return run_export(actor_id, report_name, query, key, fmt)
