"""Reorder suggestions into purchase orders (补货建议 → 采购订单): each suggested product is bought from the supplier
whose valid quote (in yuan) costs least for the suggested quantity; one draft order per supplier and warehouse,
with a line per product. A product with an open purchase order for the warehouse (not yet fully received) is left
out, so suggestions are not ordered twice; a product without a valid quote is named, never dropped silently. The
nightly job makes the drafts when PURCHASE_AUTO_REORDER is on."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.clock import company_today
from app.extensions import db
from app.modules.inventory.api import reorder_suggestions
from app.modules.purchasing import order_service, quotes
from app.modules.purchasing.order_models import (APPROVED, DRAFT, IN_APPROVAL, ORDERED, PARTIAL, REJECTED,
                                                 PurchaseOrder, PurchaseOrderLine)

OPEN = (DRAFT, IN_APPROVAL, APPROVED, REJECTED, ORDERED, PARTIAL)


@dataclass
class Outcome:
    orders: list = field(default_factory=list)          # the draft purchase orders made
    no_quote: list = field(default_factory=list)        # suggestions no valid quote covers
    on_order: list = field(default_factory=list)        # suggestions already on an open purchase order


def _on_order(pairs) -> set:
    """(product id, warehouse id) of the pairs that an open purchase order already buys."""
    if not pairs:
        return set()
    products = {p for p, _w in pairs}
    rows = db.session.execute(select(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id)
                              .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
                              .where(PurchaseOrder.status.in_(OPEN), PurchaseOrderLine.product_id.in_(products)))
    return {(p, w) for p, w in rows}


def suggestions(warehouse_id=None, category_id=None, limit=500) -> list[dict]:
    rows = reorder_suggestions(warehouse_id, category_id, limit=limit)
    ordered = _on_order([(r["product_id"], r["warehouse_id"]) for r in rows])
    for row in rows:
        row["on_order"] = (row["product_id"], row["warehouse_id"]) in ordered
    return rows


def make_orders(actor, rows: list[dict], today: dt.date | None = None) -> Outcome:
    """Draft purchase orders for the suggestion rows (product_id, warehouse_id, quantity), grouped by the chosen
    supplier and the warehouse."""
    outcome = Outcome()
    today = today or company_today()
    groups: dict[tuple, list] = {}
    for row in rows:
        if row.get("on_order"):
            outcome.on_order.append(row)
            continue
        quantity = Decimal(row["quantity"])
        best = next((o for o in quotes.compare(actor, row["product_id"], quantity, "cheapest", today)
                     if o.best and o.quote.currency == "CNY"), None)
        if best is None:
            outcome.no_quote.append(row)
            continue
        groups.setdefault((best.quote.supplier_id, row["warehouse_id"]), []).append((row, best))
    for (supplier_id, warehouse_id), items in groups.items():
        lead = max(offer.quote.lead_days for _row, offer in items)
        supplier = items[0][1].quote.supplier
        order = order_service.create(actor, PurchaseOrder(       # the nightly job's drafts go to the buyer in charge
            supplier_id=supplier_id, warehouse_id=warehouse_id, expected_date=today + dt.timedelta(days=lead),
            owner_id=getattr(actor, "id", None) or supplier.owner_id,
            department_id=getattr(actor, "department_id", None) if actor is not None else supplier.department_id,
            notes=_("Made from the reorder suggestions.")))
        for row, offer in items:
            order_service.save_line(actor, PurchaseOrderLine(
                order_id=order.id, product_id=row["product_id"], quantity=offer.buy_quantity,
                unit_price=offer.quote.price, delivery_date=today + dt.timedelta(days=offer.quote.lead_days)))
        outcome.orders.append(db.session.get(PurchaseOrder, order.id))
    return outcome


def nightly(actor=None) -> dict:
    """The nightly job's work: drafts for every suggestion (when PURCHASE_AUTO_REORDER is on)."""
    from flask import current_app

    if not current_app.config.get("PURCHASE_AUTO_REORDER"):
        return {"orders": 0, "skipped": "off"}
    outcome = make_orders(actor, suggestions(limit=5000))
    return {"orders": len(outcome.orders), "no_quote": len(outcome.no_quote), "on_order": len(outcome.on_order)}
