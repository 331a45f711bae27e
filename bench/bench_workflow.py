"""Throughput of the approval engine on the database named by DATABASE_URL (and REDIS_URL).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_wfbench REDIS_URL=redis://127.0.0.1:6379/9 \
        python run.py bench workflow --instances 10000 --workers 4

Seeds N draft contracts, publishes a 4-step chain (manager, legal, finance, general manager;
each step a 2-person any-one step, with SLA reminders and time limits scheduled in Redis), then
WORKERS processes concurrently submit the contracts (each keeping a wave of 25 in flight) and
approve each through all four steps via the engine's service functions (the same calls the
screens, e-mail links and API make: compare-and-set on the instance, task rows, timeline,
notifications and e-mail outbox rows, SLA jobs).
Prints actions per second and the p50 / p95 / max latency of an approve action.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import random
import statistics
import time
import uuid
from decimal import Decimal

import yaml

P95_TARGET_MS, RATE_TARGET = 50, 300


def _chain(approvers: list[list[str]]) -> str:
    names = ["manager", "legal", "finance", "gm"]
    steps = [{"id": names[i], "name": f"第{i + 1}级审批", "approvers": [{"user": u} for u in users], "mode": "any"}
             for i, users in enumerate(approvers)]
    return yaml.safe_dump({
        "name": "contract_approval", "title": "合同审批（压测）", "document": "contracts", "admin": "admin",
        "settings": {"comment_required": ["reject", "return"],
                     "sla": {"remind_after": "24h", "escalate_after": "72h", "on_timeout": "escalate",
                             "escalate_to": "manager"}},
        "steps": steps}, allow_unicode=True, sort_keys=False)


def _seed(db, n: int, tag: str):
    from sqlalchemy import insert

    from app.core.org import User
    from app.modules.contracts.models import Contract
    from app.modules.customers.models import Customer
    from flask import current_app

    sm = current_app.appbuilder.sm
    role = sm.find_role("Manager")
    people = []
    for i in range(9):
        name = f"wfb{tag}{i}"
        user = sm.add_user(name, name, "压测", f"{name}@bench.invalid", role, password="Bench12345")
        people.append(db.session.get(User, user.id))
    submitter = people[8]
    customer = Customer(code=f"KH-WFB-{tag}", name=f"压测客户{tag}", kind="company", status="active",
                        credit_limit=Decimal("0.00"), owner_id=submitter.id)
    db.session.add(customer)
    db.session.flush()
    rows = [{"code": f"HT-{tag}-{i:06d}", "title": f"压测合同{i}", "customer_id": customer.id,
             "amount": Decimal(random.randint(10_000, 900_000)), "standard_terms": True, "status": "draft",
             "owner_id": submitter.id, "department_id": None} for i in range(n)]
    for start in range(0, n, 5000):
        db.session.execute(insert(Contract), rows[start:start + 5000])
    db.session.commit()
    ids = [cid for (cid,) in db.session.execute(
        Contract.__table__.select().with_only_columns(Contract.id).where(Contract.code.like(f"HT-{tag}-%")))]
    return people, submitter, ids


WAVE = 25   # instances each worker keeps in flight at once


def _proc_cpu(pid) -> float | None:
    """CPU seconds (user + system) a local process has used; None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _redis_cpu(app) -> float | None:
    from app.core.jobs import redis_connection

    try:
        with app.app_context():
            info = redis_connection().info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    except Exception:  # a figure we cannot read is left out, the benchmark goes on
        return None


def _machine_ticks():
    """(all, idle) CPU ticks of the machine since boot, from /proc/stat; None elsewhere."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
        return sum(ticks), ticks[3] + ticks[4]
    except (OSError, ValueError, IndexError):
        return None


def _backend_pid(db):
    """The PostgreSQL server process of this session's connection (None on SQLite)."""
    from sqlalchemy import text

    if db.engine.dialect.name != "postgresql":
        return None
    pid = db.session.execute(text("select pg_backend_pid()")).scalar()
    db.session.rollback()
    return pid


