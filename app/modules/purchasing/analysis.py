"""采购分析报表: over the purchase orders placed with suppliers (已下单 and after) whose order date lies in a period
of whole months, in the user's data scope of purchase orders — read from the spend kept per month (spend.py),
except a product's price trend, which reads that product's order lines —

- spend (tax included) by month, product category, supplier or department;
- the price trend of one product: its average ordered unit price per month, with the lowest and the highest;
- the supplier performance ranking: the suppliers' average rating score over the period's months (供应商评分),
  with their on-time and rejection rates and what was spent with them;
- savings versus the first quote: per supplier, what each ordered line would have cost at the first price that
  supplier quoted for the product (its earliest quote in yuan, as it was when the order was placed) less what it
  was ordered at.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from app.core.clock import company_today
from app.core.datamodel import month_of
from app.core.errors import ValidationErrors
from app.core.org import Department
from app.core.registry import registry
from app.core.scope import scope_clause
from app.extensions import db
from app.modules.products.api import ProductCategory
from app.modules.purchasing import spend as kept
from app.modules.purchasing.models import Supplier
from app.modules.purchasing.order_models import CLOSED, ORDERED, PARTIAL, RECEIVED, PurchaseOrder, PurchaseOrderLine
from app.modules.purchasing.rating_models import SupplierRating
from app.modules.purchasing.spend_models import PurchaseCategorySpend, PurchaseSpend

PLACED = (ORDERED, PARTIAL, RECEIVED, CLOSED)
DIMENSIONS = {"month": _l("Month"), "category": _l("Product category"), "supplier": _l("Supplier"),
              "department": _l("Department")}
ZERO = Decimal(0)
LIMIT = 200


@dataclass
class Period:
    start: dt.date
    end: dt.date


def _month(raw: str, field: str, errors: dict) -> dt.date | None:
    raw = (raw or "").strip()[:20]
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw if len(raw) > 7 else raw + "-01").replace(day=1)
    except ValueError:
        errors[field] = [_("Please enter a month such as 2026-03.")]
        return None


def period(raw_start, raw_end, today: dt.date | None = None) -> Period:
    """The whole months asked for (a day stands for its month); by default the twelve months up to this one.
    ValidationErrors for a bad one."""
    today = today or company_today()
    errors: dict[str, list[str]] = {}
    start, end = _month(raw_start, "start", errors), _month(raw_end, "end", errors)
    if errors:
        raise ValidationErrors(errors)
    end = end or today.replace(day=1)
    start = start or (end - dt.timedelta(days=335)).replace(day=1)
    if start > end:
        raise ValidationErrors({"start": [_("The start is after the end.")]})
    if (end - start).days > 3660:
        raise ValidationErrors({"start": [_("Choose a period of at most ten years.")]})
    last = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return Period(start, last)


def months(when: Period) -> tuple[str, str]:
    return f"{when.start.year:04d}-{when.start.month:02d}", f"{when.end.year:04d}-{when.end.month:02d}"


def _placed(actor, when: Period):
    conditions = [PurchaseOrder.status.in_(PLACED), PurchaseOrder.order_date.between(when.start, when.end)]
    clause = scope_clause(registry.get("purchase_orders"), actor) if actor is not None else None
    if clause is not None:
        conditions.append(clause)
    return conditions


@dataclass
class Row:
    key: object
    name: str
    amount: Decimal
    orders: int = 0


def _by_supplier(actor, when: Period, *extra):
    """The kept spend of the period in the actor's scope, grouped by supplier (ordered and limited by the caller)."""
    first, last = months(when)
    conditions = kept.scoped(PurchaseSpend, actor, PurchaseSpend.month.between(first, last), *extra)
    return PurchaseSpend.supplier_id, conditions


def _names(keys) -> dict:
    return dict(db.session.execute(select(Supplier.id, Supplier.name).where(Supplier.id.in_(keys))).all()) \
        if keys else {}


