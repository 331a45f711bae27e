"""Values the customers module reads the same way everywhere: amounts typed by people, and
dates in the company's time zone. The service, grading and the screens use them; this module
imports nothing of the package."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

CENT = Decimal("0.01")


def money(value, field: str, errors: dict) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Please enter an amount, e.g. 50000.00."))
        return Decimal("0.00")
    if amount < 0:
        errors.setdefault(field, []).append(_("The amount cannot be negative."))
    if amount >= Decimal("1e16"):
        errors.setdefault(field, []).append(_("The amount is too large."))
    return amount


def local_today() -> dt.date:
    """Today in the company's time zone."""
    return dt.datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def local_date(utc: dt.datetime) -> dt.date:
    """The company-time-zone date of a stored (naive UTC) time."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return utc.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()
