"""Screens of self-registration: the public sign-up and activation pages, the admins' list of
registrations awaiting approval, and the registration settings. Rules live in registration.py.
"""
from __future__ import annotations

import logging
import math
import time

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from limits import parse
from redis.exceptions import RedisError
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, SelectField, StringField

from app.core.datamodel import current_actor
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.names import role_label
from app.core.org import Department
from app.extensions import db
from app.security import challenge, lockout
from app.security import registration as service
from app.security.auth import rate_limited_response
from app.security.lockout import RateLimited
from app.security.registration_models import ACTIVE, AWAITING_APPROVAL, Registration, STATUS_CHOICES

log = logging.getLogger(__name__)


# -- rate limits -------------------------------------------------------------------------------
# Per client address, in the storage of the sign-in limits (the app's Redis), so every web
# worker counts against the same numbers. (config key, default) per bucket.
RATE_LIMITS = {
    "registration": ("RATE_LIMIT_REGISTRATION", "5 per hour"),             # completed sign-ups
    "registration_post": ("RATE_LIMIT_REGISTRATION_POST", "20 per hour"),  # sign-up form posts
    "registration_code": ("RATE_LIMIT_REGISTRATION_CODE", "10 per 10 minutes"),  # code checks
    "registration_resend": ("RATE_LIMIT_REGISTRATION_RESEND", "5 per hour"),  # new codes
    "contract_signing": ("RATE_LIMIT_CONTRACT_SIGNING", "60 per hour"),  # a customer's signing link: codes, tries
    "event_registration": ("RATE_LIMIT_EVENT_REGISTRATION", "30 per hour"),  # an event's public registration posts
}


def _rate(bucket: str, key, count: bool) -> None:
    if not lockout.rate_limits_enabled():
        return
    name, default = RATE_LIMITS[bucket]
    limit = parse(current_app.config.get(name, default))
    args = ("zwt", bucket, str(key or "-")[:200])
    strategy = current_app.appbuilder.sm.limiter.limiter
    try:
        # hit() counts and refuses in one step, so parallel requests cannot overshoot.
        if not (strategy.hit(limit, *args) if count else strategy.test(limit, *args)):
            reset_at = strategy.get_window_stats(limit, *args).reset_time
            raise RateLimited(max(1, math.ceil(reset_at - time.time())))
    except RedisError:
        if not current_app.config.get("RATELIMIT_SWALLOW_ERRORS", False):
            raise
        log.warning("rate-limit storage unavailable; registration is not limited", exc_info=True)


def rate_check(bucket: str, key) -> None:
    """Count one use of `bucket` by `key` (the client's address); RateLimited when used up."""
    _rate(bucket, key, count=True)


def rate_test(bucket: str, key) -> None:
    """RateLimited when `bucket` is used up for `key`, without counting (see rate_count)."""
    _rate(bucket, key, count=False)


def rate_count(bucket: str, key) -> None:
    """Count a use after the fact (e.g. only registrations that succeeded)."""
    try:
        _rate(bucket, key, count=True)
    except RateLimited:
        pass


class RegisterForm(FlaskForm):
    last_name = StringField(_l("Family name"))
    first_name = StringField(_l("Given name"))
    username = StringField(_l("User name"))
    email = StringField(_l("E-mail"))
    mobile = StringField(_l("Mobile"))
    department_id = SelectField(_l("Department"), choices=[], validate_choice=False)
    company = StringField(_l("Company"))
    password = PasswordField(_l("Password"))
    confirm_password = PasswordField(_l("Confirm password"))
    answer = StringField(_l("Answer"))


class CodeForm(FlaskForm):
    code = StringField(_l("Verification code"))
    # Shown only when the chosen one turned out to be in use.
    username = StringField(_l("User name"))
    mobile = StringField(_l("Mobile"))


class SettingsForm(FlaskForm):
    enabled = BooleanField(_l("Registration is open"))
    approval_required = BooleanField(_l("New registrations need an administrator's approval"))
    default_role_id = SelectField(_l("Role of new users"), choices=[], validate_choice=False)
    default_department_id = SelectField(_l("Department of new users who choose none"), choices=[], validate_choice=False)


def department_choices(empty_label) -> list[tuple[str, str]]:
    """Departments in tree order, indented by depth."""
    rows = db.session.scalars(select(Department).order_by(Department.path, Department.sort))
    return [("", str(empty_label))] + [(str(d.id), "\u3000" * max((d.path or "/").count("/") - 2, 0) + d.name) for d in rows]


