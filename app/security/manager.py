"""掌务通's security manager: FAB's, with users placed in departments under managers, and
signing in hardened: lockout, rate limits in Redis, two-factor authentication, login history,
a password policy, and sessions and tokens that end when the password changes.

The roles × modules matrix lives in access.csv (one row per role and module: read, write,
delete, export and data scope) and is applied by sync_roles().
"""
from __future__ import annotations

import csv
from pathlib import Path

from flask import abort, current_app, flash, g, has_request_context, jsonify, redirect, request, session, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action as fab_action
from flask_appbuilder.security.sqla.apis.group.api import GroupApi
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Integer, bindparam, delete, inspect as sa_inspect, select
from sqlalchemy.orm import joinedload

from app.core import fab_apis
from app.core.datamodel import current_actor
from app.core.filter_panel import ModuleSearchWidget
from app.core.jobs import embedded_redis_url, open_embedded_redis
from app.core.localise import GroupView
from app.core.org import User
from app.core.scope import SCOPES, RoleScope
from app.core.spec import ACTIONS
from app.core.transaction import unit_of_work
from app.extensions import db
from app.security import auth, browser_sessions, lockout, permission_cache, preferences, redirects
from app.security.apikeys import ApiKeyManagerMixin
from app.security.api import ZwtSecurityApi
from app.security.history import LoginHistoryView, MyLoginHistoryView
from app.security.user_choices import USER_CHOICES
from app.security.login_views import ZwtAuthDBView, ZwtResetMyPasswordView
from app.security.mfa_views import MfaView, RoleMfaPolicyView
from app.security.models import UserSecurity, current_stamp_digest, stamp_digest
from app.security.passwords import fab_password_validator
from app.security.sms import SmsOutboxView

ACCESS_FILE = Path(__file__).with_name("access.csv")

# The user list's permissions are named after its class (FAB's rule), not FAB's UserDBModelView.
USER_VIEW = "ZwtUserView"

# What every signed-in role may do whatever the matrix says: its own profile (and password,
# and signing out everywhere), notifications and approvals.
BASELINE = [
    ("can_read", "notifications"), ("menu_access", "menu:notifications"), ("menu_access", "menu:system"),
    ("can_userinfo", USER_VIEW), ("resetmypassword", USER_VIEW), ("userinfoedit", USER_VIEW),
    ("signout_mine", USER_VIEW), ("notification_settings", USER_VIEW),
    ("can_read", "notification_settings"), ("can_write", "notification_settings"),
    ("can_this_form_get", "ResetMyPasswordView"), ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"), ("can_this_form_post", "UserInfoEditView"),
    ("can_read", "api_keys"), ("can_write", "api_keys"), ("menu_access", "menu:api_keys"),
    # Approvals: one's own inbox, tasks and delegations (the engine checks each action).
    ("can_read", "approvals"), ("can_write", "approvals"), ("menu_access", "menu:approvals"),
    ("menu_access", "menu:approvals_inbox"), ("menu_access", "menu:delegations"),
]

_ORG_FIELDS = ["department", "manager", "mobile"]
_ORG_LABELS = {"department": _l("Department"), "manager": _l("Manager"), "mobile": _l("Mobile")}


def _org_fields() -> dict:
    """The department and the manager chosen by search (user_choices.py), never from a select of every row."""
    from wtforms.validators import Optional as OptionalValidator

    from app.core.org import Department
    from app.core.remote_select import RemoteSelectField

    return {
        "department": RemoteSelectField(_ORG_LABELS["department"], validators=[OptionalValidator()], model=Department,
                                        url=USER_CHOICES["department"], minimum=0,
                                        placeholder=_l("Type part of the name or the code")),
        "manager": RemoteSelectField(_ORG_LABELS["manager"], validators=[OptionalValidator()], model=User,
                                     url=USER_CHOICES["manager"], minimum=0, placeholder=_l("Type part of the name")),
    }


