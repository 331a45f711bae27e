"""The purchasing module's scheduled jobs: every morning, the buyer in charge of a supplier is reminded of each
licence or certificate that expires within SUPPLIER_CERTIFICATE_NOTICE_DAYS (30) — once per expiry date, even
when the job runs twice; every night, with PURCHASE_AUTO_REORDER on, the reorder suggestions become draft purchase
orders (none twice: a product already on an open order is left out); every night the suppliers' ratings of the
current and the previous month are recomputed."""
from __future__ import annotations

from app.core.jobs import in_app_context


@in_app_context
def remind_certificates() -> int:
    from app.modules.purchasing.reminders import remind_certificates as remind

    return remind()


@in_app_context
def reorder() -> dict:
    from app.modules.purchasing.replenish import nightly

    return nightly()


@in_app_context
def send_order(order_id: int) -> str:
    from app.modules.purchasing.mailing import send_order as send

    return send(order_id)


@in_app_context
def rate_suppliers() -> dict:
    from app.modules.purchasing.ratings import nightly

    return nightly()


CRON = [
    lambda config: {"func": remind_certificates, "cron": config.get("SUPPLIER_CERTIFICATE_CRON", "20 7 * * *"),
                    "name": "purchasing.certificates"},
    lambda config: {"func": reorder, "cron": config.get("PURCHASE_REORDER_CRON", "40 2 * * *"),
                     "name": "purchasing.reorder"},
    lambda config: {"func": rate_suppliers, "cron": config.get("SUPPLIER_RATING_CRON", "50 2 * * *"),
                    "name": "purchasing.ratings"},
]
