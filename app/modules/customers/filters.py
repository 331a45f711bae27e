"""List filters of the customers screen and API beyond FAB's per-column ones."""
from __future__ import annotations

from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l

from app.modules.customers.models import Customer
from app.modules.customers.pool import inactive_clause
from app.modules.customers.service import local_today


def _first(value):
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return str(value if value is not None else "").strip()


def _yes(value) -> bool:
    return _first(value).lower() not in ("0", "n", "no", "false", "否")


class FilterInPool(BaseFilter):
    """In the shared pool (公海) — or, with value 0, owned."""

    name = _l("In the shared pool")
    arg_name = "in_pool"

    def apply(self, query, value):
        return query.filter(Customer.pooled_at.isnot(None) if _yes(value) else Customer.pooled_at.is_(None))


class FilterNoInteractionFor(BaseFilter):
    """Owned customers without interaction for N days (blank: the configured number)."""

    name = _l("No interaction for (days)")
    arg_name = "inactive_days"

    def apply(self, query, value):
        days = _first(value)
        return query.filter(inactive_clause(int(days) if days.isdigit() else None))


class FilterFollowUpOverdue(BaseFilter):
    """Customers whose next follow-up date has passed (value "today": due today or earlier)."""

    name = _l("Follow-up overdue")
    arg_name = "follow_up_overdue"

    def apply(self, query, value):
        today = local_today()
        if _first(value) == "today":
            return query.filter(Customer.next_follow_up_on <= today)
        return query.filter(Customer.next_follow_up_on < today)

