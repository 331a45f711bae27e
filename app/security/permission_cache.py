"""Each user's permissions, roles and data scopes, kept per process and invalidated through Redis.

Flask-AppBuilder reads the user's roles, groups and every permission of those roles from the
database on every request. Here they are read once per user and process and kept until the
access rules change:

- Redis holds one version token (`<RQ_QUEUE>:permissions:version`), read once at the start of
  each request (before any SQL, so that a database snapshot never pairs old rules with a new
  token). A cached entry is used only while its token is the current one.
- Any change to roles, permissions, view menus, groups, a user's roles or groups, the data
  scopes of roles, or a deleted user, committed through a SQLAlchemy session, sets a new token
  after the commit. Every web process on every machine sees it with its next request; the
  process that made the change also drops its own entries at once.
- Without Redis (unreachable) nothing is cached: every request reads the database, as FAB does.
- An entry is also reloaded after PERMISSION_CACHE_SECONDS (300), for changes made outside the
  application (SQL by hand); `run.py` commands and the screens always go through the session.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import chain

from flask import current_app, g, has_app_context, has_request_context, request
from redis.exceptions import RedisError
from sqlalchemy import event, inspect as sa_inspect, select
from sqlalchemy.orm import Session
from werkzeug.local import LocalProxy

log = logging.getLogger(__name__)

# Tables whose rows decide what a user may do.
WATCHED_TABLES = frozenset({
    "ab_role", "ab_permission", "ab_view_menu", "ab_permission_view", "ab_permission_view_role",
    "ab_user_role", "ab_group", "ab_user_group", "ab_group_role", "role_scope",
})
USER_TABLE = "ab_user"
MAX_ENTRIES = 10_000
DEFAULT_MAX_AGE = 300
_CHANGED = "zwt_permissions_changed"
_ANONYMOUS = None
ANY_MODULE = "*"


@dataclass(frozen=True)
class Access:
    """What one user (or the public, when signed out) may do."""

    permissions: frozenset          # {(permission name, view menu name)}
    role_ids: tuple = ()
    role_names: frozenset = frozenset()
    scopes: dict = field(default_factory=dict)   # module → widest data scope of the user's roles
    version: str | None = None
    loaded_at: float = 0.0

    def allows(self, permission_name: str, view_name: str) -> bool:
        return (permission_name, view_name) in self.permissions

    def scope(self, module: str, default: str) -> str:
        """The widest data scope the roles grant on `module`; `default` when none says."""
        return self.scopes.get(ANY_MODULE) or self.scopes.get(module, default)


_installed = False
_EXTENSION = "zwt_permission_cache"


class _Store:
    """One app's entries (a process normally holds one app; tests hold several)."""

    def __init__(self):
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()


def _store_of_app() -> _Store:
    store = current_app.extensions.get(_EXTENSION)
    if store is None:
        store = current_app.extensions.setdefault(_EXTENSION, _Store())
    return store


def version_key(config) -> str:
    return f"{config['RQ_QUEUE']}:permissions:version"


def _redis(config):
    from app.core.jobs import redis_connection

    return redis_connection(config)


def read_version(config=None) -> str | None:
    """The current token from Redis (created when missing); None when Redis cannot be read."""
    config = config or current_app.config
    key = version_key(config)
    try:
        connection = _redis(config)
        value = connection.get(key)
        if value is None:
            connection.set(key, uuid.uuid4().hex, nx=True)
            value = connection.get(key)
    except (RedisError, OSError) as exc:
        log.warning("permission cache off for this request: Redis unreachable (%s)", type(exc).__name__)
        return None
    return value.decode() if isinstance(value, bytes) else value


def request_version() -> str | None:
    """The token of this request, read from Redis once per request."""
    if "_zwt_permission_version" not in g:
        g._zwt_permission_version = read_version()
    return g._zwt_permission_version


def _read_version_first() -> None:
    if (request.endpoint or "").endswith("static"):
        return
    request_version()


