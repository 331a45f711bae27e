"""发票打印: invoices chosen by number range, issue dates, customer or ticked rows, checked for completeness before
they are printed. Every invoice missing required data (the buyer's tax id on a 专票, the bank and account, the
address and phone, lines) is listed with what it lacks; the complete ones are printed in one batch (the frame's
print job, one merged PDF); none is dropped without being named."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.errors import ValidationErrors
from app.core.registry import registry
from app.core.scope import scope_clause
from app.extensions import db
from app.modules.customers.api import Customer
from app.modules.invoices.models import ISSUED, SPECIAL, Invoice

MAX_INVOICES = 1000


@dataclass
class Selection:
    ids: list[int] = field(default_factory=list)
    from_code: str = ""
    to_code: str = ""
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    customer: str = ""

    @property
    def empty(self) -> bool:
        return not (self.ids or self.from_code or self.to_code or self.from_date or self.to_date or self.customer)


def parse(args) -> Selection:
    errors: dict[str, list[str]] = {}
    chosen = Selection()
    raw_ids = ",".join(args.getlist("ids")) if hasattr(args, "getlist") else str(args.get("ids", ""))
    chosen.ids = sorted({int(v) for v in raw_ids.split(",") if v.strip().isdigit() and int(v) < 2 ** 31})
    chosen.from_code = (args.get("from_code") or "").strip()[:40]
    chosen.to_code = (args.get("to_code") or "").strip()[:40]
    chosen.customer = (args.get("customer") or "").strip()[:100]
    for name in ("from_date", "to_date"):
        value = (args.get(name) or "").strip()
        if value:
            try:
                setattr(chosen, name, dt.date.fromisoformat(value))
            except ValueError:
                errors[name] = [_("Enter the date as YYYY-MM-DD.")]
    if errors:
        raise ValidationErrors(errors)
    return chosen


def invoices(actor, chosen: Selection) -> list[Invoice]:
    """The issued invoices the selection names, in the actor's data scope, by number (at most MAX_INVOICES + 1)."""
    stmt = select(Invoice).where(Invoice.status == ISSUED)
    if chosen.ids:
        stmt = stmt.where(Invoice.id.in_(chosen.ids))
    if chosen.from_code:
        stmt = stmt.where(Invoice.code >= chosen.from_code)
    if chosen.to_code:
        stmt = stmt.where(Invoice.code <= chosen.to_code)
    if chosen.from_date:
        stmt = stmt.where(Invoice.issue_date >= chosen.from_date)
    if chosen.to_date:
        stmt = stmt.where(Invoice.issue_date <= chosen.to_date)
    if chosen.customer:
        stmt = stmt.join(Customer, Customer.id == Invoice.customer_id).where(
            Customer.name.contains(chosen.customer, autoescape=True) | (Customer.code == chosen.customer))
    clause = scope_clause(registry.get("invoices"), actor)
    if clause is not None:
        stmt = stmt.where(clause)
    return list(db.session.scalars(stmt.order_by(Invoice.code).limit(MAX_INVOICES + 1)))


def missing(invoice: Invoice) -> list[str]:
    """What the invoice lacks to be printed, in words."""
    lacks = []
    if invoice.kind == SPECIAL and not invoice.buyer_tax_id:
        lacks.append(_("the buyer's tax id (a VAT special invoice needs it)"))
    if not invoice.buyer_bank_account:
        lacks.append(_("the buyer's bank and account"))
    if not invoice.buyer_address_phone:
        lacks.append(_("the buyer's address and phone"))
    if not invoice.lines:
        lacks.append(_("lines"))
    return lacks


def check(invoices_: list[Invoice]) -> tuple[list[Invoice], list[tuple[Invoice, list[str]]]]:
    complete, incomplete = [], []
    for invoice in invoices_:
        lacks = missing(invoice)
        if lacks:
            incomplete.append((invoice, lacks))
        else:
            complete.append(invoice)
    return complete, incomplete
