"""库存分析: stock value, turnover and days of cover per product × warehouse, ABC classes by shipped value,
slow movers, sales forecasts from weekly shipments and reorder suggestions. Plain functions over SQL
aggregates; every figure is Decimal.

Definitions (the analysis page says the same):
- stock value = on hand × the product's cost (no cost: no value);
- daily sales = shipped quantity of the last `days` days ÷ `days` ("sales" are shipment moves);
- turnover = daily sales × 365 ÷ on hand (a year's shipments over today's stock);
- days of cover = available (on hand − reserved) ÷ daily sales (no sales: none);
- ABC by shipped value (quantity × cost, or the list price without a cost): the products that make the
  first 80% of the value are A, the next 15% B, the last 5% and those that shipped nothing C;
- slow movers hold stock and shipped nothing in the last `days` days.

Reorder suggestions cannot become purchase orders yet (purchasing is not built): reorder_suggestions()
returns the lines, which the page lists and exports as CSV or Excel for the buyer.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, tuple_

from app.core.clock import utcnow
from app.extensions import db
from app.modules.inventory import forecast as forecasting, stock_totals
from app.modules.inventory.models import SHIPMENT, StockLevel, StockMove, Warehouse
from app.modules.inventory.planning_models import SafetyStock
from app.modules.products.models import Product

CENT, TENTH, UNIT = Decimal("0.01"), Decimal("0.1"), Decimal("1")
ABC_LIMITS = (Decimal(80), Decimal(95))     # cumulative share (%) before a product: < 80 A, < 95 B, else C


@dataclass
class Filters:
    warehouse_id: int | None = None
    category_id: int | None = None
    days: int = 90                 # the sales period of turnover, cover, ABC and slow movers
    today: dt.date | None = None   # the period ends at the start of this day (default: today, UTC)

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        end = dt.datetime.combine(self.today, dt.time.min) if self.today else utcnow()
        return end - dt.timedelta(days=self.days), end


def _categories(category_id):
    from app.modules.products.service import descendants

    return [category_id, *descendants(category_id)]


def _product_filter(query, filters: Filters, product_column):
    if filters.category_id:
        query = query.where(product_column.in_(select(Product.id).where(
            Product.category_id.in_(_categories(filters.category_id)))))
    return query


# -- arithmetic ------------------------------------------------------------------------------------
def stock_value(on_hand, cost) -> Decimal | None:
    return None if cost is None else (Decimal(on_hand) * Decimal(cost)).quantize(CENT, ROUND_HALF_UP)


def daily_sales(shipped, days: int) -> Decimal:
    return Decimal(shipped) / Decimal(days)


def turnover(shipped, days: int, on_hand) -> Decimal | None:
    """Times a year the stock turns over: a year's shipments at this period's pace over the stock on hand."""
    on_hand = Decimal(on_hand)
    if on_hand <= 0:
        return None
    return (daily_sales(shipped, days) * 365 / on_hand).quantize(CENT, ROUND_HALF_UP)


def days_of_cover(available, shipped, days: int) -> Decimal | None:
    """Days the available quantity lasts at this period's daily sales; None without sales."""
    per_day = daily_sales(shipped, days)
    if per_day <= 0:
        return None
    return (max(Decimal(available), Decimal(0)) / per_day).quantize(TENTH, ROUND_HALF_UP)


def abc_classes(values: dict) -> dict:
    """{key: "A" | "B" | "C"} of {key: value}: sorted by value, a key is A while the share of the keys
    before it is under 80%, B under 95%, else C; keys of value 0 are C."""
    total = sum((Decimal(v) for v in values.values() if v and v > 0), Decimal(0))
    classes, before = {}, Decimal(0)
    for key, value in sorted(values.items(), key=lambda kv: (-Decimal(kv[1] or 0), str(kv[0]))):
        value = Decimal(value or 0)
        if value <= 0 or total == 0:
            classes[key] = "C"
            continue
        share_before = before * 100 / total
        classes[key] = "A" if share_before < ABC_LIMITS[0] else "B" if share_before < ABC_LIMITS[1] else "C"
        before += value
    return classes


# -- aggregates ------------------------------------------------------------------------------------
def shipped(filters: Filters, pairs=None) -> dict:
    """{(product_id, warehouse_id): shipped quantity} in the filters' period."""
    start, end = filters.window()
    query = (select(StockMove.product_id, StockMove.warehouse_id, -func.sum(StockMove.quantity))
             .where(StockMove.kind == SHIPMENT, StockMove.created_at >= start, StockMove.created_at < end)
             .group_by(StockMove.product_id, StockMove.warehouse_id))
    if filters.warehouse_id:
        query = query.where(StockMove.warehouse_id == filters.warehouse_id)
    if pairs is not None:
        if not pairs:
            return {}
        query = query.where(tuple_(StockMove.product_id, StockMove.warehouse_id).in_(list(pairs)))
    query = _product_filter(query, filters, StockMove.product_id)
    return {(p, w): Decimal(q or 0) for p, w, q in db.session.execute(query)}


