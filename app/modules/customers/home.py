"""Home page panel: the user's customer follow-ups, overdue first, then the next seven days."""
from __future__ import annotations

import datetime as dt

from flask import url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from app.core.home import HomeItem, HomePanel
from app.core.registry import registry
from app.extensions import db
from app.modules.customers.models import Customer
from app.modules.customers.service import local_today


def _mine_due(user, until: dt.date):
    return select(Customer).where(Customer.owner_id == user.id, Customer.next_follow_up_on.isnot(None),
                                  Customer.next_follow_up_on <= until)


def _items(user, limit):
    today = local_today()
    rows = db.session.scalars(_mine_due(user, today + dt.timedelta(days=7))
                              .order_by(Customer.next_follow_up_on, Customer.id).limit(limit))
    out = []
    for customer in rows:
        due = customer.next_follow_up_on
        if due < today:
            note, tone = _("%(n)d days overdue", n=(today - due).days), "danger"
        elif due == today:
            note, tone = _("Today"), "warning"
        else:
            note, tone = due.isoformat(), ""
        out.append(HomeItem(f"{customer.code} {customer.name}", url_for(f"{registry.views['customers'].__name__}.show", pk=customer.id), note, tone))
    return out


def _due_by_today(user):
    return select(func.count()).select_from(_mine_due(user, local_today()).with_only_columns(Customer.id).subquery())


PANELS = [
    HomePanel(key="follow-ups", title=_l("My follow-ups"), items=_items, permission=("can_read", "customers"),
              count=_due_by_today, more_url=lambda: url_for("FollowUpsView.index"),
              empty=_l("No follow-ups due in the next seven days."), icon="fa-calendar-check-o", order=20),
]
