"""Money on document lines, the same for every module: Decimal, rounded half up to the fen."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_figures(quantity, unit_price, discount, tax_rate) -> tuple[Decimal, Decimal, Decimal]:
    """(amount, tax, total) of a line: quantity × unit price less the discount (per cent), and tax at the rate
    (per cent) on that amount; amount and tax each rounded half up to the fen."""
    amount = money(Decimal(quantity) * Decimal(unit_price) * (HUNDRED - Decimal(discount)) / HUNDRED)
    tax = money(amount * Decimal(tax_rate) / HUNDRED)
    return amount, tax, amount + tax
