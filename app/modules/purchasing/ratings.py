"""供应商评分: each month every supplier with receipts or orders in it is scored 0–100 on

- quality: 100 × (1 − rejected ÷ received) over the month's receipt lines, averaged with the buyers' quality
  ratings on those receipts (1–5 stars, × 20) when they gave any;
- delivery: 100 × the share of receipt lines received by their line's delivery date (the order's expected date
  when the line has none; a line with neither is on time);
- price: the month's ordered amounts against what other suppliers' valid quotes in yuan would have cost for the
  same products on the order dates (the price index): 80 at the market's average, 20 points more or less for each
  10 % cheaper or dearer, within 0–100;
- service: the buyers' service ratings on the month's receipts (× 20), when they gave any;

and the score is their mean weighted by PURCHASE_RATING_WEIGHTS (quality 35, delivery 30, price 20, service 15)
over the dimensions that have a figure; grade A from 90, B from 75, C from 60, else D. A month is recomputed
whole (after each receipt for its supplier, and every night for the current and the previous month) and the
supplier carries the score and grade of its latest month rated."""
from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import aliased

from app.core.clock import company_today, utcnow
from app.extensions import db
from app.modules.purchasing.models import Supplier, SupplierQuote
from app.modules.purchasing.order_models import CLOSED, ORDERED, PARTIAL, RECEIVED, PurchaseOrder, PurchaseOrderLine
from app.modules.purchasing.rating_models import SupplierRating
from app.modules.purchasing.receipt_models import GoodsReceipt, GoodsReceiptLine

WEIGHTS = {"quality": 35, "delivery": 30, "price": 20, "service": 15}
ONE_PLACE = Decimal("0.1")
RATE_PLACES = Decimal("0.0001")
PLACED = (ORDERED, PARTIAL, RECEIVED, CLOSED)


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _bounds(period: str) -> tuple[dt.date, dt.date]:
    year, month = int(period[:4]), int(period[5:7])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def grade_of(score: Decimal | None) -> str | None:
    if score is None:
        return None
    return "A" if score >= 90 else "B" if score >= 75 else "C" if score >= 60 else "D"


def price_score(index: Decimal | None) -> Decimal | None:
    if index is None:
        return None
    return min(max(Decimal(80) - (index - 1) * 200, Decimal(0)), Decimal(100)).quantize(ONE_PLACE, ROUND_HALF_UP)


def weighted(scores: dict) -> Decimal | None:
    weights = {**WEIGHTS, **(current_app.config.get("PURCHASE_RATING_WEIGHTS") or {})}
    present = {name: Decimal(str(weights.get(name, 0))) for name, value in scores.items() if value is not None}
    total = sum(present.values(), Decimal(0))
    if not total:
        return None
    return (sum(scores[name] * weight for name, weight in present.items()) / total).quantize(ONE_PLACE,
                                                                                              ROUND_HALF_UP)


def _receipt_figures(start, end, suppliers):
    due = func.coalesce(PurchaseOrderLine.delivery_date, PurchaseOrder.expected_date)
    stmt = (select(PurchaseOrder.supplier_id,
                   func.count(GoodsReceiptLine.id).label("lines"),
                   func.sum(GoodsReceiptLine.accepted + GoodsReceiptLine.rejected).label("received"),
                   func.sum(GoodsReceiptLine.rejected).label("rejected"),
                   func.sum(case((or_(due.is_(None), GoodsReceipt.received_on <= due), 1), else_=0)).label("on_time"))
            .select_from(GoodsReceiptLine)
            .join(GoodsReceipt, GoodsReceipt.id == GoodsReceiptLine.receipt_id)
            .join(PurchaseOrderLine, PurchaseOrderLine.id == GoodsReceiptLine.order_line_id)
            .join(PurchaseOrder, PurchaseOrder.id == GoodsReceipt.order_id)
            .where(GoodsReceipt.received_on.between(start, end)).group_by(PurchaseOrder.supplier_id))
    if suppliers is not None:
        stmt = stmt.where(PurchaseOrder.supplier_id.in_(suppliers))
    return {row.supplier_id: row for row in db.session.execute(stmt)}


def _manual(start, end, suppliers):
    stmt = (select(PurchaseOrder.supplier_id, func.avg(GoodsReceipt.quality_rating).label("quality"),
                   func.avg(GoodsReceipt.service_rating).label("service"))
            .join(PurchaseOrder, PurchaseOrder.id == GoodsReceipt.order_id)
            .where(GoodsReceipt.received_on.between(start, end)).group_by(PurchaseOrder.supplier_id))
    if suppliers is not None:
        stmt = stmt.where(PurchaseOrder.supplier_id.in_(suppliers))
    return {row.supplier_id: row for row in db.session.execute(stmt)}


