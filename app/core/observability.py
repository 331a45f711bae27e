"""What operators see of running processes: request ids, logs, metrics, health.

- Every request has an id: the caller's X-Request-ID when it is short and safe (a reverse proxy
  usually sets one), else a new one. It is sent back in the X-Request-ID header, written into
  every log line of the request, and carried in the meta of the jobs the request enqueues
  (TracedQueue), so the worker's log lines for such a job carry it too (TracedWorker).
- Logs: LOG_FORMAT=json (the default in production) writes one JSON object per line — time,
  level, logger, message, request_id, user_id, method, route, and on the one line per request
  (logger zwt.access) status and duration_ms; LOG_FORMAT=text (development) writes plain lines
  with the request id.
- /metrics (Prometheus text format): requests by route (the URL rule, never the raw path),
  method and status; latency histograms by route; RQ jobs done and failed, queue lengths and
  job registries, read from Redis so that every web process reports the whole cluster. With
  PROMETHEUS_MULTIPROC_DIR set (deploy/gunicorn.conf.py sets it) the figures of all gunicorn
  workers of a machine are added up; without it, the process's own. Served only to callers on
  this machine (a loopback address, no proxy header) or with `Authorization: Bearer
  <METRICS_TOKEN>`.
- /healthz and /readyz: see app.core.health.

The request-level parts are one WSGI middleware around the Flask app (install()), so /healthz,
/readyz and /metrics never go through sessions, rate limits or permission checks.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import hmac
import ipaddress
import json
import logging
import os
import re
import time
import uuid

from flask import g, has_request_context, request
from rq import Queue, SimpleWorker

log = logging.getLogger(__name__)
access_log = logging.getLogger("zwt.access")

REQUEST_ID_HEADER = "X-Request-ID"
_ENVIRON_ID = "zwt.request_id"
_ENVIRON_ROUTE = "zwt.route"
_ENVIRON_USER = "zwt.user_id"
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
HEALTH_PATHS = ("/healthz", "/readyz")
METRICS_PATH = "/metrics"
UNMATCHED_ROUTE = "<unmatched>"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# The job a worker is running: {"request_id", "user_id", "job_id"}.
_job_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("zwt_job_context", default=None)


# -- request ids ------------------------------------------------------------------------------------
def valid_request_id(value: str | None) -> str | None:
    return value if value and _SAFE_ID.fullmatch(value) else None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being served, or of the request that enqueued the running job."""
    if has_request_context():
        return request.environ.get(_ENVIRON_ID)
    job = _job_context.get()
    return job.get("request_id") if job else None


def _user_id_of_g() -> int | None:
    """The signed-in user's id if this request has loaded the user already (never a query)."""
    for name in ("_login_user", "user"):
        user = g.get(name)
        if user is not None and type(user).__name__ != "LocalProxy" and getattr(user, "is_authenticated", False):
            user_id = getattr(user, "__dict__", {}).get("id")
            if user_id is not None:
                return user_id
    return None


def context_fields() -> dict:
    """request_id, user_id, method and route of what this thread is doing now."""
    if has_request_context():
        rule = request.url_rule
        return {"request_id": request.environ.get(_ENVIRON_ID), "user_id": _user_id_of_g(),
                "method": request.method, "route": rule.rule if rule is not None else None}
    job = _job_context.get()
    if job:
        return dict(job)
    return {}


# -- logging ------------------------------------------------------------------------------------------
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_FIRST = ("time", "level", "logger", "message", "request_id", "user_id", "method", "route", "status", "duration_ms")


