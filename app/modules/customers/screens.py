"""What every customers screen needs: may the user do this, the customer if the user may see it,
a day typed in a form. The timeline, the lists of the module's own and the report views use them."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app
from flask_babel import gettext as _

from app.core.datamodel import current_actor
from app.core.scope import can_see
from app.extensions import db
from app.modules.customers.models import Customer


def may(permission: str, view_name: str = "customers") -> bool:
    return bool(current_app.appbuilder.sm.has_access(f"can_{permission}", view_name))


def visible_customer(pk: int) -> Customer:
    """The customer, if the current user may see it; 404 otherwise (as for a missing one)."""
    customer = db.session.get(Customer, pk)
    if customer is None or not can_see("customers", current_actor(), pk):
        abort(404)
    return customer


def parse_day(value: str, errors: dict, field: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.setdefault(field, []).append(_("Please enter a date such as 2026-03-01."))
        return None
