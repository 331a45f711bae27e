"""Personal API keys for integrations: `Authorization: Bearer sst_…` on the REST API.

A key acts as its owner: exactly the owner's permissions and data scope, nothing more. It is
shown once when created; only a salted hash and a short prefix (to recognise it in lists) are
stored. Revoked or expired keys, and keys of deactivated users, are refused with 401.

FAB 5.3 brings the table (ab_api_key) and checks keys in its `protect` decorator when
FAB_API_KEY_ENABLED is set. Its own SecurityManager methods are replaced here (mixed into ours)
because they load the key's owner as FAB's plain User — without department, so the data scope
could not be applied — and keep local rather than UTC times.
"""
from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, g, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSqlaSecurityManager
from flask_appbuilder.security.sqla.models import ApiKey
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.clock import utcnow
from app.core.datamodel import current_actor
from app.core.errors import DomainError, NotFound
from app.core.notify import notify
from app.core.org import User
from app.core.transaction import unit_of_work
from app.extensions import db

VIEW_NAME = "api_keys"
NAME_MAX = 100
VISIBLE_CHARS = 8  # characters after the "sst_" prefix kept to tell keys apart in lists
# Keys are 256 random bits, so a slow password hash (FAB's default, scrypt: ~0.1 s) would only
# add its cost to every API call without making a key any harder to guess.
KEY_HASH_METHOD = "pbkdf2:sha256:1000"
# A key in constant use would otherwise write its "last used" time on every request.
LAST_USED_PRECISION = dt.timedelta(minutes=1)

ACTIVE, REVOKED, EXPIRED = "active", "revoked", "expired"


# -- the keys ----------------------------------------------------------------------------------
def _prefixes() -> list[str]:
    return current_app.config.get("FAB_API_KEY_PREFIXES") or ["sst_"]


def _lookup_hash(raw_key: str) -> str:
    return FabSqlaSecurityManager._compute_lookup_hash(raw_key)


