"""Sales orders' rules.

A draft order names a customer the user may see, the warehouse it ships from and its lines: product,
quantity, unit price (the product's list price unless typed), discount (per cent) and tax rate (the
product's unless typed). Each line's amount is quantity × unit price × (1 − discount), its tax the amount ×
the rate, both rounded half up to the fen; the order's totals are the sums of its lines, so they always add
up. 确认 reserves every line's quantity in the warehouse (from any of its bins) or refuses naming the product
short; 发货 ships what is reserved; 签收 and 完成 follow; 取消 (with a reason) gives the reservation back.
The status is never typed: these functions move it, each change in the record's history.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import lazyload

from app.core.amounts import line_figures, money  # noqa: F401  (service.line_figures, as before)
from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.numbering import next_number
from app.core.scope import can_see
from app.core.transaction import each_record, unit_of_work
from app.extensions import db
from app.modules.inventory import service as stock
from app.modules.inventory.models import StockLevel, StockReservation, Warehouse
from app.modules.orders.models import (APPROVAL_DONE, APPROVAL_DRAFT, APPROVAL_RUNNING, CANCELLED, COMPLETED,
                                       CONFIRMED, DOC_TYPE, DRAFT, PARTIAL, PREPARING, RECEIVED, SHIPPED, SalesOrder,
                                       SalesOrderLine, Shipment, ShipmentLine)
from app.modules.products.models import Product

NUMBERING = "sales_order"
# Below this share of the list prices (a discount over 10%), an order goes through 订单折扣超限审批.
DISCOUNT_LIMIT = Decimal("0.9")
# Orders that count against the customer's credit until 回款 records payments: confirmed and not yet complete.
OPEN = (CONFIRMED, PREPARING, PARTIAL, SHIPPED, RECEIVED)


class WrongState(DomainError):
    status = 409


def _number(value, field, errors, low=None, high=None, places=None):
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = [_("Enter a number.")]
        return None
    if not number.is_finite() or (low is not None and number < low) or (high is not None and number > high):
        errors[field] = [_("Enter a number from %(low)s to %(high)s.", low=low, high=high)] if high is not None \
            else [_("Enter a number greater than zero.")]
        return None
    return number.quantize(Decimal(places)) if places else number


def _id(item, column, relation):
    other = getattr(item, relation, None)
    return other.id if other is not None else getattr(item, column, None)


def _check(actor, order: SalesOrder) -> None:
    errors: dict[str, list[str]] = {}
    customer_id = _id(order, "customer_id", "customer")
    if not customer_id:
        errors["customer"] = [_("Choose a customer from the list.")]
    elif actor is not None and not can_see("customers", actor, customer_id):
        errors["customer"] = [_("Choose a customer from the list.")]
    warehouse_id = _id(order, "warehouse_id", "warehouse")
    if warehouse_id:
        warehouse = db.session.get(Warehouse, warehouse_id)
        if warehouse is None or not warehouse.active:
            errors["warehouse"] = [_("Choose a warehouse from the list.")]
    if errors:
        raise ValidationErrors(errors)
    order.customer_id, order.warehouse_id = customer_id, warehouse_id
    order.owner_id = _id(order, "owner_id", "owner") or getattr(actor, "id", None)
    if order.department_id is None and order.department is None and actor is not None:
        order.department_id = getattr(actor, "department_id", None)
    if order.order_date is None:
        order.order_date = dt.date.today()


def _stored_status(order) -> str:
    if order.id is None:
        return DRAFT
    return db.session.scalar(select(SalesOrder.status).where(SalesOrder.id == order.id)) or DRAFT


def create(actor, order: SalesOrder) -> SalesOrder:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _check(actor, order)
            if not order.delivery_address:
                from app.modules.customers.models import Customer

                customer = db.session.get(Customer, order.customer_id)
                order.delivery_address = customer.address if customer is not None else None
        order.status = DRAFT
        order.code = next_number(NUMBERING)
        order.untaxed = order.tax = order.total = Decimal(0)
        order.discount_rate = Decimal(1)
        db.session.add(order)
    return order


def update_order(actor, order: SalesOrder) -> SalesOrder:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            if _stored_status(order) != DRAFT:
                raise WrongState("orders.not_draft", _(
                    "Order %(code)s is confirmed; it can no longer be changed.", code=order.code))
            _check_approval_allows_change(order)
            _check(actor, order)
            order.status = DRAFT
    return order


def delete(actor, order: SalesOrder) -> None:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            if _stored_status(order) != DRAFT:
                raise WrongState("orders.not_draft_delete", _(
                    "Order %(code)s is confirmed; cancel it instead of deleting it.", code=order.code))
        db.session.delete(order)


def _totals(order: SalesOrder) -> None:
    lines = db.session.scalars(select(SalesOrderLine).where(SalesOrderLine.order_id == order.id)).all()
    order.untaxed = sum((line.amount for line in lines), Decimal(0))
    order.tax = sum((line.tax for line in lines), Decimal(0))
    order.total = sum((line.total for line in lines), Decimal(0))
    listed = sum((Decimal(line.quantity) * line.unit_price for line in lines), Decimal(0))
    order.discount_rate = (order.untaxed / listed).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) \
        if listed else Decimal(1)


def save_line(actor, line: SalesOrderLine) -> SalesOrderLine:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            order = line.order or db.session.get(SalesOrder, line.order_id or 0)
            if order is None or (actor is not None and not can_see("orders", actor, order.id)):
                raise ValidationErrors({"order": [_("Choose an order from the list.")]})
            if _stored_status(order) != DRAFT:
                raise WrongState("orders.not_draft", _(
                    "Order %(code)s is confirmed; it can no longer be changed.", code=order.code))
            _check_approval_allows_change(order)
            product = db.session.get(Product, _id(line, "product_id", "product") or 0)
            errors: dict[str, list[str]] = {}
            if product is None:
                errors["product"] = [_("Choose a product from the list.")]
            quantity = _number(line.quantity, "quantity", errors, low=Decimal("0.0001"), places="0.0001")
            price = line.unit_price if line.unit_price not in (None, "") else (
                product.list_price if product is not None else None)
            unit_price = _number(price if price is not None else "", "unit_price", errors, low=Decimal(0),
                                 places="0.01") if price is not None else None
            if price is None and "product" not in errors:
                errors["unit_price"] = [_("Enter the unit price: the product has no list price.")]
            discount = _number(line.discount if line.discount not in (None, "") else 0, "discount", errors,
                               low=Decimal(0), high=Decimal(100), places="0.01")
            rate = line.tax_rate if line.tax_rate not in (None, "") else (
                product.tax_rate if product is not None and product.tax_rate is not None else 0)
            tax_rate = _number(rate, "tax_rate", errors, low=Decimal(0), high=Decimal(100), places="0.01")
            if not errors and order.contract_id is not None:
                _check_contract_allows(order, line, product, quantity, errors)
            if errors:
                raise ValidationErrors(errors)
            line.order_id, line.product_id = order.id, product.id
            line.quantity, line.unit_price, line.discount, line.tax_rate = quantity, unit_price, discount, tax_rate
            line.amount, line.tax, line.total = line_figures(quantity, unit_price, discount, tax_rate)
        db.session.add(line)
        db.session.flush()
        _totals(order)
    return line


def unordered(contract_id: int, except_line: int | None = None) -> dict[int, Decimal]:
    """{product id: quantity} the contract still leaves unordered: its lines less the lines of its orders that
    are not cancelled (`except_line` left out: the line being changed)."""
    from app.modules.contracts.api import ContractLine

    left: dict[int, Decimal] = {}
    for product_id, quantity in db.session.execute(select(ContractLine.product_id, ContractLine.quantity).where(
            ContractLine.contract_id == contract_id)):
        left[product_id] = left.get(product_id, Decimal(0)) + Decimal(quantity)
    ordered = select(SalesOrderLine.product_id, SalesOrderLine.quantity).join(
        SalesOrder, SalesOrder.id == SalesOrderLine.order_id).where(
        SalesOrder.contract_id == contract_id, SalesOrder.status != CANCELLED)
    if except_line is not None:
        ordered = ordered.where(SalesOrderLine.id != except_line)
    for product_id, quantity in db.session.execute(ordered):
        left[product_id] = left.get(product_id, Decimal(0)) - Decimal(quantity)
    return left


def _lock_contract(contract_id: int) -> None:
    """Orders of one contract are written one at a time: two clerks cannot both order its last units."""
    from app.modules.contracts.api import Contract

    db.session.execute(select(Contract.id).where(Contract.id == contract_id).with_for_update())


def _check_contract_allows(order, line, product, quantity, errors) -> None:
    _lock_contract(order.contract_id)
    left = unordered(order.contract_id, except_line=line.id)
    if product.id not in left:
        errors["product"] = [_("%(product)s is not in contract %(code)s.", product=product.name,
                               code=order.contract.code if order.contract is not None else "")]
    elif quantity > left[product.id]:
        errors["quantity"] = [_("%(product)s: the contract leaves %(left)s unordered; %(wanted)s is more.",
                                product=product.name, left=stock._fmt(max(left[product.id], Decimal(0))),
                                wanted=stock._fmt(quantity))]


def from_contract(actor, contract_id: int) -> SalesOrder:
    """An order for what a contract in force still leaves unordered: its customer, and its lines at the contract's
    prices, discounts and tax rates. Refused when nothing is left."""
    from app.modules.contracts.api import IN_FORCE, Contract

    with unit_of_work(actor):
        contract = db.session.get(Contract, contract_id) if 0 < contract_id < 2 ** 31 else None
        if contract is None or (actor is not None and not can_see("contracts", actor, contract_id)):
            raise NotFound("orders.no_contract", _("The contract does not exist or you may not see it."))
        if contract.status not in IN_FORCE:
            raise WrongState("orders.contract_not_in_force", _(
                "Orders are made from a signed contract in force; %(code)s is not.", code=contract.code))
        _lock_contract(contract.id)
        left = {p: q for p, q in unordered(contract.id).items() if q > 0}
        if not left:
            raise WrongState("orders.contract_fully_ordered", _(
                "Everything in contract %(code)s has been ordered.", code=contract.code))
        order = create(actor, SalesOrder(customer_id=contract.customer_id, contract_id=contract.id,
                                         notes=_("From contract %(code)s", code=contract.code)))
        for source in contract.lines:
            quantity = min(left.get(source.product_id, Decimal(0)), Decimal(source.quantity))
            if quantity <= 0:
                continue
            left[source.product_id] -= quantity
            save_line(actor, SalesOrderLine(order_id=order.id, product_id=source.product_id, quantity=quantity,
                                            unit_price=source.unit_price, discount=source.discount,
                                            tax_rate=source.tax_rate))
    return order


def delete_line(actor, line: SalesOrderLine) -> None:
    with unit_of_work(actor):
        order = line.order
        with db.session.no_autoflush:
            if _stored_status(order) != DRAFT:
                raise WrongState("orders.not_draft", _(
                    "Order %(code)s is confirmed; it can no longer be changed.", code=order.code))
            _check_approval_allows_change(order)
        db.session.delete(line)
        db.session.flush()
        _totals(order)


def _locked(actor, order_id: int) -> SalesOrder:
    found = db.session.execute(select(SalesOrder).where(SalesOrder.id == order_id).options(lazyload("*"))
                               .with_for_update(of=SalesOrder)).scalar()
    if found is None or (actor is not None and not can_see("orders", actor, order_id)):
        raise NotFound("orders.no_order", _("The order does not exist or you may not see it."))
    return found


def _reserve(actor, code, product, warehouse_id, quantity) -> None:
    """Holds `quantity` of the product in the warehouse, from its bins with the most available first."""
    remaining = Decimal(quantity)
    levels = db.session.execute(select(StockLevel.id, StockLevel.on_hand - StockLevel.reserved).where(
        StockLevel.product_id == product.id, StockLevel.warehouse_id == warehouse_id,
        StockLevel.on_hand - StockLevel.reserved > 0)
        .order_by((StockLevel.on_hand - StockLevel.reserved).desc(), StockLevel.id)).all()
    available = sum((a for _i, a in levels), Decimal(0))
    for level_id, _available in levels:
        if remaining <= 0:
            break
        take = min(remaining, _available)
        done = db.session.execute(update(StockLevel).where(
            StockLevel.id == level_id, StockLevel.on_hand - StockLevel.reserved >= take).values(
            reserved=StockLevel.reserved + take)).rowcount
        if done != 1:
            continue                       # taken by someone else meanwhile: the next bin
        held = db.session.scalar(select(StockReservation).where(
            StockReservation.doc_type == DOC_TYPE, StockReservation.doc_ref == code,
            StockReservation.level_id == level_id))
        if held is not None:
            held.quantity = held.quantity + take
        else:
            db.session.add(StockReservation(level_id=level_id, doc_type=DOC_TYPE, doc_ref=code, quantity=take,
                                            user_id=getattr(actor, "id", None)))
        remaining -= take
    if remaining > 0:
        raise stock.InsufficientStock("orders.insufficient", _(
            "%(product)s: not enough stock in the warehouse — %(available)s available, %(wanted)s ordered.",
            product=product.name, available=stock._fmt(available), wanted=stock._fmt(quantity)), field="quantity")


# -- 信用 and 折扣 approvals ---------------------------------------------------------------------------------
def credit_excess(order: SalesOrder) -> Decimal:
    """How far the customer's open orders and this one go beyond their credit limit (0 within it, or when the
    customer has no limit)."""
    from app.modules.customers.api import Customer

    customer = db.session.get(Customer, order.customer_id)
    limit = Decimal(customer.credit_limit or 0) if customer is not None else Decimal(0)
    if limit <= 0:
        return Decimal(0)
    open_total = db.session.scalar(select(func.coalesce(func.sum(SalesOrder.total), 0)).where(
        SalesOrder.customer_id == order.customer_id, SalesOrder.status.in_(OPEN), SalesOrder.id != order.id))
    return max(Decimal(open_total or 0) + Decimal(order.total or 0) - limit, Decimal(0))


def approval_reasons(order: SalesOrder) -> list[str]:
    """Why the order must be approved before it is confirmed (empty: it needs no approval)."""
    reasons = []
    excess = credit_excess(order)
    if excess > 0:
        reasons.append(_("it exceeds the customer's credit limit by ¥%(amount)s", amount=f"{excess:,.2f}"))
    if order.discount_rate is not None and Decimal(order.discount_rate) < DISCOUNT_LIMIT:
        reasons.append(_("its discount is beyond %(limit)d%%", limit=int((1 - DISCOUNT_LIMIT) * 100)))
    return reasons


def chain_of(order_id: int) -> str:
    """The credit chain for an order over its customer's credit, else the discount chain."""
    order = db.session.get(SalesOrder, order_id)
    return "order_credit_approval" if order is not None and credit_excess(order) > 0 else "order_discount_approval"


