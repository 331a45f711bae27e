"""Registering a payment (收款登记) and settling invoices with it (核销).

A payment is registered once: a second submission with the same bank reference for the customer (or the same
idempotency key) answers the payment already registered, also when both arrive at once (the unique indexes
decide). It settles the customer's open invoices oldest first (issue date, then number); what is left is the
customer's credit, used by 核销余额 when new invoices arrive. The customer's row is locked while a payment is
allocated, so two payments of one customer never settle the same invoice twice.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from app.core.amounts import money
from app.core.clock import company_today
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.numbering import next_number
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.collections.models import (METHOD_CHOICES, REFUND_RUNNING, REGISTERED, REVERSED, Payment,
                                            PaymentAllocation)
from app.modules.customers.api import Customer
from app.modules.invoices.api import ISSUED, Invoice

ZERO = Decimal(0)


class WrongState(DomainError):
    status = 409


def open_invoices(customer_id: int, lock: bool = False) -> list[tuple[Invoice, Decimal]]:
    """The customer's invoices in force with something left to pay, oldest first, with what is left."""
    stmt = (select(Invoice).where(Invoice.customer_id == customer_id, Invoice.status == ISSUED,
                                  ~Invoice.red, Invoice.paid < Invoice.total)
            .order_by(Invoice.issue_date, Invoice.code))
    if lock:
        stmt = stmt.options(lazyload("*")).with_for_update(of=Invoice)
    return [(invoice, invoice.total - invoice.paid) for invoice in db.session.scalars(stmt)]


def outstanding_of(customer_id: int) -> Decimal:
    """What the customer's invoices in force still owe (应收余额)."""
    return Decimal(db.session.scalar(select(func.coalesce(func.sum(Invoice.total - Invoice.paid), 0)).where(
        Invoice.customer_id == customer_id, Invoice.status == ISSUED, ~Invoice.red,
        Invoice.paid < Invoice.total)) or 0)


def _amount(value) -> Decimal:
    try:
        amount = money(Decimal(str(value).replace(",", "").strip()))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationErrors({"amount": [_("Enter the amount received in yuan, e.g. 12800.00.")]})
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e15"):
        raise ValidationErrors({"amount": [_("The amount received must be more than zero.")]})
    return amount


def _settle(payment: Payment, left: Decimal) -> Decimal:
    """Allocate up to `left` of the payment to the customer's open invoices, oldest first; what is left after."""
    for invoice, outstanding in open_invoices(payment.customer_id, lock=True):
        if left <= 0:
            break
        take = min(left, outstanding)
        db.session.add(PaymentAllocation(payment_id=payment.id, invoice_id=invoice.id, amount=take))
        invoice.paid = invoice.paid + take
        left -= take
    return left


def refresh_customer(actor, customer_id: int, today: dt.date | None = None) -> None:
    """The customer's receivable figures recorded on them: paid in the last 12 months (近12个月回款, which decides
    their grade), paid in all, and what their invoices still owe."""
    from app.modules.customers.api import record_amounts

    since = (today or company_today()) - dt.timedelta(days=365)
    paid_12m = db.session.scalar(select(func.coalesce(func.sum(Payment.amount), 0)).where(
        Payment.customer_id == customer_id, Payment.status == REGISTERED, Payment.received_on >= since))
    paid_all = db.session.scalar(select(func.coalesce(func.sum(Payment.amount), 0)).where(
        Payment.customer_id == customer_id, Payment.status == REGISTERED))
    owed = outstanding_of(customer_id)
    record_amounts(actor, customer_id, paid_12m=Decimal(paid_12m or 0), total_paid=Decimal(paid_all or 0),
                   total_outstanding=owed)


def refresh_aged(today: dt.date | None = None, days: int = 7) -> int:
    """The nightly refresh of 近12个月回款: customers with a payment that has just left the last 12 months (in the
    last `days` days, so a night the job did not run is caught up) get their figures, and so their grade, again.
    Returns how many customers were refreshed."""
    today = today or company_today()
    edge = today - dt.timedelta(days=365)
    ids = list(db.session.scalars(select(Payment.customer_id).where(
        Payment.status == REGISTERED, Payment.received_on < edge,
        Payment.received_on >= edge - dt.timedelta(days=days)).distinct()))
    for customer_id in ids:
        with unit_of_work(None):
            refresh_customer(None, customer_id, today)
    return len(ids)


