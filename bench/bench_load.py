"""Load test: simulated clerks against the production process set, driven by locust.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python run.py bench load --users 200 --seconds 300 --web 2 --workers 2

Starts, as production runs them (README "Production and scale-out"): gunicorn with
deploy/gunicorn.conf.py and WEB web processes, WORKERS RQ workers (`run.py worker`) and the one
scheduler (`run.py cron`), against DATABASE_URL and REDIS_URL (without REDIS_URL an embedded
Redis is opened for them, as `run.py serve` does). Then locust runs headless with
bench/locustfile.py: USERS people of the benchmark organisation (`bench seed`: its sales people
and their department managers, password demo1234) sign in and browse lists, open records,
search, log interactions, write contracts and submit them, and the managers approve them.

Prints, per route: requests, errors, p50, p95, max; the throughput; the jobs the workers ran and
failed; and the machine's load: load average before and after, how busy the CPUs were, and the
CPU seconds of the web processes, the workers, the scheduler, locust and PostgreSQL. Every error
counts against the target of none (exit status 1 otherwise). Every process it started is
stopped, also on Ctrl-C or a failure, and what the clerks wrote (tagged interactions and
contracts, their approvals, notices, mails, history rows) is deleted again, so the benchmark
database keeps its seeded figures. BENCH_LOAD_WAIT="min,max" sets the think time between two
actions of a clerk (seconds, default 10,30); with at most 10 users (the bounded run) each user
first takes every kind of action once (BENCH_LOAD_TOUR=1); BENCH_LOAD_KEEP=1 keeps the logs.
On PostgreSQL the processes connect with application_name zwt-load-…, so the CPU of their own
database sessions is printed apart from that of every other client of the server.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

import psutil

from bench.common import say as _say, free_port as _free_port

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo1234"          # bench/seed_customers.py STAFF_PASSWORD
LOGGED_AT = "2022-01-03T10:00"  # the clerks' interactions: older than the seeded history
TARGET_ERRORS = 0


# -- who signs in ------------------------------------------------------------------------------------
def make_plan(app, users: int) -> dict:
    """The approvers (managers of sales departments) and the clerks (their sales people)."""
    from sqlalchemy import func, select

    from app.core.org import User
    from app.extensions import db
    from app.modules.customers.models import Customer

    with app.app_context():
        staff = db.session.execute(select(User.id, User.username, User.manager_id).where(
            User.username.like("sales\\_%", escape="\\"), User.active.is_(True)).order_by(User.username)).all()
        managers = dict(db.session.execute(select(User.id, User.username).where(
            User.username.like("mgr\\_%", escape="\\"), User.id.in_({s.manager_id for s in staff}))).all())
        customers = db.session.scalar(select(func.count()).select_from(Customer)) or 0
        db.session.remove()
    if not staff or not managers:
        raise SystemExit("No benchmark organisation in this database: load it first "
                         "(python run.py bench seed --customers N, then python -m bench.seed_contracts N).")
    approvers = max(1, min(len(managers), users // 10)) if users > 1 else 0
    chosen = sorted(managers)[:approvers] if approvers else []
    clerks = [s.username for s in staff if not chosen or s.manager_id in chosen] or [s.username for s in staff]
    per_person = max(1, customers // max(1, len(staff) + len(managers)))
    return {"sales": clerks, "managers": [managers[m] for m in chosen] or [managers[min(managers)]],
            "approvers": approvers, "password": PASSWORD, "tag": f"压测{uuid.uuid4().hex[:6]}",
            "logged_at": LOGGED_AT, "customers": customers,
            # deeper pages: somewhere in a sales person's own book, a manager's department
            "deep_pages": {"sales": max(2, min(100, per_person // 25)), "managers": max(2, min(1000, per_person // 2))},
            "user_ids": []}


# -- the processes -------------------------------------------------------------------------------------
class Processes:
    """The web, worker and scheduler processes, each in a process group of its own."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.started = env, logs, []

    def start(self, role: str, args: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{role}.log", "wb")
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        proc.role = role
        self.started.append(proc)
        return proc

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.started)

    def stop(self) -> None:
        for proc in reversed(self.started):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 40
        for proc in self.started:
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)   # its own group: the process and its children
                proc.wait()

    def tail(self, role: str, lines: int = 15) -> str:
        path = self.logs / f"{role}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _wait_ready(url: str, procs: Processes, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not procs.alive():
            raise RuntimeError("a process exited while starting")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url}/readyz did not answer 200 within {seconds:.0f} s")


