"""Self-registration: sign up, activation by an e-mailed 6-digit code, optional approval by an
admin, and the settings that govern it. Every step is a service function taking an explicit
actor (None for the anonymous applicant); the screens are in registration_views.py.

Which accounts exist is not revealed. A sign-up whose form is right is answered the same way
whether its user name, e-mail address or mobile number is free or not: "we have sent a code
to …".
- An e-mail address that already has an account (or an open registration) gets no code: its
  owner is mailed instead that someone tried to register with it. The registration can never
  be activated (its code was never sent) and lapses like any other.
- A user name or mobile number already in use is said so only after the code was entered,
  i.e. to someone who owns the mailbox, who then chooses another on the activation page
  without losing the registration. Between open registrations the earlier one keeps it.
Probing therefore needs a mailbox per try, on top of the challenge and the per-address limits.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale, gettext as _, ngettext
from sqlalchemy import func, or_, select, update
from werkzeug.security import generate_password_hash

from app.core import clock
from app.core.errors import DomainError, Forbidden, NotFound, ValidationErrors
from app.core.notify import notify, send_mail
from app.core.org import Department, User
from app.core.transaction import unit_of_work
from app.extensions import db
from app.security.registration_models import (
    ACTIVE, AWAITING_APPROVAL, PENDING, REJECTED, Registration, RegistrationSettings,
)

CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_CODE_TRIES = 5
RESEND_COOLDOWN = dt.timedelta(seconds=60)
# An unactivated registration holds its user name, e-mail and mobile this long, then lapses.
PENDING_LIFETIME = dt.timedelta(hours=24)
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Where admins decide; a path, because services build no URLs from requests.
PENDING_LIST_PATH = "/registrations/"
FIELDS = ("last_name", "first_name", "username", "email", "mobile", "department_id", "company",
          "password", "confirm_password")

# -- settings ----------------------------------------------------------------------------------
def get_settings() -> RegistrationSettings:
    """The current settings; the defaults (open, no approval) until an admin saves them."""
    row = db.session.get(RegistrationSettings, 1)
    if row is None:
        row = RegistrationSettings(id=1, enabled=True, approval_required=False)
    return row


def registration_open() -> bool:
    return bool(get_settings().enabled)


def default_role(settings: RegistrationSettings | None = None):
    sm = current_app.appbuilder.sm
    settings = settings or get_settings()
    role = db.session.get(sm.role_model, settings.default_role_id) if settings.default_role_id else None
    return role or sm.find_role(current_app.config.get("REGISTRATION_DEFAULT_ROLE", "ReadOnly"))


def assignable_roles() -> list:
    """Roles a self-registered user may get: never the admin or the anonymous role."""
    sm = current_app.appbuilder.sm
    excluded = {current_app.config["AUTH_ROLE_ADMIN"], current_app.config["AUTH_ROLE_PUBLIC"]}
    return [r for r in db.session.scalars(select(sm.role_model).order_by(sm.role_model.name)) if r.name not in excluded]


def update_settings(actor, *, enabled: bool, approval_required: bool, default_role_id: int | None,
                    default_department_id: int | None, now: dt.datetime | None = None) -> RegistrationSettings:
    if actor is None:
        raise Forbidden("registration.settings_forbidden", _("Only an administrator can change these settings."))
    with unit_of_work(actor):
        if default_role_id is not None and default_role_id not in {r.id for r in assignable_roles()}:
            raise DomainError("registration.bad_role", _("Choose one of the listed roles."), field="default_role_id")
        if default_department_id is not None and db.session.get(Department, default_department_id) is None:
            raise DomainError("registration.bad_department", _("Choose one of the listed departments."),
                              field="default_department_id")
        row = db.session.get(RegistrationSettings, 1)
        if row is None:
            row = RegistrationSettings(id=1)
            db.session.add(row)
        row.enabled, row.approval_required = bool(enabled), bool(approval_required)
        row.default_role_id, row.default_department_id = default_role_id, default_department_id
        row.changed_at = now or clock.utcnow()
    return row


# -- sign-up -----------------------------------------------------------------------------------
def normalise_mobile(value: str) -> str:
    """13912345678 from '139 1234 5678', '139-1234-5678', '+86 13912345678' or '8613912345678'."""
    return re.sub(r"^(\+86|86(?=\d{11}$))", "", re.sub(r"[\s\-()]", "", value or ""))


def _validate(data) -> tuple[dict, dict[str, list[str]]]:
    """Field checks that need no database; returns the cleaned values and {field: [messages]}."""
    get = lambda key: str(data.get(key) or "").strip()  # noqa: E731
    clean = {key: get(key) for key in FIELDS}
    clean["password"], clean["confirm_password"] = str(data.get("password") or ""), str(data.get("confirm_password") or "")
    errors: dict[str, list[str]] = {}

    def fail(field, message):
        errors.setdefault(field, []).append(message)

    for field, message in (("last_name", _("Please enter your family name.")),
                           ("first_name", _("Please enter your given name."))):
        if not clean[field]:
            fail(field, message)
        elif len(clean[field]) > 64:
            fail(field, _("At most %(num)d characters.", num=64))
    if not clean["username"]:
        fail("username", _("Please choose a user name."))
    elif not USERNAME_RE.match(clean["username"]):
        fail("username", _("3 to 64 letters, digits or . _ - @, starting with a letter or digit."))
    if not clean["email"]:
        fail("email", _("Please enter your e-mail address."))
    else:
        try:
            clean["email"] = validate_email(clean["email"], check_deliverability=False).normalized
        except EmailNotValidError:
            fail("email", _("This is not a valid e-mail address."))
        if len(clean["email"]) > 254:
            fail("email", _("At most %(num)d characters.", num=254))
    clean["mobile"] = normalise_mobile(clean["mobile"])
    if not clean["mobile"]:
        fail("mobile", _("Please enter your mobile number."))
    elif not MOBILE_RE.match(clean["mobile"]):
        fail("mobile", _("Please enter an 11-digit mainland China mobile number, e.g. 13912345678."))
    department_id = clean["department_id"]
    clean["department_id"] = int(department_id) if department_id.isdigit() else None
    if department_id and (clean["department_id"] is None or db.session.get(Department, clean["department_id"]) is None):
        fail("department_id", _("Choose one of the listed departments."))
    elif clean["department_id"] is None and not clean["company"]:
        fail("department_id", _("Choose your department or enter your company."))
    if len(clean["company"]) > 200:
        fail("company", _("At most %(num)d characters.", num=200))
    if not clean["password"]:
        fail("password", _("Please choose a password."))
    else:
        from app.security.passwords import check_password_policy

        for message in check_password_policy(clean["password"], clean["username"]):
            fail("password", message)
        if clean["password"] != clean["confirm_password"]:
            fail("confirm_password", _("The two passwords do not match."))
    return clean, errors


def field_errors(data) -> dict[str, list[str]]:
    """The form's own checks, without looking for duplicates."""
    return _validate(data)[1]


