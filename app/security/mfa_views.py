"""Screens of two-factor authentication: each user's settings and enrolment (also reached, before
the login completes, by a user whose role requires 2FA), and the administrators' per-role
requirement."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import no_cache
from flask_babel import gettext as _
from werkzeug.security import check_password_hash

from app.core.datamodel import current_actor
from app.core.transaction import unit_of_work
from app.extensions import db
from app.security import auth, lockout, mfa
from app.security.history import FACTOR_OF_METHOD, record_attempt
from app.security.lockout import RateLimited
from app.security.login_views import CHANNEL_ACTIONS, METHOD_NAMES
from app.security.models import EMAIL, SMS, TOTP, RoleMfaPolicy, security_of
from app.security.redirects import safe_next


class MfaView(BaseView):
    route_base = "/mfa"
    default_view = "index"

    def _subject(self):
        """(user, forced): the signed-in user, or the user whose login waits for enrolment."""
        user = current_actor()
        if user is not None:
            return user, False
        pending, data = auth.pending_login()
        if pending is not None and data.get("enrol"):
            return pending, True
        return None, False

    def _to_login(self):
        return redirect(self.appbuilder.get_url_for_login_with(request.full_path))

    @expose("/")
    def index(self):
        user, forced = self._subject()
        if user is None:
            return self._to_login()
        if forced:
            return redirect(url_for(".totp"))
        row = security_of(user.id)
        return self.render_template(
            "security/mfa_settings.html", title=_("Two-factor authentication"),
            method=row.mfa_method if row else None, names=METHOD_NAMES, actions=CHANNEL_ACTIONS,
            has_totp=bool(row and row.totp_secret),
            channels={c: mfa.mask_destination(user, c) for c in (EMAIL, SMS) if mfa.channel_available(user, c)},
            remaining=mfa.remaining_recovery_codes(user), required=mfa.mfa_required(user))

    # -- authenticator app -----------------------------------------------------------------------
    @expose("/totp", methods=["GET", "POST"])
    @no_cache
    def totp(self):
        user, forced = self._subject()
        if user is None:
            return self._to_login()
        if request.method == "POST":
            code = request.form.get("code", "")
            try:
                with unit_of_work(user):
                    codes = auth.check_enrolment_code(user, lambda: mfa.confirm_totp(user, code))
            except RateLimited as exc:
                return auth.rate_limited_response(exc.retry_after)
            if codes:
                return self._enrolled(user, forced, codes, TOTP)
            flash(_("The code is not correct. Check the time on your phone and enter the code shown now."), "danger")
            return redirect(url_for(".totp"))
        with unit_of_work(user):
            secret, uri = mfa.totp_enrolment(user)
        return self.render_template(
            "security/totp_enrol.html", title=_("Set up an authenticator app"), qr=mfa.qr_svg(uri),
            secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)), forced=forced,
            channels={c: mfa.mask_destination(user, c) for c in (EMAIL, SMS) if mfa.channel_available(user, c)},
            names=METHOD_NAMES)

    # -- codes by e-mail or SMS ------------------------------------------------------------------
    @expose("/code/send", methods=["POST"])
    def code_send(self):
        user, _forced = self._subject()
        if user is None:
            return self._to_login()
        method = request.form.get("method")
        try:
            where = auth.send_code(user, "enrol", method)
        except RateLimited as exc:
            flash(_("A code was sent a moment ago. You can ask for another one in %(seconds)d seconds.",
                    seconds=exc.retry_after), "warning")
        except ValueError:
            flash(_("This way of receiving codes is not available for your account."), "danger")
            return redirect(url_for(".index"))
        else:
            flash(_("A code was sent to %(destination)s. It is valid for %(minutes)d minutes.",
                    destination=where, minutes=current_app.config["CODE_MINUTES"]), "info")
        return redirect(url_for(".code", method=method))

    @expose("/code", methods=["GET", "POST"])
    @no_cache
    def code(self):
        user, forced = self._subject()
        if user is None:
            return self._to_login()
        method = request.values.get("method")
        if method not in (EMAIL, SMS) or not mfa.channel_available(user, method):
            abort(404)
        if request.method == "POST":
            code = request.form.get("code", "")
            try:
                with unit_of_work(user):
                    ok = auth.check_enrolment_code(user, lambda: mfa.verify_code(user, "enrol", method, code) == mfa.OK)
                    codes = mfa.enable_method(user, method) if ok else None
            except RateLimited as exc:
                return auth.rate_limited_response(exc.retry_after)
            if codes:
                return self._enrolled(user, forced, codes, method)
            flash(_("The code is not correct, or it has expired. Please try again."), "danger")
            return redirect(url_for(".code", method=method))
        return self.render_template(
            "security/code_enrol.html", title=str(CHANNEL_ACTIONS[method]),
            method=method, destination=mfa.mask_destination(user, method), forced=forced)

    def _enrolled(self, user, forced: bool, codes: list[str], method: str):
        """Show the new recovery codes (once); a login that waited for enrolment completes now."""
        continue_url = url_for(".index")
        if forced:
            _user, pending = auth.pending_login()
            continue_url = safe_next(pending.get("next"), self.appbuilder.get_url_for_index)
            with unit_of_work(user):
                lockout.register_success(user)
                record_attempt(user, user.username, True, FACTOR_OF_METHOD[method])
            auth.complete_web_login(user)
        return self.render_template("security/recovery_codes.html", title=_("Your recovery codes"),
                                    codes=codes, continue_url=continue_url)

    # -- recovery codes and switching off ---------------------------------------------------------
    @expose("/recovery-codes", methods=["POST"])
    @no_cache
    def recovery_codes(self):
        user = current_actor()
        if user is None:
            return self._to_login()
        if not mfa.mfa_enabled(user):
            return redirect(url_for(".index"))
        with unit_of_work(user):
            codes = mfa.new_recovery_codes(user)
        return self.render_template("security/recovery_codes.html", title=_("Your recovery codes"),
                                    codes=codes, continue_url=url_for(".index"))

    @expose("/disable", methods=["POST"])
    def disable(self):
        user = current_actor()
        if user is None:
            return self._to_login()
        if mfa.mfa_required(user):
            flash(_("Your role requires two-factor authentication; it cannot be switched off."), "danger")
        elif not check_password_hash(user.password or "", request.form.get("password", "")):
            flash(_("The password is not correct; two-factor authentication stays on."), "danger")
        else:
            with unit_of_work(user):
                mfa.disable_mfa(user)
            flash(_("Two-factor authentication is off. Signing in now needs only your password."), "info")
        return redirect(url_for(".index"))


class RoleMfaPolicyView(BaseView):
    """Administrators tick the roles whose members must use two-factor authentication."""

    route_base = "/role_mfa_policy"
    default_view = "index"
    class_permission_name = "role_mfa_policy"
    method_permission_name = {"index": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def index(self):
        public = current_app.config["AUTH_ROLE_PUBLIC"]
        roles = [r for r in self.appbuilder.sm.get_all_roles() if r.name != public]
        required = set(db.session.scalars(db.select(RoleMfaPolicy.role_id).where(RoleMfaPolicy.require_mfa.is_(True))))
        return self.render_template("security/role_mfa_policy.html", title=_("Two-factor requirement by role"),
                                    roles=sorted(roles, key=lambda r: r.name), required=required,
                                    can_write=self.appbuilder.sm.has_access("can_write", self.class_permission_name))

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        wanted = {int(v) for v in request.form.getlist("role") if v.isdigit()}
        mfa.set_required_roles(current_actor(), wanted)
        flash(_("Saved. Members of the ticked roles set up two-factor authentication at their next login."), "info")
        return redirect(url_for(".index"))