def _existing(customer_id: int, bank_ref: str | None, key: str | None) -> Payment | None:
    if key:
        found = db.session.scalar(select(Payment).where(Payment.idempotency_key == key))
        if found is not None:
            return found
    if bank_ref:
        return db.session.scalar(select(Payment).where(Payment.customer_id == customer_id,
                                                       Payment.bank_ref == bank_ref))
    return None


def register(actor, payment: Payment, idempotency_key: str | None = None) -> Payment:
    """收款登记: the payment checked, numbered, and settling the customer's open invoices oldest first."""
    errors: dict[str, list[str]] = {}
    customer_id = payment.customer_id or (payment.customer.id if payment.customer is not None else None)
    if not customer_id or not can_see("customers", actor, customer_id):
        errors["customer"] = [_("Choose the customer who paid.")]
    try:
        amount = _amount(payment.amount)
    except ValidationErrors as exc:
        errors.update(exc.errors)
        amount = None
    received = payment.received_on or company_today()
    if received > company_today():
        errors["received_on"] = [_("The date received cannot be in the future.")]
    if (payment.method or "transfer") not in dict(METHOD_CHOICES):
        errors["method"] = [_("Choose how it was paid.")]
    if errors:
        raise ValidationErrors(errors)
    bank_ref = (payment.bank_ref or "").strip()[:64] or None
    key = (idempotency_key or payment.idempotency_key or "").strip()[:64] or None
    found = _existing(customer_id, bank_ref, key)
    if found is not None:
        return found
    try:
        with unit_of_work(actor):
            db.session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())
            found = _existing(customer_id, bank_ref, key)
            if found is not None:
                return found
            row = Payment(code=next_number("payment", received), customer_id=customer_id, amount=amount,
                          received_on=received, method=payment.method or "transfer", bank_ref=bank_ref,
                          payer=(payment.payer or "").strip()[:200] or None, idempotency_key=key,
                          notes=payment.notes, owner_id=payment.owner_id or actor.id,
                          department_id=payment.department_id or getattr(actor, "department_id", None))
            db.session.add(row)
            db.session.flush()
            row.unallocated = _settle(row, amount)
            db.session.flush()
            refresh_customer(actor, customer_id)
    except IntegrityError:
        db.session.rollback()
        found = _existing(customer_id, bank_ref, key)
        if found is None:
            raise
        return found
    return row


def allocate_credit(actor, customer_id: int) -> Decimal:
    """核销余额: the customer's credit (what payments left unallocated) settles their open invoices, oldest payment
    and oldest invoice first. Returns the amount allocated."""
    if not can_see("customers", actor, customer_id):
        raise NotFound("collections.no_customer", _("The customer does not exist or you may not see it."))
    done = ZERO
    with unit_of_work(actor):
        db.session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())
        for payment in db.session.scalars(select(Payment).where(
                Payment.customer_id == customer_id, Payment.status == REGISTERED, Payment.unallocated > 0)
                .order_by(Payment.received_on, Payment.id).options(lazyload("*"))):
            left = _settle(payment, payment.unallocated)
            done += payment.unallocated - left
            payment.unallocated = left
            db.session.flush()
        refresh_customer(actor, customer_id)
    return done


def credit_of(customer_id: int) -> Decimal:
    return Decimal(db.session.scalar(select(func.coalesce(func.sum(Payment.unallocated), 0)).where(
        Payment.customer_id == customer_id, Payment.status == REGISTERED)) or 0)


def before_refund(actor, payment: Payment) -> None:
    """What 回款退款审批 asks of a payment before it goes in: registered, not reversed."""
    if payment.status != REGISTERED:
        raise DomainError("collections.not_registered", _("Payment %(code)s is already reversed.", code=payment.code))


def on_refund_approved(actor, payment: Payment) -> None:
    """回款退款审批 approved: the payment is reversed; the invoices it settled are open again by what it paid."""
    _unsettle(select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id))
    payment.status = REVERSED
    payment.unallocated = ZERO
    db.session.flush()
    refresh_customer(actor, payment.customer_id)


def _unsettle(allocations) -> list[PaymentAllocation]:
    """Take allocations back: their invoices owe what they had settled again. Returns them (deleted)."""
    rows = list(db.session.scalars(allocations.options(lazyload("*"))))
    invoices = {i.id: i for i in db.session.scalars(
        select(Invoice).where(Invoice.id.in_({row.invoice_id for row in rows})).options(lazyload("*"))
        .with_for_update(of=Invoice))} if rows else {}
    for row in rows:
        invoice = invoices[row.invoice_id]
        invoice.paid = max(invoice.paid - row.amount, ZERO)
        db.session.delete(row)
    db.session.flush()
    return rows