def _attach(form, error: DomainError) -> None:
    errors = error.errors if isinstance(error, ValidationErrors) else {error.field: [error.message]}
    for field_name, messages in errors.items():
        if field_name and field_name in form:
            form[field_name].errors = list(form[field_name].errors or []) + list(messages)
        else:
            for message in messages:
                flash(message, "danger")


def _mask_email(email: str) -> str:
    local, _sep, domain = (email or "").partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _page(template: str, status: int = 200, **context):
    appbuilder = current_app.appbuilder
    html = render_template(template, base_template=appbuilder.base_template, appbuilder=appbuilder, **context)
    return make_response(html, status)


def _closed():
    return _page("registration/message.html", 403, title=_("Registration is closed"), message=_(
        "Registration is closed at the moment. Please ask your administrator for an account."))


def _refreshing() -> bool:
    return request.form.get("new_challenge") == "1"


class RegistrationView(BaseView):
    """Public: anyone may open these pages; limits and the challenge keep robots out."""

    route_base = "/register"
    default_view = "register"

    @expose("/", methods=["GET", "POST"])
    def register(self):
        if not service.registration_open():
            return _closed()
        form = RegisterForm()
        form.department_id.choices = department_choices(_l("(choose your department)"))
        if request.method == "POST" and not _refreshing():
            try:
                rate_check("registration_post", request.remote_addr)
                rate_test("registration", request.remote_addr)
            except RateLimited as exc:
                return rate_limited_response(exc.retry_after)
            if not challenge.verify(request.form.get("answer")):
                # Only the form's own checks: which names or addresses exist is said only to
                # someone who solved the challenge.
                errors = service.field_errors(request.form)
                if errors:
                    _attach(form, ValidationErrors(errors))
                form.answer.errors = [_("The answer is wrong or the question has expired. Please answer the new question.")]
            else:
                try:
                    reg = service.register(None, request.form, ip=request.remote_addr)
                except DomainError as exc:
                    _attach(form, exc)
                else:
                    rate_count("registration", request.remote_addr)
                    return redirect(url_for("RegistrationView.activate", token=reg.token))
        form.answer.data = ""
        return _page("registration/register.html", form=form, challenge_svg=challenge.issue(),
                     title=_("Create an account"))

    @expose("/activate/<token>", methods=["GET", "POST"])
    def activate(self, token):
        form = CodeForm()
        # Fields to choose again: those in use, and those the applicant is choosing again.
        choose = [name for name in ("username", "mobile") if name in request.form]
        try:
            reg = service.registration_by_token(token)
            if request.method == "POST":
                rate_check("registration_code", request.remote_addr)
                service.activate(None, token, request.form.get("code"),
                                 changes={name: request.form.get(name) for name in choose})
                return redirect(url_for("RegistrationView.done", token=token))
        except RateLimited as exc:
            return rate_limited_response(exc.retry_after)
        except NotFound as exc:
            return _page("registration/message.html", 404, title=_("Activate your account"), message=exc.message)
        except ValidationErrors as exc:
            # The code was right: it stays filled in while another name or number is chosen.
            _attach(form, exc)
            choose = [name for name in ("username", "mobile") if name in choose or name in exc.errors]
            db.session.rollback()
            reg = service.registration_by_token(token)
            for name in choose:
                if not form[name].data:
                    form[name].data = getattr(reg, name)
            return _page("registration/activate.html", form=form, token=token, email=_mask_email(reg.email),
                         wait=service.resend_wait_seconds(reg), choose=choose, code_right=True,
                         title=_("Activate your account"))
        except DomainError as exc:
            _attach(form, exc)
        form.code.data = ""
        return _page("registration/activate.html", form=form, token=token, email=_mask_email(reg.email),
                     wait=service.resend_wait_seconds(reg), choose=choose, title=_("Activate your account"))

    @expose("/activate/<token>/resend", methods=["POST"])
    def resend(self, token):
        try:
            rate_check("registration_resend", request.remote_addr)
            service.resend_code(None, token)
            flash(_("A new code has been sent. The earlier code is no longer valid."), "info")
        except RateLimited as exc:
            return rate_limited_response(exc.retry_after)
        except NotFound as exc:
            return _page("registration/message.html", 404, title=_("Activate your account"), message=exc.message)
        except DomainError as exc:
            flash(exc.message, "warning")
        return redirect(url_for("RegistrationView.activate", token=token))

    @expose("/done/<token>")
    def done(self, token):
        reg = db.session.scalar(select(Registration).where(Registration.token == token))
        if reg is not None and reg.status == ACTIVE:
            message = _("Your account is active. You can log in now with the user name %(username)s.", username=reg.username)
            return _page("registration/message.html", title=_("Account activated"), message=message, login_link=True)
        if reg is not None and reg.status == AWAITING_APPROVAL:
            return _page("registration/message.html", title=_("E-mail address confirmed"), message=_(
                "Thank you. An administrator will review your registration; you will be informed by e-mail."))
        return redirect(url_for("RegistrationView.register"))


