"""Issuing invoices (发票开具), voiding them (发票作废) and reversing them (红字发票).

An invoice bills order lines (part of their quantity, or the rest of it) or a contract's payment plan
instalment. What a line or an instalment has been invoiced is the sum of the lines of its invoices that are not
voided; an invoice never takes more than is left, checked with the order (or contract) locked, so two clerks
invoicing the same order at once cannot both take the rest. The invoice that completes a line takes exactly
what is left of its amount and tax, so an order line invoiced in parts adds up to the fen. Numbers come from
the numbering rule of the invoice's type (gap-free: a failed issue gives its number back); a red-letter invoice
has its own series.

Voiding goes through 发票作废审批 and is allowed only in the month of issue; afterwards the way back is a
red-letter invoice, which carries the original's lines negated. Either returns the amounts to the order or
contract as uninvoiced. Issued invoices go to the tax platform through its provider (platform.py).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from app.core.amounts import line_figures, money
from app.core.clock import company_today, utcnow
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.numbering import next_number
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.contracts.api import IN_FORCE, Contract, ContractInstalment
from app.modules.customers.api import Customer
from app.modules.invoices.models import (ISSUED, KIND_CHOICES, ORDINARY, RECEIPT, REVERSED, SPECIAL,
                                         VOID_NONE, VOID_REJECTED, VOID_RUNNING, VOIDED, Invoice, InvoiceLine)
from app.modules.orders.api import NOT_INVOICEABLE, SalesOrder, SalesOrderLine

ZERO = Decimal(0)
RED = "red"
# Numbering rules, one series per type and one for red-letter invoices: (rule code, name, pattern, reset).
RULES = {
    SPECIAL: ("invoice_special", _l("VAT special invoice number"), "ZP{yyyy}{mm}{seq:06d}", "monthly"),
    ORDINARY: ("invoice_ordinary", _l("VAT ordinary invoice number"), "PP{yyyy}{mm}{seq:06d}", "monthly"),
    RECEIPT: ("invoice_receipt", _l("Receipt number"), "SJ{yyyy}{seq:06d}", "yearly"),
    RED: ("invoice_red", _l("Red-letter invoice number"), "HZ{yyyy}{mm}{seq:06d}", "monthly"),
}
VOID_REASONS = ["开票信息有误", "金额或税率有误", "客户退货", "客户拒收", "重复开票"]


class WrongState(DomainError):
    status = 409


# -- what is left to invoice ---------------------------------------------------------------------------------
def invoiced_of_order_lines(line_ids) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """{order line id: (quantity, amount, tax) invoiced}, red-letter invoices taken off, voided ones left out."""
    ids = list(line_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(InvoiceLine.order_line_id, func.sum(InvoiceLine.quantity), func.sum(InvoiceLine.amount),
               func.sum(InvoiceLine.tax))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.status != VOIDED, InvoiceLine.order_line_id.in_(ids))
        .group_by(InvoiceLine.order_line_id))
    return {line_id: (Decimal(q or 0), Decimal(a or 0), Decimal(t or 0)) for line_id, q, a, t in rows}


def invoiced_of_instalments(instalment_ids) -> dict[int, Decimal]:
    ids = list(instalment_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(InvoiceLine.instalment_id, func.sum(InvoiceLine.total))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.status != VOIDED, InvoiceLine.instalment_id.in_(ids))
        .group_by(InvoiceLine.instalment_id))
    return {instalment_id: Decimal(total or 0) for instalment_id, total in rows}


def order_summary(order: SalesOrder) -> dict:
    """The order's invoiced and uninvoiced amounts, per line and in all (what its 发票 tab shows)."""
    done = invoiced_of_order_lines(line.id for line in order.lines)
    lines = []
    for line in order.lines:
        quantity, amount, tax = done.get(line.id, (ZERO, ZERO, ZERO))
        lines.append({"line": line, "invoiced_quantity": quantity, "invoiced": amount + tax,
                      "left_quantity": Decimal(line.quantity) - quantity,
                      "left": Decimal(line.total) - amount - tax})
    invoiced = sum((row["invoiced"] for row in lines), ZERO)
    return {"lines": lines, "invoiced": invoiced, "uninvoiced": Decimal(order.total or 0) - invoiced}


