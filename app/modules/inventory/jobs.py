"""The inventory module's scheduled jobs: the nightly safety-stock check."""
from app.modules.inventory.planning_jobs import CRON  # noqa: F401  (read by app.core.jobs.cron_entries)
