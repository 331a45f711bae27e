"""Time as the database stores it: naive UTC. Shown in the user's zone by webhooks.local_time."""
import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def company_today() -> dt.date:
    """Today in the company's time zone (a contract signed at 07:00 in Shanghai is signed today)."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    return dt.datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