def contract_summary(contract: Contract) -> dict:
    done = invoiced_of_instalments(i.id for i in contract.instalments)
    rows = [{"instalment": i, "invoiced": done.get(i.id, ZERO), "left": Decimal(i.amount) - done.get(i.id, ZERO)}
            for i in contract.instalments]
    invoiced = sum((row["invoiced"] for row in rows), ZERO)
    return {"rows": rows, "invoiced": invoiced, "uninvoiced": Decimal(contract.amount or 0) - invoiced}


# -- issuing ---------------------------------------------------------------------------------------------------
def _issue_date(value) -> dt.date:
    """Today unless given; never in the future, never more than INVOICE_BACKDATE_DAYS back, never in a month an
    admin has closed (INVOICE_CLOSED_THROUGH, e.g. 2026-10: October and before are closed)."""
    today = company_today()
    if value in (None, ""):
        return today
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationErrors({"issue_date": [_("Enter the issue date as YYYY-MM-DD.")]})
    back = int(current_app.config.get("INVOICE_BACKDATE_DAYS") or 0)
    if value > today:
        raise ValidationErrors({"issue_date": [_("The issue date cannot be in the future.")]})
    if value < today - dt.timedelta(days=back):
        raise ValidationErrors({"issue_date": [_("The issue date may be at most %(days)d days back.", days=back)]})
    closed = (current_app.config.get("INVOICE_CLOSED_THROUGH") or "").strip()
    if closed and f"{value:%Y-%m}" <= closed:
        raise ValidationErrors({"issue_date": [_("%(month)s is closed: no invoice may be dated in it.",
                                                 month=f"{value:%Y-%m}")]})
    return value


def _buyer(invoice: Invoice, customer: Customer, buyer: dict | None) -> None:
    buyer = buyer or {}
    invoice.buyer_name = (buyer.get("buyer_name") or customer.name or "").strip()[:200]
    invoice.buyer_tax_id = (buyer.get("buyer_tax_id") or customer.tax_id or "").strip()[:32] or None
    address_phone = " ".join(p for p in (customer.address, customer.phone) if p)
    invoice.buyer_address_phone = (buyer.get("buyer_address_phone") or address_phone or "").strip()[:255] or None
    invoice.buyer_bank_account = (buyer.get("buyer_bank_account") or "").strip()[:255] or None
    if not invoice.buyer_name:
        raise ValidationErrors({"buyer_name": [_("Enter the buyer's name.")]})
    if invoice.kind == SPECIAL and not invoice.buyer_tax_id:
        raise ValidationErrors({"buyer_tax_id": [_("A VAT special invoice needs the buyer's tax id.")]})


def _kind(value) -> str:
    if value not in dict(KIND_CHOICES):
        raise ValidationErrors({"kind": [_("Choose the invoice type.")]})
    return value


def _totals(invoice: Invoice) -> None:
    invoice.amount = sum((line.amount for line in invoice.lines), ZERO)
    invoice.tax = sum((line.tax for line in invoice.lines), ZERO)
    invoice.total = invoice.amount + invoice.tax


def _finish(invoice: Invoice, actor) -> Invoice:
    from app.modules.invoices.platform import platform

    rule = RULES[RED if invoice.red else invoice.kind][0]
    invoice.code = next_number(rule, invoice.issue_date)
    if invoice.red:
        invoice.due_date = invoice.issue_date
    elif invoice.due_date is None or invoice.due_date < invoice.issue_date:
        days = int(current_app.config.get("INVOICE_PAYMENT_DAYS") or 0)
        invoice.due_date = invoice.issue_date + dt.timedelta(days=max(days, 0))
    invoice.owner_id = invoice.owner_id or actor.id
    invoice.department_id = invoice.department_id or getattr(actor, "department_id", None)
    _totals(invoice)
    db.session.add(invoice)
    db.session.flush()
    invoice.platform_ref = platform().issue(invoice)
    return invoice


def _quantity(value) -> Decimal | None:
    from decimal import InvalidOperation

    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationErrors({"quantity": [_("Enter the quantities to invoice as numbers.")]})
    if not number.is_finite():
        raise ValidationErrors({"quantity": [_("Enter the quantities to invoice as numbers.")]})
    return number


