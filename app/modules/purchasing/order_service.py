"""Purchase order operations (采购订单): made by hand or from a chosen quote, lines checked and summed, sent
through 采购订单审批 (its tiers by amount are in workflows/purchase_order_approval.yaml), placed with the supplier
(已下单), cancelled with a reason, closed. Screens, API and jobs all call these; each takes the actor explicitly
and writes in one transaction or not at all."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.clock import company_today, utcnow
from app.core.errors import DomainError, ValidationErrors
from app.core.numbering import next_number
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.inventory.api import Warehouse
from app.modules.products.api import Product
from app.modules.purchasing import spend
from app.modules.purchasing.models import Supplier, SupplierQuote
from app.modules.purchasing.order_models import (APPROVED, CANCELLED, CLOSED, DRAFT, EDITABLE, IN_APPROVAL, ORDERED,
                                                 PARTIAL, RECEIVED, PurchaseOrder, PurchaseOrderLine)

NUMBERING = "purchase_order"
CENT = Decimal("0.01")


class WrongState(DomainError):
    status = 409


def _number(value, field, errors, low, places, high=None, strictly=False):
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, AttributeError):
        errors[field] = [_("Please enter a number.")]
        return None
    if not number.is_finite() or number < low or (strictly and number == low) or (high is not None and number > high):
        errors[field] = [_("Please enter a number greater than %(low)s.", low=low) if strictly and high is None else
                         _("Please enter a number from %(low)s to %(high)s.", low=low, high=high or "∞")]
        return None
    return number.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def line_figures(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(amount, tax) of a line whose unit price includes tax, each rounded half up to the fen."""
    amount = (quantity * unit_price).quantize(CENT, ROUND_HALF_UP)
    tax = (amount * tax_rate / (100 + tax_rate)).quantize(CENT, ROUND_HALF_UP)
    return amount, tax


def _chosen(item, column, relation):
    other = getattr(item, relation, None)
    return other.id if other is not None else getattr(item, column, None)


def _stored_status(order) -> str:
    if order.id is None:
        return DRAFT
    return db.session.scalar(select(PurchaseOrder.status).where(PurchaseOrder.id == order.id)) or DRAFT


def _check(actor, order: PurchaseOrder) -> None:
    errors: dict[str, list[str]] = {}
    supplier_id = _chosen(order, "supplier_id", "supplier")
    supplier = db.session.get(Supplier, supplier_id) if supplier_id else None
    if supplier is None or (actor is not None and not can_see("suppliers", actor, supplier.id)):
        errors["supplier"] = [_("Choose a supplier from the list.")]
    elif supplier.status == "suspended":
        errors["supplier"] = [_("%(name)s is suspended: no new orders.", name=supplier.name)]
    warehouse_id = _chosen(order, "warehouse_id", "warehouse")
    if warehouse_id:
        warehouse = db.session.get(Warehouse, warehouse_id)
        if warehouse is None or not warehouse.active:
            errors["warehouse"] = [_("Choose a warehouse from the list.")]
    order.order_date = order.order_date or company_today()
    if order.expected_date is not None and order.expected_date < order.order_date:
        errors["expected_date"] = [_("The expected delivery is before the order date.")]
    if errors:
        raise ValidationErrors(errors)
    order.supplier_id, order.warehouse_id = supplier.id, warehouse_id
    order.owner_id = _chosen(order, "owner_id", "owner") or getattr(actor, "id", None)
    if order.department_id is None and order.department is None and actor is not None:
        order.department_id = getattr(actor, "department_id", None)


def create(actor, order: PurchaseOrder) -> PurchaseOrder:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _check(actor, order)
        order.status = DRAFT
        order.code = next_number(NUMBERING)
        order.untaxed = order.tax = order.amount = Decimal(0)
        db.session.add(order)
    return order


def _editable(order: PurchaseOrder) -> None:
    if _stored_status(order) not in EDITABLE:
        raise WrongState("purchasing.not_draft", _(
            "Purchase order %(code)s is in approval or approved; it can no longer be changed.", code=order.code))


def update_order(actor, order: PurchaseOrder) -> PurchaseOrder:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _editable(order)
            _check(actor, order)
    return order


def delete(actor, order: PurchaseOrder) -> None:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _editable(order)
        db.session.delete(order)


