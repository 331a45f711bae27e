"""compose.yaml, the Dockerfile and deploy/ agree with the code: every command a container runs
exists, every variable it sets is read, migrations run in one service only, the file store is
shared, health checks ask /readyz. (Docker itself cannot run here; `docker compose config`
checks the file's syntax where a Compose CLI is installed.)"""
from __future__ import annotations

import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
APP_IMAGE = "zhangwutong:latest"
_DEFAULTS = re.compile(r"\$\{([A-Z_]+)(?::?-([^}]*))?\}")


def _interpolate(value):
    """${NAME:-default} → default (as Compose does with NAME unset)."""
    if isinstance(value, str):
        return _DEFAULTS.sub(lambda m: m.group(2) or "", value)
    if isinstance(value, list):
        return [_interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: _interpolate(v) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def compose():
    return _interpolate(yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


@pytest.fixture(scope="module")
def app_services(services):
    return {name: s for name, s in services.items() if s.get("image") == APP_IMAGE}


def _replicas(service) -> int:
    return service.get("deploy", {}).get("replicas", 1)


def _variables_read() -> set[str]:
    """Names of environment variables the code reads."""
    patterns = [r'_env(?:_int|_bool)?\(\s*"([A-Z][A-Z0-9_]+)"', r'environ(?:\.get|\.setdefault|\.pop)?\(\s*"([A-Z][A-Z0-9_]+)"',
                r'environ\[\s*"([A-Z][A-Z0-9_]+)"\s*\]', r'getenv\(\s*"([A-Z][A-Z0-9_]+)"']
    names: set[str] = set()
    files = [ROOT / "config.py", ROOT / "run.py", *ROOT.glob("app/**/*.py"), *ROOT.glob("deploy/*.py")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            names.update(re.findall(pattern, text))
    for path in ROOT.glob("deploy/*.sh"):
        names.update(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", path.read_text(encoding="utf-8")))
    return names


def test_the_services_of_a_scaled_out_deployment(services, app_services):
    assert {"postgres", "redis", "init", "web", "worker", "scheduler", "proxy"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert _replicas(services["web"]) == 2
    assert _replicas(services["worker"]) == 2
    assert _replicas(services["scheduler"]) == 1, "a second cron scheduler would enqueue every job twice"
    assert set(app_services) == {"init", "web", "worker", "scheduler"}


def test_every_command_exists(app_services):
    from run import cli

    for name, service in app_services.items():
        command = service["command"]
        if command[:2] == ["python", "run.py"]:
            assert command[2] in cli.commands, f"{name}: run.py has no command {command[2]}"
        elif command[0] == "gunicorn":
            config = command[command.index("-c") + 1]
            assert (ROOT / config).is_file()
            assert command[-1] == "app:create_app()"
        else:
            pytest.fail(f"{name}: unexpected command {command}")
    assert app_services["web"]["command"][0] == "gunicorn"
    assert app_services["worker"]["command"][2] == "worker"
    assert app_services["scheduler"]["command"][2] == "cron"


def test_migrations_run_in_one_service_before_the_others(app_services):
    running_init = [name for name, s in app_services.items() if s["command"][:3] == ["python", "run.py", "init"]]
    assert running_init == ["init"]
    assert app_services["init"]["restart"] == "no"
    for name in ("web", "worker", "scheduler"):
        assert app_services[name]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "init" not in dockerfile.split("CMD", 1)[1] and "upgrade" not in dockerfile.split("CMD", 1)[1]
    assert "init" not in (ROOT / "deploy" / "entrypoint.sh").read_text(encoding="utf-8").split("exec", 1)[1]


def test_every_variable_set_is_read_by_the_code(app_services):
    read = _variables_read()
    for name, service in app_services.items():
        unknown = sorted(set(service["environment"]) - read)
        assert unknown == [], f"{name} sets variables nothing reads: {unknown}"


def test_the_settings_make_a_valid_production_config(app_services, monkeypatch):
    from config import build_config

    env = app_services["web"]["environment"]
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.setenv("SECRET_KEY", "k" * 40)         # what the entry point reads from SECRET_KEY_FILE
    config = build_config()
    assert config["ZWT_ENV"] == "production"
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://zwt:")
    assert "@postgres:5432/zwt" in config["SQLALCHEMY_DATABASE_URI"]
    assert config["REDIS_URL"] == "redis://redis:6379/0"
    assert config["PROXY_COUNT"] == 1


def test_the_database_url_matches_the_database_service(services, app_services):
    pg = services["postgres"]["environment"]
    url = app_services["web"]["environment"]["DATABASE_URL"]
    assert url.startswith(f"postgresql://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}")


def test_every_process_shares_the_file_store(app_services, compose):
    for name, service in app_services.items():
        store = service["environment"]["ZWT_INSTANCE_DIR"]
        mounts = {m.split(":")[1]: m.split(":")[0] for m in service["volumes"]}
        assert mounts.get(store) == "files", f"{name} does not mount the shared file store at {store}"
    assert "files" in compose["volumes"]


def test_health_checks_ask_readyz(services, app_services):
    web = services["web"]
    check = " ".join(web["healthcheck"]["test"])
    port = web["environment"]["GUNICORN_BIND"].rsplit(":", 1)[1]
    assert f"127.0.0.1:{port}/readyz" in check
    for name in ("worker", "scheduler"):
        assert app_services[name]["healthcheck"]["test"][1:] == ["python", "-m", "app.core.health"]
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert f"server web:{port}" in nginx
    assert "X-Request-ID" in nginx


def test_the_image():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert "pip install -r requirements.txt" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    entry = ROOT / "deploy" / "entrypoint.sh"
    assert os.access(entry, os.X_OK)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "instance", ".git"} <= set(ignored)


def test_the_gunicorn_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("LOG_FORMAT", "json")
    settings = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert settings["workers"] == 3
    assert settings["accesslog"] is None
    formatter = settings["logconfig_dict"]["formatters"]["json"]["()"]
    module, name = formatter.rsplit(".", 1)
    assert getattr(__import__(module, fromlist=[name]), name).__name__ == "JsonFormatter"
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"old")
    settings["on_starting"](None)
    assert list((tmp_path / "metrics").iterdir()) == []


def test_a_web_process_keeps_the_loaded_app_out_of_full_garbage_collections(tmp_path):
    """post_worker_init freezes what loading the app made: full collections walk only what requests make since."""
    script = ("import gc, runpy; settings = runpy.run_path('deploy/gunicorn.conf.py'); "
              "from app import create_app; create_app(); before = gc.get_freeze_count(); "
              "settings['post_worker_init'](None); print(before, gc.get_freeze_count(), len(gc.get_objects()))")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "ZWT_INSTANCE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    before, frozen, tracked = map(int, done.stdout.split()[-3:])
    assert before == 0 and frozen > 100_000 and tracked < frozen // 10


def test_a_web_process_runs_its_full_garbage_collections_between_requests(tmp_path):
    """After the app is loaded CPython starts no full collection inside a request however much garbage requests leave;
    post_request, after the response has gone, runs one every ZWT_GC_FULL_EVERY requests and frees that garbage."""
    script = """
import gc, runpy, types
settings = runpy.run_path("deploy/gunicorn.conf.py")
from app import create_app
create_app()
settings["post_worker_init"](None)
worker = types.SimpleNamespace()
full = lambda: gc.get_stats()[2]["collections"]
before = full()


class Cycle:
    pass


def request():
    for _ in range(2000):
        a, b = Cycle(), Cycle()
        a.b, b.a = b, a


counts = []
for n in range(1, 61):
    request()
    counts.append(full() - before)
    settings["post_request"](worker, None, None, None)
print(counts[18], counts[19], counts[20], counts[-1], full() - before, len(gc.garbage))
"""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "ZWT_INSTANCE_DIR": str(tmp_path),
           "ZWT_GC_FULL_EVERY": "20"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    # None within requests 1–20; one after the 20th request has been answered; three after the sixtieth.
    assert done.stdout.split()[-6:] == ["0", "0", "1", "2", "3", "0"], done.stdout


def _entry(tmp_path, **env):
    return subprocess.run(["sh", str(ROOT / "deploy" / "entrypoint.sh"), sys.executable, "-c",
                           "import os; print(os.environ.get('SECRET_KEY', '')); print(os.environ.get('ADMIN_PASSWORD', ''))"],
                          env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True, timeout=30)


def test_the_entry_point_makes_the_secrets_once(tmp_path):
    key_file, admin_file = tmp_path / "secrets" / "secret_key", tmp_path / "secrets" / "admin_password"
    waiting = _entry(tmp_path, SECRET_KEY_FILE=str(key_file))
    assert waiting.returncode == 1 and "SECRET_KEY" in waiting.stderr
    first = _entry(tmp_path, SECRET_KEY_FILE=str(key_file), ZWT_CREATE_SECRETS="1", ADMIN_PASSWORD_FILE=str(admin_file))
    assert first.returncode == 0, first.stderr
    key, password = first.stdout.split("\n")[:2]
    assert len(key) >= 32 and len(password) >= 32 and key != password
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = _entry(tmp_path, SECRET_KEY_FILE=str(key_file))       # another container reads the same key
    assert again.returncode == 0 and again.stdout.split("\n")[0] == key
    given = _entry(tmp_path, SECRET_KEY="given-" + "x" * 40, SECRET_KEY_FILE=str(key_file))
    assert given.stdout.split("\n")[0] == "given-" + "x" * 40


def test_compose_accepts_the_file():
    if shutil.which("docker-compose"):
        command = ["docker-compose", "-f", str(ROOT / "compose.yaml"), "config", "-q"]
    elif shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        command = ["docker", "compose", "-f", str(ROOT / "compose.yaml"), "config", "-q"]
    else:
        pytest.skip("no Compose command line here")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def _gunicorn(app, tmp_path, **extra):
    """deploy/gunicorn.conf.py serving the suite's database with two workers; the process and its base URL."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "ZWT_PRELOAD")}
    redis_url = env.get("REDIS_URL", "")
    if not redis_url:
        from app.core.jobs import embedded_redis_url, open_embedded_redis

        redis_url = embedded_redis_url(open_embedded_redis(app.config["INSTANCE_DIR"]))
    env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], ZWT_INSTANCE_DIR=app.config["INSTANCE_DIR"],
               SECRET_KEY=app.config["SECRET_KEY"], RQ_QUEUE=app.config["RQ_QUEUE"], REDIS_URL=redis_url,
               ZWT_ENV=app.config["ZWT_ENV"], WEB_CONCURRENCY="2", GUNICORN_BIND=f"127.0.0.1:{port}",
               LOG_LEVEL="WARNING", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), **extra)
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "app:create_app()"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return proc, f"http://127.0.0.1:{port}"


def _ready_workers(proc, base, tmp_path, count=2):
    import time
    import urllib.request

    import psutil

    deadline = time.monotonic() + 90
    while True:
        assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:]
        workers = psutil.Process(proc.pid).children()
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=5) as resp:
                if resp.status == 200 and len(workers) == count:
                    return workers
        except OSError:
            pass
        time.sleep(0.3)


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def test_the_workers_are_forked_from_one_loaded_app_whose_master_keeps_no_database_connection(app, tmp_path):
    """With the app loaded once in the master (the default), a freshly started worker's own memory (USS) is a small
    part of its RSS (without, about three quarters): the rest is the master's pages, shared. Loading opened no
    database connection in the master: every worker answers from connections of its own."""
    import json
    import urllib.request

    import psutil

    proc, base = _gunicorn(app, tmp_path)
    try:
        workers = _ready_workers(proc, base, tmp_path)
        for _ in range(20):
            with urllib.request.urlopen(base + "/readyz", timeout=10) as resp:
                assert resp.status == 200 and json.loads(resp.read())["status"] == "ok"
        master = psutil.Process(proc.pid)
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        if uri.startswith("postgresql"):
            port = int(re.search(r":(\d+)/", uri).group(1)) if re.search(r":(\d+)/", uri) else 5432
            held = [c for c in master.net_connections(kind="inet") if c.raddr and c.raddr.port == port]
            used = [c for w in workers for c in w.net_connections(kind="inet") if c.raddr and c.raddr.port == port]
        else:
            path = uri.split("///", 1)[1]
            held = [f for f in master.open_files() if f.path == path]
            used = [f for w in workers for f in w.open_files() if f.path == path]
        assert held == [] and used
        shares = [w.memory_full_info().uss / w.memory_info().rss for w in workers]
        assert max(shares) < 0.5, shares
    finally:
        _stop(proc)
    assert proc.returncode == 0, (tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:]