def issue_from_orders(actor, order_ids, kind: str = ORDINARY, quantities: dict | None = None, issue_date=None,
                      buyer: dict | None = None, notes: str = "") -> Invoice:
    """One invoice for order lines of one customer's orders: `quantities` {order line id: quantity} (the rest of
    each line when not given; 0 leaves a line out)."""
    kind = _kind(kind)
    ids = sorted({int(i) for i in order_ids})
    if not ids:
        raise ValidationErrors({"orders": [_("Choose the orders to invoice.")]})
    with unit_of_work(actor):
        orders = list(db.session.scalars(select(SalesOrder).where(SalesOrder.id.in_(ids)).order_by(SalesOrder.id)
                                         .options(lazyload("*")).with_for_update(of=SalesOrder)))
        if len(orders) != len(ids) or any(not can_see("orders", actor, o.id) for o in orders):
            raise NotFound("invoices.no_order", _("The order does not exist or you may not see it."))
        if len({o.customer_id for o in orders}) > 1:
            raise ValidationErrors({"orders": [_("One invoice bills the orders of one customer only.")]})
        wrong = "、".join(o.code for o in orders if o.status in NOT_INVOICEABLE)
        if wrong:
            raise WrongState("invoices.order_not_invoiceable", _(
                "Only confirmed orders can be invoiced: %(codes)s.", codes=wrong))
        customer = db.session.get(Customer, orders[0].customer_id)
        invoice = Invoice(kind=kind, status=ISSUED, customer_id=customer.id, order_id=orders[0].id,
                          contract_id=orders[0].contract_id, issue_date=_issue_date(issue_date),
                          notes=(notes or "").strip()[:2000] or None, owner_id=orders[0].owner_id,
                          department_id=orders[0].department_id)
        _buyer(invoice, customer, buyer)
        lines = [line for order in orders for line in db.session.scalars(
            select(SalesOrderLine).where(SalesOrderLine.order_id == order.id).order_by(SalesOrderLine.id))]
        done = invoiced_of_order_lines(line.id for line in lines)
        errors = []
        for line in lines:
            q_done, a_done, t_done = done.get(line.id, (ZERO, ZERO, ZERO))
            left = Decimal(line.quantity) - q_done
            wanted = _quantity((quantities or {}).get(line.id, (quantities or {}).get(str(line.id))))
            wanted = left if wanted is None else wanted
            if wanted == 0:
                continue
            if wanted < 0 or wanted > left:
                errors.append(_("%(product)s: at most %(left)s can still be invoiced, not %(wanted)s.",
                                product=line.product.name, left=f"{left.normalize():f}",
                                wanted=f"{wanted.normalize():f}"))
                continue
            if wanted == left:   # the rest: exactly what is left, to the fen
                amount, tax = Decimal(line.amount) - a_done, Decimal(line.tax) - t_done
            else:
                amount, tax, _total = line_figures(wanted, line.unit_price, line.discount, line.tax_rate)
            invoice.lines.append(InvoiceLine(
                order_line_id=line.id, product_id=line.product_id, description=line.product.name[:200],
                unit=line.product.unit, quantity=wanted, unit_price=(amount / wanted).quantize(Decimal("0.000001")),
                tax_rate=line.tax_rate, amount=amount, tax=tax, total=amount + tax))
        if errors:
            raise ValidationErrors({"quantity": errors})
        if not invoice.lines:
            raise ValidationErrors({"quantity": [_("Nothing is left to invoice on these orders.")]})
        _finish(invoice, actor)
    return invoice