class ZwtUserView(UserDBModelView):
    label_columns = {**UserDBModelView.label_columns, **_ORG_LABELS}
    search_widget = ModuleSearchWidget
    relation_urls = USER_CHOICES
    add_form_extra_fields = {**UserDBModelView.add_form_extra_fields, **_org_fields()}
    edit_form_extra_fields = {**(UserDBModelView.edit_form_extra_fields or {}), **_org_fields()}
    list_columns = ["first_name", "last_name", "username", "email", "department", "manager", "active", "roles"]
    add_columns = UserDBModelView.add_columns[:-2] + _ORG_FIELDS + ["password", "conf_password"]
    edit_columns = [c for c in UserDBModelView.edit_columns] + _ORG_FIELDS
    search_columns = ["first_name", "last_name", "username", "email", "department", "manager", "active", "roles"]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count"]}),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email", "mobile"], "expanded": True}),
        (_l("Organisation"), {"fields": ["department", "manager"], "expanded": True}),
    ]

    @fab_action("unlock", _l("Unlock"), _l("Let the selected users sign in again now, before their lock ends?"),
                "fa-unlock", multiple=True)
    def unlock(self, items):
        with unit_of_work(current_actor()):
            for item in items if isinstance(items, list) else [items]:
                lockout.unlock(db.session.get(User, item.id))
        flash(_("The selected accounts can sign in again."), "info")
        return redirect(self.get_redirect())

    @fab_action("signout_everywhere", _l("Sign out everywhere"),
                _l("Sign the selected users out on every device? Their browsers and API tokens stop working "
                   "at once, and remembered devices ask for the second factor again."), "fa-sign-out", multiple=True)
    def signout_everywhere(self, items):
        actor = current_actor()
        users = items if isinstance(items, list) else [items]
        for item in users:
            if item is not None:
                auth.sign_out_everywhere(actor, item.id)
        if any(item is not None and item.id == actor.id for item in users):
            auth.end_web_session()
            flash(_("You have been signed out on all devices, including this one."), "info")
            return redirect(self.appbuilder.get_url_for_login)
        flash(_("The selected users have been signed out on all devices."), "info")
        return redirect(self.get_redirect())

    # Offered on one's own profile only; acts on the signed-in user whichever record is named.
    @fab_action("signout_mine", _l("Sign out on all devices"),
                _l("Sign out on every device where you are signed in, including this one? API tokens stop working "
                   "too, and remembered devices ask for the second factor again."), "fa-sign-out",
                multiple=False)
    def signout_mine(self, _item):
        auth.sign_out_everywhere(current_actor(), g.user.id)
        auth.end_web_session()
        flash(_("You have been signed out on all devices, including this one."), "info")
        return redirect(self.appbuilder.get_url_for_login)

    # Offered on one's own profile only, like signout_mine.
    @fab_action("notification_settings", _l("Notification settings"), "", "fa-bell", multiple=False)
    def notification_settings(self, _item):
        return redirect(url_for("NotificationSettingsView.index"))

    # FAB answers an unknown action name with a 500.
    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if name not in self.actions:
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        if request.form.get("action") not in self.actions:
            abort(404)
        return super().action_post()

    def _widgets_with(self, pk, item, names, **kwargs):
        actions = {name: self.actions[name] for name in names if name in self.actions}
        return self._get_show_widget(pk, item, actions=actions, **kwargs)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        widgets = self._widgets_with(pk, item, ["resetpasswords", "signout_everywhere"])
        self.update_redirect()
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    appbuilder=self.appbuilder, related_views=self._related_views)

    @expose("/userinfo/")
    @has_access
    def userinfo(self):
        item = self.datamodel.get(g.user.id, self._base_filters)
        widgets = self._widgets_with(g.user.id, item, ["resetmypassword", "userinfoedit", "notification_settings", "signout_mine"],
                                     show_fieldsets=self.user_show_fieldsets)
        self.update_redirect()
        return self.render_template(self.show_template, title=self.user_info_title, widgets=widgets,
                                    appbuilder=self.appbuilder)


