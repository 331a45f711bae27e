"""What the contract import (app/core/importing) adds to the frame's checks: the contracts
service's own rules for a contract's fields (title, amount, dates in order, customer and owner
given), checked on every row before anything is written. An imported contract is always a draft:
approval decides the rest."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.errors import ValidationErrors
from app.modules.contracts import service
from app.modules.contracts.models import DRAFT, Contract

COLUMNS = ("title", "customer", "amount", "standard_terms", "signed_on", "starts_on", "ends_on", "owner", "status",
           "notes")
DEFAULTS = {"standard_terms": True, "status": DRAFT}


def help_texts() -> dict:
    return {
        "customer": _l("The customer's code (KH-…) or name, among the customers you can see."),
        "owner": _l("The owner's user name (or name). Empty: you."),
        "status": _l("Empty or 草稿: an imported contract is always a draft; approval decides the rest."),
        "standard_terms": _l("是 or 否. Empty: 是."),
    }


def check_row(importer, row, errors: dict) -> None:
    """The contracts service's validation of a new contract, on the row's values."""
    contract = Contract(title=row.title, customer_id=row.customer_id, amount=row.amount,
                        standard_terms=row.standard_terms, signed_on=row.signed_on, starts_on=row.starts_on,
                        ends_on=row.ends_on, owner_id=row.owner_id, status=DRAFT)
    try:
        service._validate(contract)
    except ValidationErrors as refused:
        for field, messages in refused.errors.items():
            if field not in errors:
                errors[field] = list(messages)
    row.title = contract.title
    if "amount" not in errors:
        row.amount = contract.amount
