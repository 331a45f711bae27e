"""The inventory module's scheduled jobs: the nightly safety-stock check, and the minute fold of the stock totals
the reports read (app/modules/inventory/stock_totals.py)."""
from app.core.jobs import in_app_context
from app.modules.inventory.planning_jobs import CRON as PLANNING_CRON


@in_app_context
def fold_stock_totals() -> int:
    """Move the stock changes written since the last run into the kept totals. Safe to run twice at once, or late:
    the reports read the totals plus the changes not yet folded."""
    from app.modules.inventory.stock_totals import fold

    return fold()


CRON = [  # read by app.core.jobs.cron_entries
    *PLANNING_CRON,
    lambda config: {"func": fold_stock_totals, "interval": int(config.get("CHART_FOLD_SECONDS", 60)),
                    "name": "inventory.stock_totals"},
]
