"""Keeping purchase spend per month (spend_models): `add(order, +1)` when an order is placed with its supplier,
`add(order, -1)` when a placed order is cancelled, in the caller's transaction; `rebuild()` recomputes everything
from the orders (after a bulk load, or to check the kept figures). A line's first-quote cost is its quantity at
the price of its supplier's earliest quote in yuan for the product, looked up when the order is placed."""
from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from sqlalchemy import case, delete, func, insert, literal, select
from sqlalchemy.orm import aliased

from app.core.scope import ScopeSpec
from app.extensions import db
from app.modules.products.api import Product
from app.modules.purchasing.models import SupplierQuote
from app.modules.purchasing.order_models import CLOSED, ORDERED, PARTIAL, RECEIVED, PurchaseOrder, PurchaseOrderLine
from app.modules.purchasing.spend_models import PurchaseCategorySpend, PurchaseSpend

PLACED = (ORDERED, PARTIAL, RECEIVED, CLOSED)
CENT = Decimal("0.01")
SCOPES = {model: SimpleNamespace(name="purchase_orders", permission_name="purchase_orders", model=model,
                                 scope=ScopeSpec(owner="owner_id", department="department_id"))
          for model in (PurchaseSpend, PurchaseCategorySpend)}


def month_key(day) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_price(supplier_id: int, product_id: int) -> Decimal | None:
    return db.session.scalar(select(SupplierQuote.price).where(
        SupplierQuote.supplier_id == supplier_id, SupplierQuote.product_id == product_id,
        SupplierQuote.currency == "CNY").order_by(SupplierQuote.valid_from, SupplierQuote.id).limit(1))


def _upsert(model, keys: dict, values: dict) -> None:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    table = model.__table__
    stmt = upsert(table).values(**keys, **values)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={name: table.c[name] + stmt.excluded[name] for name in values})
    db.session.execute(stmt)


def add(order: PurchaseOrder, sign: int) -> None:
    """The order's lines into (sign +1) or out of (-1) the kept spend."""
    lines = db.session.execute(select(PurchaseOrderLine.product_id, PurchaseOrderLine.quantity,
                                      PurchaseOrderLine.amount, Product.category_id)
                               .join(Product, Product.id == PurchaseOrderLine.product_id)
                               .where(PurchaseOrderLine.order_id == order.id)).all()
    if not lines:
        return
    month, department, owner = month_key(order.order_date), order.department_id or 0, order.owner_id
    amount = quoted = quoted_amount = Decimal(0)
    categories: dict = defaultdict(lambda: [Decimal(0), 0])
    for product_id, quantity, line_amount, category_id in lines:
        amount += line_amount
        price = first_price(order.supplier_id, product_id)
        if price is not None:
            quoted += (Decimal(price) * Decimal(quantity)).quantize(CENT, ROUND_HALF_UP)
            quoted_amount += line_amount
        categories[category_id or 0][0] += line_amount
        categories[category_id or 0][1] += 1
    _upsert(PurchaseSpend, {"month": month, "supplier_id": order.supplier_id, "department_id": department,
                            "owner_id": owner},
            {"amount": sign * amount, "orders": sign, "lines": sign * len(lines), "quoted": sign * quoted,
             "quoted_amount": sign * quoted_amount})
    for category_id, (category_amount, count) in categories.items():
        _upsert(PurchaseCategorySpend, {"month": month, "category_id": category_id, "department_id": department,
                                        "owner_id": owner}, {"amount": sign * category_amount, "lines": sign * count})


def rebuild() -> None:
    """Both kept tables recomputed from the placed orders, in the caller's transaction."""
    from app.core.datamodel import month_of

    dialect = db.session.get_bind().dialect.name
    month = month_of(PurchaseOrder.order_date, dialect)
    department = func.coalesce(PurchaseOrder.department_id, 0)
    first = aliased(SupplierQuote)
    earliest = (select(first.price).where(first.supplier_id == PurchaseOrder.supplier_id,
                                          first.product_id == PurchaseOrderLine.product_id, first.currency == "CNY")
                .order_by(first.valid_from, first.id).limit(1).scalar_subquery())
    lines = (select(month.label("month"), PurchaseOrder.supplier_id.label("supplier_id"),
                    department.label("department_id"), PurchaseOrder.owner_id.label("owner_id"),
                    PurchaseOrderLine.order_id.label("order_id"), PurchaseOrderLine.amount.label("amount"),
                    func.round(earliest * PurchaseOrderLine.quantity, 2).label("quoted"))
             .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
             .where(PurchaseOrder.status.in_(PLACED)).subquery())
    db.session.execute(delete(PurchaseSpend))
    db.session.execute(delete(PurchaseCategorySpend))
    keys = [lines.c.month, lines.c.supplier_id, lines.c.department_id, lines.c.owner_id]
    db.session.execute(insert(PurchaseSpend).from_select(
        ["month", "supplier_id", "department_id", "owner_id", "amount", "orders", "lines", "quoted", "quoted_amount"],
        select(*keys, func.sum(lines.c.amount), func.count(func.distinct(lines.c.order_id)), func.count(),
               func.coalesce(func.sum(lines.c.quoted), 0),
               func.coalesce(func.sum(case((lines.c.quoted.is_not(None), lines.c.amount), else_=literal(0))), 0))
        .group_by(*keys)))
    category = func.coalesce(Product.category_id, 0)
    db.session.execute(insert(PurchaseCategorySpend).from_select(
        ["month", "category_id", "department_id", "owner_id", "amount", "lines"],
        select(month, category, department, PurchaseOrder.owner_id, func.sum(PurchaseOrderLine.amount), func.count())
        .select_from(PurchaseOrderLine).join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .join(Product, Product.id == PurchaseOrderLine.product_id).where(PurchaseOrder.status.in_(PLACED))
        .group_by(month, category, department, PurchaseOrder.owner_id)))


def scoped(model, actor, *conditions):
    """Conditions on a kept table: the months asked and the actor's data scope of purchase orders."""
    from app.core.scope import scope_clause

    clause = scope_clause(SCOPES[model], actor) if actor is not None else None
    return [*conditions, clause] if clause is not None else list(conditions)