class ContextFilter(logging.Filter):
    """Adds request_id (and the rest of context_fields) to records that do not carry them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in context_fields().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; fields without a value are left out."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds")
                      .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = context_fields()
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                context[key] = value
        if context.get("request_id") == "-":
            context["request_id"] = None
        for key in _FIRST[4:]:
            if context.get(key) is not None:
                data[key] = context.pop(key)
        data.update((k, v) for k, v in context.items() if v is not None)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def log_format(config) -> str:
    chosen = (config.get("LOG_FORMAT") or os.environ.get("LOG_FORMAT") or "").strip().lower()
    if chosen in ("json", "text"):
        return chosen
    return "json" if config.get("ZWT_ENV") == "production" else "text"


def _is_plain_stream_handler(handler) -> bool:
    return type(handler) is logging.StreamHandler or getattr(handler, "_zwt", False)


def configure_logging(config) -> None:
    """The root logger's console handler writes LOG_FORMAT lines with the request context.
    (Handlers that others attach, e.g. pytest's, are left alone.)"""
    root = logging.getLogger()
    handlers = [h for h in root.handlers if _is_plain_stream_handler(h)]
    if not root.handlers:
        handler = logging.StreamHandler()
        handler._zwt = True
        root.addHandler(handler)
        handlers = [handler]
    fmt = log_format(config)
    for handler in handlers:
        handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
        if not any(isinstance(f, ContextFilter) for f in handler.filters):
            handler.addFilter(ContextFilter())
    level = (config.get("LOG_LEVEL") or "WARNING").upper()
    root.setLevel(level)
    # One line per request in JSON (gunicorn's access log is off then); plain text leaves it to
    # gunicorn's own access log.
    access_log.setLevel(logging.INFO if fmt == "json" else logging.NOTSET)


# -- metrics ------------------------------------------------------------------------------------------
_metrics = None
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _request_metrics():
    """(requests counter, latency histogram), created once per process."""
    global _metrics
    if _metrics is None:
        from prometheus_client import Counter, Histogram

        _metrics = (
            Counter("zwt_http_requests", "HTTP requests answered, by route (URL rule), method and status",
                    ["route", "method", "status"]),
            Histogram("zwt_http_request_duration_seconds", "Time to answer a request, by route (URL rule) and method",
                      ["route", "method"], buckets=LATENCY_BUCKETS),
        )
    return _metrics


def jobs_key(queue_name: str) -> str:
    """Redis hash of job outcomes (finished, failed) → count, for the whole cluster."""
    return f"{queue_name}:metrics:jobs"


class RqCollector:
    """Job figures of the whole cluster, read from Redis at each scrape."""

    def __init__(self, config):
        self.config = config

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        from app.core.jobs import queue, redis_connection

        connection = redis_connection(self.config)
        q = queue(self.config)
        name = q.name
        done = CounterMetricFamily("zwt_rq_jobs", "Jobs run by the workers, by outcome", labels=["queue", "outcome"])
        for outcome, count in sorted(connection.hgetall(jobs_key(name)).items()):
            done.add_metric([name, outcome.decode() if isinstance(outcome, bytes) else outcome], float(count))
        yield done
        length = GaugeMetricFamily("zwt_rq_queue_length", "Jobs waiting in the queue", labels=["queue"])
        length.add_metric([name], q.count)
        yield length
        states = GaugeMetricFamily("zwt_rq_registry_jobs", "Jobs in each RQ registry (started, scheduled, "
                                   "deferred, failed, finished)", labels=["queue", "state"])
        registries = {"started": q.started_job_registry, "scheduled": q.scheduled_job_registry,
                      "deferred": q.deferred_job_registry, "failed": q.failed_job_registry,
                      "finished": q.finished_job_registry}
        for state, registry in registries.items():
            states.add_metric([name, state], registry.count)
        yield states
        from rq import Worker

        workers = GaugeMetricFamily("zwt_rq_workers", "Workers listening on the queue", labels=["queue"])
        workers.add_metric([name], Worker.count(queue=q))
        yield workers


class _Scrape:
    """This process's (or, in multi-process mode, this machine's) metrics and the cluster's jobs."""

    def __init__(self, config):
        self.config = config

    def collect(self):
        from prometheus_client import REGISTRY, CollectorRegistry

        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = REGISTRY
        yield from registry.collect()
        try:
            yield from RqCollector(self.config).collect()
        except Exception as exc:  # noqa: BLE001 — the request figures are still worth serving
            log.warning("job figures left out of /metrics: %s", exc)


def metrics_allowed(environ, config) -> bool:
    """From this machine without passing through a proxy, or with the metrics token."""
    token = config.get("METRICS_TOKEN") or os.environ.get("METRICS_TOKEN") or ""
    given = environ.get("HTTP_AUTHORIZATION", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
        return True
    if any(environ.get(h) for h in ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")):
        return False
    try:
        return ipaddress.ip_address((environ.get("REMOTE_ADDR") or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def render_metrics(config) -> bytes:
    from prometheus_client import generate_latest

    return generate_latest(_Scrape(config))


# -- the middleware -------------------------------------------------------------------------------------
class ObservedApp:
    """WSGI middleware: health and metrics endpoints, request ids, request metrics, access log."""

    def __init__(self, wsgi_app, flask_app):
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app

    def _answer(self, start_response, status: int, body: bytes, content_type: str, request_id: str):
        from werkzeug.http import HTTP_STATUS_CODES

        start_response(f"{status} {HTTP_STATUS_CODES.get(status, '')}".strip(), [
            ("Content-Type", content_type), ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"), (REQUEST_ID_HEADER, request_id)])
        return [body]

    def _own_endpoint(self, path, environ, start_response, request_id):
        from app.core import health

        config = self.flask_app.config
        if path == METRICS_PATH:
            if not metrics_allowed(environ, config):
                from flask_babel import gettext as _

                with self.flask_app.app_context():
                    body = _("Metrics are served only to this machine or with the metrics token (METRICS_TOKEN).")
                return self._answer(start_response, 403, (body + "\n").encode(), "text/plain; charset=utf-8",
                                    request_id)
            from prometheus_client import CONTENT_TYPE_LATEST

            return self._answer(start_response, 200, render_metrics(config), CONTENT_TYPE_LATEST, request_id)
        status, body = health.healthz() if path == "/healthz" else health.app_readyz(self.flask_app)
        return self._answer(start_response, status, json.dumps(body).encode(), "application/json", request_id)

    def __call__(self, environ, start_response):
        request_id = valid_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        environ[_ENVIRON_ID] = request_id
        path = environ.get("PATH_INFO") or "/"
        if path in HEALTH_PATHS or path == METRICS_PATH:
            return self._own_endpoint(path, environ, start_response, request_id)
        started = time.perf_counter()
        answered = {}

        def observed_start_response(status, headers, exc_info=None):
            answered["status"] = status.split(" ", 1)[0]
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"] + [(REQUEST_ID_HEADER, request_id)]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            return self.wsgi_app(environ, observed_start_response)
        finally:
            self._record(environ, answered.get("status", "500"), time.perf_counter() - started, request_id)

    def _record(self, environ, status: str, seconds: float, request_id: str) -> None:
        route = environ.get(_ENVIRON_ROUTE) or UNMATCHED_ROUTE
        method = environ.get("REQUEST_METHOD", "GET")
        method = method if method in _METHODS else "OTHER"
        try:
            requests, latency = _request_metrics()
            requests.labels(route, method, status).inc()
            latency.labels(route, method).observe(seconds)
        except Exception:  # noqa: BLE001 — a metrics file problem must not fail the request
            log.exception("request metrics not recorded")
        if access_log.isEnabledFor(logging.INFO):
            access_log.info("%s %s %s", method, route, status, extra={
                "request_id": request_id, "user_id": environ.get(_ENVIRON_USER), "method": method, "route": route,
                "status": int(status) if status.isdigit() else status, "duration_ms": round(seconds * 1000, 1)})


def _note_route():
    rule = request.url_rule
    request.environ[_ENVIRON_ROUTE] = rule.rule if rule is not None else UNMATCHED_ROUTE


def _note_user(_exc=None):
    user_id = _user_id_of_g()
    if user_id is not None:
        request.environ[_ENVIRON_USER] = user_id


def install(app) -> None:
    """Logs, request ids, metrics and the health endpoints for `app`; safe to call again."""
    configure_logging(app.config)
    if app.extensions.get("zwt_observability"):
        return
    app.extensions["zwt_observability"] = True
    app.before_request_funcs.setdefault(None, []).insert(0, _note_route)
    app.teardown_request_funcs.setdefault(None, []).append(_note_user)
    app.wsgi_app = ObservedApp(app.wsgi_app, app)


# -- jobs ---------------------------------------------------------------------------------------------
class TracedQueue(Queue):
    """A queue whose jobs carry the request id (and user id) of the request that enqueued them."""

    def create_job(self, *args, **kwargs):
        meta = dict(kwargs.get("meta") or {})
        context = context_fields()
        if context.get("request_id") and "request_id" not in meta:
            meta["request_id"] = context["request_id"]
        if context.get("user_id") is not None and "user_id" not in meta:
            meta["user_id"] = context["user_id"]
        kwargs["meta"] = meta
        return super().create_job(*args, **kwargs)


class TracedWorker(SimpleWorker):
    """Runs each job with its request id in the log context, and counts outcomes in Redis."""

    queue_class = TracedQueue

    def perform_job(self, job, queue, execution) -> bool:
        meta = job.meta or {}
        token = _job_context.set({"request_id": meta.get("request_id") or f"job-{job.id}"[:64],
                                  "user_id": meta.get("user_id"), "job_id": job.id})
        try:
            ok = super().perform_job(job, queue, execution)
        finally:
            _job_context.reset(token)
        self._count(queue, "finished" if ok else "failed")
        return ok

    def _count(self, queue, outcome: str) -> None:
        try:
            self.connection.hincrby(jobs_key(queue.name), outcome, 1)
        except Exception:  # noqa: BLE001
            log.exception("job outcome not counted")
