"""应付 (payables): a supplier's invoice is registered against the lines of a purchase order and matched three
ways — ordered (the order line's unit price), received (what was accepted and not invoiced before) and invoiced.
A line invoicing more than that, or at another unit price (beyond PURCHASE_PRICE_TOLERANCE per cent), is flagged
and the invoice is 有差异: it is not paid until a buyer accepts the differences with a reason (or voids it). A
付款单 pays an invoice, at most what it still owes less what other payments already propose; 付款审批
(workflows/supplier_payment_approval.yaml) approves it above its threshold, and it counts once 已付款 is recorded.
The payables aging sums what the invoices in force still owe by how long they are overdue."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from app.core.aging import AgingRow, bucket_sums
from app.core.clock import company_today
from app.core.errors import DomainError, ValidationErrors
from app.core.numbering import next_number
from app.core.registry import registry
from app.core.scope import can_see, scope_clause
from app.core.transaction import each_record, unit_of_work
from app.extensions import db
from app.modules.purchasing.models import Supplier
from app.modules.purchasing.order_models import CLOSED, ORDERED, PARTIAL, RECEIVED, PurchaseOrderLine
from app.modules.purchasing.order_service import WrongState, _locked, line_figures
from app.modules.purchasing.payable_models import (ACCEPTED, APPROVED, CANCELLED, DIFFERENCE, DONE, DRAFT,
                                                   IN_APPROVAL, MATCHED, OPEN, PAID, PART_PAID, PAYMENT_EDITABLE,
                                                   PAYMENT_PENDING, VOIDED, SupplierInvoice,
                                                   SupplierInvoiceLine, SupplierPayment)

INVOICE_NUMBERING = "supplier_invoice"
PAYMENT_NUMBERING = "supplier_payment"
CENT = Decimal("0.01")
UNIT = Decimal("0.0001")
ZERO = Decimal(0)
INVOICEABLE = (ORDERED, PARTIAL, RECEIVED, CLOSED)
IN_FORCE = (OPEN, PART_PAID, PAID)


def _decimal(raw, field: str, errors: dict, places: Decimal, message) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or value < 0 or value > Decimal("999999999999"):
        errors[field] = [str(message)]
        return None
    return value.quantize(places, ROUND_HALF_UP)


def received_open(line: PurchaseOrderLine) -> Decimal:
    """What was accepted on an order line and is on no invoice in force yet."""
    return max(Decimal(line.received or 0) - Decimal(line.invoiced or 0), ZERO)


def _locked_invoice(invoice_id: int) -> SupplierInvoice:
    invoice = db.session.scalar(select(SupplierInvoice).where(SupplierInvoice.id == invoice_id)
                                .options(lazyload("*")).with_for_update(of=SupplierInvoice))
    if invoice is None:
        raise DomainError("purchasing.no_invoice", _("The supplier invoice does not exist."), field="invoice")
    return invoice


def register_invoice(actor, order_id: int, number: str, lines: dict, invoice_date: dt.date | None = None,
                     due_date: dt.date | None = None) -> SupplierInvoice:
    """A supplier invoice on a placed order. lines: {order line id: {"quantity": q, "unit_price": p}} (a line left
    empty is not invoiced). Errors are keyed "<field>_<order line id>"; nothing is written on any error."""
    tolerance = Decimal(str(current_app.config.get("PURCHASE_PRICE_TOLERANCE", 0) or 0))
    number = (number or "").strip()[:40]
    with unit_of_work(actor):
        order = _locked(order_id)
        if actor is not None and not can_see("purchase_orders", actor, order.id):
            raise ValidationErrors({"order": [_("Choose a purchase order from the list.")]})
        if order.status not in INVOICEABLE:
            raise WrongState("purchasing.not_invoiceable", _(
                "Purchase order %(code)s is not placed with the supplier; it has nothing to invoice.",
                code=order.code))
        errors: dict[str, list[str]] = {}
        if not number:
            errors["number"] = [_("Enter the supplier's invoice number.")]
        elif db.session.scalar(select(SupplierInvoice.id).where(SupplierInvoice.supplier_id == order.supplier_id,
                                                               SupplierInvoice.number == number)):
            errors["number"] = [_("Invoice %(number)s of this supplier is registered already.", number=number)]
        invoice_date = invoice_date or company_today()
        if invoice_date > company_today():
            errors["invoice_date"] = [_("The invoice date is in the future.")]
        due_date = due_date or invoice_date + dt.timedelta(days=int(current_app.config.get("PURCHASE_PAYMENT_DAYS",
                                                                                           30)))
        if due_date < invoice_date:
            errors["due_date"] = [_("The due date is before the invoice date.")]
        order_lines = {line.id: line for line in db.session.scalars(
            select(PurchaseOrderLine).where(PurchaseOrderLine.order_id == order.id)
            .options(lazyload("*")).with_for_update())}
        taken = []
        for key, values in (lines or {}).items():
            line = order_lines.get(int(key)) if str(key).isdigit() else None
            if line is None:
                errors["lines"] = [_("A line is not on this purchase order.")]
                continue
            quantity = _decimal(values.get("quantity"), f"quantity_{line.id}", errors, UNIT,
                                _("Enter a quantity of 0 or more."))
            price = _decimal(values.get("unit_price"), f"unit_price_{line.id}", errors, CENT,
                             _("Enter the unit price as an amount of 0 or more."))
            if quantity:
                taken.append((line, quantity, line.unit_price if price is None else price))
        if not taken and not errors:
            errors["lines"] = [_("Enter the invoiced quantity of at least one line.")]
        if errors:
            raise ValidationErrors(errors)
        invoice = SupplierInvoice(code=next_number(INVOICE_NUMBERING), number=number, supplier_id=order.supplier_id,
                                  order_id=order.id, invoice_date=invoice_date, due_date=due_date, paid=ZERO,
                                  status=OPEN, owner_id=order.owner_id, department_id=order.department_id)
        db.session.add(invoice)
        db.session.flush()
        amount = tax = expected = ZERO
        flagged = False
        for line, quantity, price in taken:
            open_ = received_open(line)
            line_amount, line_tax = line_figures(quantity, price, Decimal(line.tax_rate))
            quantity_diff = max(quantity - open_, ZERO)
            price_diff = price - Decimal(line.unit_price)
            over_price = abs(price_diff) > (Decimal(line.unit_price) * tolerance / 100).quantize(CENT, ROUND_HALF_UP)
            line_flagged = quantity_diff > 0 or over_price
            flagged = flagged or line_flagged
            db.session.add(SupplierInvoiceLine(
                invoice_id=invoice.id, order_line_id=line.id, product_id=line.product_id, quantity=quantity,
                unit_price=price, tax_rate=line.tax_rate, amount=line_amount, tax=line_tax,
                ordered_price=line.unit_price, received_open=open_, quantity_diff=quantity_diff,
                price_diff=price_diff, flagged=line_flagged))
            amount += line_amount
            tax += line_tax
            expected += line_figures(min(quantity, open_), Decimal(line.unit_price), Decimal(line.tax_rate))[0]
            line.invoiced = Decimal(line.invoiced or 0) + quantity
        invoice.amount, invoice.tax, invoice.untaxed, invoice.expected = amount, tax, amount - tax, expected
        invoice.match_status = DIFFERENCE if flagged else MATCHED
    return invoice


def accept_differences(actor, invoice_id: int, reason: str) -> SupplierInvoice:
    """差异确认: the buyer accepts what differs from the order and the receipts (e.g. a freight charge agreed on
    the phone); the invoice may then be paid."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationErrors({"reason": [_("Say why the differences are accepted.")]})
    with unit_of_work(actor):
        invoice = _locked_invoice(invoice_id)
        if actor is not None and not can_see("supplier_invoices", actor, invoice.id):
            raise DomainError("purchasing.no_invoice", _("The supplier invoice does not exist."), field="invoice")
        if invoice.match_status != DIFFERENCE or invoice.status == VOIDED:
            raise WrongState("purchasing.no_differences", _(
                "Supplier invoice %(code)s has no differences to accept.", code=invoice.code))
        invoice.match_status = ACCEPTED
        invoice.match_note = reason[:2000]
    return invoice


