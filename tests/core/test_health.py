"""/healthz and /readyz: public, cheap, JSON, no cookie; /readyz fails with 503 when the database,
Redis or the file store cannot be reached."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event

from app.core import health, observability
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def observed(app):
    observability.install(app)
    return app


@pytest.fixture
def statements(app):
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_healthz_answers_without_the_database_or_a_cookie(observed, statements):
    client = observed.test_client()
    for _ in range(60):              # never rate limited
        resp = client.get("/healthz")
        assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}
    assert resp.content_type == "application/json"
    assert "Set-Cookie" not in resp.headers
    assert resp.headers["Cache-Control"] == "no-store"
    assert statements == []


def test_readyz_reports_each_check(observed):
    resp = observed.test_client().get("/readyz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "store"}
    for check in body["checks"].values():
        assert check["ok"] is True and check["ms"] >= 0
    assert "Set-Cookie" not in resp.headers


def test_readyz_is_503_when_redis_is_unreachable(observed, monkeypatch):
    monkeypatch.setitem(observed.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    resp = observed.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "fail"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True and body["checks"]["store"]["ok"] is True
    assert "127.0.0.1:1" not in resp.get_data(as_text=True)       # details stay in the log


def test_readyz_is_503_when_the_file_store_is_not_writable(observed, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setitem(observed.config, "INSTANCE_DIR", str(blocker))
    resp = observed.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["store"]["ok"] is False


def test_readyz_fails_when_the_database_is_unreachable(app):
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    try:
        status, body = health.readyz(app.config, engine)
    finally:
        engine.dispose()
    assert status == 503
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["redis"]["ok"] is True


def _env(app, **changes) -> dict:
    from app.core.jobs import embedded_redis_url, open_embedded_redis

    env = dict(os.environ)
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"] or embedded_redis_url(open_embedded_redis(app.config["INSTANCE_DIR"])),
        "ZWT_INSTANCE_DIR": app.config["INSTANCE_DIR"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "PYTHONPATH": str(ROOT),
    })
    env.update(changes)
    return env


def test_the_command_line_check_for_workers(app):
    done = subprocess.run([sys.executable, "-m", "app.core.health"], cwd=ROOT, env=_env(app),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["status"] == "ok"
    done = subprocess.run([sys.executable, "-m", "app.core.health"], cwd=ROOT,
                          env=_env(app, REDIS_URL="redis://127.0.0.1:1/0"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert json.loads(done.stdout.strip().splitlines()[-1])["checks"]["redis"]["ok"] is False
