"""The minute job that keeps chart totals current (registered like a module's jobs)."""
from __future__ import annotations

from app.core.jobs import in_app_context


@in_app_context
def refresh_chart_totals() -> int:
    """Rebuild the aggregates of charts whose declaration changed, then fold the changes
    written since the last run into the totals. Safe to run twice at once, or late: charts
    read totals plus changes not yet folded, so they are never behind the table."""
    from app.core.chart_cache.maintain import ensure, fold

    ensure()
    return fold()


CRON = [
    lambda config: {"func": refresh_chart_totals, "interval": int(config.get("CHART_FOLD_SECONDS", 60)),
                    "name": "core.chart_totals"},
]
