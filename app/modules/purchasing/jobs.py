"""The purchasing module's scheduled job: every morning, the buyer in charge of a supplier is reminded of each
licence or certificate that expires within SUPPLIER_CERTIFICATE_NOTICE_DAYS (30) — once per expiry date, even
when the job runs twice."""
from __future__ import annotations

from app.core.jobs import in_app_context


@in_app_context
def remind_certificates() -> int:
    from app.modules.purchasing.reminders import remind_certificates as remind

    return remind()


CRON = [
    lambda config: {"func": remind_certificates, "cron": config.get("SUPPLIER_CERTIFICATE_CRON", "20 7 * * *"),
                    "name": "purchasing.certificates"},
]