def _open_registrations():
    return select(Registration.id).where(Registration.status.in_([PENDING, AWAITING_APPROVAL]))


def _exists(stmt) -> bool:
    return db.session.scalar(stmt.limit(1)) is not None


def _email_holder(email: str, reg_id: int):
    """The user, or the earlier open registration, that already has this e-mail address."""
    email = (email or "").lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email).limit(1))
    if user is not None:
        return user
    return db.session.scalar(select(Registration).where(
        Registration.status.in_([PENDING, AWAITING_APPROVAL]), Registration.id < reg_id,
        func.lower(Registration.email) == email).order_by(Registration.id).limit(1))


def _taken(reg: Registration) -> dict[str, list[str]]:
    """{field: [message]} for the user name and mobile number of `reg` that a user or an
    earlier open registration already has."""
    errors: dict[str, list[str]] = {}
    earlier = _open_registrations().where(Registration.id < reg.id)
    name = reg.username.lower()
    if _exists(select(User.id).where(func.lower(User.username) == name)) or \
            _exists(earlier.where(func.lower(Registration.username) == name)):
        errors["username"] = [_("This user name is already taken. Please choose another.")]
    if _exists(select(User.id).where(User.mobile == reg.mobile)) or \
            _exists(earlier.where(Registration.mobile == reg.mobile)):
        errors["mobile"] = [_("Another user is already registered using this mobile number.")]
    return errors


def _purge_lapsed(now: dt.datetime) -> None:
    """Unactivated registrations past PENDING_LIFETIME give their names and addresses back."""
    lapsed = select(Registration).where(Registration.status == PENDING,
                                        Registration.created_at < now - PENDING_LIFETIME)
    for reg in db.session.scalars(lapsed):
        db.session.delete(reg)
    db.session.flush()


