"""A web process does not load what only some commands or features use: Flask-Migrate (Alembic,
Mako), the CEL condition language (celpy, lark) and the second factor's TOTP and QR code (pyotp,
segno) are imported when a migration runs, a condition is compiled, or a second factor is set up
— and those still work."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAZY = ("flask_migrate", "alembic", "celpy", "lark", "pyotp", "segno")

STARTED = r"""
import json, sys
import app
application = app.create_app()
client = application.test_client()
assert client.get("/login/").status_code == 200
print(json.dumps(sorted(name for name in %r if name in sys.modules)))
"""


def test_the_web_app_starts_and_serves_without_the_lazily_loaded_packages(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    env = dict(os.environ, DATABASE_URL=uri, LOG_LEVEL="ERROR")
    done = subprocess.run([sys.executable, "-c", STARTED % (LAZY,)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_a_condition_compiles_and_evaluates_with_the_language_loaded_on_use():
    from app.workflow.conditions import ConditionError, compile_condition

    condition = compile_condition("doc.amount > 1000 && submitter.department == '销售部'")
    assert condition.evaluate({"doc": {"amount": 5000}, "submitter": {"department": "销售部"}, "step": {}}) is True
    assert condition.evaluate({"doc": {"amount": 10}, "submitter": {"department": "销售部"}, "step": {}}) is False
    assert "celpy" in sys.modules
    try:
        compile_condition("doc.amount >")
    except ConditionError:
        pass
    else:
        raise AssertionError("a broken condition compiled")


def test_the_migration_commands_still_run(app, tmp_path):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    env = dict(os.environ, DATABASE_URL=uri, LOG_LEVEL="ERROR")
    done = subprocess.run([sys.executable, "run.py", "db", "heads"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "(head)" in done.stdout
    done = subprocess.run([sys.executable, "run.py", "db", "current"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
