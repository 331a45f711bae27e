"""A contract's lines and payment plan (回款计划).

A line is a product from the catalogue: quantity × unit price (the product's list price unless typed) less the
discount (per cent), plus tax at the line's rate (the product's unless typed); amount and tax are each rounded
half up to the fen. A contract with lines is worth their totals' sum: its amount follows them.

The plan's instalments fall due on a date or N days after signing or delivery, for an amount or a percentage
of the contract amount. Percentages are turned into amounts half up to the fen; when the plan is all
percentages adding up to 100 %, the last one takes what rounding left over, so the plan adds up exactly. A
plan that does not add up to the contract amount cannot go into approval; a contract submitted without a plan
gets one instalment of the whole amount at signing.

Lines and plan change only while the contract is a draft (or was rejected): what went into approval stays.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.amounts import line_figures, money  # noqa: F401  (lines.line_figures)
from app.core.errors import DomainError, ValidationErrors
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.contracts.models import (AFTER_DELIVERY, AFTER_SIGNING, DRAFT, ON_DATE, REJECTED, Contract,
                                          ContractInstalment, ContractLine)

HUNDRED = Decimal(100)
EDITABLE = (DRAFT, REJECTED)


class NotEditable(DomainError):
    status = 409


def yuan(value) -> str:
    return f"¥{Decimal(value):,.2f}"


def _number(value, field, errors, *, low=None, high=None, places=None, message=None):
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = [_("Enter a number.")]
        return None
    if not number.is_finite() or (low is not None and number < low) or (high is not None and number > high):
        errors[field] = [message or (_("Enter a number from %(low)s to %(high)s.", low=low, high=high)
                                     if high is not None else _("Enter a number greater than zero."))]
        return None
    return number.quantize(Decimal(places), rounding=ROUND_HALF_UP) if places else number


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _contract_of(actor, item) -> Contract:
    contract = item.contract if item.contract is not None else db.session.get(Contract, item.contract_id or 0)
    if contract is None or (actor is not None and not can_see("contracts", actor, contract.id)):
        raise ValidationErrors({"contract": [_("Choose a contract from the list.")]})
    return contract


def _stored_status(contract: Contract) -> str:
    return db.session.scalar(select(Contract.status).where(Contract.id == contract.id)) or DRAFT


def check_editable(contract: Contract) -> None:
    if _stored_status(contract) not in EDITABLE:
        raise NotEditable("contracts.content_locked", _(
            "Contract %(code)s has gone into approval: its lines and payment plan can no longer change.",
            code=contract.code))


# -- lines ---------------------------------------------------------------------------------------------------
def lines_total(contract_id: int) -> Decimal | None:
    """The sum of the contract's line totals; None when it has no lines."""
    totals = list(db.session.scalars(select(ContractLine.total).where(ContractLine.contract_id == contract_id)))
    return sum(totals, Decimal(0)) if totals else None


def follow_lines(contract: Contract) -> None:
    """A contract with lines is worth their total; its percentage instalments follow the new amount."""
    total = lines_total(contract.id)
    if total is not None and total != contract.amount:
        contract.amount = total
    settle_percentages(contract)


