"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py "app:create_app()"`.

Environment: GUNICORN_BIND (0.0.0.0:8000), WEB_CONCURRENCY (worker processes, 2),
GUNICORN_TIMEOUT (120 s), LOG_FORMAT (json), PROMETHEUS_MULTIPROC_DIR (a fresh folder of this
machine; the metrics of all the workers are added up there), ZWT_PRELOAD (1: the app is loaded
once, in the master process, and the workers share it; 0: each worker loads its own).
"""
import os
import shutil
import sys
import tempfile

# The frameworks first, without the packages only some features use (app.LOADED_ON_USE): the
# JSON log formatter below imports part of the app, and with it RQ and redis.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
__import__("app").load_frameworks()

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# The control socket would go to ~/.gunicorn/, shared by every gunicorn of the user.
control_socket_disable = True
# The app writes one line per request itself (logger zwt.access, with the request id).
accesslog = None
# Each web process keeps its metrics in files of this folder, which /metrics adds up.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="zwt-prometheus-")

if os.environ.get("LOG_FORMAT", "json").lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.core.observability.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": os.environ.get("LOG_LEVEL", "WARNING").upper(), "handlers": ["console"]},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False}},
    }


def on_starting(server):
    """Metrics of an earlier run of this machine's web processes do not count again."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


# -- one loaded app for all the workers ------------------------------------------------------------
# The master loads the app and forks the workers from it: the pages of what loading made (the
# frameworks, the modules, their views and mappers) are the workers' in common until a worker
# writes to them. A worker's own memory (USS) after 300 mixed requests: 150 MB each alone, 104 MB
# each with the app shared. Loading opens no database connection (a test checks that the master
# holds none), so no worker shares one. Code changes need a restart (HUP reloads settings, not the app).
preload_app = os.environ.get("ZWT_PRELOAD", "1") != "0"


def when_ready(server):
    """In the master, the app loaded: what it made is frozen, so that no garbage collection of a
    worker writes to those pages."""
    if preload_app:
        import gc

        gc.collect()
        gc.freeze()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# -- memory of a web process ---------------------------------------------------------------------
# glibc's malloc raises its mmap and trim thresholds after a large block is freed (signing in
# hashes the password with scrypt: 32 MB), after which freed memory stays with the process; fixed
# thresholds give it back. One malloc arena per process is enough for a sync worker's one thread
# (and the few the libraries start). Every TRIM_EVERY requests the heap's free pages are returned.
# Linux with glibc only; elsewhere nothing changes. ZWT_MALLOC_TUNING=0 turns it off.
TRIM_EVERY = int(os.environ.get("ZWT_MALLOC_TRIM_EVERY", "50"))
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8


def _libc():
    if os.environ.get("ZWT_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


def post_fork(server, worker):
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, 2)
        libc.mallopt(_M_MMAP_THRESHOLD, 256 * 1024)
        libc.mallopt(_M_TRIM_THRESHOLD, 1024 * 1024)
    worker.zwt_libc, worker.zwt_served = libc, 0


def post_worker_init(worker):
    """The app is loaded: its objects (frameworks, models, compiled templates and statements: about half a million)
    live as long as the process, so full garbage collections need not walk them (235 ms each, every few hundred
    requests, before; a few ms after); and full collections run between requests (app/core/collection.py)."""
    from app.core import collection

    collection.after_load()


def post_request(worker, req, environ, resp):
    """After the response has gone: a full garbage collection every ZWT_GC_FULL_EVERY requests, free heap pages
    back to the system every ZWT_MALLOC_TRIM_EVERY."""
    from app.core import collection

    worker.zwt_served = getattr(worker, "zwt_served", 0) + 1
    collection.after_request(worker.zwt_served)
    libc = getattr(worker, "zwt_libc", None)
    if libc is not None and TRIM_EVERY > 0 and worker.zwt_served % TRIM_EVERY == 0:
        libc.malloc_trim(0)