def release_invoice(actor, invoice: Invoice) -> None:
    """An invoice left force (voided or reversed): what payments had settled on it is their customer's credit
    again."""
    rows = _unsettle(select(PaymentAllocation).join(Payment, Payment.id == PaymentAllocation.payment_id).where(
        PaymentAllocation.invoice_id == invoice.id, Payment.status == REGISTERED))
    for row in rows:
        payment = db.session.get(Payment, row.payment_id)
        payment.unallocated = payment.unallocated + row.amount
    if rows:
        db.session.flush()
        refresh_customer(actor, invoice.customer_id)


def allocate(actor, payment_id: int, amounts: dict) -> Payment:
    """手工核销: the payment settles exactly these amounts {invoice id: amount} of its customer's invoices in
    force (what it settled before is taken back first); the rest of it is the customer's credit."""
    with unit_of_work(actor):
        payment = db.session.execute(select(Payment).where(Payment.id == payment_id).options(lazyload("*"))
                                     .with_for_update(of=Payment)).scalar() if 0 < payment_id < 2 ** 31 else None
        if payment is None or not can_see("payments", actor, payment.id):
            raise NotFound("collections.no_payment", _("The payment does not exist or you may not see it."))
        if payment.status != REGISTERED or payment.refund_state == REFUND_RUNNING:
            raise WrongState("collections.not_allocatable", _(
                "Payment %(code)s is reversed or being reversed: it settles nothing.", code=payment.code))
        wanted: dict[int, Decimal] = {}
        errors: list[str] = []
        for key, value in (amounts or {}).items():
            if value in (None, ""):
                continue
            try:
                amount = money(Decimal(str(value).replace(",", "").strip()))
                invoice_id = int(key)
            except (InvalidOperation, ValueError, TypeError):
                errors.append(_("Enter each amount in yuan, e.g. 1200.00."))
                continue
            if not amount.is_finite() or amount < 0:
                errors.append(_("An amount settled cannot be negative."))
            elif amount > 0:
                wanted[invoice_id] = amount
        if errors:
            raise ValidationErrors({"amount": sorted(set(errors))})
        db.session.execute(select(Customer.id).where(Customer.id == payment.customer_id).with_for_update())
        _unsettle(select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id))
        invoices = {i.id: i for i in db.session.scalars(
            select(Invoice).where(Invoice.id.in_(wanted)).options(lazyload("*")).with_for_update(of=Invoice))}
        for invoice_id, amount in sorted(wanted.items()):
            invoice = invoices.get(invoice_id)
            if (invoice is None or invoice.customer_id != payment.customer_id or invoice.status != ISSUED
                    or invoice.red):
                errors.append(_("Only the customer's invoices in force can be settled."))
            elif amount > invoice.total - invoice.paid:
                errors.append(_("Invoice %(code)s owes ¥%(left)s; it cannot take ¥%(amount)s.", code=invoice.code,
                                left=f"{invoice.total - invoice.paid:,.2f}", amount=f"{amount:,.2f}"))
        total = sum(wanted.values(), ZERO)
        if total > payment.amount:
            errors.append(_("The amounts settled add up to ¥%(total)s, more than the payment's ¥%(amount)s by "
                            "¥%(over)s.", total=f"{total:,.2f}", amount=f"{payment.amount:,.2f}",
                            over=f"{total - payment.amount:,.2f}"))
        if errors:
            raise ValidationErrors({"amount": errors})
        for invoice_id, amount in sorted(wanted.items()):
            db.session.add(PaymentAllocation(payment_id=payment.id, invoice_id=invoice_id, amount=amount))
            invoices[invoice_id].paid = invoices[invoice_id].paid + amount
        payment.unallocated = payment.amount - total
        db.session.flush()
        refresh_customer(actor, payment.customer_id)
    return payment


def _not_here(actor, item, *args, **kwargs):
    raise DomainError("collections.registered_only", _(
        "A payment is registered once and never changed; a wrong one is reversed."))


class payments:
    create = staticmethod(lambda actor, item: register(actor, item))
    update = delete = staticmethod(_not_here)


class allocations:
    create = update = delete = staticmethod(_not_here)


def credit_action(actor, items):
    customers = {item.customer_id for item in items}
    total = sum((allocate_credit(actor, customer_id) for customer_id in customers), ZERO)
    return _("¥%(amount)s of credit settled open invoices.", amount=f"{total:,.2f}")


def allocate_action(actor, items):
    """手工核销 of one payment: the screen that says which invoices it settles."""
    from flask import redirect

    return redirect(f"/payments_allocate/{items[0].id}")