def void_invoice(actor, invoice_id: int, reason: str) -> SupplierInvoice:
    """作废: an invoice entered by mistake or sent back to the supplier, before anything is paid or proposed on
    it; its quantities are free to invoice again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationErrors({"reason": [_("Say why the supplier invoice is voided.")]})
    with unit_of_work(actor):
        invoice = _locked_invoice(invoice_id)
        if actor is not None and not can_see("supplier_invoices", actor, invoice.id):
            raise DomainError("purchasing.no_invoice", _("The supplier invoice does not exist."), field="invoice")
        if invoice.status == VOIDED:
            raise WrongState("purchasing.voided", _("Supplier invoice %(code)s is voided already.",
                                                    code=invoice.code))
        if invoice.paid > 0 or _proposed(invoice.id) > 0:
            raise WrongState("purchasing.invoice_has_payments", _(
                "Supplier invoice %(code)s has payments; cancel them before voiding it.", code=invoice.code))
        for row in db.session.scalars(select(SupplierInvoiceLine).where(SupplierInvoiceLine.invoice_id == invoice.id)):
            line = db.session.scalar(select(PurchaseOrderLine).where(PurchaseOrderLine.id == row.order_line_id)
                                     .options(lazyload("*")).with_for_update())
            line.invoiced = max(Decimal(line.invoiced or 0) - Decimal(row.quantity), ZERO)
        invoice.status = VOIDED
        invoice.match_note = "\n".join(filter(None, [invoice.match_note, _("Voided: %(reason)s", reason=reason)]))[
            :4000]
    return invoice


# -- payments (付款单) -------------------------------------------------------------------------------------------
def _proposed(invoice_id: int, but: int | None = None) -> Decimal:
    """What payments not yet paid (nor cancelled) propose to pay on the invoice."""
    stmt = select(func.coalesce(func.sum(SupplierPayment.amount), 0)).where(
        SupplierPayment.invoice_id == invoice_id, SupplierPayment.status.in_(PAYMENT_PENDING))
    if but is not None:
        stmt = stmt.where(SupplierPayment.id != but)
    return Decimal(db.session.scalar(stmt) or 0)


def _payable(invoice: SupplierInvoice, amount: Decimal, payment_id: int | None, field: str = "amount") -> None:
    if invoice.status not in (OPEN, PART_PAID):
        raise ValidationErrors({"invoice": [_("Supplier invoice %(code)s owes nothing.", code=invoice.code)]})
    if invoice.match_status == DIFFERENCE:
        raise ValidationErrors({"invoice": [_(
            "Supplier invoice %(code)s differs from the order or the receipts: check it and accept the differences "
            "first.", code=invoice.code)]})
    left = invoice.amount - invoice.paid - _proposed(invoice.id, but=payment_id)
    if amount > left:
        raise ValidationErrors({field: [_("At most %(left)s is left to pay on invoice %(code)s.",
                                          left=f"{max(left, ZERO):,.2f}", code=invoice.code)]})


def _check_payment(actor, payment: SupplierPayment) -> SupplierInvoice:
    errors: dict[str, list[str]] = {}
    invoice_id = payment.invoice.id if payment.invoice is not None else payment.invoice_id
    invoice = _locked_invoice(invoice_id) if invoice_id and 0 < int(invoice_id) < 2 ** 31 else None
    if invoice is None or (actor is not None and not can_see("supplier_invoices", actor, invoice.id)):
        raise ValidationErrors({"invoice": [_("Choose a supplier invoice from the list.")]})
    amount = payment.amount
    if amount in (None, ""):
        amount = invoice.amount - invoice.paid - _proposed(invoice.id, but=payment.id)
    amount = _decimal(amount, "amount", errors, CENT, _("Enter the amount as a number greater than 0."))
    if amount is not None and amount <= 0:
        errors["amount"] = [_("Enter the amount as a number greater than 0.")]
    if errors:
        raise ValidationErrors(errors)
    _payable(invoice, amount, payment.id)
    payment.invoice_id, payment.supplier_id, payment.amount = invoice.id, invoice.supplier_id, amount
    payment.method = payment.method or "transfer"
    owner = payment.owner.id if payment.owner is not None else payment.owner_id
    payment.owner_id = owner or getattr(actor, "id", None) or invoice.owner_id
    if payment.department_id is None and payment.department is None:
        payment.department_id = getattr(actor, "department_id", None) or invoice.department_id
    return invoice


def _stored_status(payment: SupplierPayment) -> str:
    if payment.id is None:
        return DRAFT
    return db.session.scalar(select(SupplierPayment.status).where(SupplierPayment.id == payment.id)) or DRAFT


def _editable(payment: SupplierPayment) -> None:
    if _stored_status(payment) not in PAYMENT_EDITABLE:
        raise WrongState("purchasing.payment_not_draft", _(
            "Payment %(code)s is in approval, approved or paid; it can no longer be changed.", code=payment.code))


def create_payment(actor, payment: SupplierPayment) -> SupplierPayment:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _check_payment(actor, payment)
        payment.status = DRAFT
        payment.code = next_number(PAYMENT_NUMBERING)
        db.session.add(payment)
    return payment


def update_payment(actor, payment: SupplierPayment) -> SupplierPayment:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _editable(payment)
            _check_payment(actor, payment)
    return payment


def delete_payment(actor, payment: SupplierPayment) -> None:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _editable(payment)
        db.session.delete(payment)


def payment_for(actor, invoice_id: int) -> SupplierPayment:
    """付款: a draft payment of what the invoice still owes (less what other payments propose)."""
    return create_payment(actor, SupplierPayment(invoice_id=invoice_id, pay_on=company_today()))


def before_submit(actor, payment: SupplierPayment) -> None:
    """What 付款审批 asks of a payment: a draft whose invoice still owes its amount and is matched."""
    if payment.status not in PAYMENT_EDITABLE:
        raise WrongState("purchasing.payment_not_draft", _(
            "Payment %(code)s is in approval, approved or paid; it can no longer be changed.", code=payment.code))
    invoice = db.session.get(SupplierInvoice, payment.invoice_id)
    try:
        _payable(invoice, payment.amount, payment.id)
    except ValidationErrors as exc:
        raise DomainError("purchasing.not_payable", next(iter(exc.errors.values()))[0]) from None


def _locked_payment(payment_id: int) -> SupplierPayment:
    payment = db.session.scalar(select(SupplierPayment).where(SupplierPayment.id == payment_id)
                                .options(lazyload("*")).with_for_update(of=SupplierPayment))
    if payment is None:
        raise DomainError("purchasing.no_payment", _("The payment does not exist."), field="payment")
    return payment


def record_paid(actor, payment_id: int, paid_on: dt.date | None = None, reference: str | None = None):
    """已付款: the approved payment went out of the bank; the invoice owes that much less."""
    with unit_of_work(actor):
        payment = _locked_payment(payment_id)
        if actor is not None and not can_see("supplier_payments", actor, payment.id):
            raise DomainError("purchasing.no_payment", _("The payment does not exist."), field="payment")
        if payment.status != APPROVED:
            raise WrongState("purchasing.payment_not_approved", _(
                "Payment %(code)s is not approved; it cannot be recorded as paid.", code=payment.code))
        invoice = _locked_invoice(payment.invoice_id)
        if invoice.status not in (OPEN, PART_PAID) or payment.amount > invoice.amount - invoice.paid:
            raise WrongState("purchasing.overpaid", _(
                "Supplier invoice %(code)s owes less than this payment.", code=invoice.code))
        paid_on = paid_on or company_today()
        if paid_on > company_today():
            raise ValidationErrors({"paid_on": [_("The payment date is in the future.")]})
        payment.status, payment.paid_on = DONE, paid_on
        payment.reference = (reference or "").strip()[:64] or payment.reference
        invoice.paid = invoice.paid + payment.amount
        invoice.status = PAID if invoice.paid >= invoice.amount else PART_PAID
    return payment


def cancel_payment(actor, payment_id: int) -> SupplierPayment:
    with unit_of_work(actor):
        payment = _locked_payment(payment_id)
        if payment.status == IN_APPROVAL:
            raise WrongState("purchasing.payment_in_approval", _(
                "Payment %(code)s is in approval; withdraw it first.", code=payment.code))
        if payment.status in (DONE, CANCELLED):
            raise WrongState("purchasing.payment_done", _(
                "Payment %(code)s is paid or cancelled already.", code=payment.code))
        payment.status = CANCELLED
    return payment


def record_paid_action(actor, items):
    each_record(actor, items, record_paid)


def cancel_payment_action(actor, items):
    each_record(actor, items, cancel_payment)


def pay_action(actor, items):
    """付款 on ticked invoices: a draft payment of each, and the first one's page."""
    from flask import redirect

    made = [payment_for(actor, item.id) for item in items]
    return redirect(f"/supplier_payments/show/{made[0].id}") if made else None