def _totals(order: PurchaseOrder) -> None:
    lines = db.session.scalars(select(PurchaseOrderLine).where(PurchaseOrderLine.order_id == order.id)).all()
    order.amount = sum((line.amount for line in lines), Decimal(0))
    order.tax = sum((line.tax for line in lines), Decimal(0))
    order.untaxed = order.amount - order.tax


def _locked(order_id: int) -> PurchaseOrder:
    from sqlalchemy.orm import lazyload

    order = db.session.scalar(select(PurchaseOrder).where(PurchaseOrder.id == order_id)
                              .options(lazyload("*")).with_for_update(of=PurchaseOrder))
    if order is None:
        raise DomainError("purchasing.no_order", _("The purchase order does not exist."), field="order")
    return order


def save_line(actor, line: PurchaseOrderLine) -> PurchaseOrderLine:
    """A line: a product that exists, quantity > 0, a unit price (tax included; the product's cost when empty),
    a tax rate from 0 to 100 (the product's when empty), a delivery date not before the order date."""
    with unit_of_work(actor):
        with db.session.no_autoflush:
            order_id = _chosen(line, "order_id", "order")
            order = db.session.get(PurchaseOrder, order_id or 0) if order_id else None
            if order is None or (actor is not None and not can_see("purchase_orders", actor, order.id)):
                raise ValidationErrors({"order": [_("Choose a purchase order from the list.")]})
            _editable(order)
            errors: dict[str, list[str]] = {}
            product = db.session.get(Product, _chosen(line, "product_id", "product") or 0)
            if product is None:
                errors["product"] = [_("Choose a product from the list.")]
            quantity = _number(line.quantity if line.quantity not in (None, "") else "", "quantity", errors,
                               Decimal(0), "0.0001", strictly=True)
            price = line.unit_price if line.unit_price not in (None, "") else (
                product.cost if product is not None else None)
            unit_price = None
            if price is None:
                if "product" not in errors:
                    errors["unit_price"] = [_("Enter the unit price: the product has no cost.")]
            else:
                unit_price = _number(price, "unit_price", errors, Decimal(0), "0.01",
                                     high=Decimal("9999999999999999"))
            rate = line.tax_rate if line.tax_rate not in (None, "") else (
                product.tax_rate if product is not None and product.tax_rate is not None else 13)
            tax_rate = _number(rate, "tax_rate", errors, Decimal(0), "0.01", high=Decimal(100))
            if line.delivery_date is not None and line.delivery_date < order.order_date:
                errors["delivery_date"] = [_("The delivery date is before the order date.")]
            if errors:
                raise ValidationErrors(errors)
            line.order_id, line.product_id = order.id, product.id
            line.quantity, line.unit_price, line.tax_rate = quantity, unit_price, tax_rate
            line.amount, line.tax = line_figures(quantity, unit_price, tax_rate)
            line.received = line.received or Decimal(0)
        db.session.add(line)
        db.session.flush()
        _totals(order)
    return line


def delete_line(actor, line: PurchaseOrderLine) -> None:
    with unit_of_work(actor):
        order = db.session.get(PurchaseOrder, line.order_id)
        _editable(order)
        db.session.delete(line)
        db.session.flush()
        _totals(order)


def from_quote(actor, quote_id: int, quantity=None) -> PurchaseOrder:
    """A draft order of the quote's product from its supplier at its price: the quantity asked (at least the
    quote's minimum), expected after the quote's lead time. Refused for a quote not valid today."""
    quote = db.session.get(SupplierQuote, quote_id) if quote_id and 0 < quote_id < 2 ** 31 else None
    if quote is None or (actor is not None and not can_see("suppliers", actor, quote.supplier_id)):
        raise DomainError("purchasing.no_quote", _("The quote does not exist."), field="quote")
    today = company_today()
    if quote.valid_from > today or (quote.valid_to is not None and quote.valid_to < today):
        raise WrongState("purchasing.quote_expired", _("This quote is not valid today."))
    if quote.currency != "CNY":
        raise WrongState("purchasing.quote_currency", _("Orders are placed in yuan: this quote is in %(currency)s.",
                                                        currency=quote.currency_label))
    errors: dict[str, list[str]] = {}
    wanted = _number(quantity if quantity not in (None, "") else quote.min_quantity, "quantity", errors, Decimal(0),
                     "0.0001", strictly=True)
    if errors:
        raise ValidationErrors(errors)
    order = create(actor, PurchaseOrder(supplier_id=quote.supplier_id, quote_id=quote.id,
                                        expected_date=today + dt.timedelta(days=quote.lead_days)))
    save_line(actor, PurchaseOrderLine(order_id=order.id, product_id=quote.product_id,
                                       quantity=max(wanted, quote.min_quantity), unit_price=quote.price,
                                       delivery_date=order.expected_date))
    return db.session.get(PurchaseOrder, order.id)