class RegistrationAdminView(BaseView):
    """Registrations waiting for an admin's decision, and the latest decisions."""

    route_base = "/registrations"
    default_view = "pending"
    class_permission_name = "registrations"
    method_permission_name = {"pending": "read", "approve": "approve", "confirm_reject": "approve", "reject": "approve"}
    base_permissions = ["can_read", "can_approve"]

    @expose("/")
    @has_access
    def pending(self):
        return self.render_template("registration/pending.html", pending=service.awaiting_approval(),
                                    recent=service.recent_decisions(), statuses=dict(STATUS_CHOICES),
                                    title=_("Registrations"))

    @expose("/<int:pk>/approve", methods=["POST"])
    @has_access
    def approve(self, pk):
        try:
            reg = service.approve(current_actor(), pk)
            flash(_("%(name)s was approved and informed by e-mail.", name=str(reg)), "success")
        except DomainError as exc:
            flash(exc.message, "danger")
        return redirect(url_for("RegistrationAdminView.pending"))

    @expose("/<int:pk>/reject", methods=["GET"])
    @has_access
    def confirm_reject(self, pk):
        reg = db.session.get(Registration, pk)
        if reg is None or reg.status != AWAITING_APPROVAL:
            flash(_("This registration has already been decided."), "warning")
            return redirect(url_for("RegistrationAdminView.pending"))
        return self.render_template("registration/reject.html", reg=reg, title=_("Reject registration"))

    @expose("/<int:pk>/reject", methods=["POST"])
    @has_access
    def reject(self, pk):
        try:
            reg = service.reject(current_actor(), pk, request.form.get("reason", ""))
            flash(_("%(name)s was rejected and informed by e-mail.", name=str(reg)), "success")
        except DomainError as exc:
            flash(exc.message, "danger")
        return redirect(url_for("RegistrationAdminView.pending"))


class RegistrationSettingsView(BaseView):
    route_base = "/registration_settings"
    default_view = "edit"
    class_permission_name = "registration_settings"
    method_permission_name = {"edit": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    def _form(self, settings=None):
        form = SettingsForm()
        default_name = current_app.config.get("REGISTRATION_DEFAULT_ROLE", "ReadOnly")
        form.default_role_id.choices = [("", _("%(role)s (default)", role=role_label(default_name)))] + [
            (str(r.id), role_label(r.name)) for r in service.assignable_roles()]
        form.default_department_id.choices = department_choices(_l("(none)"))
        if settings is not None:
            form.enabled.data, form.approval_required.data = settings.enabled, settings.approval_required
            form.default_role_id.data = str(settings.default_role_id or "")
            form.default_department_id.data = str(settings.default_department_id or "")
        return form

    @expose("/", methods=["GET"])
    @has_access
    def edit(self):
        return self.render_template("registration/settings.html", form=self._form(service.get_settings()),
                                    title=_("Registration settings"))

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        form = self._form()
        as_id = lambda value: int(value) if str(value or "").isdigit() else None  # noqa: E731
        try:
            service.update_settings(current_actor(), enabled=form.enabled.data, approval_required=form.approval_required.data,
                                    default_role_id=as_id(form.default_role_id.data),
                                    default_department_id=as_id(form.default_department_id.data))
        except DomainError as exc:
            _attach(form, exc)
            return self.render_template("registration/settings.html", form=form, title=_("Registration settings"))
        flash(_("Registration settings saved."), "success")
        return redirect(url_for("RegistrationSettingsView.edit"))


def register_views(appbuilder) -> None:
    """Called once from create_app after the registry has built the module screens."""
    # For the login page's link to the sign-up page.
    current_app.jinja_env.globals["registration_open"] = service.registration_open
    appbuilder.add_view_no_menu(RegistrationView)
    appbuilder.add_view(RegistrationAdminView, "menu:registrations", label=_l("Registrations"), icon="fa-user-plus",
                        category="Security", category_label=_l("Security"))
    appbuilder.add_view(RegistrationSettingsView, "menu:registration_settings", label=_l("Registration settings"),
                        icon="fa-sliders", category="Security", category_label=_l("Security"))
