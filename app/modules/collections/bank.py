"""Bank statements (银行流水): credits imported from the bank's CSV/XLSX export (the frame's import, all rows or
none), matched to customers and registered as their payments.

Matching, in order, for a line not registered yet:
1. its bank reference is already a payment's: the line is that payment (a transfer is registered once);
2. its memo names an invoice number: that invoice's customer;
3. the payer is a customer's name, or the payer of earlier payments of exactly one customer;
4. the amount is what exactly one open invoice still owes (of the customers found by the payer, when several).
A matched line is registered through 收款登记 (register: oldest invoices first, the rest as credit); the others
wait in the queue (待匹配) for a clerk who registers them for a customer they choose, or ignores them.
Matching runs in a background job after each import, and again from the list.
"""
from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from app.core.clock import company_today
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.collections import service
from app.modules.collections.models import (IGNORED, MATCHED, NEW, REGISTERED, TRANSFER, UNMATCHED, BankLine,
                                            Payment)
from app.modules.customers.api import Customer
from app.modules.invoices.api import ISSUED, Invoice

INVOICE_NUMBER = re.compile(r"[A-Z]{2}\d{6,}")


def _customer_of(line: BankLine) -> tuple[int | None, str]:
    """(customer id, how it was found) for a line, or (None, why not)."""
    codes = INVOICE_NUMBER.findall(f"{line.memo or ''} {line.bank_ref or ''}".upper())
    if codes:
        found = set(db.session.scalars(select(Invoice.customer_id).where(Invoice.code.in_(codes[:20]))))
        if len(found) == 1:
            return found.pop(), _("by the invoice number in the memo")
    candidates: set[int] = set()
    payer = (line.payer or "").strip()
    if payer:
        candidates = set(db.session.scalars(select(Customer.id).where(Customer.name == payer).limit(5)))
        if not candidates:
            candidates = set(db.session.scalars(select(Payment.customer_id).where(Payment.payer == payer)
                                                .distinct().limit(5)))
        if len(candidates) == 1:
            return candidates.pop(), _("by the payer's name")
    owing = select(Invoice.customer_id).where(Invoice.status == ISSUED, ~Invoice.red,
                                              Invoice.total - Invoice.paid == line.amount)
    if candidates:
        owing = owing.where(Invoice.customer_id.in_(candidates))
    found = list(db.session.scalars(owing.limit(2)))
    if len(found) == 1:
        return found[0], _("by the amount an open invoice owes")
    if len(candidates) > 1:
        return None, _("The payer's name fits several customers.")
    return None, _("No customer fits the reference, the payer or the amount.")


def _register(actor, line: BankLine, customer_id: int, how: str) -> None:
    """The line registered as the customer's payment, owned by the customer's owner (who collects it)."""
    customer = db.session.get(Customer, customer_id)
    payment = service.register(actor, Payment(
        customer_id=customer_id, amount=line.amount, received_on=line.booked_on, method=TRANSFER,
        bank_ref=line.bank_ref or f"BANK-{line.id}", payer=line.payer, notes=line.memo,
        owner_id=customer.owner_id or actor.id, department_id=customer.department_id))
    with unit_of_work(actor):
        row = db.session.get(BankLine, line.id)
        row.status, row.customer_id, row.payment_id, row.note = MATCHED, customer_id, payment.id, how[:255]


def match(actor, line_ids=None) -> dict:
    """Match and register the lines not registered yet (`line_ids`, or every one waiting). Each line is its own
    transaction: one that fails stays in the queue with the reason."""
    stmt = select(BankLine.id).where(BankLine.status.in_((NEW, UNMATCHED))).order_by(BankLine.id)
    if line_ids is not None:
        stmt = stmt.where(BankLine.id.in_([int(i) for i in line_ids]))
    done = {"matched": 0, "unmatched": 0}
    for line_id in list(db.session.scalars(stmt)):
        line = db.session.get(BankLine, line_id)
        who = actor or line.owner
        if line.bank_ref:
            existing = db.session.scalar(select(Payment).where(Payment.bank_ref == line.bank_ref,
                                                               Payment.status == REGISTERED).limit(1))
            if existing is not None:
                with unit_of_work(who):
                    line.status, line.customer_id, line.payment_id = MATCHED, existing.customer_id, existing.id
                    line.note = _("Already registered as payment %(code)s.", code=existing.code)
                done["matched"] += 1
                continue
        customer_id, how = _customer_of(line)
        if customer_id is not None:
            try:
                _register(who, line, customer_id, how)
                done["matched"] += 1
                continue
            except DomainError as refused:
                db.session.rollback()
                how = refused.message if not isinstance(refused, ValidationErrors) else \
                    "; ".join(m for ms in refused.errors.values() for m in ms)
                line = db.session.get(BankLine, line_id)
        with unit_of_work(who):
            line.status, line.note = UNMATCHED, how[:255]
        done["unmatched"] += 1
    return done


