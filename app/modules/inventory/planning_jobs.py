"""Nightly jobs of inventory planning: computed safety stock lines brought up to date, then every line
checked against the stock (a breach notifies the warehouse and purchasing roles once).

CRON is the list the RQ cron scheduler reads from a module's jobs part (app.core.jobs.cron_entries):
app/modules/inventory/jobs.py takes it over with `from app.modules.inventory.planning_jobs import CRON`.
"""
from __future__ import annotations

import time

from app.core.jobs import in_app_context


@in_app_context
def check_safety_stock(recompute: bool = True, today: str | None = None) -> dict:
    """Recompute the computed lines from their shipments (when `recompute`; the shipments of the days
    before `today`, an ISO date, default today), then check every line. Idempotent: a second run alerts
    nothing new, as a breach already alerted stays quiet until stock has recovered. Returns
    {"recomputed", "lines", "alerted", "below", "seconds"}."""
    import datetime as dt

    from app.modules.inventory import safety

    started = time.monotonic()
    recomputed = safety.recompute_all(dt.date.fromisoformat(today) if today else None) if recompute else 0
    result = safety.check_all()
    return {"recomputed": recomputed, **result, "seconds": round(time.monotonic() - started, 3)}


CRON = [
    lambda config: {"func": check_safety_stock, "cron": config.get("SAFETY_STOCK_CRON", "15 2 * * *"),
                    "name": "inventory.safety_stock"},
]