def key_status(key: ApiKey, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    if not key.active or key.revoked_on is not None:
        return REVOKED
    if key.expires_on is not None and key.expires_on <= now:
        return EXPIRED
    return ACTIVE


def _new_key(user, name: str, expires_on: dt.datetime | None, now: dt.datetime) -> tuple[ApiKey, str]:
    """A key for `user`, added to the session (the caller commits), and its plain text."""
    raw_key = _prefixes()[0] + secrets.token_urlsafe(32)
    config = current_app.config
    key = ApiKey(
        name=name,
        key_hash=generate_password_hash(
            raw_key,
            method=config.get("FAB_API_KEY_HASH_METHOD") or KEY_HASH_METHOD,
            salt_length=config.get("FAB_API_KEY_HASH_SALT_LENGTH", 16),
        ),
        lookup_hash=_lookup_hash(raw_key),
        key_prefix=raw_key[: len(_prefixes()[0]) + VISIBLE_CHARS],
        user_id=user.id,
        active=True,
        created_on=now,
        expires_on=expires_on,
    )
    db.session.add(key)
    return key, raw_key


def _check_name(owner, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("api_keys.name_required", _("Please give the key a name, e.g. the system that will use it."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError("api_keys.name_too_long", _("The name can have at most %(n)d characters.", n=NAME_MAX), field="name")
    now = utcnow()
    for key in keys_of(owner):
        if key.name == name and key_status(key, now) == ACTIVE:
            raise DomainError("api_keys.duplicate_name", _("You already have an active key named “%(name)s”.", name=name), field="name")
    return name


def expiry_from_date(day: dt.date | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """A key that "expires on" a day may be used until the end of that day in the configured
    time zone; returned as naive UTC. Refuses days in the past."""
    if day is None:
        return None
    now = now or utcnow()
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    today = now.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()
    if day < today:
        raise DomainError("api_keys.expiry_past", _("The expiry date must be today or later."), field="expires_on")
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return end.astimezone(dt.timezone.utc).replace(tzinfo=None)


def create_key(actor, name: str, expires_on: dt.datetime | None = None, now: dt.datetime | None = None) -> tuple[ApiKey, str]:
    """A new key for `actor` (acting as them). Returns the key and its plain text, which is
    never stored and cannot be shown again."""
    now = now or utcnow()
    with unit_of_work(actor):
        name = _check_name(actor, name)
        if expires_on is not None and expires_on.tzinfo is not None:  # stored as naive UTC
            expires_on = expires_on.astimezone(dt.timezone.utc).replace(tzinfo=None)
        if expires_on is not None and expires_on <= now:
            raise DomainError("api_keys.expiry_past", _("The expiry date must be today or later."), field="expires_on")
        key, raw_key = _new_key(actor, name, expires_on, now)
    return key, raw_key


def keys_of(user) -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id.desc())))


def all_keys(limit: int = 500) -> list[tuple[ApiKey, User]]:
    """Every user's keys with their owners, newest first."""
    stmt = select(ApiKey, User).join(User, User.id == ApiKey.user_id).order_by(ApiKey.id.desc()).limit(limit)
    return [(key, user) for key, user in db.session.execute(stmt)]


def find_key(actor, key_uuid: str, any_user: bool = False) -> ApiKey:
    """The key `key_uuid` if `actor` may manage it: their own, or anyone's with `any_user`.
    Other people's keys are reported as not found, so their existence is not revealed."""
    key = db.session.scalar(select(ApiKey).where(ApiKey.uuid == key_uuid))
    if key is None or (key.user_id != actor.id and not any_user):
        raise NotFound("api_keys.not_found", _("This API key does not exist, or it is not yours."))
    return key


def revoke_key(actor, key_uuid: str, any_user: bool = False, now: dt.datetime | None = None) -> ApiKey:
    """Revoke a key at once. An admin revoking someone else's key tells its owner."""
    now = now or utcnow()
    with unit_of_work(actor) as uow:
        key = find_key(actor, key_uuid, any_user)
        if key.revoked_on is None:
            key.revoked_on = now
            key.active = False
            if key.user_id != actor.id:
                owner = db.session.get(User, key.user_id)
                notify(uow, [owner], _("Your API key “%(name)s” was revoked", name=key.name),
                       _("%(admin)s revoked it. Programs using it can no longer reach 掌务通; create a new key "
                         "under System ▸ My API keys if you still need one.", admin=actor.display_name),
                       link="/apikeys/")
    return key


class ApiKeyManagerMixin:
    """Mixed into app.security.manager.SecurityManager ahead of FAB's manager."""

    def create_api_key(self, user, name, scopes=None, expires_on=None):
        try:
            key, raw_key = create_key(db.session.get(User, user.id), name, expires_on)
        except DomainError:
            return None
        return {"uuid": key.uuid, "name": key.name, "key": raw_key, "key_prefix": key.key_prefix,
                "scopes": key.scopes, "created_on": key.created_on, "expires_on": key.expires_on}

    def revoke_api_key(self, key_uuid: str) -> bool:
        with unit_of_work(current_actor()):
            key = db.session.scalar(select(ApiKey).where(ApiKey.uuid == key_uuid))
            if key is None:
                return False
            if key.revoked_on is None:
                key.revoked_on, key.active = utcnow(), False
        return True

    def validate_api_key(self, api_key_string: str):
        """The key's owner (our User, with department) if the key is valid; sets g.user as FAB
        expects. None for unknown, revoked or expired keys and for deactivated owners."""
        key = db.session.scalar(select(ApiKey).where(ApiKey.lookup_hash == _lookup_hash(api_key_string)))
        if key is None or not check_password_hash(key.key_hash, api_key_string):
            return None
        now = utcnow()
        if key_status(key, now) != ACTIVE:
            return None
        user = db.session.get(User, key.user_id)
        if user is None or not user.is_active:
            return None
        if key.last_used_on is None or now - key.last_used_on >= LAST_USED_PRECISION:
            db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_on=now))
            db.session.commit()
        g.user = user
        g._api_key_user = True
        return user


