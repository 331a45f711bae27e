"""The collections module's jobs: every morning the collection reminder rules (催收提醒) are applied (each reminder
sent once) and 近12个月回款 is worked out again for customers whose payments have just left the 12 months; after an
import of bank statement lines, they are matched."""
from __future__ import annotations

from app.core.jobs import in_app_context


@in_app_context
def send_reminders() -> dict:
    from app.modules.collections.dunning import send_reminders as send

    return send()


@in_app_context
def match_bank_lines(actor_id: int) -> dict:
    """After an import of bank statement lines: match and register them as the importer."""
    from app.core.org import AppUser
    from app.extensions import db
    from app.modules.collections.bank import match

    return match(db.session.get(AppUser, actor_id))


@in_app_context
def refresh_paid_12m() -> int:
    from app.modules.collections.service import refresh_aged

    return refresh_aged()


CRON = [
    lambda config: {"func": send_reminders, "cron": config.get("DUNNING_CRON", "30 8 * * *"),
                    "name": "collections.reminders"},
    lambda config: {"func": refresh_paid_12m, "cron": config.get("PAID_12M_CRON", "40 0 * * *"),
                    "name": "collections.paid_12m"},
]