def invoice_action(actor, items):
    from flask import redirect

    return redirect(f"/supplier_invoice_new/{items[0].id}")


def accept_action(actor, items):
    from flask import redirect

    return redirect("/supplier_invoices_accept/?ids=" + ",".join(str(item.id) for item in items))


def void_action(actor, items):
    from flask import redirect

    return redirect("/supplier_invoices_void/?ids=" + ",".join(str(item.id) for item in items))


class supplier_payments:
    create = staticmethod(create_payment)
    update = staticmethod(update_payment)
    delete = staticmethod(delete_payment)


# -- payables aging (应付账龄) -------------------------------------------------------------------------------------
def aging(actor, as_of: dt.date | None = None, limit: int = 200, name: str = "") -> tuple[list[AgingRow], AgingRow]:
    """What the invoices in force still owe suppliers by how long it is overdue on `as_of` (today), by supplier,
    largest first (at most `limit` rows), and the total; in the actor's data scope of supplier invoices."""
    as_of = as_of or company_today()
    owed = SupplierInvoice.amount - SupplierInvoice.paid
    sums = bucket_sums(owed, SupplierInvoice.due_date, as_of)
    conditions = [SupplierInvoice.status.in_((OPEN, PART_PAID))]
    if name:
        conditions.append(SupplierInvoice.supplier_id.in_(select(Supplier.id).where(
            Supplier.name.contains(name, autoescape=True))))
    clause = scope_clause(registry.get("supplier_invoices"), actor) if actor is not None else None
    if clause is not None:
        conditions.append(clause)
    found = list(db.session.execute(select(SupplierInvoice.supplier_id.label("key"), *sums).where(*conditions)
                                    .group_by(SupplierInvoice.supplier_id).order_by(func.sum(owed).desc())
                                    .limit(limit)))
    names = dict(db.session.execute(select(Supplier.id, Supplier.name).where(
        Supplier.id.in_([row.key for row in found]))).all()) if found else {}
    rows = [AgingRow.of(row.key, names.get(row.key, ""),
                        f"/supplier_invoices/list/?_flt_0_supplier={row.key}", row) for row in found]
    grand = AgingRow.of(None, _("Total"), "", db.session.execute(select(*sums).where(*conditions)).one())
    return rows, grand

