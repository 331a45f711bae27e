"""Demo invoices: 刘洋 (Finance) invoices most of the demo's shipped and completed orders — some in part, one of
them reversed by a red-letter invoice — so the lists, tabs and charts have something to show."""
from __future__ import annotations

import random

from sqlalchemy import func, select

from app.core.errors import DomainError
from app.extensions import db
from app.modules.invoices import service
from app.modules.invoices.models import Invoice
from app.modules.orders.api import SalesOrder

INVOICED_STATES = ("shipped", "received", "completed", "partial")
DEMO_NOTE = "演示发票"


def load_demo(admin, staff: dict, seed: int = 2026) -> str:
    if db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.notes == DEMO_NOTE)):
        return "0 invoices"
    clerk = staff.get("liuyang") or admin
    rng = random.Random(seed)
    orders = list(db.session.scalars(select(SalesOrder).where(SalesOrder.status.in_(INVOICED_STATES))
                                     .order_by(SalesOrder.id)))
    made = []
    for order in orders:
        if rng.random() < 0.2:
            continue                         # not invoiced yet: shows as 未开票 on the order
        kind = "special" if order.customer.tax_id else "ordinary"
        quantities = None
        if rng.random() < 0.25 and order.lines:
            first = order.lines[0]
            quantities = {first.id: max(first.quantity // 2, 1)}
        try:
            made.append(service.issue_from_orders(clerk, [order.id], kind, quantities, notes=DEMO_NOTE))
        except DomainError:
            db.session.rollback()
    if made:
        service.red_letter(clerk, made[0].id, "客户退货，冲销原发票")
    return f"{len(made)} invoices"
