"""Starting 掌务通 is quiet and tidy: installing, starting again and serving print no warning, and
stopping `run.py serve` leaves no process behind and nothing outside the instance folder."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _processes_of(instance: Path) -> list[str]:
    """Processes anywhere on the machine whose command line names this instance folder."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(instance) in cmdline:
            found.append(f"{proc.info['pid']} {cmdline}")
    return found


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                    reason="the embedded defaults whatever the suite's database: run by the SQLite suite")
def test_serve_keeps_its_files_in_the_instance_folder_and_stops_everything_it_started(tmp_path):
    # gunicorn's worker leaves its copy of the listening socket to the garbage collector: a
    # ResourceWarning of gunicorn's own, shown only when asked for, so not asked for here.
    env = _clean_env(tmp_path, python_warnings="")
    instance, home = tmp_path / "instance", tmp_path / "home"
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        # As scripts/start.sh starts it: with the demo data.
        serve = subprocess.Popen([sys.executable, "run.py", "serve", "--demo", "--port", str(port), "--web-workers", "1"],
                                 cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    started: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 180
        while not _answers(f"http://127.0.0.1:{port}/login/"):
            assert serve.poll() is None, log_path.read_text()[-4000:]
            assert time.monotonic() < deadline, log_path.read_text()[-4000:]
            time.sleep(0.5)
        started = psutil.Process(serve.pid).children(recursive=True)
        redis_pid = int((instance / "redis" / "redis.pid").read_text())
        started.append(psutil.Process(redis_pid))
        # While it runs: its sockets are in its own instance folder.
        assert (instance / "redis" / "redis.socket").exists()
        assert (instance / "gunicorn.ctl").exists()
        # Ctrl-C
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=60) == 0, log_path.read_text()[-4000:]
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
    gone, alive = psutil.wait_procs(started, timeout=10)
    leftovers = [f"{p.pid} {' '.join(p.cmdline())}" for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    for proc in alive:   # never leave them to the next test, whatever the assertion says
        proc.kill()
    assert leftovers == []
    assert _processes_of(instance) == []
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == []
    output = log_path.read_text()
    assert "Stopped." in output
    assert _warnings(output) == []