def spend(actor, when: Period, by: str = "month") -> list[Row]:
    """Spend (tax included) and the number of orders (of lines, by category) by `by`: months in order, the
    others largest first."""
    if by not in DIMENSIONS:
        raise ValidationErrors({"by": [_("Group the spend by month, product category, supplier or department.")]})
    first, last = months(when)
    model = PurchaseCategorySpend if by == "category" else PurchaseSpend
    conditions = kept.scoped(model, actor, model.month.between(first, last))
    amount = func.coalesce(func.sum(model.amount), 0)
    counted = func.coalesce(func.sum(model.lines if by == "category" else model.orders), 0)
    if by == "month":
        found = db.session.execute(select(model.month.label("key"), amount.label("amount"), counted.label("orders"))
                                   .where(*conditions).group_by(model.month).order_by(model.month)).all()
        return [Row(row.key, row.key, Decimal(row.amount), row.orders) for row in found if row.orders]
    if by == "supplier":
        key, conditions = _by_supplier(actor, when)
        total = func.sum(PurchaseSpend.amount)
        found = db.session.execute(
            select(key.label("key"), total.label("amount"), func.sum(PurchaseSpend.orders).label("orders"))
            .where(*conditions).group_by(key).having(func.sum(PurchaseSpend.orders) > 0)
            .order_by(total.desc(), key).limit(LIMIT)).all()
        named = _names([row.key for row in found])
        return [Row(row.key, named.get(row.key) or _("(none)"), Decimal(row.amount), row.orders) for row in found]
    key, names = {"category": (PurchaseCategorySpend.category_id, ProductCategory),
                  "department": (PurchaseSpend.department_id, Department)}[by]
    found = db.session.execute(select(key.label("key"), amount.label("amount"), counted.label("orders"))
                               .where(*conditions).group_by(key).having(counted > 0).order_by(amount.desc())
                               .limit(LIMIT)).all()
    keys = [row.key for row in found if row.key]
    named = dict(db.session.execute(select(names.id, names.name).where(names.id.in_(keys))).all()) if keys else {}
    return [Row(row.key or None, named.get(row.key) or _("(none)"), Decimal(row.amount), row.orders)
            for row in found]


@dataclass
class PricePoint:
    month: str
    quantity: Decimal
    average: Decimal
    lowest: Decimal
    highest: Decimal


def price_trend(actor, when: Period, product_id: int) -> list[PricePoint]:
    key = month_of(PurchaseOrder.order_date, db.engine.dialect.name)
    found = db.session.execute(
        select(key.label("month"), func.sum(PurchaseOrderLine.quantity).label("quantity"),
               func.sum(PurchaseOrderLine.amount).label("amount"), func.min(PurchaseOrderLine.unit_price).label("low"),
               func.max(PurchaseOrderLine.unit_price).label("high"))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrderLine.product_id == product_id, *_placed(actor, when)).group_by(key).order_by(key)).all()
    return [PricePoint(str(row.month), Decimal(row.quantity),
                       (Decimal(row.amount) / Decimal(row.quantity)).quantize(Decimal("0.01")) if row.quantity
                       else ZERO, Decimal(row.low), Decimal(row.high)) for row in found]


@dataclass
class Ranked:
    supplier_id: int
    name: str
    grade: str | None
    score: Decimal | None
    on_time_rate: Decimal | None
    rejection_rate: Decimal | None
    spend: Decimal


