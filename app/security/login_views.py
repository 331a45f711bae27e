"""The web login: FAB's database login view with lockout, rate limits, login history and a
second step for users with two-factor authentication (or who must set it up first)."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.views import AuthDBView, ResetMyPasswordView
from flask_babel import gettext as _, lazy_gettext as _l

from app.security import auth, mfa
from app.security.redirects import safe_next
from app.security.lockout import RateLimited
from app.security.models import EMAIL, RECOVERY, SMS, TOTP, current_stamp_digest

METHOD_PROMPTS = {
    TOTP: _l("Enter the 6-digit code shown in your authenticator app."),
    EMAIL: _l("Enter the 6-digit code we e-mailed to you."),
    SMS: _l("Enter the 6-digit code we sent to your mobile phone."),
    RECOVERY: _l("Enter one of your recovery codes. Each code works only once."),
}
METHOD_NAMES = {TOTP: _l("Authenticator app"), EMAIL: _l("Code by e-mail"), SMS: _l("Code by SMS"),
                RECOVERY: _l("Recovery code")}
CHANNEL_ACTIONS = {EMAIL: _l("Receive codes by e-mail"), SMS: _l("Receive codes by SMS")}


class ZwtAuthDBView(AuthDBView):
    login_template = "security/login.html"

    def _get_safe_next_url(self) -> str:
        return safe_next(request.args.get("next"), self.appbuilder.get_url_for_index)

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        signed_in = g.user is not None and g.user.is_authenticated
        if signed_in and request.method == "GET":
            return redirect(self._get_safe_next_url())
        form = LoginForm_db()
        if form.validate_on_submit():
            if signed_in:
                # Whoever signs in now, the session this browser had ends first.
                auth.end_web_session()
            next_url = self._get_safe_next_url()
            try:
                result = auth.password_step(form.username.data, form.password.data, channel="web",
                                            device_cookie=request.cookies.get(mfa.DEVICE_COOKIE))
            except RateLimited as exc:
                return auth.rate_limited_response(exc.retry_after)
            if result.user is None:
                flash(str(self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            if result.complete:
                auth.complete_web_login(result.user)
                return redirect(next_url)
            auth.start_pending(result.user, next_url, must_enrol=result.must_enrol)
            if result.must_enrol:
                return redirect(url_for("MfaView.totp"))
            method = mfa.preferred_method(result.user)
            if method in (EMAIL, SMS):
                self._send(result.user, method)
            return redirect(url_for(".verify"))
        return self.render_template(self.login_template, title=self.title, form=form, appbuilder=self.appbuilder)

    def _send(self, user, method: str) -> None:
        try:
            where = auth.send_code(user, "login", method)
        except RateLimited as exc:
            flash(_("A code was sent a moment ago. You can ask for another one in %(seconds)d seconds.",
                    seconds=exc.retry_after), "warning")
        except ValueError:
            flash(_("This way of receiving codes is not available for your account."), "danger")
        else:
            flash(_("A code was sent to %(destination)s. It is valid for %(minutes)d minutes.",
                    destination=where, minutes=current_app.config["CODE_MINUTES"]), "info")

    @expose("/login/verify", methods=["GET", "POST"])
    @no_cache
    def verify(self):
        user, pending = auth.pending_login()
        if user is None:
            flash(_("Please sign in again."), "warning")
            return redirect(self.appbuilder.get_url_for_login)
        if pending.get("enrol"):
            return redirect(url_for("MfaView.totp"))
        methods = mfa.available_methods(user)
        method = request.values.get("method") or pending.get("method")
        if method not in methods:
            method = methods[0]
        if request.method == "POST":
            try:
                done = auth.second_step(user.id, method, request.form.get("code", ""), channel="web")
            except RateLimited as exc:
                return auth.rate_limited_response(exc.retry_after)
            if done is not None:
                next_url = safe_next(pending.get("next"), self.appbuilder.get_url_for_index)
                auth.complete_web_login(done)
                response = redirect(next_url)
                if request.form.get("remember") and mfa.remember_days():
                    mfa.set_device_cookie(response, done)
                return response
            flash(_("The code is not correct, or it has expired. Please try again."), "danger")
            return redirect(url_for(".verify", method=method))
        return self.render_template(
            "security/second_factor.html", title=_("Two-factor authentication"), method=method,
            methods=methods, prompt=METHOD_PROMPTS[method], names=METHOD_NAMES,
            destinations={c: mfa.mask_destination(user, c) for c in (EMAIL, SMS) if c in methods},
            remember_days=mfa.remember_days(), appbuilder=self.appbuilder)

    @expose("/login/verify/send", methods=["POST"])
    def send(self):
        user, _pending = auth.pending_login()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        method = request.form.get("method")
        if method in (EMAIL, SMS) and method in mfa.available_methods(user):
            self._send(user, method)
            auth.update_pending(method=method)
        return redirect(url_for(".verify", method=method))

    @expose("/logout/")
    def logout(self):
        auth.end_web_session()
        return redirect(current_app.config.get("LOGOUT_REDIRECT_URL", self.appbuilder.get_url_for_index))


class ZwtResetMyPasswordView(ResetMyPasswordView):
    """Changing one's own password ends one's other sessions (the stamp changes), not this one."""

    class_permission_name = "ResetMyPasswordView"

    def form_post(self, form) -> None:
        user_id = g.user.id
        super().form_post(form)
        session[auth.SESSION_STAMP] = current_stamp_digest(user_id)