def register(actor, data, *, ip: str | None = None, now: dt.datetime | None = None) -> Registration:
    """Record a registration and e-mail its activation code. All field problems are reported at
    once (ValidationErrors); on any refusal nothing is written."""
    now = now or clock.utcnow()
    if not registration_open():
        raise Forbidden("registration.closed", _("Registration is closed."))
    clean, errors = _validate(data)
    if errors:
        raise ValidationErrors(errors, code="registration.invalid")
    with unit_of_work(actor) as uow:
        _purge_lapsed(now)
        cfg = current_app.config
        reg = Registration(
            token=secrets.token_urlsafe(24), status=PENDING, created_at=now, ip=(ip or "")[:64] or None,
            username=clean["username"], first_name=clean["first_name"], last_name=clean["last_name"],
            email=clean["email"], mobile=clean["mobile"], department_id=clean["department_id"],
            company=clean["company"] or None,
            password_hash=generate_password_hash(clean["password"], method=cfg.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                                 salt_length=cfg.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16)),
        )
        db.session.add(reg)
        db.session.flush()
        _send_new_code(uow, reg, now)
    return reg


# -- activation code ---------------------------------------------------------------------------
def _code_digest(token: str, code: str) -> str:
    # Keyed, so a copy of the database does not give the 10**6 codes away to a brute force.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"registration:{token}:{code}".encode(), hashlib.sha256).hexdigest()