def save_line(actor, line: ContractLine) -> ContractLine:
    from app.modules.products.api import Product

    with unit_of_work(actor):
        with db.session.no_autoflush:
            contract = _contract_of(actor, line)
            check_editable(contract)
            product_id = line.product.id if line.product is not None else line.product_id
            product = db.session.get(Product, product_id or 0)
            errors: dict[str, list[str]] = {}
            if product is None:
                errors["product"] = [_("Choose a product from the list.")]
            quantity = _number(line.quantity, "quantity", errors, low=Decimal("0.0001"), high=Decimal("1e11"),
                               places="0.0001", message=_("Enter a quantity greater than zero."))
            price = line.unit_price if not _blank(line.unit_price) else (
                product.list_price if product is not None else None)
            unit_price = None
            if price is None:
                if "product" not in errors:
                    errors["unit_price"] = [_("Enter the unit price: the product has no list price.")]
            else:
                unit_price = _number(price, "unit_price", errors, low=Decimal(0), high=Decimal("1e13"), places="0.01")
            discount = _number(0 if _blank(line.discount) else line.discount, "discount", errors,
                               low=Decimal(0), high=HUNDRED, places="0.01")
            rate = line.tax_rate if not _blank(line.tax_rate) else (
                product.tax_rate if product is not None and product.tax_rate is not None else 0)
            tax_rate = _number(rate, "tax_rate", errors, low=Decimal(0), high=HUNDRED, places="0.01")
            if not errors:
                amount, tax, total = line_figures(quantity, unit_price, discount, tax_rate)
                if total >= Decimal("1e15"):
                    errors["quantity"] = [_("The line's amount is too large.")]
            if errors:
                raise ValidationErrors(errors)
            line.contract, line.product = contract, product
            line.quantity, line.unit_price, line.discount, line.tax_rate = quantity, unit_price, discount, tax_rate
            line.amount, line.tax, line.total = amount, tax, total
        db.session.add(line)
        db.session.flush()
        follow_lines(contract)
    return line


def delete_line(actor, line: ContractLine) -> None:
    with unit_of_work(actor):
        contract = _contract_of(actor, line)
        with db.session.no_autoflush:
            check_editable(contract)
        db.session.delete(line)
        db.session.flush()
        if lines_total(contract.id) is not None:
            follow_lines(contract)


# -- the payment plan ----------------------------------------------------------------------------------------
def _plan(contract_id: int) -> list[ContractInstalment]:
    return list(db.session.scalars(select(ContractInstalment).where(ContractInstalment.contract_id == contract_id)
                                   .order_by(ContractInstalment.seq, ContractInstalment.id)))


def settle_percentages(contract: Contract) -> None:
    """Percentage instalments as amounts of the contract amount; an all-percentage plan of 100 % adds up exactly
    (the last instalment takes the rounding)."""
    plan = _plan(contract.id)
    if not plan or not any(i.percent is not None for i in plan):
        return
    amount = Decimal(contract.amount or 0)
    for instalment in plan:
        if instalment.percent is not None:
            instalment.amount = money(amount * instalment.percent / HUNDRED)
    if all(i.percent is not None for i in plan) and sum(i.percent for i in plan) == HUNDRED:
        plan[-1].amount = amount - sum((i.amount for i in plan[:-1]), Decimal(0))


def plan_difference(contract: Contract) -> Decimal | None:
    """The contract amount less what its plan adds up to; None without a plan."""
    plan = _plan(contract.id)
    if not plan:
        return None
    return Decimal(contract.amount or 0) - sum((i.amount for i in plan), Decimal(0))


def plan_message(contract: Contract) -> str | None:
    """What is wrong with the plan's sum, with the difference, or None when it adds up (or is empty)."""
    difference = plan_difference(contract)
    if not difference:
        return None
    planned = Decimal(contract.amount or 0) - difference
    if difference > 0:
        return _("The payment plan adds up to %(planned)s, %(difference)s less than the contract amount %(amount)s.",
                 planned=yuan(planned), difference=yuan(difference), amount=yuan(contract.amount or 0))
    return _("The payment plan adds up to %(planned)s, %(difference)s more than the contract amount %(amount)s.",
             planned=yuan(planned), difference=yuan(-difference), amount=yuan(contract.amount or 0))