def before_submit(actor, order: PurchaseOrder) -> None:
    """What 采购订单审批 asks of an order: editable, with lines and an amount."""
    if order.status not in EDITABLE:
        raise WrongState("purchasing.not_draft", _(
            "Purchase order %(code)s is in approval or approved; it can no longer be changed.", code=order.code))
    if not order.lines or order.amount <= 0:
        raise DomainError("purchasing.empty", _("Add the order's lines before sending it for approval."))


def place(actor, order_id: int) -> PurchaseOrder:
    """已下单: an approved order is placed with the supplier; after commit a job mails its PDF to the supplier's
    contact (app/modules/purchasing/mailing)."""
    from app.core.jobs import enqueue_after_commit

    with unit_of_work(actor) as uow:
        order = _locked(order_id)
        if actor is not None and not can_see("purchase_orders", actor, order.id):
            raise DomainError("purchasing.no_order", _("The purchase order does not exist."), field="order")
        if order.status != APPROVED:
            raise WrongState("purchasing.not_approved", _(
                "Purchase order %(code)s is not approved yet; it cannot be placed.", code=order.code))
        order.status = ORDERED
        order.ordered_at = utcnow()
        spend.add(order, +1)
        enqueue_after_commit(uow, "app.modules.purchasing.jobs.send_order", order.id)
    return order


def cancel(actor, order_id: int, reason: str) -> PurchaseOrder:
    """已取消 with a reason: before anything is received."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationErrors({"reason": [_("Say why the purchase order is cancelled.")]})
    with unit_of_work(actor):
        order = _locked(order_id)
        if order.status in (IN_APPROVAL,):
            raise WrongState("purchasing.in_approval", _(
                "Purchase order %(code)s is in approval; withdraw it first.", code=order.code))
        if order.status in (PARTIAL, RECEIVED, CLOSED, CANCELLED):
            raise WrongState("purchasing.not_cancellable", _(
                "Purchase order %(code)s has goods received or is finished; it can no longer be cancelled.",
                code=order.code))
        if order.status == ORDERED:                      # placed: its spend is taken back
            spend.add(order, -1)
        order.status = CANCELLED
        order.cancel_reason = reason[:2000]
    return order


def close(actor, order_id: int) -> PurchaseOrder:
    """已关闭: a received order (or one partly received, whose rest will not come) is closed."""
    with unit_of_work(actor):
        order = _locked(order_id)
        if order.status not in (PARTIAL, RECEIVED):
            raise WrongState("purchasing.not_closable", _(
                "Only a received or partly received purchase order can be closed; %(code)s is not.", code=order.code))
        order.status = CLOSED
    return order


def _each(actor, items, operation) -> None:
    for item in items:
        operation(actor, item.id)


def place_action(actor, items):
    _each(actor, items, place)


def close_action(actor, items):
    _each(actor, items, close)


def order_from_quote_action(actor, items):
    """生成采购订单 on ticked quotes: a draft order from each, and the first one's page."""
    from flask import redirect

    made = [from_quote(actor, item.id) for item in items]
    return redirect(f"/purchase_orders/show/{made[0].id}") if made else None


def receive_action(actor, items):
    from flask import redirect

    return redirect(f"/purchase_receive/{items[0].id}")


def cancel_action(actor, items):
    from flask import redirect

    return redirect("/purchase_orders_cancel/?ids=" + ",".join(str(item.id) for item in items))


class purchase_orders:
    create = staticmethod(create)
    update = staticmethod(update_order)
    delete = staticmethod(delete)


class purchase_order_lines:
    create = update = staticmethod(save_line)
    delete = staticmethod(delete_line)
