"""Request ids, JSON logs, Prometheus metrics, and the request id carried into jobs."""
from __future__ import annotations

import json
import logging
import re

import pytest
from prometheus_client import REGISTRY

from app.core import jobs, observability
from app.core.observability import ContextFilter, JsonFormatter, TracedQueue, TracedWorker
from tests.conftest import unique
from tests.factories import make_customer, make_user

job_log = logging.getLogger("tests.observability.job")


def logged_job(value):
    job_log.warning("working on %s", value)
    return value


def failing_job():
    raise RuntimeError("this job fails")


@pytest.fixture
def observed(app):
    observability.install(app)
    return app


@pytest.fixture
def job_queue(observed, monkeypatch):
    """A queue of this test's own (the app's may hold jobs other tests left), named in the config
    so that /metrics reports it."""
    monkeypatch.setitem(observed.config, "RQ_QUEUE", unique("zwt-obs-"))
    q = TracedQueue(observed.config["RQ_QUEUE"], connection=jobs.redis_connection(observed.config))
    yield q
    q.delete(delete_jobs=True)
    q.connection.delete(observability.jobs_key(q.name))


class JsonLines(logging.Handler):
    """Formats every record as the production handler does and keeps the lines."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.addFilter(ContextFilter())
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))

    def objects(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def json_lines():
    handler = JsonLines()
    loggers = [logging.getLogger(), logging.getLogger("zwt.access")]
    if not logging.getLogger("rq.worker").propagate:     # RQ gave it a console handler of its own
        loggers.append(logging.getLogger("rq.worker"))
    levels = [lg.level for lg in loggers]
    loggers[0].addHandler(handler)
    for lg in loggers[2:]:
        lg.addHandler(handler)
    logging.getLogger("zwt.access").setLevel(logging.INFO)
    yield handler
    for lg, level in zip(loggers, levels):
        lg.removeHandler(handler)
        lg.setLevel(level)


# -- request ids ----------------------------------------------------------------------------------------
def test_a_request_gets_an_id_and_a_safe_given_one_is_kept(observed):
    client = observed.test_client()
    made = client.get("/login/").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/login/").headers["X-Request-ID"] != made
    assert client.get("/login/", headers={"X-Request-ID": "edge-42.a_b"}).headers["X-Request-ID"] == "edge-42.a_b"
    for unsafe in ("has space", "x" * 65, "<script>", "a\"b", "semi;colon"):
        answered = client.get("/login/", headers={"X-Request-ID": unsafe}).headers["X-Request-ID"]
        assert answered != unsafe and re.fullmatch(r"[0-9a-f]{32}", answered)
    assert observability.valid_request_id("") is None


# -- logs -------------------------------------------------------------------------------------------------
def test_each_request_writes_one_json_line_with_its_context(observed, ctx, login, json_lines):
    user = make_user("Sales")
    customer = make_customer(user)
    client = login(user)
    json_lines.lines.clear()
    resp = client.get(f"/customers/show/{customer.id}", headers={"X-Request-ID": "req-show-1"})
    assert resp.status_code == 200
    lines = json_lines.objects()
    access = [line for line in lines if line["logger"] == "zwt.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "req-show-1"
    assert line["user_id"] == user.id
    assert line["method"] == "GET"
    assert line["route"] == "/customers/show/<pk>"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert {"time", "level", "logger", "message"} <= set(line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])


def test_lines_logged_while_serving_a_request_carry_its_id(observed, json_lines):
    with observed.test_request_context("/customers/list/", environ_base={"zwt.request_id": "req-inside"}):
        from flask import request

        request.url_rule = observed.url_map.bind("localhost").match("/customers/list/", return_rule=True)[0]
        logging.getLogger("tests.observability").warning("inside %s", "a request")
    line = json_lines.objects()[-1]
    assert line["message"] == "inside a request"
    assert line["request_id"] == "req-inside"
    assert line["route"] == "/customers/list/"
    assert line["level"] == "WARNING"


def test_an_exception_is_one_line_too(json_lines):
    try:
        raise ValueError("broken\nover two lines")
    except ValueError:
        logging.getLogger("tests.observability").exception("failed")
    assert len(json_lines.lines) == 1 and "\n" not in json_lines.lines[0]
    assert "ValueError" in json_lines.objects()[0]["exception"]


def test_the_log_format_follows_the_environment(monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert observability.log_format({"ZWT_ENV": "production"}) == "json"
    assert observability.log_format({"ZWT_ENV": "development"}) == "text"
    assert observability.log_format({"ZWT_ENV": "production", "LOG_FORMAT": "text"}) == "text"
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert observability.log_format({"ZWT_ENV": "development"}) == "json"


def test_configure_logging_gives_the_console_handler_the_json_format():
    root = logging.getLogger()
    console = logging.StreamHandler()
    root.addHandler(console)
    access_level = logging.getLogger("zwt.access").level
    root_level = root.level
    try:
        observability.configure_logging({"LOG_FORMAT": "json", "LOG_LEVEL": "WARNING"})
        assert isinstance(console.formatter, JsonFormatter)
        assert logging.getLogger("zwt.access").isEnabledFor(logging.INFO)
        observability.configure_logging({"LOG_FORMAT": "text", "LOG_LEVEL": "WARNING"})
        assert not isinstance(console.formatter, JsonFormatter)
        assert "%(request_id)s" in console.formatter._fmt
    finally:
        root.removeHandler(console)
        root.setLevel(root_level)
        logging.getLogger("zwt.access").setLevel(access_level)


# -- metrics ----------------------------------------------------------------------------------------------
def _sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_requests_are_counted_by_route_and_status_with_latency(observed, ctx, login):
    user = make_user("Sales")
    first, second = make_customer(user), make_customer(user)
    client = login(user)
    route = "/customers/show/<pk>"
    before = _sample("zwt_http_requests_total", route=route, method="GET", status="200")
    timed = _sample("zwt_http_request_duration_seconds_count", route=route, method="GET")
    missing = _sample("zwt_http_requests_total", route="<unmatched>", method="GET", status="404")
    for customer in (first, second):
        assert client.get(f"/customers/show/{customer.id}").status_code == 200
    client.get("/no/such/page/at/all")
    assert _sample("zwt_http_requests_total", route=route, method="GET", status="200") == before + 2
    assert _sample("zwt_http_request_duration_seconds_count", route=route, method="GET") == timed + 2
    assert _sample("zwt_http_requests_total", route="<unmatched>", method="GET", status="404") == missing + 1
    text = client.get("/metrics").get_data(as_text=True)
    assert f'route="{route}"' in text
    assert f"/customers/show/{first.id}" not in text


def test_metrics_are_served_to_this_machine_or_with_the_token(observed, monkeypatch):
    client = observed.test_client()
    resp = client.get("/metrics")            # the test client comes from 127.0.0.1
    assert resp.status_code == 200
    assert resp.content_type.startswith("text/plain")
    assert "zwt_http_requests_total" in resp.get_data(as_text=True)
    assert "Set-Cookie" not in resp.headers
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    refused = client.get("/metrics", environ_base=outside)
    assert refused.status_code == 403
    assert "监控令牌" in refused.get_data(as_text=True) and "zwt_http" not in refused.get_data(as_text=True)
    # Through a reverse proxy on this machine, the caller is someone else.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403
    assert client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer x"}).status_code == 403
    monkeypatch.setitem(observed.config, "METRICS_TOKEN", "s3cret-token-for-metrics")
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer s3cret-token-for-metrics"}).status_code == 200
    assert client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer wrong"}).status_code == 403


def _metric(text: str, name: str, **labels) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(name + "{"):
            found = ",".join(sorted(line[len(name) + 1:line.index("}")].split(",")))
            if found == wanted:
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_job_counts_and_queue_length_are_in_the_metrics(observed, ctx, job_queue):
    q = job_queue
    client = observed.test_client()
    name = q.name
    text = client.get("/metrics").get_data(as_text=True)
    finished = _metric(text, "zwt_rq_jobs_total", queue=name, outcome="finished")
    failed = _metric(text, "zwt_rq_jobs_total", queue=name, outcome="failed")
    q.enqueue(logged_job, 1)
    q.enqueue(failing_job)
    text = client.get("/metrics").get_data(as_text=True)
    assert _metric(text, "zwt_rq_queue_length", queue=name) == 2
    TracedWorker([q], connection=q.connection).work(burst=True)
    text = client.get("/metrics").get_data(as_text=True)
    assert _metric(text, "zwt_rq_queue_length", queue=name) == 0
    assert _metric(text, "zwt_rq_jobs_total", queue=name, outcome="finished") == finished + 1 == 1
    assert _metric(text, "zwt_rq_jobs_total", queue=name, outcome="failed") == failed + 1 == 1
    assert _metric(text, "zwt_rq_registry_jobs", queue=name, state="failed") == 1


# -- the request id in jobs ---------------------------------------------------------------------------------
def test_a_job_enqueued_by_a_request_carries_its_id_into_the_worker_log(observed, json_lines, job_queue):
    q = job_queue
    with observed.test_request_context("/", environ_base={"zwt.request_id": "req-enqueue-7"}):
        job = q.enqueue(logged_job, "payload")
    assert job.meta["request_id"] == "req-enqueue-7"
    assert q.fetch_job(job.id).meta["request_id"] == "req-enqueue-7"
    json_lines.lines.clear()
    TracedWorker([q], connection=q.connection).work(burst=True)
    lines = json_lines.objects()
    own = [line for line in lines if line["logger"] == job_log.name]
    assert own and own[0]["request_id"] == "req-enqueue-7" and own[0]["job_id"] == job.id
    worker_lines = [line for line in lines if line["logger"] == "rq.worker" and line.get("job_id") == job.id]
    assert worker_lines and all(line["request_id"] == "req-enqueue-7" for line in worker_lines)


def test_a_job_enqueued_outside_a_request_gets_an_id_of_its_own(observed, json_lines, job_queue):
    q = job_queue
    job = q.enqueue(logged_job, "cron")
    assert "request_id" not in job.meta
    TracedWorker([q], connection=q.connection).work(burst=True)
    own = [line for line in json_lines.objects() if line["logger"] == job_log.name]
    assert own[-1]["request_id"] == f"job-{job.id}"


def test_the_app_queue_and_worker_are_traced(app):
    assert isinstance(jobs.queue(app.config), TracedQueue)
    import inspect

    assert "TracedWorker" in inspect.getsource(jobs.run_worker)