def _largest(filters: Filters, limit: int, by_value: bool) -> list[tuple]:
    """[(product_id, warehouse_id, on hand, reserved)] of the `limit` largest stocks, largest first (of equal
    ones the later product and warehouse first): from the totals kept on PostgreSQL, else grouped here."""
    if stock_totals.kept():
        return stock_totals.largest(filters, limit, by_value, _product_filter)
    on_hand = func.sum(StockLevel.on_hand)
    order = (on_hand * func.coalesce(Product.cost, 0)).desc() if by_value else on_hand.desc()
    query = (select(StockLevel.product_id, StockLevel.warehouse_id, on_hand, func.sum(StockLevel.reserved))
             .join(Product, Product.id == StockLevel.product_id)
             .group_by(StockLevel.product_id, StockLevel.warehouse_id, Product.cost)
             .having(on_hand > 0)
             .order_by(order, StockLevel.product_id.desc(), StockLevel.warehouse_id.desc()).limit(limit))
    if filters.warehouse_id:
        query = query.where(StockLevel.warehouse_id == filters.warehouse_id)
    return db.session.execute(_product_filter(query, filters, StockLevel.product_id)).all()


def stock_overview(filters: Filters, limit: int = 100, by_value: bool = True) -> list[dict]:
    """Per product × warehouse: on hand, reserved, available, cost and value, shipped in the period,
    daily sales, turnover and days of cover; the `limit` largest by value (or by on hand)."""
    levels = _largest(filters, limit, by_value)
    pairs = [(p, w) for p, w, _h, _r in levels]
    out = shipped(filters, pairs)
    products = _products({p for p, _w in pairs})
    warehouses = _warehouses({w for _p, w in pairs})
    rows = []
    for product_id, warehouse_id, held, reserved in levels:
        held, reserved = Decimal(held), Decimal(reserved or 0)
        product = products[product_id]
        qty = out.get((product_id, warehouse_id), Decimal(0))
        rows.append({
            "product_id": product_id, "sku": product.sku, "product": product.name, "warehouse_id": warehouse_id,
            "warehouse": warehouses[warehouse_id], "on_hand": held, "reserved": reserved,
            "available": held - reserved, "cost": product.cost, "value": stock_value(held, product.cost),
            "shipped": qty, "daily_sales": daily_sales(qty, filters.days).quantize(CENT, ROUND_HALF_UP),
            "turnover": turnover(qty, filters.days, held),
            "days_of_cover": days_of_cover(held - reserved, qty, filters.days),
        })
    return rows


def value_by_warehouse(filters: Filters) -> list[tuple[str, Decimal]]:
    """[(warehouse, stock value)] of the active warehouses holding stock, largest first: from the totals kept on
    PostgreSQL, else grouped here."""
    if stock_totals.kept():
        held = stock_totals.by_warehouse(filters, _product_filter)
    else:
        query = (select(StockLevel.warehouse_id, func.sum(StockLevel.on_hand),
                        func.sum(StockLevel.on_hand * func.coalesce(Product.cost, 0)))
                 .join(Product, Product.id == StockLevel.product_id).group_by(StockLevel.warehouse_id))
        if filters.warehouse_id:
            query = query.where(StockLevel.warehouse_id == filters.warehouse_id)
        held = {w: (h, v) for w, h, v in db.session.execute(_product_filter(query, filters, StockLevel.product_id))}
    stocked = [w for w, (on_hand, _value) in held.items() if on_hand]
    names = db.session.execute(select(Warehouse.id, Warehouse.name).where(Warehouse.active.is_(True),
                                                                          Warehouse.id.in_(stocked))
                               .order_by(Warehouse.id)).all()
    rows = [(name, Decimal(held[pk][1] or 0).quantize(CENT, ROUND_HALF_UP)) for pk, name in names]
    return sorted(rows, key=lambda row: -row[1])