def save_instalment(actor, instalment: ContractInstalment) -> ContractInstalment:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            contract = _contract_of(actor, instalment)
            check_editable(contract)
            errors: dict[str, list[str]] = {}
            instalment.name = (instalment.name or "").strip()[:60]
            if not instalment.name:
                errors["name"] = [_("Name the instalment, e.g. 预付款.")]
            basis = instalment.basis or ON_DATE
            if basis not in (ON_DATE, AFTER_SIGNING, AFTER_DELIVERY):
                errors["basis"] = [_("Choose when the instalment falls due.")]
            days = None
            if basis == ON_DATE:
                if not isinstance(instalment.due_on, dt.date):
                    errors["due_on"] = [_("Enter the due date.")]
            elif _blank(instalment.days):
                errors["days"] = [_("Enter how many days after signing or delivery.")]
            else:
                days = _number(instalment.days, "days", errors, low=Decimal(0), high=Decimal(3650),
                               message=_("Enter a number of days from 0 to 3650."))
                if days is not None and days != days.to_integral_value():
                    errors["days"] = [_("Enter a number of days from 0 to 3650.")]
            percent = amount = None
            if not _blank(instalment.percent):
                percent = _number(instalment.percent, "percent", errors, low=Decimal("0.0001"), high=HUNDRED,
                                  places="0.0001", message=_("Enter a percentage from 0.0001 to 100."))
            elif not _blank(instalment.amount):
                amount = _number(instalment.amount, "amount", errors, low=Decimal(0), high=Decimal("1e15"),
                                 places="0.01", message=_("Enter an amount of 0 or more."))
            else:
                errors["amount"] = [_("Enter the amount or the percentage of the contract amount.")]
            if errors:
                raise ValidationErrors(errors)
            instalment.contract, instalment.basis = contract, basis
            instalment.days = int(days) if basis != ON_DATE else None
            instalment.due_on = instalment.due_on if basis == ON_DATE else None
            instalment.percent = percent
            instalment.amount = amount if percent is None else money(Decimal(contract.amount or 0) * percent / HUNDRED)
            if not instalment.seq:
                instalment.seq = len([i for i in _plan(contract.id) if i is not instalment]) + 1
        db.session.add(instalment)
        db.session.flush()
        settle_percentages(contract)
    return instalment


def delete_instalment(actor, instalment: ContractInstalment) -> None:
    with unit_of_work(actor):
        contract = _contract_of(actor, instalment)
        with db.session.no_autoflush:
            check_editable(contract)
        db.session.delete(instalment)
        db.session.flush()
        settle_percentages(contract)


def before_submit(actor, contract: Contract) -> None:
    """What approval asks of a contract: a plan that adds up (one instalment of the whole amount at signing
    when it has none)."""
    if not _plan(contract.id):
        db.session.add(ContractInstalment(contract_id=contract.id, seq=1, name=_("Full payment"),
                                          basis=AFTER_SIGNING, days=0, percent=HUNDRED,
                                          amount=Decimal(contract.amount or 0)))
        db.session.flush()
        return
    message = plan_message(contract)
    if message:
        raise DomainError("contracts.plan_mismatch", message, field="instalments")


def due_date(instalment: ContractInstalment, signed_on: dt.date | None, delivered_on: dt.date | None = None):
    """When the instalment falls due, once what it waits for has happened."""
    if instalment.basis == ON_DATE:
        return instalment.due_on
    start = signed_on if instalment.basis == AFTER_SIGNING else delivered_on
    return start + dt.timedelta(days=instalment.days or 0) if start is not None else None


def copy_content(source: Contract, target: Contract, shift: dt.timedelta) -> None:
    """The source's lines and plan onto `target` (a new draft), dated instalments moved by `shift`."""
    for line in source.lines:
        db.session.add(ContractLine(contract_id=target.id, product_id=line.product_id, quantity=line.quantity,
                                    unit_price=line.unit_price, discount=line.discount, tax_rate=line.tax_rate,
                                    amount=line.amount, tax=line.tax, total=line.total))
    for item in source.instalments:
        db.session.add(ContractInstalment(
            contract_id=target.id, seq=item.seq, name=item.name, basis=item.basis, days=item.days,
            due_on=item.due_on + shift if item.due_on is not None else None, percent=item.percent,
            amount=item.amount, notes=item.notes))
    db.session.flush()


class contract_lines:
    create = update = staticmethod(save_line)
    delete = staticmethod(delete_line)


class contract_instalments:
    create = update = staticmethod(save_instalment)
    delete = staticmethod(delete_instalment)
