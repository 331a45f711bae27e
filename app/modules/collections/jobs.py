"""The collections module's scheduled job: every morning the collection reminder rules (催收提醒) are applied, each
reminder sent once."""
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


CRON = [
    lambda config: {"func": send_reminders, "cron": config.get("DUNNING_CRON", "30 8 * * *"),
                    "name": "collections.reminders"},
]
