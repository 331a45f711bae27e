"""Health of a process: /healthz (the process answers) and /readyz (what it needs is reachable).

/readyz checks the database (SELECT 1), Redis (PING) and the file store (app.core.files: the
configured FILE_STORE — a folder, by writing and removing a small file, or an S3 bucket, by asking
for it), shared by every web and worker process. Each check reports ok and its time in milliseconds; a failed
one reports the kind of error only (details go to the log, not to whoever asks), and the answer
is 503 so that a load balancer or an orchestrator takes the process out of rotation.

Both are answered by app.core.observability's middleware, before Flask: no session, no cookie,
no rate limit, no permission check. `python -m app.core.health` runs the same checks from the
command line (for containers that serve no HTTP: workers and the scheduler) and exits 1 when one
fails.
"""
from __future__ import annotations

import json
import logging
import sys
import time

log = logging.getLogger(__name__)

# Redis clients for the check, with short time-outs (the job queue's client has none).
_probes: dict = {}
CHECK_TIMEOUT_SECONDS = 3


def healthz() -> tuple[int, dict]:
    return 200, {"status": "ok"}


def _timed(name: str, fn) -> dict:
    started = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 — any failure makes the process not ready
        log.warning("readiness check %s failed: %s", name, exc)
        return {"ok": False, "error": type(exc).__name__, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def check_database(engine) -> None:
    from sqlalchemy import text

    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def check_redis(config) -> None:
    url = config.get("REDIS_URL")
    if not url:   # the embedded server this process (or `run.py serve`) opened
        from app.core.jobs import redis_connection

        redis_connection(config).ping()
        return
    client = _probes.get(url)
    if client is None:
        from redis import Redis

        client = _probes[url] = Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
                                               socket_timeout=CHECK_TIMEOUT_SECONDS)
    client.ping()


def check_store(config) -> None:
    from app.core.files import store

    store(config).check()


def readyz(config, engine) -> tuple[int, dict]:
    checks = {
        "database": _timed("database", lambda: check_database(engine)),
        "redis": _timed("redis", lambda: check_redis(config)),
        "store": _timed("store", lambda: check_store(config)),
    }
    ready = all(check["ok"] for check in checks.values())
    return (200 if ready else 503), {"status": "ok" if ready else "fail", "checks": checks}


def app_readyz(app) -> tuple[int, dict]:
    from app.extensions import db

    with app.app_context():
        return readyz(app.config, db.engine)


def main() -> int:
    """The checks of /readyz for a process without HTTP, from the environment's settings."""
    from sqlalchemy import create_engine

    from config import build_config

    # The checks need no secret; a container's health check does not get the entry point's.
    config = build_config(SECRET_KEY="readiness-check")
    engine = create_engine(config["SQLALCHEMY_DATABASE_URI"], **config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    try:
        status, body = readyz(config, engine)
    finally:
        engine.dispose()
    print(json.dumps(body))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
