"""Sessions and response headers: cookie flags, idle timeout and absolute lifetime, and a
Content-Security-Policy whose per-request nonce every script of the page carries."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from app.core import clock

SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


class Clock:
    """app.core.clock.utcnow under the test's control."""

    def __init__(self, monkeypatch):
        self.now = dt.datetime(2026, 5, 4, 9, 0)
        monkeypatch.setattr(clock, "utcnow", lambda: self.now)

    def advance(self, **delta):
        self.now += dt.timedelta(**delta)


@pytest.fixture
def fake_clock(monkeypatch):
    return Clock(monkeypatch)


def idle_message(app) -> str:
    from flask_babel import gettext
    from markupsafe import escape

    with app.test_request_context():
        return str(escape(gettext("You were signed out because the session was not used for a while. "
                                  "Please sign in again.")))


def session_cookie_header(resp) -> str:
    headers = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert headers, resp.headers
    return headers[-1]


def test_the_session_cookie_is_httponly_and_samesite_lax(app, org):
    client = app.test_client()
    resp = client.post("/login/", data={"username": org.east_rep.username, "password": "Passw0rd!"})
    cookie = session_cookie_header(resp)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # tests run over plain HTTP, like development


def test_the_session_cookie_is_secure_in_production(app, org, monkeypatch):
    from config import build_config

    production = build_config(ZWT_ENV="production", SECRET_KEY="p" * 40, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert production["SESSION_COOKIE_SECURE"] and production["SESSION_COOKIE_HTTPONLY"]
    assert production["SESSION_COOKIE_SAMESITE"] == "Lax" and production["REMEMBER_COOKIE_SECURE"]
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    resp = app.test_client().post("/login/", data={"username": org.east_rep.username, "password": "Passw0rd!"})
    cookie = session_cookie_header(resp)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_an_idle_session_is_signed_out_on_the_next_request(org, login, fake_clock, app):
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    client = login(org.east_rep)
    fake_clock.advance(minutes=20)
    assert client.get("/customers/list/").status_code == 200
    fake_clock.advance(minutes=25)  # 25 minutes after the last request: still fine
    assert client.get("/customers/list/").status_code == 200

    fake_clock.advance(minutes=31)
    resp = client.get("/customers/list/?_flt_0_name=x")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    assert "next=" in resp.headers["Location"], "after signing in again the user comes back here"
    assert idle_message(app) in client.get("/login/").get_data(as_text=True)

    # Signed out for good: the old cookie opens nothing, even right away.
    again = client.get("/customers/list/")
    assert again.status_code == 302 and "/login/" in again.headers["Location"]


def test_an_idle_session_gets_401_on_json_requests(org, login, fake_clock):
    client = login(org.east_rep)
    assert client.get("/customers/chart/by_industry.json").status_code == 200
    fake_clock.advance(minutes=31)
    resp = client.get("/customers/chart/by_industry.json", headers={"Accept": "application/json"})
    assert resp.status_code == 401 and "option" not in resp.get_json()


def test_a_session_ends_after_its_lifetime_however_active(org, login, fake_clock, app, monkeypatch):
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", dt.timedelta(hours=1))
    client = login(org.east_rep)
    for _ in range(3):
        fake_clock.advance(minutes=20)
        assert client.get("/customers/list/").status_code == 200
    fake_clock.advance(minutes=5)
    resp = client.get("/customers/list/")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]


def test_signing_in_again_starts_fresh_clocks(org, login, fake_clock):
    client = login(org.east_rep)
    fake_clock.advance(minutes=45)
    assert client.get("/customers/list/").status_code == 302
    resp = client.post("/login/", data={"username": org.east_rep.username, "password": "Passw0rd!"})
    assert resp.status_code == 302
    fake_clock.advance(minutes=10)
    assert client.get("/customers/list/").status_code == 200


def _csp(resp) -> dict:
    policy = resp.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/", "/customers/list/", "/customers/add", "/customers/chart/", "/roles_matrix/",
                                 "/apikeys/", "/swagger/v1", "/users/list/", "/mfa/totp", "/login_history/list/"])
def test_every_script_on_a_page_carries_the_responses_nonce(url, org, login):
    client = login(org.admin)
    resp = client.get(url)
    assert resp.status_code == 200, url
    policy = _csp(resp)
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    nonces = [s[len("'nonce-"):-1] for s in scripts if s.startswith("'nonce-")]
    assert len(nonces) == 1 and len(nonces[0]) >= 16
    tags = SCRIPT.findall(resp.get_data(as_text=True))
    assert tags, url
    for attrs in tags:
        assert f'nonce="{nonces[0]}"' in attrs, (url, attrs)
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


def test_the_login_page_scripts_carry_the_nonce_and_it_changes_with_every_response(app):
    client = app.test_client()
    first, second = client.get("/login/"), client.get("/login/")
    assert _csp(first)["script-src"] != _csp(second)["script-src"]
    nonce = _csp(first)["script-src"][1][len("'nonce-"):-1]
    tags = SCRIPT.findall(first.get_data(as_text=True))
    assert tags and all(f'nonce="{nonce}"' in attrs for attrs in tags)


@pytest.mark.parametrize("url", ["/login/", "/api/v1/customers/", "/static/css/zwt.css", "/no-such-page"])
def test_security_headers_are_on_every_response(url, app, monkeypatch):
    resp = app.test_client().get(url)
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" in resp.headers
    assert "Strict-Transport-Security" not in resp.headers
    monkeypatch.setitem(app.config, "ZWT_ENV", "production")
    assert "max-age=" in app.test_client().get(url).headers["Strict-Transport-Security"]

