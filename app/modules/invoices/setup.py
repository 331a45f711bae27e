"""`run.py init`: the invoices' numbering series (one per type, one for red-letter invoices) and the shipped void
reasons, where the database does not have them yet (an admin's edits are kept)."""
from __future__ import annotations


def initialise() -> None:
    from sqlalchemy import select

    from app.core.numbering import ensure_rule
    from app.core.transaction import unit_of_work
    from app.extensions import db
    from app.modules.invoices.models import InvoiceVoidReason
    from app.modules.invoices.service import RULES, VOID_REASONS

    with unit_of_work(None):
        for code, name, pattern, reset in RULES.values():
            ensure_rule(code, str(name), pattern, reset)
        if db.session.scalar(select(InvoiceVoidReason.id).limit(1)) is None:
            for number, name in enumerate(VOID_REASONS, start=1):
                db.session.add(InvoiceVoidReason(name=name, sort_order=number))
