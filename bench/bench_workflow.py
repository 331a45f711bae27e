"""Throughput of the approval engine on the database named by DATABASE_URL (and REDIS_URL).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_wfbench REDIS_URL=redis://127.0.0.1:6379/9 \
        python run.py bench workflow --instances 2000 --workers 2

Seeds N draft contracts, publishes a 4-step chain (manager, legal, finance, general manager;
each step a 2-person any-one step, with SLA reminders and time limits scheduled in Redis), then
WORKERS processes concurrently submit the contracts (each keeping a wave of 25 in flight) and
approve each through all four steps via the engine's service functions (the same calls the
screens, e-mail links and API make: compare-and-set on the instance, task rows, timeline,
notifications and e-mail outbox rows, SLA jobs).
Each worker runs its actions as a request of the signed-in user would (the user's roles and
data scopes come from the permission cache, as on the screens, the API and the e-mail links).
Prints actions per second, the p50 / p95 / max latency of an approve action, statements per
action, and CPU milliseconds per action: of the workers inside the actions (submit and approve
apart), of the workers as a whole (with the benchmark's own reads of which tasks are open), of
PostgreSQL and of Redis, beside the machine's load average and how busy its cores were, so that
a slow run on a busy machine can be told apart from a slow engine.
It also prints the time the actions spent in COMMIT (the database's WAL flush) and the ceiling
the measured CPU allows: the cores at this CPU per action (all processes together), and W workers
that each wait for their own action's CPU, the database's and the COMMIT.
Targets (issue 13): >= 500 actions/s with 2 workers, approve p95 <= 20 ms, <= 4 CPU ms per action
(the workers', inside the actions), and an approve in <= 5 statements on average.
A small run for CI: `--instances 50 --workers 2` (seconds).
WF_BENCH_PROFILE=/tmp/wf makes each worker write the CPU profile of its approvals
(/tmp/wf.<pid>, for `python -m pstats`) and the statements of its first approvals (/tmp/wf.<pid>.sql).
"""
from __future__ import annotations

import cProfile
import gc
import multiprocessing
import os
import random
import time
import uuid
from decimal import Decimal

import yaml

P95_TARGET_MS, RATE_TARGET, CPU_TARGET_MS, STATEMENTS_TARGET = 20, 500, 4, 5


def _chain(approvers: list[list[str]], kinds: str = "users", department: str | None = None) -> str:
    """The bench's chain. kinds="users": each step names its two users. kinds="new": the newer
    approver kinds — the submitter picks step 1's two approvers (发起人自选), step 2 asks the head
    of a named department, step 4 the submitter's manager line (连续多级主管, one level)."""
    names = ["manager", "legal", "finance", "gm"]
    steps = [{"id": names[i], "name": f"第{i + 1}级审批", "approvers": [{"user": u} for u in users], "mode": "any"}
             for i, users in enumerate(approvers)]
    if kinds == "new":
        steps[0]["approvers"] = [{"submitter_picks": {"from": {"users": approvers[0]}, "multiple": True}}]
        steps[1]["approvers"] = [{"department_head": {"department": department}}]
        steps[3]["approvers"] = [{"manager_chain": {"levels": 1}}]
        steps[3]["mode"] = "sequential"
    return yaml.safe_dump({
        "name": "contract_approval", "title": "合同审批（压测）", "document": "contracts", "admin": "admin",
        "settings": {"comment_required": ["reject", "return"],
                     "sla": {"remind_after": "24h", "escalate_after": "72h", "on_timeout": "escalate",
                             "escalate_to": "manager"}},
        "steps": steps}, allow_unicode=True, sort_keys=False)


def _seed(db, n: int, tag: str, kinds: str = "users"):
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
    if kinds == "new":
        from app.core.org import Department

        db.session.add(Department(code=f"WFB-{tag}", name=f"压测法务部{tag}", head_id=people[2].id))
        submitter.manager_id = people[6].id
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