# -- the pages ---------------------------------------------------------------------------------
def _parse_date(text: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError("api_keys.expiry_format", _("Please enter the expiry date as YYYY-MM-DD, e.g. 2026-12-31."),
                          field="expires_on") from None


class ApiKeysView(BaseView):
    """My API keys (every signed-in user), and everyone's keys for admins (can_manage)."""

    route_base = "/apikeys"
    default_view = "index"
    class_permission_name = VIEW_NAME
    method_permission_name = {"index": "read", "create": "write", "confirm_revoke": "write", "revoke": "write",
                              "everyone": "manage"}
    base_permissions = ["can_read", "can_write", "can_manage"]

    def _may_manage_all(self) -> bool:
        return self.appbuilder.sm.has_access("can_manage", VIEW_NAME)

    def _index(self, errors=None, form=None, status=200):
        actor = current_actor()
        return self.render_template(
            "apikeys/index.html", title=_("My API keys"), keys=keys_of(actor), now=utcnow(), status=key_status,
            errors=errors or {}, form=form or {}, manage_all=self._may_manage_all(),
            prefix=_prefixes()[0]), status

    @expose("/")
    @has_access
    def index(self):
        return self._index()

    @expose("/create", methods=["POST"])
    @has_access
    def create(self):
        actor = current_actor()
        form = {"name": request.form.get("name", ""), "expires_on": request.form.get("expires_on", "")}
        try:
            expires_on = expiry_from_date(_parse_date(form["expires_on"]))
            key, raw_key = create_key(actor, form["name"], expires_on)
        except DomainError as error:
            db.session.rollback()
            return self._index(errors={error.field or "name": error.message}, form=form, status=400)
        response = make_response(self.render_template("apikeys/created.html", title=_("My API keys"), key=key,
                                                      raw_key=raw_key))
        # The key is on this page only: keep it out of caches and the back-button history.
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/<key_uuid>/revoke", methods=["GET"])
    @has_access
    def confirm_revoke(self, key_uuid):
        key = self._find(key_uuid)
        owner = db.session.get(User, key.user_id)
        return self.render_template("apikeys/revoke.html", title=_("Revoke API key"), key=key, owner=owner,
                                    own=key.user_id == current_actor().id, next=self._next())

    @expose("/<key_uuid>/revoke", methods=["POST"])
    @has_access
    def revoke(self, key_uuid):
        self._find(key_uuid)
        key = revoke_key(current_actor(), key_uuid, any_user=self._may_manage_all())
        flash(_("The API key “%(name)s” is revoked; programs using it are refused from now on.", name=key.name), "success")
        return redirect(self._next())

    @expose("/all")
    @has_access
    def everyone(self):
        return self.render_template("apikeys/all.html", title=_("API keys of all users"), rows=all_keys(), now=utcnow(),
                                    status=key_status)

    def _find(self, key_uuid) -> ApiKey:
        try:
            return find_key(current_actor(), key_uuid, any_user=self._may_manage_all())
        except NotFound:
            abort(404)

    def _next(self) -> str:
        wanted = request.values.get("next", "")
        if wanted == "all" and self._may_manage_all():
            return url_for("ApiKeysView.everyone")
        return url_for("ApiKeysView.index")


def register_views(appbuilder) -> None:
    from app.core.system import SYSTEM

    appbuilder.add_view(ApiKeysView, "menu:api_keys", label=_l("My API keys"), icon="fa-key",
                        category="menu:system", category_label=SYSTEM)
    appbuilder.add_link("menu:api_keys_all", href="/apikeys/all", label=_l("API keys of all users"), icon="fa-key",
                        category="Security")
