"""Second factors: authenticator apps (TOTP), one-time codes by e-mail or SMS, recovery codes,
the per-role requirement and remembered devices.

Codes are stored only as hashes. A TOTP code is accepted once (the last accepted time step is
kept); an e-mail / SMS code is good for CODE_MINUTES and CODE_MAX_TRIES tries, and a newer code
replaces an older one; each recovery code works once.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.core import clock
from app.core.notify import send_mail
from app.core.transaction import unit_of_work
from app.extensions import db
from app.security.models import (EMAIL, RECOVERY, SMS, TOTP, OneTimeCode, RecoveryCode, RoleMfaPolicy, UserSecurity,
                                 current_stamp_digest, security_of)
from app.security.sms import send_sms

RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"   # nothing that reads as another letter
RECOVERY_COUNT = 10
DEVICE_COOKIE = "zwt_device"
OK, BAD, EXPIRED = "ok", "bad", "expired"


def _hash(secret: str) -> str:
    cfg = current_app.config
    return generate_password_hash(secret, method=cfg.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                  salt_length=cfg.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))


def _digits(code) -> str:
    return "".join(ch for ch in str(code or "") if not ch.isspace())


# -- policy --------------------------------------------------------------------------------------
def mfa_enabled(user) -> bool:
    row = security_of(user.id)
    return bool(row is not None and row.mfa_method)


def mfa_required(user) -> bool:
    """Whether one of the user's roles requires two-factor authentication."""
    role_ids = [role.id for role in user.roles]
    if not role_ids:
        return False
    return bool(db.session.scalar(select(func.count()).select_from(RoleMfaPolicy).where(
        RoleMfaPolicy.role_id.in_(role_ids), RoleMfaPolicy.require_mfa.is_(True))))


def set_required_roles(actor, role_ids: set[int]) -> None:
    """Exactly the roles in `role_ids` require two-factor authentication (audited)."""
    role_model = current_app.appbuilder.sm.role_model
    with unit_of_work(actor):
        valid = set(db.session.scalars(select(role_model.id).where(role_model.id.in_(role_ids)))) if role_ids else set()
        policies = {p.role_id: p for p in db.session.scalars(select(RoleMfaPolicy))}
        for role_id, policy in policies.items():
            policy.require_mfa = role_id in valid
        for role_id in valid - set(policies):
            db.session.add(RoleMfaPolicy(role_id=role_id, require_mfa=True))


def preferred_method(user) -> str | None:
    row = security_of(user.id)
    return row.mfa_method if row is not None else None


def channel_available(user, channel: str) -> bool:
    if channel == EMAIL:
        return bool(user.email) and not user.email.endswith(".invalid")
    if channel == SMS:
        return bool(getattr(user, "mobile", None))
    return False


def available_methods(user) -> list[str]:
    """The factors the user can sign in with now, preferred first."""
    row = security_of(user.id)
    if row is None or not row.mfa_method:
        return []
    methods = [TOTP] if row.totp_secret else []
    methods += [c for c in (EMAIL, SMS) if channel_available(user, c)]
    if remaining_recovery_codes(user):
        methods.append(RECOVERY)
    if row.mfa_method in methods:
        methods.remove(row.mfa_method)
        methods.insert(0, row.mfa_method)
    return methods


def enable_method(user, method: str, now: dt.datetime | None = None) -> list[str]:
    """Make `method` the user's second factor; returns a fresh set of recovery codes, which
    the caller shows once."""
    row = security_of(user.id, create=True)
    if not row.mfa_method:
        row.mfa_enabled_at = now or clock.utcnow()
    row.mfa_method = method
    return new_recovery_codes(user)


def disable_mfa(user) -> None:
    row = security_of(user.id)
    if row is not None:
        row.mfa_method = row.mfa_enabled_at = row.totp_secret = row.totp_pending_secret = None
        row.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def mask_destination(user, channel: str) -> str:
    """138****8001 / zh***@example.com: enough to recognise, not enough to harvest."""
    if channel == SMS:
        mobile = user.mobile or ""
        return mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 8 else "****"
    local, _sep, domain = (user.email or "").partition("@")
    return f"{local[:2]}***@{domain}"


# -- TOTP ----------------------------------------------------------------------------------------
def totp_enrolment(user) -> tuple[str, str]:
    """(secret, otpauth URI) shown on the enrolment page; the same until confirmed."""
    import pyotp   # TOTP only where a second factor is set up or checked

    row = security_of(user.id, create=True)
    if not row.totp_pending_secret:
        row.totp_pending_secret = pyotp.random_base32()
    issuer = current_app.config.get("APP_NAME") or "ZhangWuTong"
    uri = pyotp.TOTP(row.totp_pending_secret).provisioning_uri(name=user.username, issuer_name=issuer)
    return row.totp_pending_secret, uri


