"""The login history: every attempt to sign in (web and API), with time, address, browser,
outcome and the factor used. Each user reads their own; administrators read everyone's."""
from __future__ import annotations

from flask import current_app, redirect, request
from flask_appbuilder import BaseView, ModelView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.core import clock
from app.core.filter_panel import ModuleSearchWidget
from app.core.webhooks import local_time
from app.extensions import db
from app.security.models import LoginAttempt

PASSWORD, TOTP_FACTOR, EMAIL_CODE, SMS_CODE, RECOVERY_CODE, DEVICE = (
    "password", "totp", "email_code", "sms_code", "recovery_code", "remembered_device")
FACTORS = {
    PASSWORD: _l("Password"),
    TOTP_FACTOR: _l("Authenticator app"),
    EMAIL_CODE: _l("Code by e-mail"),
    SMS_CODE: _l("Code by SMS"),
    RECOVERY_CODE: _l("Recovery code"),
    DEVICE: _l("Password on a remembered device"),
}
# The factor recorded for a code of each second-factor method.
FACTOR_OF_METHOD = {"totp": TOTP_FACTOR, "email": EMAIL_CODE, "sms": SMS_CODE, "recovery": RECOVERY_CODE}

REASONS = {
    "wrong_password": _l("Wrong password"),
    "unknown_user": _l("Unknown user name"),
    "inactive": _l("Account deactivated"),
    "locked": _l("Account locked"),
    "rate_limited": _l("Too many attempts"),
    "bad_code": _l("Wrong code"),
    "expired_code": _l("Code expired or used up"),
    "mfa_enrolment_required": _l("Two-factor set-up required"),
}
CHANNELS = {"web": _l("Web"), "api": _l("API")}


def client_ip() -> str:
    """The caller's address as the WSGI server (or a trusted proxy fixer) reports it."""
    return (request.remote_addr or "")[:64]


def record_attempt(user, username: str, success: bool, factor: str, reason: str | None = None,
                   channel: str = "web", ip: str | None = None, user_agent: str | None = None) -> LoginAttempt:
    """Add one history row to the caller's transaction."""
    if ip is None:
        ip = client_ip()
    if user_agent is None:
        user_agent = request.headers.get("User-Agent", "")
    row = LoginAttempt(
        at=clock.utcnow(), user_id=getattr(user, "id", None), username=(username or "")[:256],
        ip=ip[:64], user_agent=(user_agent or "")[:512], success=success, factor=factor,
        reason=None if success else reason, channel=channel,
    )
    db.session.add(row)
    return row


def history_of(user, limit: int = 50, offset: int = 0) -> list[LoginAttempt]:
    return list(db.session.scalars(
        select(LoginAttempt).where(LoginAttempt.user_id == user.id)
        .order_by(LoginAttempt.id.desc()).limit(limit).offset(offset)))


def _label(mapping):
    return lambda value: str(mapping.get(value, value or ""))


def _outcome(success) -> str:
    return _("Succeeded") if success else _("Failed")


LABELS = {
    "at": _l("Time"), "user": _l("User"), "username": _l("User name typed"), "ip": _l("IP address"),
    "user_agent": _l("Browser / client"), "success": _l("Result"), "reason": _l("Reason"),
    "factor": _l("Factor"), "channel": _l("Channel"),
}


class LoginHistoryView(ModelView):
    """Everyone's login attempts, for administrators: read only, searchable."""

    datamodel = SQLAInterface(LoginAttempt)
    route_base = "/login_history"
    class_permission_name = "login_history"
    method_permission_name = {"list": "read", "show": "read"}
    base_permissions = ["can_read"]
    list_title = show_title = _l("Login history")
    list_columns = ["at", "username", "user", "ip", "success", "factor", "reason", "channel"]
    show_columns = ["at", "username", "user", "ip", "user_agent", "success", "factor", "reason", "channel"]
    search_columns = ["at", "username", "user", "ip", "success", "factor", "reason", "channel", "user_agent"]
    order_columns = ["at", "username", "ip", "success"]
    base_order = ("id", "desc")
    label_columns = LABELS
    # The user filter searches as one types (user_choices.py) instead of listing every user.
    search_widget = ModuleSearchWidget
    relation_urls = {"user": "/user-choices/users"}
    formatters_columns = {
        "at": lambda value: local_time(value, "%Y-%m-%d %H:%M:%S"), "success": _outcome,
        "factor": _label(FACTORS), "reason": _label(REASONS), "channel": _label(CHANNELS),
    }


class MyLoginHistoryView(BaseView):
    """The signed-in user's own attempts (linked from the user menu)."""

    route_base = "/my-login-history"
    default_view = "index"
    PAGE = 50

    @expose("/")
    def index(self):
        user = current_app.appbuilder.sm.current_user
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login_with(request.full_path))
        page = max(request.args.get("page", 0, type=int), 0)
        rows = history_of(user, limit=self.PAGE, offset=page * self.PAGE)
        return self.render_template(
            "security/login_history.html", title=_("My login history"), rows=rows, page=page,
            page_size=self.PAGE, factors=FACTORS, reasons=REASONS, channels=CHANNELS)