def ranking(actor, when: Period) -> list[Ranked]:
    """Suppliers with ratings in the period's months or spend in it, best average score (to 0.1) first, then the
    most spent with; unrated last. The averages of every supplier are ranked in the database; only the suppliers
    shown (those ahead of the last place's score, and all that tie with it) have their rates and spend read."""
    first, last = months(when)
    clause = scope_clause(registry.get("suppliers"), actor) if actor is not None else None
    in_period = SupplierRating.period.between(first, last)
    rounded = func.round(func.avg(SupplierRating.score), 1)
    stmt = select(SupplierRating.supplier_id.label("supplier_id"), rounded.label("score")) \
        .where(in_period, SupplierRating.score.is_not(None)).group_by(SupplierRating.supplier_id)
    if clause is not None:
        stmt = stmt.join(Supplier, Supplier.id == SupplierRating.supplier_id).where(clause)
    averages = stmt.cte("averages")
    edge = select(averages.c.score).order_by(averages.c.score.desc()).offset(LIMIT - 1).limit(1).scalar_subquery()
    scored = db.session.execute(select(averages.c.supplier_id, averages.c.score)
                                .where(averages.c.score >= func.coalesce(edge, -1))).all()
    score_of = {supplier_id: Decimal(str(score)).quantize(Decimal("0.1")) for supplier_id, score in scored}
    if len(score_of) < LIMIT:   # room for the unrated suppliers that were ordered from
        key, conditions = _by_supplier(actor, when)
        rated = select(SupplierRating.supplier_id).where(in_period, SupplierRating.score.is_not(None))
        unrated = db.session.scalars(
            select(key).where(*conditions, key.not_in(rated)).group_by(key)
            .having(func.sum(PurchaseSpend.orders) > 0)
            .order_by(func.sum(PurchaseSpend.amount).desc(), key).limit(LIMIT - len(score_of))).all()
        ids = list(score_of) + list(unrated)
    else:
        ids = list(score_of)
    if not ids:
        return []
    rates = {row.supplier_id: row for row in db.session.execute(
        select(SupplierRating.supplier_id, func.avg(SupplierRating.on_time_rate).label("on_time"),
               func.avg(SupplierRating.rejection_rate).label("rejected"))
        .where(in_period, SupplierRating.supplier_id.in_(ids)).group_by(SupplierRating.supplier_id))}
    spent = dict(db.session.execute(
        select(PurchaseSpend.supplier_id, func.sum(PurchaseSpend.amount))
        .where(*kept.scoped(PurchaseSpend, actor, PurchaseSpend.month.between(first, last)),
               PurchaseSpend.supplier_id.in_(ids)).group_by(PurchaseSpend.supplier_id)).all())
    stmt = select(Supplier.id, Supplier.name).where(Supplier.id.in_(ids))
    if clause is not None:
        stmt = stmt.where(clause)
    out = []
    for supplier_id, name in db.session.execute(stmt).all():
        score, row = score_of.get(supplier_id), rates.get(supplier_id)
        out.append(Ranked(supplier_id, name, _grade(score), score,
                          Decimal(str(row.on_time)) if row is not None and row.on_time is not None else None,
                          Decimal(str(row.rejected)) if row is not None and row.rejected is not None else None,
                          Decimal(spent.get(supplier_id) or ZERO)))
    out.sort(key=lambda r: (r.score is None, -(r.score or 0), -r.spend))
    return out[:LIMIT]


def _grade(score):
    from app.modules.purchasing.ratings import grade_of

    return grade_of(score)


@dataclass
class Saving:
    supplier_id: int
    name: str
    at_first_quote: Decimal
    ordered: Decimal

    @property
    def saved(self) -> Decimal:
        return self.at_first_quote - self.ordered


def savings(actor, when: Period) -> tuple[list[Saving], Saving]:
    """Per supplier, the period's ordered lines priced at that supplier's first quote for the product against what
    they were ordered at (lines of products the supplier never quoted in yuan are left out), the most saved first
    (at most LIMIT rows), and the total over every supplier."""
    key, conditions = _by_supplier(actor, when)
    quoted, ordered = func.sum(PurchaseSpend.quoted), func.sum(PurchaseSpend.quoted_amount)
    found = db.session.execute(
        select(key.label("key"), quoted.label("quoted"), ordered.label("ordered"),
               func.sum(quoted).over().label("all_quoted"), func.sum(ordered).over().label("all_ordered"))
        .where(*conditions).group_by(key).having(quoted > 0)
        .order_by((quoted - ordered).desc(), key).limit(LIMIT)).all()
    named = _names([row.key for row in found])
    rows = [Saving(row.key, named.get(row.key, ""), Decimal(row.quoted), Decimal(row.ordered)) for row in found]
    total = Saving(0, _("Total"), Decimal(found[0].all_quoted) if found else ZERO,
                   Decimal(found[0].all_ordered) if found else ZERO)
    return rows, total
