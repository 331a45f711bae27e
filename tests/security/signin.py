"""Helpers of the sign-in tests: clients with their own IP address (rate limits are per address,
so tests never share a bucket, on the embedded Redis or a real one), a controllable clock, and
walking through TOTP enrolment as a user does."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pyotp
import pytest
from sqlalchemy import select

from app.extensions import db
from tests.factories import PASSWORD

GENERIC_FAILURE = "Invalid login. Please try again."


def unique_ip() -> str:
    """An address from the documentation range, different for every call and every run."""
    h = uuid.uuid4().hex
    return f"2001:db8:{h[0:4]}:{h[4:8]}:{h[8:12]}:{h[12:16]}:{h[16:20]}:{h[20:24]}"


def client(app, ip: str | None = None, user_agent: str = "pytest-browser/1.0", locale: str = "en"):
    """A test client from its own address, reading the English messages (the msgids)."""
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = ip or unique_ip()
    c.environ_base["HTTP_USER_AGENT"] = user_agent
    with c.session_transaction() as sess:
        sess["locale"] = locale
    return c


def english(app):
    """A request context whose messages are in English."""
    return app.test_request_context("/?_l_=en")


def post_login(c, username, password=PASSWORD, next_url=None, **extra):
    url = "/login/" + (f"?next={next_url}" if next_url else "")
    return c.post(url, data={"username": username, "password": password, **extra})


def flashed(c) -> list[str]:
    """The messages the next page would show (taken out of the session)."""
    with c.session_transaction() as sess:
        return [message for _category, message in sess.pop("_flashes", [])]


def refresh():
    """End the test's read transaction, so what requests committed is visible."""
    db.session.rollback()


class Clock:
    def __init__(self):
        self.now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """app.core.clock.utcnow under the test's control."""
    c = Clock()
    monkeypatch.setattr("app.core.clock.utcnow", c)
    return c


def totp_now(secret: str, now: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(int(now.replace(tzinfo=dt.timezone.utc).timestamp()))


def recovery_codes_in(html: str) -> list[str]:
    block = re.search(r'id="zwt-recovery-codes".*?</ul>', html, re.S).group(0)
    return re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", block)


def enrol_totp(c, clock) -> tuple[str, list[str]]:
    """On the enrolment page: read the key, confirm with the current code; returns the secret
    and the recovery codes shown."""
    page = c.get("/mfa/totp").get_data(as_text=True)
    secret = re.search(r'id="zwt-totp-secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    resp = c.post("/mfa/totp", data={"code": totp_now(secret, clock.now)})
    assert resp.status_code == 200, resp.status_code
    codes = recovery_codes_in(resp.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def attempts_of(username: str):
    from app.security.models import LoginAttempt

    refresh()
    return list(db.session.scalars(select(LoginAttempt).where(LoginAttempt.username == username)
                                   .order_by(LoginAttempt.id)))
