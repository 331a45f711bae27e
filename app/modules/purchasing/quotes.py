"""报价对比: every quote valid today for one product side by side — unit price, what the asked quantity costs
(bought at least at the quote's minimum quantity, in yuan), lead time — with the best by the buyer's rule
(cheapest: the lowest cost for the quantity; fastest: the shortest lead time, then the cost; best score: the
supplier's rating score — an unrated supplier last — then the cost). Quotes in another
currency are converted at the rates in PURCHASE_EXCHANGE_RATES; one whose currency has no rate is shown but not
ranked."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from app.core.errors import ValidationErrors
from app.core.registry import registry
from app.core.scope import scope_clause
from app.extensions import db
from app.modules.purchasing.models import SupplierQuote
from app.modules.purchasing.service import valid_quotes

RULES = ("cheapest", "fastest", "score")
CENT = Decimal("0.01")
MAX_ROWS = 200


@dataclass
class Offer:
    quote: SupplierQuote
    buy_quantity: Decimal        # the quantity asked, or the quote's minimum when that is more
    cost: Decimal | None         # buy_quantity × price, in yuan (None: no rate for its currency)
    best: bool = False


def rates() -> dict[str, Decimal]:
    configured = current_app.config.get("PURCHASE_EXCHANGE_RATES") or {}
    out = {"CNY": Decimal(1)}
    for currency, rate in configured.items():
        try:
            out[str(currency).upper()] = Decimal(str(rate))
        except (InvalidOperation, ValueError):
            continue
    return out


def parse_quantity(raw) -> Decimal:
    try:
        quantity = Decimal(str(raw or "1").strip())
    except (InvalidOperation, ValueError):
        quantity = None
    if quantity is None or not quantity.is_finite() or quantity <= 0 or quantity > Decimal("999999999999"):
        raise ValidationErrors({"quantity": [_("Enter the quantity as a number greater than 0.")]})
    return quantity


def compare(actor, product_id: int, quantity: Decimal, rule: str = "cheapest", on: dt.date | None = None,
            request_id: int | None = None) -> list:
    """The offers of the quotes valid on `on` for the product, from suppliers in the actor's data scope (every
    supplier for the system, None), best first by `rule`; the best one (or ones, when equal) marked. With
    `request_id`, only the answers to that request for quotation."""
    if rule not in RULES:
        rule = "cheapest"
    stmt = valid_quotes(product_id, on).options(contains_eager(SupplierQuote.supplier))
    if request_id is not None:
        stmt = stmt.where(SupplierQuote.request_id == request_id)
    clause = scope_clause(registry.get("suppliers"), actor) if actor is not None else None   # None: the system
    if clause is not None:
        stmt = stmt.where(clause)
    known = rates()
    offers = []
    for quote in db.session.scalars(stmt.order_by(SupplierQuote.price, SupplierQuote.id).limit(MAX_ROWS)).unique():
        buy = max(quantity, quote.min_quantity)
        rate = known.get(quote.currency)
        cost = (quote.price * buy * rate).quantize(CENT, ROUND_HALF_UP) if rate is not None else None
        offers.append(Offer(quote, buy, cost))
    ranked = [o for o in offers if o.cost is not None]
    key = {"cheapest": lambda o: (o.cost, o.quote.lead_days),
           "fastest": lambda o: (o.quote.lead_days, o.cost),
           "score": lambda o: (-(o.quote.supplier.score if o.quote.supplier.score is not None else Decimal(-1)),
                               o.cost)}[rule]
    ranked.sort(key=key)
    if ranked:
        top = key(ranked[0])
        for offer in ranked:
            offer.best = key(offer) == top
    return ranked + [o for o in offers if o.cost is None]


