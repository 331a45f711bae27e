"""The contract archive (合同档案): archived contracts found by code, customer, type, signing dates, amount and
words of the title or the contract's terms, in the user's data scope, newest signing first."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from app.core.literal_filters import like_literal
from app.core.registry import registry
from app.core.scope import scope_clause
from app.extensions import db
from app.modules.contracts.models import ARCHIVED, Contract, ContractType
from app.modules.customers.api import Customer

PAGE = 50
MAX_TEXT = 100


@dataclass
class ArchiveQuery:
    code: str = ""
    customer: str = ""
    type_id: int | None = None
    signed_from: dt.date | None = None
    signed_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    words: list[str] = field(default_factory=list)
    page: int = 1


def _date(value: str, name: str, errors: dict):
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip().replace("/", "-"))
    except ValueError:
        errors[name] = _("Enter a date such as 2026-01-31.")
        return None


def _amount(value: str, name: str, errors: dict):
    if not value:
        return None
    try:
        amount = Decimal(value.strip().replace(",", "").replace("¥", ""))
    except InvalidOperation:
        errors[name] = _("Enter an amount, for example 1,234.50")
        return None
    if not amount.is_finite() or abs(amount) >= Decimal("1e16"):
        errors[name] = _("The amount is out of range.")
        return None
    return amount


def parse(args) -> tuple[ArchiveQuery, dict]:
    """The query from the page's parameters, and {field: message} for those that do not read."""
    errors: dict[str, str] = {}
    text = {key: (args.get(key) or "")[:MAX_TEXT].strip() for key in (
        "code", "customer", "type", "signed_from", "signed_to", "amount_min", "amount_max", "q", "page")}
    query = ArchiveQuery(code=text["code"], customer=text["customer"])
    if text["type"]:
        query.type_id = int(text["type"]) if text["type"].isdigit() and len(text["type"]) < 10 else -1
    query.signed_from = _date(text["signed_from"], "signed_from", errors)
    query.signed_to = _date(text["signed_to"], "signed_to", errors)
    if query.signed_from and query.signed_to and query.signed_to < query.signed_from:
        errors["signed_to"] = _("The end date cannot be before the start date.")
    query.amount_min = _amount(text["amount_min"], "amount_min", errors)
    query.amount_max = _amount(text["amount_max"], "amount_max", errors)
    if query.amount_min is not None and query.amount_max is not None and query.amount_max < query.amount_min:
        errors["amount_max"] = _("The highest amount cannot be below the lowest.")
    query.words = [w for w in text["q"].split() if w][:5]
    query.page = int(text["page"]) if text["page"].isdigit() and 0 < len(text["page"]) < 5 else 1
    return query, errors


def _contains(column, word: str):
    return column.ilike(f"%{like_literal(word)}%", escape="\\")


def search(actor, query: ArchiveQuery) -> tuple[list[Contract], bool]:
    """(the page's archived contracts, whether there are more)."""
    stmt = select(Contract).where(Contract.status == ARCHIVED)
    clause = scope_clause(registry.get("contracts"), actor)
    if clause is not None:
        stmt = stmt.where(clause)
    if query.code:
        stmt = stmt.where(Contract.code.startswith(query.code.upper(), autoescape=True))
    if query.customer:
        stmt = stmt.where(Contract.customer_id.in_(select(Customer.id).where(or_(
            _contains(Customer.name, query.customer), Customer.code == query.customer.upper()))))
    if query.type_id is not None:
        stmt = stmt.where(Contract.type_id == query.type_id)
    if query.signed_from:
        stmt = stmt.where(Contract.signed_on >= query.signed_from)
    if query.signed_to:
        stmt = stmt.where(Contract.signed_on <= query.signed_to)
    if query.amount_min is not None:
        stmt = stmt.where(Contract.amount >= query.amount_min)
    if query.amount_max is not None:
        stmt = stmt.where(Contract.amount <= query.amount_max)
    for word in query.words:
        stmt = stmt.where(or_(_contains(Contract.title, word), _contains(func.coalesce(Contract.terms, ""), word),
                              and_(Contract.notes.is_not(None), _contains(Contract.notes, word))))
    rows = db.session.scalars(stmt.order_by(Contract.signed_on.desc().nulls_last(), Contract.id.desc())
                              .offset((query.page - 1) * PAGE).limit(PAGE + 1)).all()
    return rows[:PAGE], len(rows) > PAGE


def types() -> list[ContractType]:
    return list(db.session.scalars(select(ContractType).order_by(ContractType.sort_order, ContractType.id)))
