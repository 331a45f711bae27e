"""How the purchasing screens show values (list and detail formatters), shared by its module declarations."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_pgettext

from app.modules.purchasing.models import CURRENCY_CHOICES, STATUS_CHOICES, Supplier

PURCHASING = lazy_pgettext("menu", "Purchasing")


def quantity(value) -> str:
    return "" if value is None else f"{Decimal(value).normalize():,f}"


def status_name(value) -> str:
    return str(dict(STATUS_CHOICES).get(value, value or ""))


def supplier_name(value) -> str:
    from app.extensions import db

    supplier = db.session.get(Supplier, value) if value else None
    return supplier.name if supplier is not None else str(value or "")


def percent(value) -> str:
    return "" if value is None else f"{(Decimal(value) * 100).quantize(Decimal('0.1'))}%"


def money(value) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


def currency_name(value) -> str:
    return str(dict(CURRENCY_CHOICES).get(value, value or ""))
