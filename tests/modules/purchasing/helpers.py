"""Suppliers and quotes for the purchasing tests."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.modules.purchasing import service
from app.modules.purchasing.models import Supplier, SupplierQuote
from tests.conftest import unique


def tax_id() -> str:
    return ("91310" + unique("").upper().replace("T", "") + "0000000000000")[:18]


def supplier(owner, name=None, **fields) -> Supplier:
    return service.create_supplier(owner, Supplier(name=name or unique("供应商") + "有限公司", owner_id=owner.id,
                                                   **{"status": "qualified", **fields}))


def quote(owner, supplier_, product, price, lead_days=7, min_quantity="1", currency="CNY", valid_from=None,
          valid_to=None) -> SupplierQuote:
    today = dt.date.today()
    return service.save_quote(owner, SupplierQuote(
        supplier_id=supplier_.id, product_id=product.id, price=Decimal(price), lead_days=lead_days,
        min_quantity=Decimal(min_quantity), currency=currency, valid_from=valid_from or today - dt.timedelta(days=1),
        valid_to=valid_to))
