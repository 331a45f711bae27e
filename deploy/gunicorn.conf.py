"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py "app:create_app()"`.

Environment: GUNICORN_BIND (0.0.0.0:8000), WEB_CONCURRENCY (worker processes, 2),
GUNICORN_TIMEOUT (120 s), LOG_FORMAT (json), PROMETHEUS_MULTIPROC_DIR (a fresh folder of this
machine; the metrics of all the workers are added up there).
"""
import os
import shutil
import tempfile

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


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