# Settings of signing in; config.py (from the environment) or create_app overrides win.
DEFAULTS = {
    "LOCKOUT_THRESHOLD": 5,            # wrong passwords in a row that lock an account
    "LOCKOUT_MINUTES": 15,
    "PASSWORD_MIN_LENGTH": 8,
    "CODE_MINUTES": 10,                # e-mail / SMS codes: validity and tries
    "CODE_MAX_TRIES": 5,
    "MFA_PENDING_MINUTES": 10,         # between the password and the second step
    "MFA_REMEMBER_DAYS": 30,           # "don't ask again on this device"; 0 switches it off
    "SMS_PROVIDER": "outbox",
    "RATE_LIMITS_ENABLED": True,
    # Failed attempts allowed per window (limits' notation).
    "RATE_LIMIT_LOGIN_IP": "10 per minute",
    "RATE_LIMIT_LOGIN_ACCOUNT": "10 per minute",
    "RATE_LIMIT_CODE_IP": "10 per minute",
    "RATE_LIMIT_CODE_ACCOUNT": "5 per minute",
    "RATE_LIMIT_CODE_SEND": "3 per 10 minutes",
    "RATELIMIT_STRATEGY": "moving-window",
    "FAB_PASSWORD_COMPLEXITY_ENABLED": True,
    "FAB_PASSWORD_COMPLEXITY_VALIDATOR": fab_password_validator,
}


def limiter_storage_uri(config) -> str:
    """The Redis the job queue uses, in the notation of the `limits` package."""
    url = config.get("REDIS_URL") or embedded_redis_url(open_embedded_redis(config["INSTANCE_DIR"]))
    if url.startswith("unix://"):
        return "redis+unix://" + url[len("unix://"):]
    return url


class ZwtGroupApi(GroupApi):
    # FAB's offers its dotted list columns (roles.name, users.id ...) as search columns, which
    # its filters cannot search (a warning at every start); the relations themselves can be.
    search_columns = ["id", "name", "label", "description", "roles", "users"]



_SIGNED_IN = "signed-in browser user"


class _NoAccess:
    @staticmethod
    def allows(permission_name, view_name) -> bool:
        return False


_NO_ACCESS = _NoAccess()

