"""Browser sessions and response headers.

- Idle timeout: a signed-in session unused for SESSION_IDLE_MINUTES (default 30) is signed out
  on its next request and sent to the login page with a message; PERMANENT_SESSION_LIFETIME is
  the absolute limit from sign-in, however active the session.
- Security headers on every response: a Content-Security-Policy whose scripts must come from
  this site or carry the per-request nonce (FAB's templates ask `baselib.get_nonce()`, which
  calls the `csp_nonce()` template global when there is one, as flask-talisman provides) and
  that no other site may frame, plus X-Frame-Options DENY, X-Content-Type-Options,
  Referrer-Policy and, in production, HSTS.
- Cookies: HttpOnly and SameSite=Lax (config.py), Secure in production (config.py) and on
  every response to a request that came in over HTTPS — directly, or through the trusted
  proxies of PROXY_COUNT, whose X-Forwarded-Proto ProxyFix applies.
"""
from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app, flash, g, has_request_context, jsonify, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user

from app.core import clock
from app.security import auth

LAST_SEEN = "_zwt_seen"
STARTED = "_zwt_started"
# Writing the time back on every request would send a new cookie with every response.
SEEN_PRECISION = dt.timedelta(seconds=30)
_SKIPPED_ENDPOINTS = {"static", "appbuilder.static"}


def csp_nonce() -> str:
    """This request's nonce for inline and external <script> tags."""
    nonce = getattr(g, "_csp_nonce", None)
    if nonce is None:
        nonce = g._csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        # FAB's templates and widgets set style attributes; styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _stamp(value: dt.datetime) -> float:
    return value.replace(tzinfo=dt.timezone.utc).timestamp()


def _expired(now: dt.datetime) -> bool:
    """Whether the signed-in session has been idle, or alive, for too long."""
    idle = dt.timedelta(minutes=current_app.config.get("SESSION_IDLE_MINUTES", 30))
    lifetime = current_app.config.get("PERMANENT_SESSION_LIFETIME")
    if isinstance(lifetime, (int, float)):
        lifetime = dt.timedelta(seconds=lifetime)
    seen, started = session.get(LAST_SEEN), session.get(STARTED)
    now_stamp = _stamp(now)
    if seen is not None and now_stamp - seen > idle.total_seconds():
        return True
    return started is not None and lifetime is not None and now_stamp - started > lifetime.total_seconds()


def _check_session():
    if request.endpoint in _SKIPPED_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        for key in (LAST_SEEN, STARTED):
            session.pop(key, None)
        return None
    now = clock.utcnow()
    if _expired(now):
        auth.end_web_session()
        message = _("You were signed out because the session was not used for a while. Please sign in again.")
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify(message=message), 401
        flash(message, "warning")
        sm = current_app.appbuilder.sm
        # A path, never the absolute URL: `next` only ever takes paths of this site.
        target = request.script_root + request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for(f"{sm.auth_view.__class__.__name__}.login", next=target))
    now_stamp = _stamp(now)
    if STARTED not in session:
        session[STARTED] = now_stamp
    seen = session.get(LAST_SEEN)
    if seen is None or now_stamp - seen >= SEEN_PRECISION.total_seconds():
        session[LAST_SEEN] = now_stamp
    return None


def _stamp_new_session(response):
    """A session signed in by this very request starts its clocks now."""
    if request.endpoint not in _SKIPPED_ENDPOINTS and current_user.is_authenticated and LAST_SEEN not in session:
        session[STARTED] = session[LAST_SEEN] = _stamp(clock.utcnow())
    return response


def _security_headers(response):
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if current_app.config.get("ZWT_ENV") == "production":
        # Production is served over HTTPS (config sets Secure cookies there).
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def served_over_https() -> bool:
    """Whether this request came in over HTTPS (ProxyFix has applied trusted proxies' word)."""
    return has_request_context() and request.is_secure


def cookies_secure() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE")) or served_over_https()


class ZwtSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, whose cookie is Secure also when the request came in over
    HTTPS, and which, saving last, marks every other cookie of such a response Secure too
    (Flask-Login's and ours)."""

    def get_cookie_secure(self, app) -> bool:
        return super().get_cookie_secure(app) or served_over_https()

    def save_session(self, app, session, response) -> None:
        super().save_session(app, session, response)
        if served_over_https():
            cookies = response.headers.getlist("Set-Cookie")
            if any("; secure" not in c.lower() for c in cookies):
                response.headers.setlist("Set-Cookie", [c if "; secure" in c.lower() else c + "; Secure" for c in cookies])


def install_session_security(app) -> None:
    app.session_interface = ZwtSessionInterface()
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.before_request(_check_session)
    app.after_request(_stamp_new_session)
    app.after_request(_security_headers)
