"""Tables of signing in: each user's security state (stamp, lockout, second factor), recovery
codes, one-time codes, the login history and which roles must use two-factor authentication.

The security stamp is a random string that changes whenever the user's password changes or
the user is deactivated. Web sessions, JWTs and remembered devices carry (a hash of) the stamp
they were issued under and stop working when it changes.
"""
from __future__ import annotations

import hashlib
import secrets

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, event, inspect, select
from sqlalchemy.orm import Session, relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.core.org import User
from app.extensions import db

# Second factors a user can turn on, and how each is named in the login history.
TOTP, EMAIL, SMS, RECOVERY = "totp", "email", "sms", "recovery"
METHOD_CHOICES = [(TOTP, _l("Authenticator app")), (EMAIL, _l("Code by e-mail")), (SMS, _l("Code by SMS"))]


class UserSecurity(Model):
    """One row per user who has signed in or set up a second factor."""

    __tablename__ = "user_security"

    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    security_stamp = Column(String(64), nullable=False)
    locked_until = Column(DateTime)
    # The preferred second factor; NULL means two-factor authentication is off.
    mfa_method = Column(String(16), info={"choices": METHOD_CHOICES})
    mfa_enabled_at = Column(DateTime)
    totp_secret = Column(String(64))
    # Shown on the enrolment page until the user confirms it with a code.
    totp_pending_secret = Column(String(64))
    # The last TOTP time step accepted, so a code cannot be used twice.
    totp_last_step = Column(Integer)


class RecoveryCode(Model):
    __tablename__ = "recovery_code"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash = Column(String(256), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    used_at = Column(DateTime)


class OneTimeCode(Model):
    """A 6-digit code sent by e-mail or SMS, for signing in or for turning the channel on."""

    __tablename__ = "one_time_code"
    __table_args__ = (Index("ix_one_time_code_user_purpose", "user_id", "purpose"),)

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    purpose = Column(String(16), nullable=False)    # login / enrol
    channel = Column(String(8), nullable=False)     # email / sms
    code_hash = Column(String(256), nullable=False)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    # Set when used, and when a newer code replaces this one.
    used_at = Column(DateTime)


class LoginAttempt(Model):
    """Every attempt to sign in, successful or not (the login history)."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_user", "user_id", "id"), {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    username = Column(String(256), nullable=False, default="")   # as typed
    ip = Column(String(64), nullable=False, default="")
    user_agent = Column(String(512), nullable=False, default="")
    success = Column(Boolean, nullable=False)
    reason = Column(String(32))     # why it failed: see history.REASONS
    factor = Column(String(32), nullable=False)   # see history.FACTORS
    channel = Column(String(8), nullable=False, default="web")    # web / api

    user = relationship("AppUser", foreign_keys=[user_id])


class RoleMfaPolicy(Audited, Model):
    """Roles whose members must use two-factor authentication."""

    __tablename__ = "role_mfa_policy"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    role_id = Column(Integer, ForeignKey("ab_role.id", ondelete="CASCADE"), nullable=False, unique=True)
    require_mfa = Column(Boolean, nullable=False, default=False)

    role = relationship("Role")


# -- the security stamp --------------------------------------------------------------------------
def new_stamp() -> str:
    return secrets.token_hex(16)


def stamp_digest(stamp: str | None) -> str | None:
    """What sessions, tokens and cookies carry: a short hash, never the stamp itself."""
    if not stamp:
        return None
    return hashlib.sha256(stamp.encode()).hexdigest()[:24]


def security_of(user_id: int, create: bool = False) -> UserSecurity | None:
    """The user's security row; with `create`, made (with a fresh stamp) when missing. The
    caller's transaction commits it."""
    row = db.session.get(UserSecurity, user_id)
    if row is None and create:
        row = UserSecurity(user_id=user_id, security_stamp=new_stamp())
        db.session.add(row)
        db.session.flush()
    return row


def current_stamp_digest(user_id) -> str | None:
    """The digest of the user's current stamp; None when the user never signed in (so nothing
    issued earlier can match)."""
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        return None
    stamp = db.session.scalar(select(UserSecurity.security_stamp).where(UserSecurity.user_id == uid))
    return stamp_digest(stamp)


def _changed(obj, key: str):
    """(old, new) when attribute `key` of `obj` really changed in this flush, else None."""
    hist = inspect(obj).attrs[key].history
    if not hist.has_changes():
        return None
    old = hist.deleted[0] if hist.deleted else None
    new = hist.added[0] if hist.added else None
    return None if old == new else (old, new)


@event.listens_for(Session, "before_flush")
def _rotate_stamps(session, _flush_context, _instances):
    """A new password or a deactivation ends every session, token and remembered device,
    whichever screen, API or script made the change."""
    for obj in list(session.dirty):
        if not isinstance(obj, User) or obj.id is None:
            continue
        active = _changed(obj, "active")
        if _changed(obj, "password") or (active and not active[1]):
            with session.no_autoflush:
                row = session.get(UserSecurity, obj.id)
            if row is not None:
                row.security_stamp = new_stamp()