def _send_new_code(uow, reg: Registration, now: dt.datetime) -> None:
    """A new code for `reg`, mailed to its address — unless the address belongs to someone
    else already: then the code goes nowhere and the address's owner is told instead."""
    code = f"{secrets.randbelow(10 ** 6):06d}"
    reg.code_hash = _code_digest(reg.token, code)
    reg.code_sent_at, reg.code_expires_at, reg.code_attempts = now, now + CODE_LIFETIME, 0
    holder = _email_holder(reg.email, reg.id)
    if holder is not None:
        _tell_address_owner(uow, reg, holder)
        return
    app_name = current_app.config.get("APP_NAME", "")
    send_mail(uow, reg.email, _("%(app)s: your verification code %(code)s", app=app_name, code=code), _(
        "Hello %(name)s,\n\nyour verification code is %(code)s. It is valid for %(minutes)d minutes "
        "and can be tried %(tries)d times.\n\nIf you did not register with %(app)s, ignore this e-mail: "
        "no account is created without the code.",
        name=reg.display_name, code=code, minutes=int(CODE_LIFETIME.total_seconds() // 60),
        tries=MAX_CODE_TRIES, app=app_name))


def _tell_address_owner(uow, reg: Registration, holder) -> None:
    # In the app's language: the reader is the address's owner, not whoever filled in the form.
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        _mail_address_owner(uow, reg, holder)


def _mail_address_owner(uow, reg: Registration, holder) -> None:
    app_name = current_app.config.get("APP_NAME", "")
    subject = _("%(app)s: someone tried to register with your e-mail address", app=app_name)
    if isinstance(holder, User):
        body = _(
            "Hello %(name)s,\n\nsomeone, perhaps you, tried to create a new account with %(app)s using this e-mail "
            "address. You already have an account, with the user name %(username)s: please log in with it. If you "
            "forgot your password, ask your administrator to reset it.\n\nIf this was not you, ignore this e-mail: "
            "no account was created and nothing was changed.",
            name=f"{holder.last_name or ''}{holder.first_name or ''}".strip() or holder.username, app=app_name,
            username=holder.username)
    else:
        body = _(
            "Hello %(name)s,\n\nsomeone, perhaps you, tried to register with %(app)s again using this e-mail address. "
            "A registration with this address (user name %(username)s) is already waiting: enter the code from our "
            "earlier e-mail on its page, or ask for a new code there.\n\nIf this was not you, ignore this e-mail: "
            "nothing was changed.",
            name=holder.display_name, app=app_name, username=holder.username)
    send_mail(uow, reg.email, subject, body)


def registration_by_token(token: str, now: dt.datetime | None = None) -> Registration:
    """An unactivated, unlapsed registration, or NotFound."""
    now = now or clock.utcnow()
    reg = db.session.scalar(select(Registration).where(Registration.token == str(token or ""))
                            .execution_options(populate_existing=True))
    if reg is None or reg.status != PENDING or reg.created_at < now - PENDING_LIFETIME:
        raise NotFound("registration.not_found",
                       _("This registration does not exist, has lapsed or was already completed. Please register again."))
    return reg


def resend_code(actor, token: str, *, now: dt.datetime | None = None) -> Registration:
    """A new code (the old one becomes void), at most once per RESEND_COOLDOWN."""
    now = now or clock.utcnow()
    with unit_of_work(actor) as uow:
        # Claim the send first, in one statement, so two clicks cannot both send.
        claimed = db.session.execute(
            update(Registration)
            .where(Registration.token == str(token or ""), Registration.status == PENDING,
                   or_(Registration.code_sent_at.is_(None), Registration.code_sent_at <= now - RESEND_COOLDOWN))
            .values(code_sent_at=now).execution_options(synchronize_session=False)
        ).rowcount
        reg = registration_by_token(token, now)
        if not claimed:
            wait = math.ceil((reg.code_sent_at + RESEND_COOLDOWN - now).total_seconds())
            raise DomainError("registration.resend_too_soon",
                              ngettext("Please wait %(num)d second before requesting a new code.",
                                       "Please wait %(num)d seconds before requesting a new code.", wait))
        _send_new_code(uow, reg, now)
    return reg


def resend_wait_seconds(reg: Registration, now: dt.datetime | None = None) -> int:
    if reg.code_sent_at is None:
        return 0
    return max(0, math.ceil((reg.code_sent_at + RESEND_COOLDOWN - (now or clock.utcnow())).total_seconds()))


def _apply_changes(reg: Registration, changes: dict | None) -> dict[str, list[str]]:
    """Take the user name and mobile number chosen on the activation page (when they were in
    use); returns {field: [message]} for values that cannot be taken."""
    from werkzeug.security import check_password_hash

    changes = changes or {}
    errors: dict[str, list[str]] = {}
    username = str(changes.get("username") or "").strip()
    if username and username != reg.username:
        if not USERNAME_RE.match(username):
            errors["username"] = [_("3 to 64 letters, digits or . _ - @, starting with a letter or digit.")]
        elif reg.password_hash and check_password_hash(reg.password_hash, username):
            errors["username"] = [_("The password must not be or contain the user name.")]
        else:
            reg.username = username
    mobile = normalise_mobile(str(changes.get("mobile") or ""))
    if mobile and mobile != reg.mobile:
        if not MOBILE_RE.match(mobile):
            errors["mobile"] = [_("Please enter an 11-digit mainland China mobile number, e.g. 13912345678.")]
        else:
            reg.mobile = mobile
    return errors


def activate(actor, token: str, code: str, *, changes: dict | None = None,
             now: dt.datetime | None = None) -> Registration:
    """Check the code; on success the account is created (or waits for approval).

    Every check uses up one of MAX_CODE_TRIES, counted in the database in one statement so
    that parallel guesses cannot exceed it; a wrong code's try is kept although the call fails.
    A right code whose registration's user name or mobile number is in use (or `changes` that
    cannot be taken) raises ValidationErrors for those fields and changes nothing: the code and
    its tries stay as they were, for the applicant to choose another (`changes`).
    """
    now = now or clock.utcnow()
    code = re.sub(r"\s", "", str(code or "")).translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    refusal = None
    with unit_of_work(actor) as uow:
        consumed = db.session.execute(
            update(Registration)
            .where(Registration.token == str(token or ""), Registration.status == PENDING,
                   Registration.code_hash.is_not(None), Registration.code_attempts < MAX_CODE_TRIES)
            .values(code_attempts=Registration.code_attempts + 1).execution_options(synchronize_session=False)
        ).rowcount
        reg = registration_by_token(token, now)
        if not consumed:
            raise DomainError("registration.code_void", _("This code is no longer valid. Please request a new code."), field="code")
        if now > reg.code_expires_at:
            refusal = DomainError("registration.code_expired", _("This code has expired. Please request a new code."), field="code")
        elif not hmac.compare_digest(reg.code_hash, _code_digest(reg.token, code)):
            left = MAX_CODE_TRIES - reg.code_attempts
            if left <= 0:
                reg.code_hash = None
                refusal = DomainError("registration.code_void", _(
                    "Wrong code. It has been tried too often and is now void; please request a new code."), field="code")
            else:
                refusal = DomainError("registration.wrong_code", ngettext(
                    "Wrong code. %(num)d try left.", "Wrong code. %(num)d tries left.", left), field="code")
        else:
            errors = _apply_changes(reg, changes)
            errors = {**_taken(reg), **errors}
            if errors:
                raise ValidationErrors(errors, code="registration.in_use")
            reg.code_hash, reg.activated_at = None, now
            settings = get_settings()
            if settings.approval_required:
                reg.status = AWAITING_APPROVAL
                notify(uow, _admins(), _("New registration awaiting approval"), _(
                    "%(name)s (user name %(username)s, %(email)s) confirmed the e-mail address and waits for "
                    "your approval.", name=reg.display_name, username=reg.username, email=reg.email),
                    link=PENDING_LIST_PATH)
            else:
                _create_account(reg, settings)
    if refusal is not None:
        raise refusal
    return reg


# -- accounts and approval ---------------------------------------------------------------------
def _admins() -> list:
    role = current_app.appbuilder.sm.find_role(current_app.config["AUTH_ROLE_ADMIN"])
    return [] if role is None else list(db.session.scalars(
        select(User).where(User.roles.any(id=role.id), User.active.is_(True))))


def _create_account(reg: Registration, settings: RegistrationSettings) -> None:
    role = default_role(settings)
    if role is None:
        raise DomainError("registration.no_role", _("No role is configured for new users. Please ask an administrator."))
    password_hash, reg.status, reg.password_hash = reg.password_hash, ACTIVE, None
    user = current_app.appbuilder.sm.add_user(reg.username, reg.first_name, reg.last_name, reg.email, role,
                                              hashed_password=password_hash, commit=False)
    if not user:
        # Unique user name / e-mail taken since the registration was checked (FAB has rolled
        # the transaction back already; the caller's unit of work ends with the error).
        raise DomainError("registration.taken", _(
            "The user name or e-mail address has been taken by another account in the meantime."))
    user.department_id = reg.department_id or settings.default_department_id
    user.mobile = reg.mobile
    reg.user_id = user.id


def _for_decision(registration_id: int) -> Registration:
    reg = db.session.scalar(select(Registration).where(Registration.id == registration_id)
                            .with_for_update().execution_options(populate_existing=True))
    if reg is None:
        raise NotFound("registration.not_found", _("This registration does not exist."))
    if reg.status != AWAITING_APPROVAL:
        raise DomainError("registration.decided", _("This registration has already been decided."))
    return reg


def approve(actor, registration_id: int, *, now: dt.datetime | None = None) -> Registration:
    if actor is None:
        raise Forbidden("registration.forbidden", _("Only an administrator can decide on registrations."))
    now = now or clock.utcnow()
    with unit_of_work(actor) as uow:
        reg = _for_decision(registration_id)
        _create_account(reg, get_settings())
        reg.decided_at, reg.decided_by_id = now, actor.id
        app_name = current_app.config.get("APP_NAME", "")
        send_mail(uow, reg.email, _("%(app)s: your registration was approved", app=app_name), _(
            "Hello %(name)s,\n\nyour registration was approved. You can now log in with the user name %(username)s.",
            name=reg.display_name, username=reg.username))
    return reg


def reject(actor, registration_id: int, reason: str = "", *, now: dt.datetime | None = None) -> Registration:
    if actor is None:
        raise Forbidden("registration.forbidden", _("Only an administrator can decide on registrations."))
    now = now or clock.utcnow()
    reason = (reason or "").strip()[:500]
    with unit_of_work(actor) as uow:
        reg = _for_decision(registration_id)
        reg.status, reg.password_hash = REJECTED, None
        reg.decided_at, reg.decided_by_id, reg.decision_note = now, actor.id, reason or None
        app_name = current_app.config.get("APP_NAME", "")
        body = _("Hello %(name)s,\n\nyour registration with %(app)s was not approved.", name=reg.display_name, app=app_name)
        if reason:
            body += "\n\n" + _("Reason: %(reason)s", reason=reason)
        send_mail(uow, reg.email, _("%(app)s: your registration was not approved", app=app_name), body)
    return reg


def awaiting_approval() -> list[Registration]:
    return list(db.session.scalars(select(Registration).where(Registration.status == AWAITING_APPROVAL)
                                   .order_by(Registration.activated_at, Registration.id)))


def recent_decisions(limit: int = 50) -> list[Registration]:
    return list(db.session.scalars(select(Registration).where(Registration.status.in_([ACTIVE, REJECTED]))
                                   .order_by(Registration.id.desc()).limit(limit)))