def _work(chunk, people_ids, submitter_id, results) -> None:
    """One worker process: its own app and connection. It takes its contracts WAVE at a time:
    submits them, then approves one open task of each, step after step, so many instances are
    in flight at once. Which tasks are open is read once per wave and step (not timed)."""
    from sqlalchemy import inspect, select

    from app import create_app
    from app.core.org import User
    from app.extensions import db
    from app.workflow import engine
    from app.workflow.models import PENDING, ApprovalTask

    app = create_app()
    gc.freeze()   # as `run.py worker` does: the app's long-lived objects are not walked by full collections
    mine, mine_submit, errors = [], [], []
    rng = random.Random()
    with app.app_context():
        users = {uid: db.session.get(User, uid) for uid in people_ids}
        sub = db.session.get(User, submitter_id)
        backend = _backend_pid(db)
        cpu0, db_cpu0 = time.process_time(), _proc_cpu(backend)
        began = time.time()
        try:
            for start in range(0, len(chunk), WAVE):
                run_ids = []
                for contract_id in chunk[start:start + WAVE]:
                    t = time.perf_counter()
                    run = engine.submit(sub, "contracts", contract_id)
                    mine_submit.append(time.perf_counter() - t)
                    run_ids.append(inspect(run).identity[0])
                for _step in range(4):
                    open_tasks: dict[int, list] = {}
                    for task_id, instance_id, assignee_id in db.session.execute(
                            select(ApprovalTask.id, ApprovalTask.instance_id, ApprovalTask.assignee_id)
                            .where(ApprovalTask.instance_id.in_(run_ids), ApprovalTask.status == PENDING)
                            .order_by(ApprovalTask.id)):
                        open_tasks.setdefault(instance_id, []).append((task_id, assignee_id))
                    db.session.rollback()
                    for run_id in run_ids:
                        task_id, assignee_id = rng.choice(open_tasks[run_id])
                        t = time.perf_counter()
                        engine.approve(users[assignee_id], task_id)
                        mine.append(time.perf_counter() - t)
        except Exception as exc:  # a benchmark reports, it does not hide failures
            errors.append(repr(exc))
        finally:
            ended = time.time()
            cpu, db_cpu1 = time.process_time() - cpu0, _proc_cpu(backend)
            db.session.remove()
    db_cpu = db_cpu1 - db_cpu0 if db_cpu0 is not None and db_cpu1 is not None else None
    results.put((mine, mine_submit, errors, began, ended, cpu, db_cpu))


def main(instances: int = 10_000, workers: int = 4) -> None:
    from sqlalchemy import select

    from app import create_app
    from app.core.org import User
    from app.core.setup import initialise
    from app.extensions import db
    from app.workflow import engine, publishing
    from app.workflow.models import PENDING, ApprovalTask

    app = create_app()
    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        initialise("admin", "admin123")
        url = db.engine.url.render_as_string(hide_password=True)
        t0 = time.perf_counter()
        people, submitter, ids = _seed(db, instances, tag)
        pairs = [[people[2 * i].username, people[2 * i + 1].username] for i in range(4)]
        publishing.publish(None, _chain(pairs), note="bench")
        seeded = time.perf_counter() - t0
        people_ids = [p.id for p in people]
        submitter_id = submitter.id
        db.session.remove()
    print(f"Database: {url}  instances: {instances:,}  worker processes: {workers}  (seeded in {seeded:.1f} s)")

    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    app_cpu, db_cpus = [], []
    redis0, machine0 = _redis_cpu(app), _machine_ticks()
    chunks = [ids[i::workers] for i in range(workers)]
    processes = [ctx.Process(target=_work, args=(chunk, people_ids, submitter_id, results)) for chunk in chunks]
    for p in processes:
        p.start()
    latencies, submits, errors, spans = [], [], [], []
    for _ in processes:
        mine, mine_submit, failed, began, ended, cpu, db_cpu = results.get()
        app_cpu.append(cpu)
        db_cpus.append(db_cpu)
        latencies += mine
        submits += mine_submit
        errors += failed
        spans.append((began, ended))
    # From the first worker's first action to the last worker's last (start-up excluded).
    wall = max(e for _b, e in spans) - min(b for b, _e in spans)
    for p in processes:
        p.join()
    redis1, machine1 = _redis_cpu(app), _machine_ticks()

    with app.app_context():
        from app.workflow.models import ApprovalInstance

        done = db.session.scalar(select(db.func.count()).select_from(ApprovalInstance).where(
            ApprovalInstance.status == "approved", ApprovalInstance.record_id.in_(ids[:1] + ids[-1:])))
    actions = len(latencies) + len(submits)
    ms = sorted(x * 1000 for x in latencies)
    sub_ms = sorted(x * 1000 for x in submits)

    def pct(values, p):
        return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")

    print(f"errors: {len(errors)}" + (f"  first: {errors[0]}" if errors else ""))
    print(f"actions: {actions:,} ({len(submits):,} submits + {len(latencies):,} approvals) in {wall:.1f} s "
          f"= {actions / wall:.0f} actions/s (target >= {RATE_TARGET})")
    print(f"approve latency ms: p50 {statistics.median(ms):.1f}  p95 {pct(ms, 0.95):.1f}  max {ms[-1]:.1f} "
          f"(target p95 < {P95_TARGET_MS})")
    print(f"submit latency ms:  p50 {statistics.median(sub_ms):.1f}  p95 {pct(sub_ms, 0.95):.1f}")
    print(f"first and last instances approved: {done} of 2")
    per = 1000 / actions
    parts = [f"app {sum(app_cpu) * per:.2f}"]
    if all(x is not None for x in db_cpus):
        parts.append(f"PostgreSQL {sum(db_cpus) * per:.2f}")
    if redis0 is not None and redis1 is not None:
        parts.append(f"Redis {(redis1 - redis0) * per:.2f}")
    busy = ""
    if machine0 and machine1:
        total, idle = machine1[0] - machine0[0], machine1[1] - machine0[1]
        busy = f"; machine busy {100 * (total - idle) / total:.0f}% of {os.cpu_count()} cores"
    print(f"CPU ms per action: {', '.join(parts)}{busy}")
