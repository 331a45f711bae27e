"""Signing in, shared by the web login and the JWT API: the password step, the second step,
and the state between them.

Whatever goes wrong at the password step — unknown user, wrong password, deactivated or locked
account — the caller learns only "failed", and each case costs one password hash check, so
neither the answer nor its timing tells whether a user name exists. Between the steps the user
is not signed in: the web keeps the pending state in the signed session, the API in a
short-lived signed token.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app, g, jsonify, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from app.core import clock
from app.core.org import User
from app.core.transaction import unit_of_work
from app.extensions import db
from app.security import browser_sessions, lockout, mfa
from app.security.history import DEVICE, FACTOR_OF_METHOD, PASSWORD, client_ip, record_attempt
from app.security.lockout import RateLimited
from app.security.models import EMAIL, RECOVERY, SMS, TOTP, current_stamp_digest, new_stamp, security_of

SESSION_STAMP = "zwt_stamp"
PENDING = "zwt_pending"
_fake_hashes: dict[str, str] = {}


@dataclass
class PasswordResult:
    user: User | None = None          # set when the password was right
    factor: str | None = None         # set when signed in without a second step
    needs_second_factor: bool = False
    must_enrol: bool = False          # a role requires 2FA and the user has none yet

    @property
    def complete(self) -> bool:
        return self.factor is not None


def _fake_hash() -> str:
    """A hash made with the configured method, checked when there is no real one to check, so
    that a missing or locked account costs what a real one does."""
    method = current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt")
    if method not in _fake_hashes:
        _fake_hashes[method] = generate_password_hash("not-a-password-of-anyone", method=method)
    return _fake_hashes[method]


def find_user(login: str) -> User | None:
    """The user with this user name or, failing that, this e-mail address."""
    if not login:
        return None
    sm = current_app.appbuilder.sm
    # Both look-ups always run, so a hit by user name costs what a miss does.
    by_name, by_email = sm.find_user(username=login), sm.find_user(email=login)
    return by_name or by_email


def password_step(username: str, password: str, channel: str = "web", device_cookie: str | None = None) -> PasswordResult:
    """Check a user name and password. Raises RateLimited when this address or this user name
    failed too often. Records the attempt in the login history."""
    username = (username or "").strip()[:256]
    ip = client_ip()
    buckets = (("login_ip", ip), ("login_account", username))
    limited = None
    result = PasswordResult()
    with unit_of_work(None) as uow:
        user = find_user(username)
        try:
            lockout.check(*buckets)
        except RateLimited as exc:
            record_attempt(user, username, False, PASSWORD, "rate_limited", channel)
            limited = exc
        else:
            reason = _verify_password(uow, user, password or "")
            if reason is not None:
                lockout.count(*buckets)
                record_attempt(user if reason != "unknown_user" else None, username, False, PASSWORD, reason, channel)
            else:
                result = _after_password(user, channel, device_cookie)
                if result.complete:
                    record_attempt(user, username, True, result.factor, channel=channel)
    if limited is not None:
        raise limited
    return result


def _verify_password(uow, user, password: str) -> str | None:
    """None when the password is right and the account usable; else the reason it failed."""
    now = clock.utcnow()
    if user is None:
        check_password_hash(_fake_hash(), password)
        return "unknown_user"
    right = check_password_hash(user.password or _fake_hash(), password) and bool(password)
    if not user.is_active:
        return "inactive"
    if lockout.locked_until(user, now) is not None:
        return "locked"
    if not right:
        lockout.register_failure(uow, user, now)
        return "wrong_password"
    return None


def _after_password(user, channel: str, device_cookie: str | None) -> PasswordResult:
    row = security_of(user.id, create=True)
    user.fail_login_count = 0
    if row.mfa_method:
        if channel == "web" and mfa.device_remembered(user, device_cookie):
            lockout.register_success(user)
            return PasswordResult(user=user, factor=DEVICE)
        return PasswordResult(user=user, needs_second_factor=True)
    if mfa.mfa_required(user):
        return PasswordResult(user=user, must_enrol=True)
    lockout.register_success(user)
    return PasswordResult(user=user, factor=PASSWORD)


def second_step(user_id: int, method: str, code: str, channel: str = "web") -> User | None:
    """Check a second-factor code of the given method; the user when right. Raises RateLimited
    when this address or account entered too many wrong codes."""
    ip = client_ip()
    buckets = (("code_ip", ip), ("code_account", user_id))
    factor = FACTOR_OF_METHOD.get(method, method)
    limited, done = None, None
    with unit_of_work(None):
        user = db.session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        try:
            lockout.check(*buckets)
        except RateLimited as exc:
            record_attempt(user, user.username, False, factor, "rate_limited", channel)
            limited = exc
        else:
            outcome = _check_code(user, method, code)
            if outcome == mfa.OK:
                lockout.register_success(user)
                record_attempt(user, user.username, True, factor, channel=channel)
                done = user
            else:
                lockout.count(*buckets)
                record_attempt(user, user.username, False, factor,
                               "expired_code" if outcome == mfa.EXPIRED else "bad_code", channel)
    if limited is not None:
        raise limited
    return done


def _check_code(user, method: str, code: str) -> str:
    if method not in mfa.available_methods(user):
        return mfa.BAD
    if method == TOTP:
        return mfa.OK if mfa.verify_totp(user, code) else mfa.BAD
    if method == RECOVERY:
        return mfa.OK if mfa.use_recovery_code(user, code) else mfa.BAD
    return mfa.verify_code(user, "login", method, code)


def confirm_identity(user, secret: str) -> str | None:
    """A signed-in user confirms it is them (before signing a document): their password, or a code of their
    authenticator app. The method that matched ("password" / "totp"), else None; wrong answers count
    towards the code limits, and RateLimited is raised when they are used up."""
    buckets = (("code_account", user.id),)
    lockout.check(*buckets)
    secret = (secret or "").strip()[:256]
    if secret and user.password and check_password_hash(user.password, secret):
        return "password"
    digits = "".join(ch for ch in secret if not ch.isspace())
    if len(digits) == 6 and digits.isdigit() and mfa.preferred_method(user) == TOTP and mfa.verify_totp(user, digits):
        return "totp"
    lockout.count(*buckets)
    return None


def check_enrolment_code(user, verify) -> bool:
    """Run `verify()` (confirming a new factor) under the code rate limits; raises RateLimited."""
    buckets = (("code_ip", client_ip()), ("code_account", user.id))
    lockout.check(*buckets)
    ok = verify()
    if not ok:
        lockout.count(*buckets)
    return ok


def send_code(user, purpose: str, channel: str) -> str:
    """E-mail or text a new code; returns where it went (masked). Raises RateLimited when codes
    were sent too often, ValueError when the user has no such channel."""
    if channel not in (EMAIL, SMS) or not mfa.channel_available(user, channel):
        raise ValueError(channel)
    lockout.check(("code_send", user.id))
    with unit_of_work(user) as uow:
        mfa.issue_code(uow, db.session.get(User, user.id), purpose, channel)
    lockout.count(("code_send", user.id))
    return mfa.mask_destination(user, channel)


def _fresh_session() -> None:
    """Start the cookie over, keeping only the language and pending messages: nothing from
    before signing in (a session id, a form token, a half-finished login) carries over."""
    browser_sessions.end(session.get(browser_sessions.SESSION_ID), session.get("_user_id"))
    kept = {key: session[key] for key in ("locale", "_flashes") if key in session}
    session.clear()
    session.update(kept)


def complete_web_login(user) -> None:
    """Sign the user in to this browser (the password and any second factor passed), under a
    new session id recorded server-side."""
    _fresh_session()
    login_user(user, remember=False)
    session[SESSION_STAMP] = current_stamp_digest(user.id)
    session[browser_sessions.SESSION_ID] = browser_sessions.start(user.id)


def session_is_current(user_id) -> bool:
    """Whether this browser session was signed in under the user's current security stamp."""
    loaded = g.get("_zwt_loaded_stamp")   # read with the user at the start of this request
    current = loaded[1] if loaded and loaded[0] == user_id else current_stamp_digest(user_id)
    return session.get(SESSION_STAMP) is not None and session.get(SESSION_STAMP) == current