def _key(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return _ANONYMOUS
    return ("user", user.id)


def access_of(sm, user) -> Access:
    """`user`'s Access (the public role's when signed out or None), from the cache when current.
    Inside a request it is also kept on `g`, so later checks in the request cost nothing."""
    if not has_request_context():
        return load(sm, user, None)
    if isinstance(user, LocalProxy):      # current_user: looked up once here, not at each attribute
        user = user._get_current_object()
    per_request = g.setdefault("_zwt_permissions", {})
    key = _key(user)
    found = per_request.get(key)
    if found is not None:
        return found
    version = request_version()
    found = _cached(key, version)
    if found is None:
        found = load(sm, user, version)
        if version is not None:
            _store(key, found)
    per_request[key] = found
    return found


def _max_age() -> float:
    return float(current_app.config.get("PERMISSION_CACHE_SECONDS", DEFAULT_MAX_AGE))


def _cached(key, version) -> Access | None:
    if version is None:
        return None
    store = _store_of_app()
    with store.lock:
        entry = store.entries.get(key)
        if entry is None:
            return None
        if entry.version != version or time.monotonic() - entry.loaded_at > _max_age():
            del store.entries[key]
            return None
        store.entries.move_to_end(key)
        return entry


def _store(key, entry: Access) -> None:
    store = _store_of_app()
    with store.lock:
        store.entries[key] = entry
        store.entries.move_to_end(key)
        while len(store.entries) > MAX_ENTRIES:
            store.entries.popitem(last=False)


def load(sm, user, version) -> Access:
    """Read `user`'s roles (with their groups' roles), permissions and scopes from the database."""
    from app.core.scope import ALL, OWN, SCOPES, RoleScope

    def rank(scope):
        return SCOPES.index(scope) if scope in SCOPES else -1

    if user is None:
        from flask_login import AnonymousUserMixin

        user = AnonymousUserMixin()
    roles = sm.get_user_roles(user)
    permissions = set()
    for role in roles:
        permissions.update(sm.get_role_permissions(role))
    role_ids = tuple(sorted({role.id for role in roles}))
    role_names = frozenset(role.name for role in roles)
    scopes: dict = {}
    if user.is_authenticated and role_ids:
        for module, scope in sm.session.execute(
                select(RoleScope.module, RoleScope.scope).where(RoleScope.role_id.in_(role_ids))):
            scopes[module] = max(scopes.get(module, OWN), scope, key=rank)
    if current_app.config.get("AUTH_ROLE_ADMIN", "Admin") in role_names:
        scopes = {ANY_MODULE: ALL}
    return Access(frozenset(permissions), role_ids, role_names, scopes, version, time.monotonic())


def clear_local() -> None:
    """Forget this app's entries in this process (and this request's)."""
    store = _store_of_app()
    with store.lock:
        store.entries.clear()
    if has_request_context():
        g.pop("_zwt_permissions", None)
        g.pop("_zwt_permission_version", None)


def bump(config=None) -> None:
    """Announce a change of the access rules to every process: a new version token in Redis."""
    config = config or current_app.config
    clear_local()
    token = uuid.uuid4().hex
    try:
        _redis(config).set(version_key(config), token)
    except (RedisError, OSError):
        log.error("the change of roles or permissions could not be announced: Redis unreachable; "
                  "other processes keep their permissions for up to %s s", config.get("PERMISSION_CACHE_SECONDS", DEFAULT_MAX_AGE))
        return
    if has_request_context():
        g._zwt_permission_version = token


# -- noticing changes ------------------------------------------------------------------------------
def _table_of(obj) -> str | None:
    table = getattr(type(obj), "__table__", None)
    return getattr(table, "name", None)


def _changes_access(session) -> bool:
    for obj in chain(session.new, session.dirty, session.deleted):
        table = _table_of(obj)
        if table in WATCHED_TABLES:
            return True
        if table == USER_TABLE:
            if obj in session.deleted:
                return True
            if obj in session.new:
                continue
            state = sa_inspect(obj)
            for name in ("roles", "groups"):
                if name in state.attrs and state.attrs[name].history.has_changes():
                    return True
    return False


def _after_flush(session, _flush_context) -> None:
    if not session.info.get(_CHANGED) and _changes_access(session):
        session.info[_CHANGED] = True


def _on_execute(state) -> None:
    """Bulk INSERT / UPDATE / DELETE statements (delete(RoleScope)..., association rows)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in WATCHED_TABLES or (table == USER_TABLE and state.is_delete):
        state.session.info[_CHANGED] = True


def _after_commit(session) -> None:
    if session.info.pop(_CHANGED, False) and has_app_context():
        bump()


def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)   # rolled back: nothing to announce


def install(app) -> None:
    """Watch sessions for changes of the access rules, and read the version token first thing in
    each request. Called by the security manager; safe to call again."""
    global _installed
    if not _installed:
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
        _installed = True
    app.extensions.setdefault(_EXTENSION, _Store())
    # The version rides in the request's first Redis round trip (app/core/kept.py); read here
    # only when that one could not.
    from app.core import kept

    kept.read_first(_version_keys, _take_version)
    funcs = app.before_request_funcs.setdefault(None, [])
    if _read_version_first not in funcs:
        at = funcs.index(kept._read_tokens_first) + 1 if kept._read_tokens_first in funcs else 0
        funcs.insert(at, _read_version_first)


def _version_keys() -> list[str]:
    return [version_key(current_app.config)]


def _take_version(values: list) -> None:
    value = values[0]
    if value is not None:   # a missing token is created by request_version
        g._zwt_permission_version = value.decode() if isinstance(value, bytes) else value
