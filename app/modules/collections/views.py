"""The 回款 tab of an invoice: the payments that settled it and what is still to be paid."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.extensions import db
from app.modules.collections.models import REGISTERED, Payment, PaymentAllocation
from app.modules.collections.service import ZERO


def render_invoice_tab(spec, item):
    if not current_app.appbuilder.sm.has_access("can_read", "payments"):
        return None
    rows = list(db.session.execute(
        select(PaymentAllocation, Payment).join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == item.id, Payment.status == REGISTERED).order_by(PaymentAllocation.id)))
    paid = sum((allocation.amount for allocation, _payment in rows), ZERO)
    return Markup(current_app.jinja_env.get_template("collections/invoice_tab.html").render(
        invoice=item, rows=rows, paid=paid, outstanding=item.total - paid if not item.red else ZERO))


def register_views(appbuilder) -> None:
    from app.core.panels import ShowTab, register_tab

    register_tab(ShowTab(key="invoice_payments", label=_l("Payments"), render=render_invoice_tab,
                         applies=lambda spec: spec.name == "invoices", order=45))