def before_submit(actor, order: SalesOrder) -> None:
    """What approval asks of an order: a reason to be approved (said otherwise), and the credit figure its
    chain reads."""
    if order.status != DRAFT:
        raise WrongState("orders.not_draft", _(
            "Order %(code)s is confirmed; it can no longer be changed.", code=order.code))
    if not approval_reasons(order):
        raise DomainError("orders.no_approval_needed", _(
            "Order %(code)s needs no approval: confirm it.", code=order.code))
    order.credit_excess = credit_excess(order)


def _check_approval_allows_change(order: SalesOrder) -> None:
    """An order in approval does not change; an approved one that changes is asked again."""
    stored = db.session.scalar(select(SalesOrder.approval).where(SalesOrder.id == order.id)) if order.id else None
    if stored == APPROVAL_RUNNING:
        raise WrongState("orders.in_approval", _(
            "Order %(code)s is in approval; withdraw it to change it.", code=order.code))
    if stored == APPROVAL_DONE:
        order.approval = APPROVAL_DRAFT


def confirm(actor, order_id: int) -> SalesOrder:
    """确认: the order's lines are reserved in its warehouse, all or none."""
    with unit_of_work(actor):
        order = _locked(actor, order_id)
        if order.status != DRAFT:
            raise WrongState("orders.confirmed", _("Order %(code)s has already been confirmed.", code=order.code))
        if not order.lines:
            raise DomainError("orders.no_lines", _("Add the products ordered first."))
        if order.warehouse_id is None:
            raise ValidationErrors({"warehouse": [_("Choose the warehouse the order ships from.")]})
        reasons = approval_reasons(order)
        if reasons and order.approval != APPROVAL_DONE:
            raise WrongState("orders.approval_needed", _(
                "Order %(code)s must be approved before it is confirmed: %(reasons)s. Submit it for approval on its approval tab.",
                code=order.code, reasons="；".join(reasons)))
        for line in order.lines:
            _reserve(actor, order.code, line.product, order.warehouse_id, line.quantity)
        order.status = CONFIRMED
    return order