def register_for(actor, line_id: int, customer_id) -> BankLine:
    """登记为回款 by hand: the clerk says whose payment the line is."""
    line = db.session.get(BankLine, line_id) if 0 < line_id < 2 ** 31 else None
    if line is None or not can_see("bank_lines", actor, line.id):
        raise NotFound("collections.no_bank_line", _("The bank statement line does not exist or you may not see it."))
    if line.status not in (NEW, UNMATCHED):
        raise service.WrongState("collections.line_done", _("This line is already registered or ignored."))
    customer = int(customer_id) if str(customer_id or "").isdigit() and int(customer_id) < 2 ** 31 else None
    if customer is None or not can_see("customers", actor, customer):
        raise ValidationErrors({"customer": [_("Choose the customer who paid.")]})
    _register(actor, line, customer, _("by hand"))
    return db.session.get(BankLine, line.id)


def ignore(actor, line_ids) -> int:
    """忽略: lines that are no customer's payment (interest, refunds from suppliers …) leave the queue."""
    with unit_of_work(actor):
        lines = list(db.session.scalars(select(BankLine).where(BankLine.id.in_(list(line_ids)),
                                                               BankLine.status.in_((NEW, UNMATCHED)))
                                        .options(lazyload("*"))))
        for line in lines:
            line.status, line.note = IGNORED, _("Ignored by %(name)s.", name=getattr(actor, "display_name", ""))
    return len(lines)


# -- the generated screens, the API and the import --------------------------------------------------------------
def _checked(item: BankLine) -> None:
    errors: dict[str, list[str]] = {}
    try:
        amount = Decimal(str(item.amount).replace(",", "").strip()) if item.amount not in (None, "") else None
    except Exception:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount >= Decimal("1e15"):
        errors["amount"] = [_("Only credits are imported: the amount must be more than zero.")]
    else:
        item.amount = amount.quantize(Decimal("0.01"))
    if item.booked_on is None:
        errors["booked_on"] = [_("Enter the date the bank booked it.")]
    elif item.booked_on > company_today():
        errors["booked_on"] = [_("The date booked cannot be in the future.")]
    item.bank_ref = (item.bank_ref or "").strip()[:64] or None
    item.payer = (item.payer or "").strip()[:200] or None
    item.payer_account = (item.payer_account or "").strip()[:64] or None
    item.memo = (item.memo or "").strip()[:255] or None
    if item.bank_ref and db.session.scalar(select(func.count()).select_from(BankLine).where(
            BankLine.bank_ref == item.bank_ref, BankLine.id != (item.id or 0))):
        errors["bank_ref"] = [_("A line with bank reference %(ref)s was imported before.", ref=item.bank_ref)]
    if errors:
        raise ValidationErrors(errors)


def create_line(actor, item: BankLine) -> BankLine:
    from app.core.jobs import enqueue_after_commit

    _checked(item)
    with unit_of_work(actor) as uow:
        item.status, item.customer_id, item.payment_id = NEW, None, None
        item.owner_id = item.owner_id or actor.id
        item.department_id = item.department_id or getattr(actor, "department_id", None)
        db.session.add(item)
        if not getattr(uow, "_zwt_bank_match", False):     # one matching job per import (or form)
            uow._zwt_bank_match = True
            enqueue_after_commit(uow, "app.modules.collections.jobs.match_bank_lines", actor.id)
    return item


def _done(actor, item, *args, **kwargs):
    raise service.WrongState("collections.bank_line_fixed", _(
        "An imported bank statement line is not changed: ignore it, or register it for a customer."))


class lines:
    create = staticmethod(create_line)
    update = delete = staticmethod(_done)


def check_row(importer, row, errors: dict) -> None:
    """A credit: an amount above zero (a debit of the statement is not a payment received), booked by today."""
    if "amount" not in errors and row.amount is not None and Decimal(row.amount) <= 0:
        errors["amount"] = [_("Only credits are imported: the amount must be more than zero.")]
    if "booked_on" not in errors and row.booked_on is not None and row.booked_on > company_today():
        errors["booked_on"] = [_("The date booked cannot be in the future.")]


def check_batch(importer, rows) -> None:
    """The same bank reference twice in one file, or imported before: refused with its row."""
    refs = [row.bank_ref.strip() for _number, row, _errors in rows if getattr(row, "bank_ref", None)]
    seen_before = set(db.session.scalars(select(BankLine.bank_ref).where(BankLine.bank_ref.in_(refs)))) \
        if refs else set()
    in_file = importer.state.setdefault("bank_refs", set())
    for _number, row, errors in rows:
        ref = (getattr(row, "bank_ref", None) or "").strip()
        if not ref:
            continue
        if ref in seen_before or ref in in_file:
            errors.setdefault("bank_ref", []).append(_("A line with bank reference %(ref)s was imported before.",
                                                       ref=ref))
        in_file.add(ref)


def match_action(actor, items):
    done = match(actor, [item.id for item in items])
    return _("%(matched)d line(s) registered as payments, %(unmatched)d left to match by hand.", **done)


def ignore_action(actor, items):
    return _("%(count)d line(s) ignored.", count=ignore(actor, [item.id for item in items]))


def register_action(actor, items):
    from flask import redirect

    return redirect(f"/bank_lines_register/{items[0].id}")
