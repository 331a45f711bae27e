"""Demo orders: the demo customers buy the demo products — a printer often with its toner and paper, chairs
with desks — so 智能推荐 has history to learn from; most are shipped or completed, some confirmed (stock
reserved), a few drafts and one cancelled."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import func, select

from app.core.errors import DomainError
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.models import Customer
from app.modules.inventory.models import StockLevel, Warehouse
from app.modules.orders import service
from app.modules.orders.models import APPROVAL_DONE, SalesOrder, SalesOrderLine
from app.modules.products.models import ON_SALE, Product


DEMO_NOTE = "演示订单"


def load_demo(admin, staff: dict, seed: int = 2026, count: int = 60) -> str:
    if db.session.scalar(select(func.count()).select_from(SalesOrder).where(SalesOrder.notes == DEMO_NOTE)):
        return "0 orders"
    rng = random.Random(seed)
    customers = list(db.session.scalars(select(Customer).where(Customer.status.in_(["active", "potential"])).order_by(Customer.id.desc())
                                         .limit(40)))
    warehouse = db.session.scalar(select(Warehouse).where(Warehouse.code == "SH"))
    stocked = list(db.session.scalars(select(Product).join(StockLevel, StockLevel.product_id == Product.id).where(
        Product.status == ON_SALE, StockLevel.warehouse_id == (warehouse.id if warehouse else 0)).distinct()
        .order_by(Product.id)))
    if not customers or warehouse is None or len(stocked) < 4:
        return "0 orders"
    # Products that go together: neighbours in the catalogue (a printer, its toner, paper …).
    bundles = [stocked[i:i + 3] for i in range(0, len(stocked) - 2, 3)]
    made = 0
    today = dt.date.today()
    for number in range(count):
        customer = rng.choice(customers)
        bundle = rng.choice(bundles)
        items = [bundle[0]] + [p for p in bundle[1:] if rng.random() < 0.7]
        if rng.random() < 0.2:
            items.append(rng.choice(stocked))
        order = service.create(customer.owner, SalesOrder(customer_id=customer.id, warehouse_id=warehouse.id,
                                                          order_date=today - dt.timedelta(days=rng.randrange(0, 300)),
                                                          owner_id=customer.owner_id, notes=DEMO_NOTE))
        for item in dict.fromkeys(items):
            service.save_line(customer.owner, SalesOrderLine(
                order_id=order.id, product_id=item.id, quantity=Decimal(rng.randrange(1, 4)),
                unit_price=item.list_price if item.list_price else Decimal(rng.randrange(20, 500)),
                discount=Decimal(rng.choice([0, 0, 0, 5, 10]))))
        made += 1
        fate = rng.random()
        if order.order_date < today - dt.timedelta(days=30) and service.approval_reasons(order):
            # Orders from before approvals were kept in 掌务通 arrive approved; recent ones wait for theirs.
            with unit_of_work(admin):
                order.approval = APPROVAL_DONE
        try:
            if fate < 0.85:
                service.confirm(customer.owner, order.id)
            if fate < 0.65:
                service.ship(customer.owner, order.id)
            if fate < 0.45:
                service.mark_received(customer.owner, order.id)
                service.complete(customer.owner, order.id)
            if 0.85 <= fate < 0.88:
                service.cancel(customer.owner, order.id, "客户预算调整，暂缓采购")
        except DomainError:
            db.session.rollback()       # not enough stock left for this one: it stays a draft
    from app.modules.products import recommend_service

    recommend_service.recompute()
    return f"{made} orders"