SHIPPABLE = (CONFIRMED, PREPARING, PARTIAL)
CANCELLABLE = (DRAFT, CONFIRMED, PREPARING)


def prepare(actor, order_id: int) -> SalesOrder:
    """开始备货: the warehouse is picking a confirmed order."""
    return _step(actor, order_id, CONFIRMED, PREPARING, _("Only a confirmed order is prepared; %(code)s is not."))


def _text(value, limit) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


def ship_part(actor, order_id: int, quantities: dict, carrier: str | None = None, tracking_no: str | None = None,
              note: str | None = None) -> Shipment:
    """发货 of some of an order's lines ({line id: quantity}) as one shipment with its carrier and tracking number:
    the quantities leave the warehouse from the order's reservation. Never more than a line has left to ship;
    the order is 部分发货 until every line has shipped, then 已发货. Two clerks shipping the last units at once:
    the second is refused (the order is locked while it ships)."""
    with unit_of_work(actor):
        order = _locked(actor, order_id)
        if order.status not in SHIPPABLE:
            raise WrongState("orders.not_confirmed", _("Only a confirmed order ships; %(code)s is not.",
                                                       code=order.code))
        lines = {line.id: line for line in db.session.scalars(
            select(SalesOrderLine).where(SalesOrderLine.order_id == order.id).execution_options(populate_existing=True))}
        errors: dict[str, list[str]] = {}
        wanted: list[tuple[SalesOrderLine, Decimal]] = []
        for key, raw in (quantities or {}).items():
            line = lines.get(int(key)) if str(key).isdigit() and len(str(key)) < 10 else None
            if line is None:
                raise ValidationErrors({"lines": [_("Ship only this order's lines.")]})
            if raw in (None, "") or str(raw).strip() in ("", "0"):
                continue
            quantity = _number(raw, f"line_{line.id}", errors, low=Decimal("0.0001"), places="0.0001")
            if quantity is None:
                continue
            left = Decimal(line.quantity) - Decimal(line.shipped or 0)
            if quantity > left:
                errors[f"line_{line.id}"] = [_("%(product)s: %(left)s left to ship; %(wanted)s is more.",
                                               product=line.product.name, left=stock._fmt(left),
                                               wanted=stock._fmt(quantity))]
                continue
            wanted.append((line, quantity))
        if errors:
            raise ValidationErrors(errors)
        if not wanted:
            raise ValidationErrors({"lines": [_("Enter the quantity shipped of at least one line.")]})
        shipment = Shipment(order_id=order.id, carrier=_text(carrier, 60), tracking_no=_text(tracking_no, 60),
                            note=_text(note, 255), shipped_by_id=getattr(actor, "id", None), shipped_at=utcnow())
        db.session.add(shipment)
        db.session.flush()
        for line, quantity in wanted:
            stock.fulfil_part(actor, DOC_TYPE, order.code, line.product_id, quantity,
                              note=_("Order %(code)s", code=order.code), commit=False)
            line.shipped = Decimal(line.shipped or 0) + quantity
            db.session.add(ShipmentLine(shipment_id=shipment.id, order_line_id=line.id, product_id=line.product_id,
                                        quantity=quantity))
        done = all(Decimal(line.shipped or 0) >= Decimal(line.quantity) for line in lines.values())
        order.status = SHIPPED if done else PARTIAL
        if done:
            order.shipped_at = utcnow()
    return shipment


