"""Small rows that every page reads and that rarely change (the site's name and logo, a module's
settings, a user's list preferences), kept per process and invalidated through Redis.

The same rules as the permission cache (app/security/permission_cache.py):

- each kept value has a version token in Redis (`<RQ_QUEUE>:kept:<name>`); the tokens of a
  request are read in one MGET at its start, before any SQL, so that a database snapshot never
  pairs an old value with a new token;
- a write of a watched table, committed through a SQLAlchemy session (ORM objects or bulk
  statements), sets new tokens after the commit; the writing process drops its own copies at
  once, every other process on every machine with its next request;
- without Redis nothing is kept (every request reads the database); a value is also read again
  after KEPT_SECONDS (300), for changes made by hand in SQL.

A value is declared once with the tables whose rows make it, and read with `.get()`:

    SITE = Kept("site", load=_load_site, tables={"site_setting"})
    PREFERENCES = Kept("prefs", load=_load_prefs, tables={"user_preference"}, per_user=True,
                       key_of=lambda row: row.user_id)

Values are plain data (dicts, tuples, detached copies), never objects of a session.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from itertools import chain
from typing import Any, Callable

from flask import current_app, g, has_app_context, has_request_context, request, session as web_session
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

DEFAULT_MAX_AGE = 300
# Values kept per process (a few per user: columns, settings): past this many, the expired and
# then the least recently stored go, so a process serving many people stays the same size.
MAX_ENTRIES = 4000
_EXTENSION = "zwt_kept"
_CHANGED = "zwt_kept_changed"
_ALL = "*"
_declared: dict[str, "Kept"] = {}
_installed = False
# Other parts of the app read a Redis key or two at the start of every request (the permission
# cache's version, the browser session's record): they ride in the same round trip as the
# tokens. (keys() -> [Redis key], take(values)) each; take gets the values in keys' order.
_first_reads: list[tuple[Callable[[], list[str]], Callable[[list], None]]] = []


def read_first(keys: Callable[[], list[str]], take: Callable[[list], None]) -> None:
    """Read `keys()` in the request's first Redis round trip and hand the values to `take`
    (nothing is handed when Redis cannot be read: the caller reads again, or goes without)."""
    if (keys, take) not in _first_reads:
        _first_reads.append((keys, take))


class Kept:
    """One kept value (or, with `per_user`, one per user id)."""

    def __init__(self, name: str, load: Callable[..., Any], tables: set[str], per_user: bool = False,
                 key_of: Callable[[Any], Any] | None = None):
        self.name, self.load, self.tables, self.per_user = name, load, frozenset(tables), per_user
        self.key_of = key_of
        _declared[name] = self

    def _token_name(self, user_id=None) -> str:
        return f"{self.name}:{user_id}" if self.per_user else self.name

    def get(self, user_id=None):
        """The value (for `user_id` when per user), from this process when its token is current."""
        if not has_app_context():
            return self.load(user_id) if self.per_user else self.load()
        name = self._token_name(user_id)
        if _pending(name):   # changed in this transaction, not committed yet: read what it wrote
            return self.load(user_id) if self.per_user else self.load()
        token = _token(name)
        if self.per_user and token is not None:
            generation = _token(f"{self.name}:{_ALL}")   # moved by a bulk write of the table
            token = None if generation is None else f"{token}/{generation}"
        store = _store()
        if token is not None:
            with store.lock:
                entry = store.entries.get(name)
            if entry is not None and entry[0] == token and time.monotonic() - entry[2] <= _max_age():
                return entry[1]
        value = self.load(user_id) if self.per_user else self.load()
        if token is not None:
            with store.lock:
                if len(store.entries) >= MAX_ENTRIES and name not in store.entries:
                    _make_room(store.entries)
                store.entries[name] = (token, value, time.monotonic())
        return value

    def changed(self, user_id=None, session=None) -> None:
        """Announce a change after the current transaction commits (at once without one)."""
        from app.extensions import db

        session = session or db.session
        session.info.setdefault(_CHANGED, set()).add(self._token_name(user_id) if self.per_user else self.name)


def _pending(name: str) -> bool:
    from app.extensions import db

    return name in db.session.info.get(_CHANGED, ())


# -- tokens -----------------------------------------------------------------------------------------
class _Store:
    def __init__(self):
        self.entries: dict = {}
        self.lock = threading.Lock()


def _make_room(entries: dict) -> None:
    """Drop the expired entries, then the older half of those left if still full."""
    now, max_age = time.monotonic(), _max_age()
    for key in [k for k, entry in entries.items() if now - entry[2] > max_age]:
        del entries[key]
    if len(entries) >= MAX_ENTRIES:
        for key, _entry in sorted(entries.items(), key=lambda item: item[1][2])[:len(entries) // 2]:
            del entries[key]


def _store() -> _Store:
    store = current_app.extensions.get(_EXTENSION)
    if store is None:
        store = current_app.extensions.setdefault(_EXTENSION, _Store())
    return store


def _max_age() -> float:
    return float(current_app.config.get("KEPT_SECONDS", DEFAULT_MAX_AGE))


def _key(config, name: str) -> str:
    return f"{config['RQ_QUEUE']}:kept:{name}"


def _redis():
    from app.core.jobs import redis_connection

    return redis_connection(current_app.config)


def _read(names: list[str]) -> dict[str, str | None]:
    """{name: token} from Redis, tokens created where missing; all None when Redis is away."""
    config = current_app.config
    try:
        connection = _redis()
        values = connection.mget([_key(config, n) for n in names])
        missing = [n for n, v in zip(names, values) if v is None]
        if missing:
            pipe = connection.pipeline(transaction=False)
            for n in missing:
                pipe.set(_key(config, n), uuid.uuid4().hex, nx=True)
            pipe.execute()
            values = connection.mget([_key(config, n) for n in names])
    except (RedisError, OSError) as exc:
        log.warning("kept values off for this request: Redis unreachable (%s)", type(exc).__name__)
        return {n: None for n in names}
    return {n: (v.decode() if isinstance(v, bytes) else v) for n, v in zip(names, values)}


def _request_names() -> list[str]:
    names = [k.name for k in _declared.values() if not k.per_user]
    user_id = web_session.get("_user_id") if has_request_context() else None
    if user_id is not None:
        names += [k._token_name(user_id) for k in _declared.values() if k.per_user]
    names += [f"{k.name}:{_ALL}" for k in _declared.values() if k.per_user]
    return names


def _token(name: str) -> str | None:
    if not has_request_context():
        return _read([name])[name]
    tokens = g.get("_zwt_kept_tokens")
    if tokens is None:
        _first_round_trip()
        tokens = g._zwt_kept_tokens
    if name not in tokens:
        tokens.update(_read([name]))
    return tokens[name]


def _read_tokens_first() -> None:
    if (request.endpoint or "").endswith("static"):
        return
    _first_round_trip()


def _first_round_trip() -> None:
    """The request's tokens, with the keys registered by read_first, in one round trip: first
    thing in the request, or when a value is asked for before that (once per request)."""
    if g.get("_zwt_kept_tokens") is not None:
        return
    config = current_app.config
    names = _request_names() if _declared else []
    wanted = [(keys(), take) for keys, take in _first_reads]
    try:
        pipe = _redis().pipeline(transaction=False)
        if names:
            pipe.mget([_key(config, n) for n in names])
        for keys, _take in wanted:
            for key in keys:
                pipe.get(key)
        values = pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("kept values off for this request: Redis unreachable (%s)", type(exc).__name__)
        g._zwt_kept_tokens = {n: None for n in names}
        return
    tokens = dict(zip(names, values.pop(0))) if names else {}
    missing = [n for n, v in tokens.items() if v is None]
    if missing:
        tokens.update(_read(missing))
    g._zwt_kept_tokens = {n: (v.decode() if isinstance(v, bytes) else v) for n, v in tokens.items()}
    for keys, take in wanted:
        take(values[:len(keys)])
        values = values[len(keys):]


def bump(names) -> None:
    """New tokens for `names` (a change every process sees with its next request)."""
    names = sorted(set(names))
    if not names:
        return
    store = _store()
    with store.lock:
        for name in names:
            store.entries.pop(name, None)
    config = current_app.config
    tokens = {name: uuid.uuid4().hex for name in names}
    try:
        pipe = _redis().pipeline(transaction=False)
        for name, token in tokens.items():
            pipe.set(_key(config, name), token)
        pipe.execute()
    except (RedisError, OSError):
        log.error("a change of %s could not be announced: Redis unreachable; other processes keep "
                  "their copy for up to %s s", ", ".join(names), _max_age())
        return
    if has_request_context() and g.get("_zwt_kept_tokens") is not None:
        g._zwt_kept_tokens.update(tokens)


# -- noticing changes ---------------------------------------------------------------------------------
def _names_for_table(table: str, row=None) -> list[str]:
    names = []
    for kept in _declared.values():
        if table not in kept.tables:
            continue
        if kept.per_user:
            key = kept.key_of(row) if (row is not None and kept.key_of) else None
            names.append(kept._token_name(key) if key is not None else f"{kept.name}:{_ALL}")
        else:
            names.append(kept.name)
    return names


def _after_flush(session, _flush_context) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        table = getattr(getattr(type(obj), "__table__", None), "name", None)
        if table is None:
            continue
        names = _names_for_table(table, obj)
        if names:
            session.info.setdefault(_CHANGED, set()).update(names)


def _on_execute(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    names = _names_for_table(table) if table else []
    if names:
        state.session.info.setdefault(_CHANGED, set()).update(names)


def _after_commit(session) -> None:
    names = session.info.pop(_CHANGED, None)
    if not names or not has_app_context():
        return
    for prefix in {n.rsplit(":", 1)[0] for n in names if n.endswith(f":{_ALL}")}:
        store = _store()   # a bulk write of a per-user table: every user's copy here goes too
        with store.lock:
            for key in [k for k in store.entries if k.startswith(prefix + ":")]:
                store.entries.pop(key, None)
    bump(names)


def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)


def install(app) -> None:
    """Watch sessions for writes of kept tables, and read the tokens first thing in a request."""
    global _installed
    if not _installed:
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
        _installed = True
    app.extensions.setdefault(_EXTENSION, _Store())
    funcs = app.before_request_funcs.setdefault(None, [])
    if _read_tokens_first not in funcs:
        funcs.insert(0, _read_tokens_first)