def abc(filters: Filters, limit: int = 100) -> dict:
    """ABC of the products shipped in the period: {"rows": [...] largest first (at most `limit`),
    "counts": {"A": n, "B": n, "C": n}, "values": {"A": value, ...}}. Products with stock but no
    shipment count as C."""
    start, end = filters.window()
    price = func.coalesce(Product.cost, Product.list_price, 0)
    query = (select(StockMove.product_id, -func.sum(StockMove.quantity), -func.sum(StockMove.quantity * price))
             .join(Product, Product.id == StockMove.product_id)
             .where(StockMove.kind == SHIPMENT, StockMove.created_at >= start, StockMove.created_at < end)
             .group_by(StockMove.product_id))
    if filters.warehouse_id:
        query = query.where(StockMove.warehouse_id == filters.warehouse_id)
    query = _product_filter(query, filters, StockMove.product_id)
    shipped_rows = {p: (Decimal(q or 0), Decimal(v or 0)) for p, q, v in db.session.execute(query)}
    classes = abc_classes({p: v for p, (_q, v) in shipped_rows.items()})
    idle = select(func.count(func.distinct(StockLevel.product_id))).where(StockLevel.on_hand > 0)
    if filters.warehouse_id:
        idle = idle.where(StockLevel.warehouse_id == filters.warehouse_id)
    idle = _product_filter(idle, filters, StockLevel.product_id)
    if shipped_rows:
        idle = idle.where(StockLevel.product_id.notin_(list(shipped_rows)[:5000]))
    counts = {"A": 0, "B": 0, "C": db.session.scalar(idle) or 0}
    values = {"A": Decimal(0), "B": Decimal(0), "C": Decimal(0)}
    for product_id, grade in classes.items():
        counts[grade] += 1
        values[grade] += shipped_rows[product_id][1]
    top = sorted(shipped_rows.items(), key=lambda kv: (-kv[1][1], kv[0]))[:limit]
    total = sum((v for _q, v in shipped_rows.values()), Decimal(0))
    products = _products({p for p, _ in top})
    rows, running = [], Decimal(0)
    for product_id, (qty, value) in top:
        running += value
        rows.append({"product_id": product_id, "sku": products[product_id].sku, "product": products[product_id].name,
                     "shipped": qty, "value": value.quantize(CENT, ROUND_HALF_UP),
                     "share": (value * 100 / total).quantize(TENTH, ROUND_HALF_UP) if total else Decimal(0),
                     "cumulative": (running * 100 / total).quantize(TENTH, ROUND_HALF_UP) if total else Decimal(0),
                     "class": classes[product_id]})
    return {"rows": rows, "counts": counts, "values": {k: v.quantize(CENT, ROUND_HALF_UP) for k, v in values.items()}}


def slow_movers(filters: Filters, limit: int = 100) -> list[dict]:
    """Product × warehouse places holding stock with no shipment in the period; oldest last shipment first
    (never shipped first of all)."""
    start, _end = filters.window()
    recent = (select(StockMove.id).where(StockMove.kind == SHIPMENT, StockMove.product_id == StockLevel.product_id,
                                         StockMove.warehouse_id == StockLevel.warehouse_id,
                                         StockMove.created_at >= start).correlate(StockLevel).exists())
    last = (select(func.max(StockMove.created_at)).where(
        StockMove.kind == SHIPMENT, StockMove.product_id == StockLevel.product_id,
        StockMove.warehouse_id == StockLevel.warehouse_id).correlate(StockLevel).scalar_subquery())
    on_hand = func.sum(StockLevel.on_hand)
    query = (select(StockLevel.product_id, StockLevel.warehouse_id, on_hand, func.max(last))
             .where(~recent).group_by(StockLevel.product_id, StockLevel.warehouse_id).having(on_hand > 0)
             .order_by(func.max(last).is_not(None), func.max(last), StockLevel.product_id, StockLevel.warehouse_id)
             .limit(limit))
    if filters.warehouse_id:
        query = query.where(StockLevel.warehouse_id == filters.warehouse_id)
    query = _product_filter(query, filters, StockLevel.product_id)
    found = db.session.execute(query).all()
    products = _products({r[0] for r in found})
    warehouses = _warehouses({r[1] for r in found})
    rows = []
    for product_id, warehouse_id, held, last_at in found:
        product = products[product_id]
        if isinstance(last_at, str):   # SQLite hands back the text of an aggregate's timestamp
            last_at = dt.datetime.fromisoformat(last_at)
        rows.append({"product_id": product_id, "sku": product.sku, "product": product.name,
                     "warehouse_id": warehouse_id, "warehouse": warehouses[warehouse_id], "on_hand": Decimal(held),
                     "last_shipment": last_at, "value": stock_value(held, product.cost)})
    return rows


