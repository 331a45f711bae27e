"""Builders of contracts through the real service."""
from __future__ import annotations

from decimal import Decimal

from app.core.transaction import unit_of_work
from tests.conftest import unique
from tests.factories import make_customer


def make_contract(owner, customer=None, actor=None, **fields):
    """A draft contract owned by `owner` with `customer` (a new customer of the owner's when
    not given), created by `actor` (the owner unless given)."""
    from app.modules.contracts.models import Contract
    from app.modules.contracts.service import create_contract

    customer = customer or make_customer(owner)
    fields.setdefault("title", unique("合同"))
    fields["amount"] = Decimal(str(fields.get("amount", "50000.00")))
    return create_contract(actor or owner, Contract(customer_id=customer.id, owner_id=owner.id, **fields))


def approved(contract):
    """The contract as the approval engine leaves it when its chain ends with approval (the
    engine's own tests cover the chain)."""
    with unit_of_work(None):
        contract.status = "approved"
    return contract