def qr_svg(text: str) -> Markup:
    """The QR code of `text` as inline SVG, drawn here (no outside service sees the secret)."""
    import segno

    svg = segno.make(text, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return Markup(svg)


def _step(now: dt.datetime) -> int:
    return int(now.replace(tzinfo=dt.timezone.utc).timestamp()) // 30


def _totp_step_matching(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step (now ± one, for clock drift) whose code is `code`, if any."""
    import pyotp

    totp, current = pyotp.TOTP(secret), _step(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_totp(user, code, now: dt.datetime | None = None) -> list[str] | None:
    """Turn the pending secret on when `code` matches it; returns the new recovery codes."""
    now = now or clock.utcnow()
    row = security_of(user.id)
    if row is None or not row.totp_pending_secret:
        return None
    step = _totp_step_matching(row.totp_pending_secret, _digits(code), now)
    if step is None:
        return None
    row.totp_secret, row.totp_pending_secret, row.totp_last_step = row.totp_pending_secret, None, step
    return enable_method(user, TOTP, now)


def verify_totp(user, code, now: dt.datetime | None = None) -> bool:
    row = security_of(user.id)
    if row is None or not row.totp_secret:
        return False
    step = _totp_step_matching(row.totp_secret, _digits(code), now or clock.utcnow())
    if step is None or (row.totp_last_step is not None and step <= row.totp_last_step):
        return False
    # Only one request may accept this step: the UPDATE matches only while it is still newer.
    taken = db.session.execute(
        update(UserSecurity).where(UserSecurity.user_id == user.id,
                                   UserSecurity.totp_last_step.is_(None) | (UserSecurity.totp_last_step < step))
        .values(totp_last_step=step)).rowcount
    return bool(taken)


# -- recovery codes ------------------------------------------------------------------------------
def _normalise_recovery(code) -> str:
    return "".join(ch for ch in str(code or "").lower() if ch.isalnum())


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_COUNT new ones (returned in clear once)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _n in range(RECOVERY_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw), created_at=clock.utcnow()))
    return codes


def remaining_recovery_codes(user) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def use_recovery_code(user, code, now: dt.datetime | None = None) -> bool:
    wanted = _normalise_recovery(code)
    if len(wanted) != 10:
        return False
    for row in db.session.scalars(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
            .execution_options(populate_existing=True)):
        if check_password_hash(row.code_hash, wanted):
            # Conditional, so two requests with the same code cannot both use it.
            used = db.session.execute(
                update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now or clock.utcnow())).rowcount
            return bool(used)
    return False


# -- one-time codes by e-mail / SMS ----------------------------------------------------------------
def issue_code(uow, user, purpose: str, channel: str, now: dt.datetime | None = None) -> str:
    """Send a new 6-digit code (replacing any unused one of the same purpose); returns it."""
    now = now or clock.utcnow()
    cfg = current_app.config
    db.session.execute(update(OneTimeCode).where(
        OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None))
        .values(used_at=now))
    code = f"{secrets.randbelow(1_000_000):06d}"
    minutes = cfg["CODE_MINUTES"]
    db.session.add(OneTimeCode(user_id=user.id, purpose=purpose, channel=channel, code_hash=_hash(code),
                               created_at=now, expires_at=now + dt.timedelta(minutes=minutes), attempts=0))
    app_name = cfg.get("APP_NAME") or "ZhangWuTong"
    text = _("Your %(app)s verification code is %(code)s. It is valid for %(minutes)d minutes; "
             "do not tell it to anyone.", app=app_name, code=code, minutes=minutes)
    if channel == SMS:
        send_sms(uow, user.mobile, text)
    else:
        send_mail(uow, user.email, _("%(app)s verification code", app=app_name), text)
    return code


def verify_code(user, purpose: str, channel: str, code, now: dt.datetime | None = None) -> str:
    """OK, BAD (wrong; a try is used up) or EXPIRED (none valid: expired, used, tries used up)."""
    now = now or clock.utcnow()
    row = db.session.scalar(select(OneTimeCode).where(
        OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose, OneTimeCode.channel == channel,
        OneTimeCode.used_at.is_(None)).order_by(OneTimeCode.id.desc()).limit(1)
        .execution_options(populate_existing=True))
    max_tries = current_app.config["CODE_MAX_TRIES"]
    if row is None or row.expires_at <= now or row.attempts >= max_tries:
        return EXPIRED
    # Count the try first and atomically, so parallel guesses cannot exceed the allowance.
    counted = db.session.execute(
        update(OneTimeCode).where(OneTimeCode.id == row.id, OneTimeCode.attempts < max_tries,
                                  OneTimeCode.used_at.is_(None))
        .values(attempts=OneTimeCode.attempts + 1)).rowcount
    if not counted:
        return EXPIRED
    if not check_password_hash(row.code_hash, _digits(code)):
        return BAD
    used = db.session.execute(update(OneTimeCode).where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None))
                              .values(used_at=now)).rowcount
    return OK if used else EXPIRED


# -- remembered devices --------------------------------------------------------------------------
def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="zwt.remember-device")


def remember_days() -> int:
    return int(current_app.config.get("MFA_REMEMBER_DAYS") or 0)


def _device_binding(user) -> dict:
    """What a remembered device is bound to: the user, their security stamp and the moment 2FA
    was turned on (switching it off and on again forgets devices too)."""
    row = security_of(user.id)
    enabled = row.mfa_enabled_at.isoformat() if row is not None and row.mfa_enabled_at else None
    return {"u": user.id, "s": current_stamp_digest(user.id), "e": enabled}


def device_cookie_value(user) -> str:
    return _device_serializer().dumps(_device_binding(user))


def device_remembered(user, cookie_value: str | None) -> bool:
    """Whether the cookie was issued to this user, within MFA_REMEMBER_DAYS, under the current
    security stamp (a password change forgets every device)."""
    days = remember_days()
    if not days or not cookie_value:
        return False
    try:
        data = _device_serializer().loads(cookie_value, max_age=days * 86400)
    except BadSignature:
        return False
    expected = _device_binding(user)
    return expected["s"] is not None and expected["e"] is not None and data == expected


def set_device_cookie(response, user) -> None:
    cfg = current_app.config
    response.set_cookie(DEVICE_COOKIE, device_cookie_value(user), max_age=remember_days() * 86400,
                        httponly=True, secure=cfg.get("SESSION_COOKIE_SECURE", False), samesite="Lax")