def issue_from_instalment(actor, instalment_id: int, kind: str = ORDINARY, issue_date=None,
                          buyer: dict | None = None, amount=None) -> Invoice:
    """An invoice for a payment plan instalment of a contract in force (the rest of it unless `amount` is
    given), at the contract lines' tax rate (all lines at one rate; 0 without lines)."""
    kind = _kind(kind)
    with unit_of_work(actor):
        instalment = db.session.get(ContractInstalment, int(instalment_id)) if str(instalment_id).isdigit() else None
        if instalment is None or not can_see("contracts", actor, instalment.contract_id):
            raise NotFound("invoices.no_instalment", _("The payment plan instalment does not exist or you may not "
                                                       "see it."))
        contract = db.session.execute(select(Contract).where(Contract.id == instalment.contract_id)
                                      .options(lazyload("*")).with_for_update(of=Contract)).scalar()
        if contract.status not in IN_FORCE:
            raise WrongState("invoices.contract_not_in_force", _(
                "Only a contract in force can be invoiced; %(code)s is not.", code=contract.code))
        rates = {Decimal(line.tax_rate) for line in contract.lines}
        if len(rates) > 1:
            raise WrongState("invoices.mixed_rates", _(
                "Contract %(code)s has lines at different tax rates: invoice its orders instead.", code=contract.code))
        rate = rates.pop() if rates else ZERO
        left = Decimal(instalment.amount) - invoiced_of_instalments([instalment.id]).get(instalment.id, ZERO)
        wanted = left if amount in (None, "") else money(_quantity(amount))
        if wanted <= 0 or wanted > left:
            raise ValidationErrors({"amount": [_("At most ¥%(left)s of this instalment can still be invoiced.",
                                                 left=f"{left:,.2f}")]})
        net = money(wanted * 100 / (100 + rate))
        invoice = Invoice(kind=kind, status=ISSUED, customer_id=contract.customer_id, contract_id=contract.id,
                          issue_date=_issue_date(issue_date), due_date=instalment.due_on, owner_id=contract.owner_id,
                          department_id=contract.department_id)
        _buyer(invoice, db.session.get(Customer, contract.customer_id), buyer)
        invoice.lines.append(InvoiceLine(
            instalment_id=instalment.id, description=f"{contract.title}（{instalment.name}）"[:200], quantity=1,
            unit_price=net, tax_rate=rate, amount=net, tax=wanted - net, total=wanted))
        _finish(invoice, actor)
    return invoice


# -- 作废 and 红字 ---------------------------------------------------------------------------------------------
# What other modules do when an invoice leaves force (voided or reversed): fn(actor, invoice), in the same
# transaction (回款 gives back what payments had settled on it as the customer's credit).
_leaving_force = []


def when_out_of_force(fn) -> None:
    if fn not in _leaving_force:
        _leaving_force.append(fn)


def _out_of_force(actor, invoice: Invoice) -> None:
    for fn in _leaving_force:
        fn(actor, invoice)


# -- voiding and reversing -----------------------------------------------------------------------------------
def _locked(actor, invoice_id: int) -> Invoice:
    found = db.session.execute(select(Invoice).where(Invoice.id == invoice_id).options(lazyload("*"))
                               .with_for_update(of=Invoice)).scalar() if 0 < int(invoice_id) < 2 ** 31 else None
    if found is None or (actor is not None and not can_see("invoices", actor, found.id)):
        raise NotFound("invoices.no_invoice", _("The invoice does not exist or you may not see it."))
    return found


def _same_month(invoice: Invoice) -> bool:
    today = company_today()
    return (invoice.issue_date.year, invoice.issue_date.month) == (today.year, today.month)


def ask_void(actor, invoice_id: int, reason_id, note: str = ""):
    """申请作废: the reason kept on the invoice, and the invoice submitted to 发票作废审批."""
    from app.modules.invoices.models import InvoiceVoidReason
    from app.workflow import engine

    reason = db.session.get(InvoiceVoidReason, int(reason_id)) if str(reason_id or "").isdigit() else None
    if reason is None or not reason.active:
        raise ValidationErrors({"reason": [_("Choose why the invoice is voided.")]})
    with unit_of_work(actor):
        invoice = _locked(actor, invoice_id)
        invoice.void_reason_id, invoice.void_note = reason.id, (note or "").strip()[:2000] or None
        if invoice.void_state == VOID_REJECTED:
            invoice.void_state = VOID_NONE
    return engine.submit(actor, "invoices", invoice.id)


def before_void(actor, invoice: Invoice) -> None:
    """What 发票作废审批 asks of an invoice before it goes in: issued, not red-letter, in its month of issue, with a
    reason."""
    if invoice.status != ISSUED:
        raise WrongState("invoices.not_issued", _("Invoice %(code)s is not in force.", code=invoice.code))
    if invoice.red:
        raise WrongState("invoices.red_not_voidable", _("A red-letter invoice is not voided."))
    if not _same_month(invoice):
        raise WrongState("invoices.month_passed", _(
            "Invoice %(code)s was issued in an earlier month: issue a red-letter invoice instead of voiding it.",
            code=invoice.code))
    if invoice.void_reason_id is None:
        raise ValidationErrors({"reason": [_("Choose why the invoice is voided.")]})