class SecurityManager(ApiKeyManagerMixin, FabSecurityManager):
    user_model = User
    group_api = ZwtGroupApi
    user_api = fab_apis.ZwtUserApi
    role_api = fab_apis.ZwtRoleApi
    view_menu_api = fab_apis.ZwtViewMenuApi
    permission_view_menu_api = fab_apis.ZwtPermissionViewMenuApi
    userstatschartview = None   # draws with Google Charts from Google's servers: app.core.system.UserStatsView instead
    groupmodelview = GroupView
    userdbmodelview = ZwtUserView
    authdbview = ZwtAuthDBView
    resetmypasswordview = ZwtResetMyPasswordView
    security_api = ZwtSecurityApi

    def __init__(self, appbuilder):
        for key, value in DEFAULTS.items():
            current_app.config.setdefault(key, value)
        super().__init__(appbuilder)
        permission_cache.install(current_app)
        browser_sessions.install()
        redirects.install()
        current_app.register_error_handler(429, lambda _error: auth.rate_limited_response())

    def has_access(self, permission_name, view_name):
        """FAB's check; for a signed-in browser session (most checks of a page: a list asks
        thirty times) the user is looked up once and their cached access read directly."""
        if has_request_context():
            access = self._signed_in_access()
            if access is not None:
                return access.allows(permission_name, view_name)
        return super().has_access(permission_name, view_name)

    def _signed_in_access(self):
        """The request's signed-in browser user's Access (None for anyone else), worked out once
        per request and user: kept with the request's permissions, so permission_cache.clear_local
        forgets it too."""
        state = g.__dict__
        user, kept = state.get("_login_user"), state.get("_zwt_permissions")
        found = kept.get(_SIGNED_IN) if kept is not None else None
        if found is not None and found[0] is user:
            return found[1]
        if state.get("_api_key_user"):
            return None
        user = current_user._get_current_object()
        if not (getattr(user, "is_authenticated", False) and isinstance(user, self.user_model)
                and not sa_inspect(user).detached):
            return None
        access = permission_cache.access_of(self, user) if user.is_active else _NO_ACCESS
        g.setdefault("_zwt_permissions", {})[_SIGNED_IN] = (user, access)
        return access

    def _has_view_access(self, user, permission_name, view_name):
        # The user's permissions come from the per-process cache, invalidated through Redis on
        # any change of roles or permissions (app/security/permission_cache.py): no statement
        # once warm, instead of one per role (FAB) or per menu entry and button.
        if not has_request_context():
            return super()._has_view_access(user, permission_name, view_name)
        return permission_cache.access_of(self, user).allows(permission_name, view_name)

    def is_item_public(self, permission_name, view_name):
        if not has_request_context():
            return super().is_item_public(permission_name, view_name)
        return permission_cache.access_of(self, None).allows(permission_name, view_name)

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        if not has_request_context():
            return super()._get_user_permission_view_menus(user, permission_name, view_menus_name)
        wanted = set(view_menus_name)
        return {view for perm, view in permission_cache.access_of(self, user).permissions
                if perm == permission_name and view in wanted}

    def access_of(self, user) -> permission_cache.Access:
        """`user`'s roles, permissions and data scopes (cached; see permission_cache)."""
        return permission_cache.access_of(self, user)

    def create_limiter(self, app):
        # FAB switches Flask-Limiter off (RATELIMIT_ENABLED=False) unless told otherwise; here
        # the limits are on unless RATE_LIMITS_ENABLED says no.
        app.config["RATELIMIT_ENABLED"] = bool(app.config["RATE_LIMITS_ENABLED"])
        app.config.setdefault("RATELIMIT_STORAGE_URI", limiter_storage_uri(app.config))
        return super().create_limiter(app)

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)
        jwt_manager.additional_claims_loader(lambda identity: {"stamp": current_stamp_digest(identity)})
        jwt_manager.token_in_blocklist_loader(_token_revoked)
        jwt_manager.revoked_token_loader(lambda _header, _payload: (jsonify(message=_(
            "This token is no longer valid (the password was changed or the account deactivated). "
            "Please log in again.")), 401))
        return jwt_manager

    def load_user(self, pk):
        """The signed-in user and the digest of their security stamp, in one statement: the
        check below compares the session's stamp without asking again."""
        try:
            uid = int(pk)
        except (TypeError, ValueError):
            return None
        checked = g.get("_zwt_jwt_user") if has_request_context() else None
        if checked is not None and checked.id == uid:   # read with the token's stamp just now
            return checked if checked.is_active else None
        row = self.session.execute(self._user_statement(), {"zwt_user_id": uid}).first()
        if row is None:
            return None
        user, stamp = row
        if has_request_context():
            g._zwt_loaded_stamp = (uid, stamp_digest(stamp))
        return user if user.is_active else None

    def _user_statement(self):
        """load_user's SELECT, built once (every request runs it)."""
        statement = self.__dict__.get("_zwt_user_statement")
        if statement is None:
            statement = self._zwt_user_statement = (
                select(self.user_model, UserSecurity.security_stamp)
                .outerjoin(UserSecurity, UserSecurity.user_id == self.user_model.id)
                .where(self.user_model.id == bindparam("zwt_user_id", type_=Integer)))
        return statement

    def before_request(self):
        """A browser session that was signed out (here, or everywhere), or signed in before
        the password changed or the user was deactivated, is signed out."""
        g.user = current_user
        if (request.endpoint or "").endswith("static"):
            return
        if not current_user.is_authenticated or "_user_id" not in session:
            return
        if not auth.session_is_recorded(current_user.id):
            auth.end_web_session()
            flash(_("This session has ended: it was signed out here or from another device. Please sign in again."),
                  "warning")
        elif not auth.session_is_current(current_user.id):
            auth.end_web_session()
            flash(_("You were signed out because the password of this account was changed. Please sign in again."),
                  "warning")

    def auth_user_db(self, username, password):
        """FAB's password check, for any caller left: with lockout, rate limits and history,
        and never a user who still has a second step to pass."""
        try:
            result = auth.password_step(username, password)
        except lockout.RateLimited:
            return None
        return result.user if result.complete else None

    def register_views(self):
        super().register_views()
        if not current_app.config.get("FAB_ADD_SECURITY_VIEWS", True):
            return
        ab = self.appbuilder
        ab.add_view_no_menu(MfaView)
        ab.add_view_no_menu(MyLoginHistoryView)
        preferences.install(ab)
        ab.add_view_no_menu(SmsOutboxView)
        ab.add_view(LoginHistoryView, "menu:login_history", label=_l("Login history"), icon="fa-history",
                    category="Security")
        ab.add_view(RoleMfaPolicyView, "menu:role_mfa_policy", label=_l("Two-factor requirement"),
                    icon="fa-shield", category="Security")


