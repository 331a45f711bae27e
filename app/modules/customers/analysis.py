"""Customer analysis: aggregates in SQL, in the user's data scope, narrowed by a date range and
a department (with its sub-departments). Each chart is (key, value) rows plus how to name a key.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from app.core.datamodel import _fill_months, month_of
from app.core.org import User, subtree_ids
from app.core.registry import registry
from app.core.scope import scope_clause
from app.extensions import db
from app.modules.customers.grading import grade_names
from app.modules.customers.models import INDUSTRY_CHOICES, SOURCE_CHOICES, Customer, CustomerGrade


@dataclass(frozen=True)
class Chart:
    name: str
    title: Any
    kind: str                      # bar / pie / line
    key_label: Any                 # header of the table's first column
    period: str | None = None      # "month": keys are YYYY-MM and gaps are filled


CHARTS = [
    Chart("grade", _l("Customers by grade"), "bar", _l("Grade")),
    Chart("industry", _l("Customers by industry"), "pie", _l("Industry")),
    Chart("region", _l("Customers by region"), "bar", _l("Region")),
    Chart("source", _l("Customers by source"), "pie", _l("Source")),
    Chart("owner", _l("Customers by owner"), "bar", _l("Owner")),
    Chart("new_by_month", _l("New customers by month"), "line", _l("Month"), period="month"),
    Chart("lost_by_month", _l("Lost customers by month"), "line", _l("Month"), period="month"),
]
BY_NAME = {c.name: c for c in CHARTS}
TOP = 20


@dataclass
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    department_id: int | None = None

    def utc_range(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The chosen local days as UTC bounds [start, end)."""
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])

        def utc(day):
            return dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(dt.timezone.utc).replace(tzinfo=None)

        return (utc(self.date_from) if self.date_from else None,
                utc(self.date_to + dt.timedelta(days=1)) if self.date_to else None)


def _conditions(actor, filters: Filters, date_column) -> list:
    conditions = []
    clause = scope_clause(registry.get("customers"), actor)
    if clause is not None:
        conditions.append(clause)
    start, end = filters.utc_range()
    if start is not None:
        conditions.append(date_column >= start)
    if end is not None:
        conditions.append(date_column < end)
    if filters.department_id:
        conditions.append(Customer.department_id.in_(subtree_ids(filters.department_id)))
    return conditions


def rows(name: str, actor, filters: Filters) -> list[tuple]:
    """[(key, count)] of chart `name`: the customers the actor may see, created (lost, for the
    lost chart) within the date range, in the department subtree."""
    dialect = db.session.get_bind().dialect.name
    count = func.count().label("v")
    if name in ("new_by_month", "lost_by_month"):
        column = Customer.created_at if name == "new_by_month" else Customer.lost_at
        key = month_of(column, dialect).label("k")
        stmt = select(key, count).where(column.isnot(None), *_conditions(actor, filters, column)).group_by(key).order_by(key)
        return _fill_months([(k, v) for k, v in db.session.execute(stmt)])
    conditions = _conditions(actor, filters, Customer.created_at)
    if name == "owner":
        stmt = (select(Customer.owner_id.label("k"), count).where(*conditions)
                .group_by(Customer.owner_id).order_by(count.desc()).limit(TOP))
        return [(k, v) for k, v in db.session.execute(stmt)]
    if name == "grade":
        column = CustomerGrade.grade
        stmt = (select(column.label("k"), count)
                .select_from(Customer).outerjoin(CustomerGrade, CustomerGrade.customer_id == Customer.id)
                .where(*conditions).group_by(column))
        return [(k, v) for k, v in db.session.execute(stmt.order_by(column))]
    column = {"industry": Customer.industry, "region": Customer.region, "source": Customer.source}[name]
    stmt = select(column.label("k"), count).where(*conditions).group_by(column)
    stmt = stmt.order_by(column) if name == "grade" else stmt.order_by(count.desc()).limit(TOP)
    return [(k, v) for k, v in db.session.execute(stmt)]


def labeller(name: str) -> Callable[[Any], str]:
    """How the chart's keys are shown (choice labels, grade names, owners' names)."""
    none = _("(none)")
    if name == "grade":
        names = grade_names()
        return lambda k: f"{k} {names[k]}" if k in names else (k or _("Not graded"))
    if name in ("industry", "source"):
        labels = dict(INDUSTRY_CHOICES if name == "industry" else SOURCE_CHOICES)
        return lambda k: str(labels.get(k, k)) if k else none
    if name == "owner":
        cache: dict = {}

        def owner(k):
            if k is None:
                return _("Shared pool")
            if k not in cache:
                user = db.session.get(User, k)
                cache[k] = user.display_name if user is not None else f"#{k}"
            return cache[k]

        return owner
    return lambda k: str(k) if k else none