def ship(actor, order_id: int, carrier: str | None = None, tracking_no: str | None = None) -> SalesOrder:
    """发货 of everything an order has left to ship, as one shipment."""
    with unit_of_work(actor):
        order = _locked(actor, order_id)
        left = {line.id: Decimal(line.quantity) - Decimal(line.shipped or 0) for line in order.lines}
        if order.status in SHIPPABLE and not any(q > 0 for q in left.values()):
            raise WrongState("orders.nothing_to_ship", _("Order %(code)s has nothing left to ship.", code=order.code))
        ship_part(actor, order_id, {k: v for k, v in left.items() if v > 0}, carrier, tracking_no)
    return order


def _step(actor, order_id, before, after, message):
    with unit_of_work(actor):
        order = _locked(actor, order_id)
        if order.status != before:
            raise WrongState("orders.wrong_state", message % {"code": order.code})
        order.status = after
    return order


def mark_received(actor, order_id: int) -> SalesOrder:
    return _step(actor, order_id, SHIPPED, RECEIVED, _("Order %(code)s has not been shipped."))


def complete(actor, order_id: int) -> SalesOrder:
    return _step(actor, order_id, RECEIVED, COMPLETED, _("Order %(code)s has not been received."))


def cancel(actor, order_id: int, reason: str) -> SalesOrder:
    """取消 with a reason: a draft or a confirmed order (its reservation given back)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationErrors({"reason": [_("Say why the order is cancelled.")]})
    with unit_of_work(actor):
        order = _locked(actor, order_id)
        if order.approval == APPROVAL_RUNNING:
            raise WrongState("orders.in_approval", _(
                "Order %(code)s is in approval; withdraw it to change it.", code=order.code))
        if order.status not in CANCELLABLE:
            raise WrongState("orders.not_cancellable", _(
                "Order %(code)s has been shipped; it can no longer be cancelled.", code=order.code))
        if order.status in (CONFIRMED, PREPARING):
            stock.release(actor, DOC_TYPE, order.code, commit=False)
        order.status = CANCELLED
        order.cancel_reason = reason[:2000]
    return order


def copy(actor, order_id: int) -> SalesOrder:
    """复制: a new draft with the same customer, warehouse, address and lines (at today's figures)."""
    source = _locked(actor, order_id)
    new = create(actor, SalesOrder(customer_id=source.customer_id, warehouse_id=source.warehouse_id,
                                   contract_id=source.contract_id, delivery_address=source.delivery_address,
                                   notes=source.notes))
    for line in source.lines:
        save_line(actor, SalesOrderLine(order_id=new.id, product_id=line.product_id, quantity=line.quantity,
                                        unit_price=line.unit_price, discount=line.discount, tax_rate=line.tax_rate))
    return new


# -- order history for 智能推荐 -----------------------------------------------------------------------------
def baskets(since, customer_id):
    """(order id, customer id, product id) of the orders confirmed or beyond since `since`."""
    query = select(SalesOrder.id, SalesOrder.customer_id, SalesOrderLine.product_id).join(
        SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id).where(
        SalesOrder.status.in_((CONFIRMED, PREPARING, PARTIAL, SHIPPED, RECEIVED, COMPLETED)))
    if since is not None:
        query = query.where(SalesOrder.created_at >= since)
    if customer_id is not None:
        query = query.where(SalesOrder.customer_id == customer_id)
    return db.session.execute(query.execution_options(yield_per=5000))


# -- hooks of the generated screens and API ----------------------------------------------------------------
def confirm_action(actor, items):
    each_record(actor, items, confirm)


def ship_action(actor, items):
    each_record(actor, items, ship)


def prepare_action(actor, items):
    each_record(actor, items, prepare)


def ship_part_action(actor, items):
    from flask import redirect

    return redirect(f"/orders_ship/{items[0].id}")


def receive_action(actor, items):
    each_record(actor, items, mark_received)


def complete_action(actor, items):
    each_record(actor, items, complete)


def copy_action(actor, items):
    from flask import redirect

    made = copy(actor, items[0].id)
    return redirect(f"/orders/show/{made.id}")


def cancel_action(actor, items):
    from flask import redirect, url_for

    return redirect(url_for("OrderCancelView.chosen", ids=",".join(str(i.id) for i in items)))


class orders:
    create = staticmethod(create)
    update = staticmethod(update_order)
    delete = staticmethod(delete)


class order_lines:
    create = update = staticmethod(save_line)
    delete = staticmethod(delete_line)


class WrittenByShippingOnly(DomainError):
    status = 405


def _shipments_are_written_by_shipping(*_args, **_kw):
    raise WrittenByShippingOnly("orders.shipment_read_only", _("Shipments are made by shipping their order and are never changed."))


class shipments:
    create = update = delete = staticmethod(_shipments_are_written_by_shipping)
