"""Demo collections: the demo invoices spread over the last five months (so the aging has every bucket), and
payments registered against most of them — some in full, some in part, one leaving credit — so the statement,
aging, collection rate and reminders have something to show."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import func, select

from app.core.clock import company_today
from app.extensions import db
from app.modules.collections import service
from app.modules.collections.models import Payment
from app.modules.invoices.api import ISSUED, Invoice

DEMO_NOTE = "演示回款"


def load_demo(admin, staff: dict, seed: int = 2026) -> str:
    if db.session.scalar(select(func.count()).select_from(Payment).where(Payment.notes == DEMO_NOTE)):
        return "0 payments"
    clerk = staff.get("liuyang") or admin
    rng = random.Random(seed)
    today = company_today()
    invoices = list(db.session.scalars(select(Invoice).where(Invoice.notes == "演示发票", Invoice.status == ISSUED,
                                                             ~Invoice.red).order_by(Invoice.id)))
    for invoice in invoices:   # as if issued over the last five months, due 30 days later
        invoice.issue_date = today - dt.timedelta(days=rng.randint(0, 150))
        invoice.due_date = invoice.issue_date + dt.timedelta(days=30)
    db.session.commit()
    made = 0
    for number, invoice in enumerate(invoices):
        roll = rng.random()
        if roll < 0.35:
            continue                                   # not paid yet: shows in the aging
        amount = invoice.total if roll < 0.8 else (invoice.total / 2).quantize(Decimal("0.01"))
        if number == 1:
            amount += Decimal("5000.00")               # paid more than owed: the rest is credit
        received = min(invoice.due_date + dt.timedelta(days=rng.randint(-20, 25)), today)
        received = max(received, invoice.issue_date)
        service.register(clerk, Payment(customer_id=invoice.customer_id, amount=amount, received_on=received,
                                        method="transfer", bank_ref=f"DEMO{invoice.id:08d}",
                                        payer=invoice.buyer_name, notes=DEMO_NOTE))
        made += 1
    return f"{made} payments"
