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


@in_app_context
def grade_customers(actor_id: int | None = None) -> int:
    """Grade every customer by the current rules (nightly, or when an admin asks; then that
    admin is told the outcome). Returns how many grades changed; a second run changes none."""
    from app.modules.customers.grading import regrade

    actor = db.session.get(User, actor_id) if actor_id else None
    changed = regrade(actor)
    if actor is not None:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]), unit_of_work(None) as uow:
            notify(uow, [actor], _("Customers graded: %(count)d grade(s) changed", count=changed),
                   link="/customers/list/", mail=False)
    return changed


@in_app_context
def send_follow_up_reminders(day: str | None = None) -> int:
    """Remind each owner of the customers whose next follow-up is due on `day` (ISO date;
    default today in the company's time zone). One reminder per customer and day, however
    often the job runs; a follow-up moved or done before the job runs is not reminded.
    Returns how many reminders this run sent."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    the_day = dt.date.fromisoformat(day) if day else dt.datetime.now(zone).date()
    ids = list(db.session.scalars(
        select(Customer.id).where(Customer.next_follow_up_on == the_day, Customer.owner_id.isnot(None))
        .order_by(Customer.id)))
    sent = 0
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        for customer_id in ids:
            with unit_of_work(None) as uow:
                customer = db.session.get(Customer, customer_id)
                if customer is None or customer.next_follow_up_on != the_day or customer.owner is None:
                    continue
                if not customer.owner.active:
                    continue
                if not claim_once(f"customers.follow_up:{the_day.isoformat()}:{customer_id}"):
                    continue
                notify(uow, [customer.owner], _("Follow up today: %(name)s", name=customer.name),
                       _("%(code)s %(name)s is due for a follow-up on %(day)s.", code=customer.code,
                         name=customer.name, day=the_day.isoformat()),
                       link=f"/customers/show/{customer.id}")
                sent += 1
    return sent


@in_app_context
def release_inactive_customers() -> int:
    """Nightly: when the setting is on, customers without interaction for the configured days
    go to the shared pool. Returns how many were released."""
    from app.modules.customers.pool import release_inactive

    return release_inactive()


CRON = [
    lambda config: {"func": send_new_customer_digest, "cron": config["DIGEST_CRON"], "name": "customers.digest"},
    lambda config: {"func": grade_customers, "cron": config.get("GRADE_CRON", "30 1 * * *"), "name": "customers.grade"},
    lambda config: {"func": send_follow_up_reminders, "cron": config.get("FOLLOW_UP_CRON", "0 8 * * *"),
                    "name": "customers.follow_up"},
    lambda config: {"func": release_inactive_customers, "cron": config.get("POOL_RELEASE_CRON", "0 2 * * *"),
                    "name": "customers.pool_release"},
]