def session_is_recorded(user_id) -> bool:
    """Whether this browser session is still recorded server-side (not signed out since)."""
    return browser_sessions.is_active(session.get(browser_sessions.SESSION_ID), user_id)


def end_web_session() -> None:
    """Sign this browser out: its recorded session ends, and the cookie keeps only the
    language."""
    user = current_user._get_current_object() if current_user else None
    signed_in = user is not None and user.is_authenticated
    browser_sessions.end(session.get(browser_sessions.SESSION_ID), user.id if signed_in else None)
    logout_user()
    if signed_in:
        current_app.appbuilder.sm.on_user_logout(user)
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    g.user = current_user


def sign_out_everywhere(actor, user_id: int) -> int:
    """End every session of the user: browsers (recorded sessions and, through a new security
    stamp, any signed before), API tokens and remembered devices. Returns how many browser
    sessions were active."""
    with unit_of_work(actor):
        row = security_of(user_id, create=True)
        row.security_stamp = new_stamp()
    return browser_sessions.end_all(user_id)


# -- the pending state of the web login ----------------------------------------------------------
def epoch_now() -> int:
    return int(clock.utcnow().replace(tzinfo=dt.timezone.utc).timestamp())


def fresh(issued_at) -> bool:
    """Whether a pending login issued at `issued_at` (epoch seconds) is still within
    MFA_PENDING_MINUTES."""
    if not isinstance(issued_at, int):
        return False
    return 0 <= epoch_now() - issued_at <= current_app.config["MFA_PENDING_MINUTES"] * 60


def start_pending(user, next_url: str, must_enrol: bool) -> None:
    session[PENDING] = {
        "uid": user.id, "st": current_stamp_digest(user.id), "at": epoch_now(), "next": next_url,
        "enrol": must_enrol, "method": mfa.preferred_method(user),
    }


def pending_login() -> tuple[User | None, dict]:
    """The user half-way through signing in (password right, second factor or enrolment to
    go), or (None, {}) when there is none or it expired or the account changed meanwhile."""
    data = session.get(PENDING)
    if not isinstance(data, dict):
        return None, {}
    user = db.session.get(User, data.get("uid"))
    if (not fresh(data.get("at")) or user is None or not user.is_active
            or data.get("st") != current_stamp_digest(user.id)):
        session.pop(PENDING, None)
        return None, {}
    return user, data


def update_pending(**changes) -> None:
    data = dict(session.get(PENDING) or {})
    data.update(changes)
    session[PENDING] = data


def rate_limited_response(retry_after: int | None = None):
    """429 with a message people can act on: a page in the browser, JSON for the API."""
    minutes = max(1, -(-(retry_after or 60) // 60))
    message = _("Too many attempts. Please wait %(minutes)d minute(s) and try again.", minutes=minutes)
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = jsonify(message=message)
    else:
        from flask import render_template

        appbuilder = current_app.appbuilder
        response = current_app.make_response(render_template(
            "security/rate_limited.html", message=message, base_template=appbuilder.base_template,
            appbuilder=appbuilder))
    response.status_code = 429
    if retry_after:
        response.headers["Retry-After"] = str(int(retry_after))
    return response