def _token_revoked(_header, payload) -> bool:
    """A JWT is refused when its user is gone or deactivated, or its stamp is not current."""
    try:
        user_id = int(payload.get("sub"))
    except (TypeError, ValueError):
        return True
    # The user and their stamp in one statement; the user is kept for the request (load_user).
    row = db.session.execute(
        select(User, UserSecurity.security_stamp)
        .outerjoin(UserSecurity, UserSecurity.user_id == User.id).where(User.id == user_id)).first()
    if row is None or not row[0].active or not row[1]:
        return True
    if has_request_context():
        g._zwt_jwt_user = row[0]
    return payload.get("stamp") != stamp_digest(row[1])


def read_matrix(path: Path = ACCESS_FILE) -> list[dict]:
    """Rows of the access matrix, checked: unknown scopes or flags raise ValueError."""
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            if row["scope"] not in SCOPES:
                raise ValueError(f"{path.name}:{n}: unknown scope '{row['scope']}'")
            for action in ACTIONS:
                if row[action] not in ("0", "1"):
                    raise ValueError(f"{path.name}:{n}: {action} must be 0 or 1")
            rows.append(row)
    return rows


def module_permissions(registry, module: str, actions) -> set[tuple[str, str]]:
    """The (permission, view menu) pairs that grant `actions` on `module`; reading includes
    its menu entries, writing the entries of pages that only post (库存操作)."""
    pairs = {(f"can_{action}", module) for action in actions}
    if "read" in actions:
        pairs.update(("menu_access", name) for name in registry.menu_names.get(module, []))
    if "write" in actions:
        pairs.update(("menu_access", name) for name in getattr(registry, "write_menu_names", {}).get(module, []))
    return pairs


def sync_roles(appbuilder, registry, path: Path = ACCESS_FILE) -> list[str]:
    """Make the shipped roles' permissions and data scopes exactly what the matrix says.

    Returns the role names. The admin role keeps every permission FAB gives it.
    """
    sm = appbuilder.sm
    rows = read_matrix(path)
    names = []
    # every (permission, view or menu) there is, read at once
    pv_model = sm.permissionview_model
    held = {(pv.permission.name, pv.view_menu.name): pv for pv in db.session.scalars(
        select(pv_model).options(joinedload(pv_model.permission), joinedload(pv_model.view_menu)))}
    for role_name in dict.fromkeys(r["role"] for r in rows):
        role = sm.find_role(role_name) or sm.add_role(role_name)
        names.append(role_name)
        if role_name == current_app.config["AUTH_ROLE_ADMIN"]:
            continue
        wanted = set(BASELINE)
        db.session.execute(delete(RoleScope).where(RoleScope.role_id == role.id))
        for row in (r for r in rows if r["role"] == role_name):
            module = row["module"]
            wanted |= module_permissions(registry, module, [a for a in ACTIONS if row[a] == "1"])
            db.session.add(RoleScope(role_id=role.id, module=module, scope=row["scope"]))
        permissions = [held[pair] for pair in sorted(wanted) if pair in held]
        role.permissions = permissions
    db.session.commit()
    return names