# -- machine load ----------------------------------------------------------------------------------
class LoadMeter:
    """CPU seconds per group of processes and how busy the machine was, sampled every 2 s."""

    def __init__(self, groups: dict[str, list[int]], own_sessions=None):
        self.groups = groups
        self.own_sessions = own_sessions or (lambda: set())
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.group_of: dict[int, str] = {}
        self.rss: dict[str, float] = defaultdict(float)
        self.stop_flag = threading.Event()
        self.cpu0, self.load0 = psutil.cpu_times(), os.getloadavg()
        self._sample(initial=True)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _members(self):
        for group, pids in self.groups.items():
            for pid in pids:
                try:
                    root = psutil.Process(pid)
                    yield group, root
                    for child in root.children(recursive=True):
                        yield group, child
                except psutil.NoSuchProcess:
                    continue
        ours = self.own_sessions()
        for proc in psutil.process_iter(["name"]):
            if proc.info["name"] in ("postgres", "postmaster"):
                yield "PostgreSQL: this bench's sessions" if proc.pid in ours else "PostgreSQL: everything else", proc
            elif proc.info["name"] == "redis-server":
                yield "Redis (every client)", proc

    def _sample(self, initial: bool = False):
        sizes = defaultdict(float)
        for group, proc in self._members():
            try:
                times = proc.cpu_times()
                used = times.user + times.system
                if group in self.groups:
                    sizes[group] = max(sizes[group], proc.memory_info().rss / 2**20)
            except psutil.Error:
                continue
            self.first.setdefault(proc.pid, used if initial else 0.0)
            self.last[proc.pid] = used
            if self.group_of.get(proc.pid) != "PostgreSQL: this bench's sessions":
                self.group_of[proc.pid] = group
        for group, size in sizes.items():
            self.rss[group] = max(self.rss[group], size)

    def _run(self):
        while not self.stop_flag.wait(2.0):
            self._sample()

    def finish(self) -> dict:
        self.stop_flag.set()
        self.thread.join()
        self._sample()
        cpu1 = psutil.cpu_times()
        total = sum(cpu1) - sum(self.cpu0)
        idle = (cpu1.idle - self.cpu0.idle) + (getattr(cpu1, "iowait", 0) - getattr(self.cpu0, "iowait", 0))
        seconds = defaultdict(float)
        for pid, used in self.last.items():
            seconds[self.group_of[pid]] += max(0.0, used - self.first.get(pid, 0.0))
        return {"busy": 1 - idle / total if total else 0.0, "cpu_seconds": dict(seconds), "rss": dict(self.rss),
                "load_before": self.load0, "load_after": os.getloadavg()}


def _sessions_named(url: str, name: str):
    """A function giving the server pids of the database sessions called `name`."""
    import psycopg

    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def pids() -> set[int]:
        try:
            return {r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,))}
        except psycopg.Error:
            return set()
    return pids


# -- locust's figures ------------------------------------------------------------------------------
def read_stats(prefix: str) -> tuple[list[dict], dict | None, list[dict]]:
    import csv

    rows, total, failures = [], None, []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] == "Aggregated":
                total = row
            else:
                rows.append(row)
    path = Path(f"{prefix}_failures.csv")
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            failures = list(csv.DictReader(fh))
    path = Path(f"{prefix}_exceptions.csv")
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            failures += [{"Method": "", "Name": "(locustfile)", "Error": r.get("Message", ""),
                          "Occurrences": r.get("Count", "1")} for r in csv.DictReader(fh)]
    return rows, total, failures


def _ms(value: str) -> str:
    try:
        return f"{float(value):,.0f}"
    except (TypeError, ValueError):
        return "-"


# -- the jobs ------------------------------------------------------------------------------------------
def job_counts(redis_url: str, queue_name: str) -> dict:
    from redis import Redis
    from rq import Queue
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    conn = Redis.from_url(redis_url)
    queue = Queue(queue_name, connection=conn)
    return {"queued": queue.count, "running": StartedJobRegistry(queue=queue).count,
            "scheduled": ScheduledJobRegistry(queue=queue).count,
            "finished": FinishedJobRegistry(queue=queue).count, "failed": FailedJobRegistry(queue=queue).count}