def _work(chunk, people_ids, submitter_id, results, choices=None) -> None:
    """One worker process: its own app and connection. It takes its contracts WAVE at a time:
    submits them, then approves one open task of each, step after step, so many instances are
    in flight at once. Which tasks are open is read once per wave and step (not timed)."""
    from sqlalchemy import event, inspect, select

    from app import create_app
    from app.core.org import User
    from app.extensions import db
    from app.workflow import engine
    from app.workflow.models import PENDING, ApprovalTask

    app = create_app()
    gc.freeze()   # as `run.py worker` does: the app's long-lived objects are not walked by full collections
    mine, mine_submit, errors = [], [], []
    statements = [0, 0]   # during submits, during approvals
    in_actions = [0.0, 0.0]   # CPU seconds inside submits, inside approvals
    counting = [None]
    committing = [0.0]   # seconds spent in the actions' COMMITs (the database's WAL flush)
    rng = random.Random()
    profile_to = os.environ.get("WF_BENCH_PROFILE")
    profiler = cProfile.Profile(time.process_time) if profile_to else None
    shown = [] if profile_to else None
    with app.test_request_context("/"):
        users = {uid: db.session.get(User, uid) for uid in people_ids}
        sub = db.session.get(User, submitter_id)
        backend = _backend_pid(db)
        dialect, do_commit = db.engine.dialect, db.engine.dialect.do_commit

        def timed_commit(connection):
            t = time.perf_counter()
            try:
                do_commit(connection)
            finally:
                if counting[0] is not None:
                    committing[0] += time.perf_counter() - t

        dialect.do_commit = timed_commit

        @event.listens_for(db.engine, "before_cursor_execute")
        def count(_conn, _cursor, sql, *_args):
            if counting[0] is not None:
                statements[counting[0]] += 1
                if shown is not None and counting[0] == 1 and len(shown) < 60:
                    shown.append(sql)

        cpu0, db_cpu0 = time.process_time(), _proc_cpu(backend)
        began = time.time()
        try:
            for start in range(0, len(chunk), WAVE):
                run_ids = []
                for contract_id in chunk[start:start + WAVE]:
                    counting[0] = 0
                    t, c = time.perf_counter(), time.process_time()
                    run = engine.submit(sub, "contracts", contract_id, choices=choices)
                    in_actions[0] += time.process_time() - c
                    mine_submit.append(time.perf_counter() - t)
                    counting[0] = None
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
                        counting[0] = 1
                        t, c = time.perf_counter(), time.process_time()
                        if profiler is not None:
                            profiler.enable()
                        engine.approve(users[assignee_id], task_id)
                        if profiler is not None:
                            profiler.disable()
                        in_actions[1] += time.process_time() - c
                        mine.append(time.perf_counter() - t)
                        counting[0] = None
        except Exception as exc:  # a benchmark reports, it does not hide failures
            errors.append(repr(exc))
        finally:
            ended = time.time()
            cpu, db_cpu1 = time.process_time() - cpu0, _proc_cpu(backend)
            db.session.remove()
    if profiler is not None:
        profiler.dump_stats(f"{profile_to}.{os.getpid()}")
        with open(f"{profile_to}.{os.getpid()}.sql", "w") as f:
            f.write("\n;\n".join(shown))
    db_cpu = db_cpu1 - db_cpu0 if db_cpu0 is not None and db_cpu1 is not None else None
    results.put((mine, mine_submit, errors, began, ended, cpu, db_cpu, statements, in_actions, committing[0]))


