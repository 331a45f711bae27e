"""Home page panel: overdue receivables in the reader's scope — issued invoices past their due date and not fully
paid, the longest overdue first."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.core.clock import company_today
from app.core.home import HomeItem, HomePanel
from app.core.home_parts import capped, due_note
from app.core.registry import registry
from app.core.scope import scope_clause
from app.extensions import db
from app.modules.invoices.api import ISSUED, Invoice


def _overdue(user):
    """The reader's overdue invoices (ix_invoice_open_due reads them by due date)."""
    stmt = select(Invoice.id).where(Invoice.status == ISSUED, ~Invoice.red, Invoice.paid < Invoice.total,
                                    Invoice.due_date < company_today())
    clause = scope_clause(registry.get("invoices"), user)
    return stmt.where(clause) if clause is not None else stmt


def _items(user, limit):
    today = company_today()
    view = registry.views["invoices"].__name__
    rows = db.session.execute(_overdue(user).with_only_columns(
        Invoice.id, Invoice.code, Invoice.buyer_name, Invoice.total, Invoice.paid, Invoice.due_date)
        .order_by(Invoice.due_date, Invoice.id).limit(limit))
    out = []
    for pk, code, buyer, total, paid, due in rows:
        note, tone = due_note(due, today)
        owed = _("owes ¥%(amount)s", amount=f"{total - paid:,.2f}")
        out.append(HomeItem(f"{code} {buyer} · {owed}", url_for(f"{view}.show", pk=pk), note, tone))
    return out


PANELS = [
    HomePanel(key="receivables-overdue", title=_l("Overdue receivables"), items=_items,
              permission=("can_read", "payments"), count=lambda user: capped(_overdue(user)),
              more_url=lambda: url_for("AgingView.index"), empty=_l("Nothing is overdue."), icon="fa-jpy", order=32),
]