def clear_jobs(redis_url: str, queue_name: str) -> None:
    """The bench's queue and its jobs (reminders scheduled for the clerks' approvals) go away."""
    from redis import Redis
    from rq import Queue
    from rq.job import Job
    from rq.registry import (CanceledJobRegistry, DeferredJobRegistry, FailedJobRegistry, FinishedJobRegistry,
                             ScheduledJobRegistry, StartedJobRegistry)

    conn = Redis.from_url(redis_url)
    queue = Queue(queue_name, connection=conn)
    ids = set(queue.job_ids)
    for registry in (ScheduledJobRegistry, DeferredJobRegistry, FinishedJobRegistry, FailedJobRegistry,
                     StartedJobRegistry, CanceledJobRegistry):
        reg = registry(queue=queue)
        ids.update(reg.get_job_ids())
        conn.delete(reg.key)
    for job_id in ids:
        key = Job.key_for(job_id)
        key = key.decode() if isinstance(key, bytes) else key
        conn.delete(key, f"{key}:dependents")
    queue.delete(delete_jobs=True)


def _stored_time(app, local: str) -> dt.datetime:
    """A time typed into a form (the users' zone) as the database keeps it (UTC, naive)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo((app.config.get("BABEL_DEFAULT_TIMEZONE") if app is not None else None) or "Asia/Shanghai")
    return dt.datetime.fromisoformat(local).replace(tzinfo=zone).astimezone(dt.timezone.utc).replace(tzinfo=None)


# -- undoing what the clerks wrote ------------------------------------------------------------------
def undo_writes(app, plan: dict, since: dt.datetime) -> dict:
    """Delete the tagged interactions and contracts, their approvals, notices, mails and history;
    a customer whose latest interaction was a clerk's gets its seeded latest one back."""
    from sqlalchemy import DateTime, bindparam, text

    from app.extensions import db

    tag = plan["tag"] + "%"
    expanding = lambda *names: [bindparam(n, expanding=True) for n in names]  # noqa: E731
    done = {}
    with app.app_context():
        session = db.session
        users = [r[0] for r in session.execute(text(
            "SELECT id FROM ab_user WHERE username IN :names").bindparams(*expanding("names")),
            {"names": plan["sales"] + plan["managers"]})]
        contracts = [r[0] for r in session.execute(text("SELECT id FROM contract WHERE title LIKE :tag"), {"tag": tag})]
        rows = session.execute(text("SELECT id, customer_id FROM interaction WHERE subject LIKE :tag"), {"tag": tag}).all()
        interactions, customers = [r[0] for r in rows], sorted({r[1] for r in rows})
        if contracts:
            session.execute(text("DELETE FROM wf_instance WHERE document = 'contracts' AND record_id IN :ids")
                            .bindparams(*expanding("ids")), {"ids": contracts})
            session.execute(text("DELETE FROM follower WHERE spec = 'contracts' AND record_id IN :ids")
                            .bindparams(*expanding("ids")), {"ids": contracts})
            session.execute(text("DELETE FROM audit_log WHERE table_name = 'contract' AND record_id IN :ids")
                            .bindparams(*expanding("ids")), {"ids": [str(i) for i in contracts]})
            session.execute(text("DELETE FROM contract WHERE id IN :ids").bindparams(*expanding("ids")), {"ids": contracts})
        if interactions:
            session.execute(text("DELETE FROM audit_log WHERE table_name = 'interaction' AND record_id IN :ids")
                            .bindparams(*expanding("ids")), {"ids": [str(i) for i in interactions]})
            session.execute(text("DELETE FROM interaction WHERE id IN :ids").bindparams(*expanding("ids")),
                            {"ids": interactions})
            # As the seed leaves them: the latest interaction's time and follow-up date.
            session.execute(text("""
                UPDATE customer SET
                  last_interaction_at = (SELECT max(occurred_at) FROM interaction i WHERE i.customer_id = customer.id),
                  next_follow_up_on = (SELECT next_follow_up_on FROM interaction i WHERE i.customer_id = customer.id
                                       ORDER BY occurred_at DESC, id DESC LIMIT 1)
                WHERE id IN :ids AND last_interaction_at = :at""").bindparams(*expanding("ids"),
                                                                           bindparam("at", type_=DateTime())),
                {"ids": customers, "at": _stored_time(app, LOGGED_AT)})
        if users:
            for table, column in (("notification", "created_at"), ("audit_log", "at")):
                column_user = "user_id" if table == "notification" else "actor_id"
                session.execute(text(f"DELETE FROM {table} WHERE {column_user} IN :users AND {column} >= :since")
                                .bindparams(*expanding("users")), {"users": users, "since": since})
            session.execute(text("DELETE FROM mail_outbox WHERE \"to\" LIKE '%@bench.zhangwutong.cn' "
                                 "AND created_at >= :since"), {"since": since})
        session.commit()
        session.remove()
        done = {"contracts": len(contracts), "interactions": len(interactions)}
    return done