def on_void_approved(actor, invoice: Invoice) -> None:
    """发票作废审批 approved: the invoice is void (its number stays used) and its amounts are uninvoiced again."""
    from app.modules.invoices.platform import platform

    invoice.status = VOIDED
    invoice.voided_at = utcnow()
    platform().void(invoice)
    _out_of_force(actor, invoice)


def red_letter(actor, invoice_id: int, reason: str) -> Invoice:
    """红字发票: a negative copy of an issued invoice, in its own series; the original is 已红冲 and its amounts
    are uninvoiced again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationErrors({"reason": [_("Say why the invoice is reversed.")]})
    with unit_of_work(actor):
        original = _locked(actor, invoice_id)
        if original.status != ISSUED or original.red or original.void_state == VOID_RUNNING:
            raise WrongState("invoices.not_reversible", _(
                "Only an issued invoice that is not being voided can be reversed; %(code)s cannot.",
                code=original.code))
        red = Invoice(kind=original.kind, red=True, original_id=original.id, status=ISSUED,
                      customer_id=original.customer_id, order_id=original.order_id, contract_id=original.contract_id,
                      issue_date=_issue_date(None), buyer_name=original.buyer_name,
                      buyer_tax_id=original.buyer_tax_id, buyer_address_phone=original.buyer_address_phone,
                      buyer_bank_account=original.buyer_bank_account, owner_id=original.owner_id,
                      department_id=original.department_id,
                      notes=_("Reverses invoice %(code)s: %(reason)s", code=original.code, reason=reason[:1000]))
        for line in original.lines:
            red.lines.append(InvoiceLine(
                order_line_id=line.order_line_id, instalment_id=line.instalment_id, product_id=line.product_id,
                description=line.description, unit=line.unit, quantity=-line.quantity, unit_price=line.unit_price,
                tax_rate=line.tax_rate, amount=-line.amount, tax=-line.tax, total=-line.total))
        original.status = REVERSED
        _finish(red, actor)
        _out_of_force(actor, original)
    return red


def printed(actor, invoice: Invoice) -> None:
    """Each print of an invoice is counted, with when and by whom."""
    from sqlalchemy import update

    with unit_of_work(None):
        db.session.execute(update(Invoice).where(Invoice.id == invoice.id).values(
            print_count=Invoice.print_count + 1, printed_at=utcnow(), printed_by_id=getattr(actor, "id", None)))


def print_action(actor, items):
    """打印 of ticked invoices: through the completeness check first."""
    from urllib.parse import urlencode

    from flask import redirect

    return redirect("/invoices_print/?" + urlencode({"ids": ",".join(str(item.id) for item in items[:1001])}))


def void_or_reverse_action(actor, items):
    from flask import redirect

    return redirect(f"/invoices_void/{items[0].id}")


# -- the generated screens and API: invoices are issued, never typed ----------------------------------------------
def _typed(actor, item, *args, **kwargs):
    raise WrongState("invoices.issue_only", _("Invoices are issued from orders and contracts (开票), never typed in; "
                                              "an issued invoice is voided or reversed, not edited or deleted."))


class invoices:
    create = update = delete = staticmethod(_typed)


class invoice_lines:
    create = update = delete = staticmethod(_typed)


def save_reason(actor, item):
    from app.modules.invoices.models import InvoiceVoidReason

    with unit_of_work(actor):
        item.name = (item.name or "").strip()[:60]
        if not item.name:
            raise ValidationErrors({"name": [_("Please enter the name.")]})
        if db.session.scalar(select(InvoiceVoidReason.id).where(InvoiceVoidReason.name == item.name,
                                                                InvoiceVoidReason.id != (item.id or 0))):
            raise ValidationErrors({"name": [_("This reason already exists.")]})
        item.active = True if item.active is None else item.active
        item.sort_order = item.sort_order or 0
        db.session.add(item)
    return item


def delete_reason(actor, item):
    with unit_of_work(actor):
        used = db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.void_reason_id == item.id))
        if used:
            raise DomainError("invoices.reason_in_use", _(
                "%(count)d invoice(s) were voided for this reason: untick “In use” instead of deleting it.",
                count=used))
        db.session.delete(item)


class void_reasons:
    create = update = staticmethod(save_reason)
    delete = staticmethod(delete_reason)