def _price_figures(start, end, suppliers):
    other = aliased(SupplierQuote)
    market = (select(func.avg(other.price)).where(
        other.product_id == PurchaseOrderLine.product_id, other.supplier_id != PurchaseOrder.supplier_id,
        other.currency == "CNY", other.valid_from <= PurchaseOrder.order_date,
        or_(other.valid_to.is_(None), other.valid_to >= PurchaseOrder.order_date)).scalar_subquery())
    lines = (select(PurchaseOrder.supplier_id.label("supplier_id"),
                    (PurchaseOrderLine.unit_price * PurchaseOrderLine.quantity).label("paid"),
                    (market * PurchaseOrderLine.quantity).label("market"))
             .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
             .where(PurchaseOrder.order_date.between(start, end), PurchaseOrder.status.in_(PLACED)))
    if suppliers is not None:
        lines = lines.where(PurchaseOrder.supplier_id.in_(suppliers))
    lines = lines.subquery()
    stmt = (select(lines.c.supplier_id, func.sum(lines.c.paid).label("paid"), func.sum(lines.c.market).label("market"))
            .where(lines.c.market.is_not(None)).group_by(lines.c.supplier_id))
    return {row.supplier_id: row for row in db.session.execute(stmt)}


def compute(period: str, suppliers: list[int] | None = None) -> int:
    """(Re)computes the month's ratings of the given suppliers (every supplier: None) in the caller's
    transaction; returns how many suppliers were rated."""
    start, end = _bounds(period)
    receipts, manual, prices = (_receipt_figures(start, end, suppliers), _manual(start, end, suppliers),
                                _price_figures(start, end, suppliers))
    rated = set(receipts) | set(prices)
    stale = delete(SupplierRating).where(SupplierRating.period == period)
    if suppliers is not None:
        stale = stale.where(SupplierRating.supplier_id.in_(suppliers))
    db.session.execute(stale)
    for supplier_id in rated:
        figures, stars, price = receipts.get(supplier_id), manual.get(supplier_id), prices.get(supplier_id)
        rating = SupplierRating(supplier_id=supplier_id, period=period, computed_at=utcnow(), receipt_lines=0,
                                received=Decimal(0), rejected=Decimal(0))
        if figures is not None and figures.lines:
            received, rejected = Decimal(figures.received or 0), Decimal(figures.rejected or 0)
            rating.receipt_lines, rating.received, rating.rejected = figures.lines, received, rejected
            rating.on_time_rate = (Decimal(figures.on_time) / figures.lines).quantize(RATE_PLACES, ROUND_HALF_UP)
            rating.delivery = (rating.on_time_rate * 100).quantize(ONE_PLACE, ROUND_HALF_UP)
            if received > 0:
                rating.rejection_rate = (rejected / received).quantize(RATE_PLACES, ROUND_HALF_UP)
                rating.quality = ((1 - rejected / received) * 100).quantize(ONE_PLACE, ROUND_HALF_UP)
        if stars is not None and stars.quality is not None:
            starred = (Decimal(str(stars.quality)) * 20).quantize(ONE_PLACE, ROUND_HALF_UP)
            rating.quality = starred if rating.quality is None else (
                (rating.quality + starred) / 2).quantize(ONE_PLACE, ROUND_HALF_UP)
        if stars is not None and stars.service is not None:
            rating.service = (Decimal(str(stars.service)) * 20).quantize(ONE_PLACE, ROUND_HALF_UP)
        if price is not None and price.market:
            rating.price_index = (Decimal(price.paid) / Decimal(price.market)).quantize(RATE_PLACES, ROUND_HALF_UP)
            rating.price = price_score(rating.price_index)
        rating.score = weighted({"quality": rating.quality, "delivery": rating.delivery, "price": rating.price,
                                 "service": rating.service})
        rating.grade = grade_of(rating.score)
        db.session.add(rating)
    db.session.flush()
    _carry_latest(suppliers if suppliers is not None else None, period)
    return len(rated)


def _carry_latest(suppliers, period) -> None:
    """The suppliers' own score and grade: those of their latest month rated."""
    latest = (select(SupplierRating.supplier_id, func.max(SupplierRating.period).label("period"))
              .group_by(SupplierRating.supplier_id))
    if suppliers is not None:
        latest = latest.where(SupplierRating.supplier_id.in_(suppliers))
    latest = latest.subquery()
    rows = db.session.execute(select(SupplierRating.supplier_id, SupplierRating.score, SupplierRating.grade).join(
        latest, and_(latest.c.supplier_id == SupplierRating.supplier_id, latest.c.period == SupplierRating.period)))
    seen = set()
    for supplier_id, score, grade in rows:
        seen.add(supplier_id)
        db.session.execute(Supplier.__table__.update().where(Supplier.id == supplier_id).values(score=score,
                                                                                               grade=grade))
    if suppliers is not None:
        for supplier_id in set(suppliers) - seen:
            db.session.execute(Supplier.__table__.update().where(Supplier.id == supplier_id).values(score=None,
                                                                                                   grade=None))


def nightly(today: dt.date | None = None) -> dict:
    """The current and the previous month, for every supplier."""
    from app.core.transaction import unit_of_work

    today = today or company_today()
    previous = today.replace(day=1) - dt.timedelta(days=1)
    out = {}
    for period in (period_of(previous), period_of(today)):
        with unit_of_work(None):
            out[period] = compute(period)
    return out