# -- the run ---------------------------------------------------------------------------------------------
def main(users: int = 200, seconds: int = 300, web: int = 2, workers: int = 2) -> dict:
    from app import create_app

    wait = os.environ.get("BENCH_LOAD_WAIT", "10,30")
    tour = os.environ.get("BENCH_LOAD_TOUR") or ("1" if users <= 10 else "0")
    logs = Path(tempfile.mkdtemp(prefix="zwt-load-"))
    env = dict(os.environ)
    embedded = None
    if not env.get("REDIS_URL"):
        from app.core.jobs import embedded_redis_url, open_embedded_redis
        from config import INSTANCE_DIR

        embedded = open_embedded_redis(str(INSTANCE_DIR))
        env["REDIS_URL"] = os.environ["REDIS_URL"] = embedded_redis_url(embedded)
    queue_name = f"zwt-load-{uuid.uuid4().hex[:6]}"
    own_sessions = None
    if env.get("DATABASE_URL", "").startswith(("postgresql", "postgres:")):
        url = env["DATABASE_URL"]
        env["DATABASE_URL"] = url + ("&" if "?" in url else "?") + f"application_name={queue_name}"
        own_sessions = _sessions_named(url, queue_name)
    port = _free_port()
    env.update({"RQ_QUEUE": queue_name, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(web),
                "LOG_FORMAT": "json", "LOG_LEVEL": env.get("LOG_LEVEL", "WARNING"),
                "PROMETHEUS_MULTIPROC_DIR": str(logs / "prometheus")})
    os.environ["RQ_QUEUE"] = queue_name
    (logs / "prometheus").mkdir()
    app = create_app()
    plan = make_plan(app, users)
    with app.app_context():
        from app.extensions import db

        database = db.engine.url.render_as_string(hide_password=True)
        db.session.remove()
    plan_file = logs / "plan.json"
    plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    procs = Processes(env, logs)
    since = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=5)
    base = f"http://127.0.0.1:{port}"
    interrupted = False
    result: dict = {"errors": None}

    def on_signal(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_signal)
    _say(f"Database: {database}   customers: {plan['customers']:,}   Redis: {env['REDIS_URL']} (queue {queue_name})")
    _say(f"{users} users ({len(plan['managers'])} approving managers, clerks from {len(plan['sales'])} sales people), "
         f"{seconds} s, think time {wait} s; {web} web processes, {workers} workers, 1 scheduler; logs in {logs}")
    try:
        python = sys.executable
        procs.start("web", [python, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "app:create_app()"])
        for n in range(workers):
            procs.start(f"worker{n + 1}", [python, "run.py", "worker"])
        procs.start("scheduler", [python, "run.py", "cron"])
        _wait_ready(base, procs)
        groups = {"web (gunicorn)": [procs.started[0].pid],
                  "workers": [p.pid for p in procs.started if p.role.startswith("worker")],
                  "scheduler": [p.pid for p in procs.started if p.role == "scheduler"]}
        uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        _say(f"Ready. uptime before: {uptime_before}")
        rate = max(1.0, users / max(5.0, min(60.0, seconds / 5)))   # people arrive over up to a minute
        _say(f"Users arrive over {users / rate:.0f} s (signing in); the figures cover the whole run, arrivals included.")
        csv_prefix = str(logs / "locust")
        locust_env = dict(env, BENCH_LOAD_PLAN=str(plan_file), BENCH_LOAD_WAIT=wait, BENCH_LOAD_TOUR=tour,
                          BENCH_LOAD_APPROVERS=str(min(len(plan["managers"]), max(1, plan["approvers"]))))
        with open(logs / "locust.log", "wb") as log:
            locust = subprocess.Popen(
                [python, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                 "-u", str(users), "-r", f"{rate:g}", "-t", f"{seconds}s", "--host", base, "--csv", csv_prefix,
                 "--only-summary", "--stop-timeout", "30", "--loglevel", "WARNING"],
                cwd=ROOT, env=locust_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        procs.started.append(locust)
        locust.role = "locust"
        meter = LoadMeter(dict(groups, locust=[locust.pid]), own_sessions)
        started = time.perf_counter()
        try:
            while locust.poll() is None:
                if not all(p.poll() is None for p in procs.started if p is not locust):
                    raise RuntimeError("a web, worker or scheduler process exited during the run")
                time.sleep(1)
        finally:
            elapsed = time.perf_counter() - started
            load = meter.finish()
        # the jobs the run enqueued are done before they are counted
        deadline = time.time() + 30
        while time.time() < deadline:
            jobs = job_counts(env["REDIS_URL"], queue_name)
            if not jobs["queued"] and not jobs["running"]:
                break
            time.sleep(1)
        uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        result = report(csv_prefix, elapsed, load, jobs, uptime_before, uptime_after, procs)
    except KeyboardInterrupt:
        interrupted = True
        _say("Interrupted: stopping every process this bench started.")
    except Exception as exc:  # noqa: BLE001 - the processes are stopped and the logs shown
        _say(f"Failed: {exc}")
        for proc in procs.started:
            _say(f"--- {proc.role} (exit {proc.poll()}):\n{procs.tail(proc.role)}")
        result = {"errors": None, "failed": str(exc)}
    finally:
        procs.stop()
        signal.signal(signal.SIGTERM, previous)
        undone = undo_writes(app, plan, since)
        clear_jobs(env["REDIS_URL"], queue_name)
        _say(f"Undone: {undone['contracts']:,} contracts (with their approvals) and "
             f"{undone['interactions']:,} interactions written by the clerks; all processes stopped.")
        if embedded is not None:
            from app.core.jobs import stop_embedded_redis

            stop_embedded_redis()
        if not os.environ.get("BENCH_LOAD_KEEP") and result.get("errors") == 0:
            shutil.rmtree(logs, ignore_errors=True)
    if interrupted:
        raise SystemExit(130)
    if result.get("errors") != TARGET_ERRORS:
        raise SystemExit(1)
    return result


def report(prefix: str, elapsed: float, load: dict, jobs: dict, uptime_before: str, uptime_after: str,
           procs: Processes) -> dict:
    rows, total, failures = read_stats(prefix)
    header = f"{'route':34} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'req/s':>6}"
    _say()
    _say(header)
    _say("-" * len(header))
    routes = {}
    for row in sorted(rows, key=lambda r: r["Name"]):
        count, errors = int(row["Request Count"]), int(row["Failure Count"])
        routes[row["Name"]] = {"requests": count, "errors": errors, "p50": row["50%"], "p95": row["95%"]}
        _say(f"{row['Name'][:34]:34} {count:8,} {errors:6,} {_ms(row['50%']):>7} {_ms(row['95%']):>7} "
             f"{_ms(row['Max Response Time']):>7} {float(row['Requests/s']):6.1f}")
    requests = int(total["Request Count"]) if total else 0
    http_errors = int(total["Failure Count"]) if total else 0
    exceptions = sum(int(f.get("Occurrences") or 1) for f in failures if f.get("Name") == "(locustfile)")
    errors = http_errors + exceptions + jobs["failed"]
    if total:
        _say("-" * len(header))
        _say(f"{'all routes':34} {requests:8,} {http_errors:6,} {_ms(total['50%']):>7} {_ms(total['95%']):>7} "
             f"{_ms(total['Max Response Time']):>7} {requests / elapsed:6.1f}")
    _say()
    _say(f"Throughput: {requests / elapsed:.1f} requests/s over {elapsed:.0f} s ({requests:,} requests)")
    _say(f"Jobs: {jobs['finished']:,} finished, {jobs['failed']:,} failed, {jobs['scheduled']:,} scheduled for later "
         f"(approval reminders), {jobs['queued']:,} still queued")
    _say(f"Errors: {errors:,} (target {TARGET_ERRORS}): {http_errors:,} requests, {exceptions:,} locustfile "
         f"exceptions, {jobs['failed']:,} failed jobs")
    for failure in failures[:20]:
        _say(f"  {failure.get('Occurrences', '')}x {failure.get('Method', '')} {failure.get('Name', '')}: "
             f"{failure.get('Error', '')[:200]}")
    _say()
    _say("Machine load (2 cores shared with everything else running):")
    _say(f"  load average before: {' '.join(f'{x:.2f}' for x in load['load_before'])}   "
         f"after: {' '.join(f'{x:.2f}' for x in load['load_after'])}")
    _say(f"  uptime before: {uptime_before}")
    _say(f"  uptime after:  {uptime_after}")
    _say(f"  CPUs busy: {load['busy'] * 100:.0f}% of {psutil.cpu_count()} cores over the run")
    for group, used in sorted(load["cpu_seconds"].items(), key=lambda kv: -kv[1]):
        per = used * 1000 / requests if requests else 0
        rss = f", largest process {load['rss'][group]:.0f} MB RSS" if group in load["rss"] else ""
        _say(f"  {group:34} {used:7.1f} CPU s ({used / elapsed * 100:5.1f}% of one core, {per:5.1f} ms per request{rss})")
    return {"errors": errors, "requests": requests, "throughput": requests / elapsed, "routes": routes,
            "jobs": jobs, "load": load}


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:5]))
