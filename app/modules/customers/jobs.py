"""Scheduled jobs of the customers module."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from app.core.jobs import claim_once, in_app_context
from app.core.notify import notify
from app.core.org import User
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.models import Customer


def _utc_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(dt.timezone.utc).replace(tzinfo=None)
    return start, start + dt.timedelta(days=1)


@in_app_context
def send_new_customer_digest(day: str | None = None) -> int:
    """Tell each manager which customers their staff added on `day` (ISO date; default
    yesterday in the company's time zone). Each manager gets one digest per day, however
    often the job runs. Returns how many digests were sent by this run."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    the_day = dt.date.fromisoformat(day) if day else (dt.datetime.now(zone).date() - dt.timedelta(days=1))
    start, end = _utc_window(the_day)
    rows = db.session.execute(
        select(Customer, User.manager_id)
        .join(User, Customer.owner_id == User.id)
        .where(Customer.created_at >= start, Customer.created_at < end, User.manager_id.isnot(None))
        .order_by(Customer.id)
    ).all()
    by_manager: dict[int, list[Customer]] = defaultdict(list)
    for customer, manager_id in rows:
        by_manager[manager_id].append(customer)
    sent = 0
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        for manager_id, customers in by_manager.items():
            with unit_of_work(None) as uow:
                if not claim_once(f"customers.digest:{the_day.isoformat()}:{manager_id}"):
                    continue
                manager = db.session.get(User, manager_id)
                if manager is None or not manager.active:
                    continue
                title = _("New customers on %(day)s: %(count)d", day=the_day.isoformat(), count=len(customers))
                body = "\n".join(f"{c.code}  {c.name}  ({c.owner.display_name})" for c in customers)
                notify(uow, [manager], title, body, link="/customers/list/")
                sent += 1
    return sent


CRON = [
    lambda config: {"func": send_new_customer_digest, "cron": config["DIGEST_CRON"], "name": "customers.digest"},
]