def main(instances: int = 2_000, workers: int = 2, kinds: str = "users") -> None:
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
        people, submitter, ids = _seed(db, instances, tag, kinds)
        pairs = [[people[2 * i].username, people[2 * i + 1].username] for i in range(4)]
        publishing.publish(None, _chain(pairs, kinds, f"WFB-{tag}"), note="bench")
        choices = {"manager": [people[0].id, people[1].id]} if kinds == "new" else None
        seeded = time.perf_counter() - t0
        people_ids = [p.id for p in people]
        submitter_id = submitter.id
        db.session.remove()
    print(f"Database: {url}  instances: {instances:,}  worker processes: {workers}  (seeded in {seeded:.1f} s)")
    print("chain: " + ("the newer approver kinds (发起人自选, a named department's head, 连续多级主管)"
                       if kinds == "new" else "four steps of named users"))

    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    app_cpu, db_cpus = [], []
    redis0, machine0 = _redis_cpu(app), _machine_ticks()
    chunks = [ids[i::workers] for i in range(workers)]
    processes = [ctx.Process(target=_work, args=(chunk, people_ids, submitter_id, results, choices))
                 for chunk in chunks]
    load_before = os.getloadavg()
    for p in processes:
        p.start()
    latencies, submits, errors, spans, counted, action_cpu = [], [], [], [], [0, 0], [0.0, 0.0]
    commit_wait = 0.0
    for _ in processes:
        mine, mine_submit, failed, began, ended, cpu, db_cpu, statements, in_actions, committing = results.get()
        commit_wait += committing
        counted = [counted[0] + statements[0], counted[1] + statements[1]]
        action_cpu = [action_cpu[0] + in_actions[0], action_cpu[1] + in_actions[1]]
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
    load_after = os.getloadavg()

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
    rate = actions / wall
    print(f"actions: {actions:,} ({len(submits):,} submits + {len(latencies):,} approvals) in {wall:.1f} s "
          f"= {rate:.0f} actions/s (target >= {RATE_TARGET} with 2 workers)")
    print(f"approve latency ms: p50 {pct(ms, 0.5):.1f}  p95 {pct(ms, 0.95):.1f}  max {pct(ms, 1.0):.1f} "
          f"(target p95 <= {P95_TARGET_MS})")
    print(f"submit latency ms:  p50 {pct(sub_ms, 0.5):.1f}  p95 {pct(sub_ms, 0.95):.1f}")
    per_approve = counted[1] / max(len(latencies), 1)
    print(f"statements per action: submit {counted[0] / max(len(submits), 1):.1f}, approve {per_approve:.1f} "
          f"(and one COMMIT each; target approve <= {STATEMENTS_TARGET})")
    print(f"first and last instances approved: {done} of 2")
    per = 1000 / max(actions, 1)
    inside = sum(action_cpu) * per
    print(f"CPU ms per action inside the actions (workers): {inside:.2f} (target <= {CPU_TARGET_MS}); "
          f"submit {action_cpu[0] * 1000 / max(len(submits), 1):.2f}, "
          f"approve {action_cpu[1] * 1000 / max(len(latencies), 1):.2f}")
    workers_ms = sum(app_cpu) * per
    db_ms = sum(db_cpus) * per if all(x is not None for x in db_cpus) else None
    redis_ms = (redis1 - redis0) * per if redis0 is not None and redis1 is not None else None
    parts = [f"workers {workers_ms:.2f} (target <= {CPU_TARGET_MS})"]
    if db_ms is not None:
        parts.append(f"PostgreSQL {db_ms:.2f}")
    if redis_ms is not None:
        parts.append(f"Redis {redis_ms:.2f}")
    busy, ours = "", None
    cores = os.cpu_count() or 1
    total_ms = workers_ms + (db_ms or 0) + (redis_ms or 0)
    if machine0 and machine1:
        total, idle = machine1[0] - machine0[0], machine1[1] - machine0[1]
        busy_share = (total - idle) / total
        ours = total_ms * rate / 1000 / cores   # the share of the cores this run's processes used
        busy = (f"; machine busy {100 * busy_share:.0f}% of {cores} cores, "
                f"{100 * ours:.0f}% by this run, {100 * max(busy_share - ours, 0):.0f}% by other work")
    print(f"CPU ms per action, whole processes: {', '.join(parts)}{busy}")
    print(f"COMMIT (the WAL flush) ms per action: {commit_wait * per:.2f}")
    # What the machine allows: every action costs total_ms of CPU somewhere (workers, database,
    # Redis); the cores give at most cores x 1000 / total_ms actions a second, and W workers, each
    # waiting for its own action's CPU, the database's and the COMMIT, at most W x 1000 / that.
    if total_ms > 0:
        serial_ms = workers_ms + (db_ms or 0) + (redis_ms or 0) + commit_wait * per
        print(f"ceiling: {cores} cores at {total_ms:.2f} CPU ms per action = at most {cores * 1000 / total_ms:.0f} "
              f"actions/s with nothing else running; {workers} workers each waiting at least {serial_ms:.2f} ms per "
              f"action (its CPU, the database's, Redis, the COMMIT) = at most {workers * 1000 / serial_ms:.0f} "
              f"actions/s; {RATE_TARGET} actions/s needs <= {cores * 1000 / RATE_TARGET:.1f} CPU ms per action in all "
              f"processes together")
    print(f"load average {load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end")