def weekly_shipments(product_ids, weeks: int, warehouse_id: int | None = None, today: dt.date | None = None) -> dict:
    """{product_id: [shipped in each of the last `weeks` whole weeks, oldest first]} (weeks end at the start
    of `today`); with `warehouse_id`, {(product_id, warehouse_id): [...]} of that warehouse only."""
    end = dt.datetime.combine(today or utcnow().date(), dt.time.min)
    start = end - dt.timedelta(weeks=weeks)
    product_ids = list(product_ids)
    day = func.date(StockMove.created_at)
    series: dict = {}
    for i in range(0, len(product_ids), 500):
        query = (select(StockMove.product_id, StockMove.warehouse_id, day, -func.sum(StockMove.quantity))
                 .where(StockMove.kind == SHIPMENT, StockMove.created_at >= start, StockMove.created_at < end,
                        StockMove.product_id.in_(product_ids[i:i + 500]))
                 .group_by(StockMove.product_id, StockMove.warehouse_id, day))
        if warehouse_id:
            query = query.where(StockMove.warehouse_id == warehouse_id)
        for product_id, wh, on, qty in db.session.execute(query):
            key = (product_id, wh) if warehouse_id else product_id
            days_back = (end.date() - dt.date.fromisoformat(str(on)[:10])).days
            index = weeks - 1 - (days_back - 1) // 7
            series.setdefault(key, [Decimal(0)] * weeks)[index] += Decimal(qty or 0)
    for product_id in product_ids:
        series.setdefault((product_id, warehouse_id) if warehouse_id else product_id, [Decimal(0)] * weeks)
    return series


def product_forecast(product_id: int, weeks: int = 26, horizon: int = 4, holdout: int = 4,
                     warehouse_id: int | None = None, today: dt.date | None = None):
    """(weekly history, Forecast) of a product's shipments (of one warehouse, or of all)."""
    history = weekly_shipments([product_id], weeks, warehouse_id, today)
    series = history[(product_id, warehouse_id) if warehouse_id else product_id]
    return series, forecasting.forecast(series, horizon=horizon, holdout=holdout)


def reorder_suggestions(warehouse_id: int | None = None, category_id: int | None = None, weeks: int = 26,
                        today: dt.date | None = None, limit: int = 500) -> list[dict]:
    """What to order, per product × warehouse with a safety stock line: a line is suggested when
    available is below the warning line, or when the forecast demand over the lead time exceeds what is
    available. Quantity = max(reorder quantity, warning line + forecast demand over the lead time −
    available), rounded up to whole units. Ordered by how far below the line, largest first.

    Each line: product_id, sku, product, warehouse_id, warehouse, available, warning_line, reorder_qty,
    lead_time_days, forecast_lead (demand over the lead time), quantity, reason."""
    query = select(SafetyStock).order_by(SafetyStock.id)
    if warehouse_id:
        query = query.where(SafetyStock.warehouse_id == warehouse_id)
    query = _product_filter(query, Filters(category_id=category_id), SafetyStock.product_id)
    lines = db.session.scalars(query).all()
    if not lines:
        return []
    from app.modules.inventory.safety import available_at

    pairs = [(line.product_id, line.warehouse_id) for line in lines]
    available = available_at(pairs)
    history: dict = {}
    for wh in {line.warehouse_id for line in lines}:
        history.update(weekly_shipments([p for p, w in pairs if w == wh], weeks, wh, today))
    suggestions = []
    for line in lines:
        have = available[(line.product_id, line.warehouse_id)]
        weekly = forecasting.forecast(history[(line.product_id, line.warehouse_id)], horizon=max(
            1, -(-(line.lead_time_days or 0) // 7)), holdout=0).values
        lead_days = Decimal(line.lead_time_days or 0)
        demand = sum(weekly, Decimal(0)) * lead_days / (7 * len(weekly)) if weekly else Decimal(0)
        below = have < line.warning_line
        short = demand > have
        if not (below or short):
            continue
        need = (line.warning_line + demand - have).quantize(UNIT, ROUND_CEILING)
        quantity = max(Decimal(line.reorder_qty or 0), need).quantize(UNIT, ROUND_CEILING)
        reason = (_("Below the warning line") if below else _("Forecast demand over the lead time exceeds available"))
        suggestions.append({
            "product_id": line.product_id, "sku": line.product.sku, "product": line.product.name,
            "warehouse_id": line.warehouse_id, "warehouse": line.warehouse.name, "available": have,
            "warning_line": line.warning_line, "reorder_qty": line.reorder_qty, "lead_time_days": line.lead_time_days,
            "forecast_lead": demand.quantize(CENT, ROUND_HALF_UP), "quantity": quantity, "reason": reason,
            "gap": line.warning_line - have,
        })
    suggestions.sort(key=lambda s: (-s["gap"], s["sku"]))
    return suggestions[:limit]


def _products(ids) -> dict:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(list(ids))))}


def _warehouses(ids) -> dict:
    if not ids:
        return {}
    return dict(db.session.execute(select(Warehouse.id, Warehouse.name).where(Warehouse.id.in_(list(ids)))).all())
