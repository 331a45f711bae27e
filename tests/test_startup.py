"""Starting 掌务通 is quiet: installing, starting again and building the app print no warning."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
# Python's logging ("WARNING:name:"), alembic's ("WARNI [name]") and warnings.warn ("...Warning:").
WARNING_LINE = re.compile(r"^(WARNING|WARNI)\b|Warning:")


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if WARNING_LINE.search(line)]


def _clean_env(tmp_path: Path, database_url: str | None = None, python_warnings: str = "default") -> dict:
    """A first-time user's environment: an empty home, an empty instance folder, embedded Redis.
    Python's own warnings (deprecations ...) are shown too, where our code is what runs."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PORT", "HOST", "LOG_LEVEL", "PUBLIC_URL")}
    (tmp_path / "home").mkdir(exist_ok=True)
    env.update(HOME=str(tmp_path / "home"), ZWT_INSTANCE_DIR=str(tmp_path / "instance"), ZWT_ENV="development",
               PYTHONWARNINGS=python_warnings)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _run(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout + done.stderr


def test_installing_starting_again_and_building_the_app_print_no_warning(app, tmp_path):
    # On PostgreSQL: the suite's database (set up already: "starting again"); else a fresh SQLite file.
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    env = _clean_env(tmp_path, uri if uri.startswith("postgresql") else None)
    first = _run(env, "run.py", "init")
    assert "Schema at head" in first
    again = _run(env, "run.py", "init")
    built = _run(env, "-c", "from app import create_app; create_app()")
    assert _warnings(first) == []
    assert _warnings(again) == []
    assert _warnings(built) == []
