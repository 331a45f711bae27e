"""Order analysis (订单统计): amounts of the orders confirmed or beyond — by month, customer, product, owner,
department and the customer's region — and how many signed contracts became orders; in the user's data scope,
narrowed by order date (contracts: by signing date). Without a date, on PostgreSQL, each chart reads totals kept
current by app/core/chart_cache (the orders', order lines' and contracts' report_totals; the copies they group by
are kept by triggers, orders_0006 and orders_0007). Each chart is (key, value) rows plus how to name a key."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from app.core.datamodel import _fill_months, month_of
from app.core.org import AppUser, Department
from app.core.registry import registry
from app.core.scope import scope_clause
from app.extensions import db
from app.modules.customers.api import Customer
from app.modules.orders.models import CANCELLED, DRAFT, SalesOrder, SalesOrderLine
from app.modules.orders.module import ANALYSIS_TOP
from app.modules.products.api import Product


@dataclass(frozen=True)
class Chart:
    name: str
    title: Any
    kind: str
    key_label: Any
    value_label: Any
    period: str | None = None


AMOUNT = _l("Order amount")
CHARTS = [
    Chart("by_month", _l("Order amount by month"), "line", _l("Month"), AMOUNT, period="month"),
    Chart("by_customer", _l("Top customers by order amount"), "bar", _l("Customer"), AMOUNT),
    Chart("by_product", _l("Top products by order amount"), "bar", _l("Product"), AMOUNT),
    Chart("by_owner", _l("Order amount by owner"), "bar", _l("Owner"), AMOUNT),
    Chart("by_department", _l("Order amount by department"), "bar", _l("Department"), AMOUNT),
    Chart("by_region", _l("Order amount by region"), "pie", _l("Region"), AMOUNT),
    Chart("conversion", _l("Signed contracts turned into orders"), "pie", _l("Contracts"), _l("Contracts")),
]
BY_NAME = {c.name: c for c in CHARTS}
TOP = ANALYSIS_TOP
# Charts read from the totals the orders and order lines specs keep (report_totals) when no date narrows them.
KEPT = {"by_month": "orders", "by_customer": "orders", "by_owner": "orders", "by_department": "orders",
        "by_region": "orders", "by_product": "order_lines", "conversion": "contracts"}


@dataclass
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _conditions(actor, filters: Filters) -> list:
    conditions = [SalesOrder.status.notin_((DRAFT, CANCELLED))]
    clause = scope_clause(registry.get("orders"), actor)
    if clause is not None:
        conditions.append(clause)
    if filters.date_from:
        conditions.append(SalesOrder.order_date >= filters.date_from)
    if filters.date_to:
        conditions.append(SalesOrder.order_date <= filters.date_to)
    return conditions


def _conversion(actor, filters: Filters) -> list[tuple]:
    """Signed contracts (signed in the period) with and without an order confirmed or beyond (anyone's)."""
    from flask import current_app

    from app.modules.contracts.api import SIGNED_STATES, Contract

    if not current_app.appbuilder.sm.has_access("can_read", "contracts"):
        return []
    if not (filters.date_from or filters.date_to):
        kept = _kept("conversion", actor)
        if kept is not None:
            ordered = sum(n for count, n in kept if count)
            waiting = sum(n for count, n in kept if not count)
            return [(flag, n) for flag, n in ((True, ordered), (False, waiting)) if n]
    flag = (Contract.order_count > 0).label("k")
    stmt = select(flag, func.count().label("v")).where(Contract.status.in_(SIGNED_STATES))
    clause = scope_clause(registry.get("contracts"), actor)
    if clause is not None:
        stmt = stmt.where(clause)
    if filters.date_from:
        stmt = stmt.where(Contract.signed_on >= filters.date_from)
    if filters.date_to:
        stmt = stmt.where(Contract.signed_on <= filters.date_to)
    return [(bool(k), v) for k, v in db.session.execute(stmt.group_by(flag).order_by(flag.desc()))]


def rows(name: str, actor, filters: Filters) -> list[tuple]:
    """[(key, value)] of chart `name`."""
    if name == "conversion":
        return _conversion(actor, filters)
    if name in KEPT and not (filters.date_from or filters.date_to):
        kept = _kept(name, actor)
        if kept is not None:
            return kept
    amount = func.sum(SalesOrder.total).label("v")
    conditions = _conditions(actor, filters)
    if name == "by_month":
        key = month_of(SalesOrder.order_date, db.session.get_bind().dialect.name).label("k")
        stmt = select(key, amount).where(*conditions).group_by(key).order_by(key)
        return _fill_months([(k, v) for k, v in db.session.execute(stmt)])
    if name == "by_product":
        line_amount = func.sum(SalesOrderLine.total).label("v")
        stmt = (select(SalesOrderLine.product_id.label("k"), line_amount)
                .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id).where(*conditions)
                .group_by(SalesOrderLine.product_id).order_by(line_amount.desc()).limit(TOP))
        return [(k, v) for k, v in db.session.execute(stmt)]
    column = {"by_customer": SalesOrder.customer_id, "by_owner": SalesOrder.owner_id,
              "by_department": SalesOrder.department_id, "by_region": SalesOrder.customer_region}[name]
    stmt = select(column.label("k"), amount).where(*conditions).group_by(column).order_by(amount.desc()).limit(TOP)
    return [(k, v) for k, v in db.session.execute(stmt)]


def _kept(name: str, actor) -> list[tuple] | None:
    """The chart from the totals kept current on PostgreSQL (app/core/chart_cache); None where
    they are not kept (SQLite, or not built yet)."""
    from app.core import chart_cache

    if not chart_cache.is_postgresql():
        return None
    spec = registry.get(KEPT[name])
    chart = next(c for c in spec.report_totals if c.name == f"analysis_{name}")
    return chart_cache.aggregate_rows(spec, chart, user=actor)


def _named(model, attribute: str) -> Callable[[Any], str]:
    cache: dict = {}

    def name(key):
        if key is None:
            return _("(none)")
        if key not in cache:
            record = db.session.get(model, key)
            cache[key] = str(getattr(record, attribute, None) or record) if record is not None else str(key)
        return cache[key]
    return name


def labeller(name: str) -> Callable[[Any], str]:
    if name == "conversion":
        return lambda k: _("Turned into orders") if k else _("Not ordered yet")
    if name == "by_region":
        return lambda k: k or _("(none)")
    if name == "by_month":
        return str
    model, attribute = {"by_customer": (Customer, "name"), "by_product": (Product, "name"),
                        "by_owner": (AppUser, "display_name"), "by_department": (Department, "name")}[name]
    return _named(model, attribute)
