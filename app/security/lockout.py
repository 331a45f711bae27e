"""Abuse protection of signing in: rate limits per IP address and per account (Flask-Limiter's
storage, i.e. the same Redis as the job queue) and account lockout after repeated wrong
passwords.

The limits count failed attempts only: an office behind one NAT address may sign in as often as
it likes, a guesser may not. Once a bucket is full every attempt in it is refused with 429
until the window has passed. Buckets are keyed by what was typed (the user name), never by
whether it exists, so a 429 says nothing about which accounts exist.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import time

from flask import current_app
from flask_babel import gettext as _
from limits import parse
from redis.exceptions import RedisError
from sqlalchemy import func, select, update

from app.core import clock
from app.core.notify import notify
from app.core.org import User
from app.extensions import db
from app.security.models import security_of

log = logging.getLogger(__name__)

# Which limit (config key) guards which bucket.
LIMITS = {
    "login_ip": "RATE_LIMIT_LOGIN_IP",
    "login_account": "RATE_LIMIT_LOGIN_ACCOUNT",
    "code_ip": "RATE_LIMIT_CODE_IP",
    "code_account": "RATE_LIMIT_CODE_ACCOUNT",
    "code_send": "RATE_LIMIT_CODE_SEND",
}


class RateLimited(Exception):
    """Too many failed attempts in a bucket; `retry_after` seconds until the next try."""

    def __init__(self, retry_after: int):
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


def rate_limits_enabled() -> bool:
    """RATE_LIMITS_ENABLED, the one switch of every rate limit (config.py derives
    Flask-Limiter's RATELIMIT_ENABLED from it)."""
    return bool(current_app.config.get("RATE_LIMITS_ENABLED", True))


def _limit(bucket: str):
    return parse(current_app.config[LIMITS[bucket]])


def _strategy():
    return current_app.appbuilder.sm.limiter.limiter


def _key(value) -> str:
    return str(value).strip().lower()[:200]


def _storage_errors_tolerated() -> bool:
    return bool(current_app.config.get("RATELIMIT_SWALLOW_ERRORS", False))


def check(*buckets: tuple[str, object]) -> None:
    """Raise RateLimited when any (bucket, key) pair is exhausted."""
    if not rate_limits_enabled():
        return
    waits = []
    try:
        for bucket, key in buckets:
            limit = _limit(bucket)
            if not _strategy().test(limit, "zwt", bucket, _key(key)):
                reset_at = _strategy().get_window_stats(limit, "zwt", bucket, _key(key)).reset_time
                waits.append(max(1, math.ceil(reset_at - time.time())))
    except RedisError:
        if not _storage_errors_tolerated():
            raise
        log.warning("rate-limit storage unavailable; sign-in attempts are not limited", exc_info=True)
    if waits:
        raise RateLimited(max(waits))


def count(*buckets: tuple[str, object]) -> None:
    """Count one (failed) attempt in each (bucket, key)."""
    if not rate_limits_enabled():
        return
    try:
        for bucket, key in buckets:
            _strategy().hit(_limit(bucket), "zwt", bucket, _key(key))
    except RedisError:
        if not _storage_errors_tolerated():
            raise
        log.warning("rate-limit storage unavailable; a failed attempt was not counted", exc_info=True)


# -- account lockout -----------------------------------------------------------------------------
def locked_until(user, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the user's lock ends, if the account is locked now."""
    row = security_of(user.id)
    now = now or clock.utcnow()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    return None


def register_failure(uow, user, now: dt.datetime | None = None) -> bool:
    """Count a wrong password; the threshold-th in a row locks the account and tells its owner.
    True if this attempt locked it. Counting is one atomic UPDATE, so concurrent guesses cannot
    slip past the threshold or lock twice."""
    now = now or clock.utcnow()
    db.session.execute(update(User).where(User.id == user.id)
                       .values(fail_login_count=func.coalesce(User.fail_login_count, 0) + 1))
    failures = db.session.scalar(select(User.fail_login_count).where(User.id == user.id))
    if failures != current_app.config["LOCKOUT_THRESHOLD"]:
        return False
    minutes = current_app.config["LOCKOUT_MINUTES"]
    row = security_of(user.id, create=True)
    row.locked_until = now + dt.timedelta(minutes=minutes)
    db.session.execute(update(User).where(User.id == user.id).values(fail_login_count=0))
    notify(uow, [user], _("Your account was locked"), _(
        "Someone entered a wrong password for your account %(n)d times in a row, so it is locked "
        "for %(minutes)d minutes. If it was not you, change your password after the lock ends and "
        "tell your administrator. Your login history shows where the attempts came from.",
        n=current_app.config["LOCKOUT_THRESHOLD"], minutes=minutes), link="/my-login-history/")
    return True


def register_success(user, now: dt.datetime | None = None) -> None:
    """A complete login: the failure counter and any expired lock are cleared."""
    now = now or clock.utcnow()
    user.fail_login_count = 0
    user.login_count = (user.login_count or 0) + 1
    user.last_login = now
    row = security_of(user.id, create=True)
    row.locked_until = None


def unlock(user) -> None:
    """An administrator lifts the lock now (the caller's transaction commits)."""
    row = security_of(user.id)
    if row is not None:
        row.locked_until = None
    user.fail_login_count = 0
