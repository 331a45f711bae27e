"""Approval time limits as RQ jobs: a reminder and a timeout per task, scheduled when the task
opens, as an entry in the bucket of the minute it falls due in (one job per bucket runs them
all). Each entry carries the task's version: a job that fires late, twice, or after the task
was handled, reassigned or reopened does nothing. A cron sweep re-schedules what a lost Redis
forgot, so a deadline is never silently dropped."""
from __future__ import annotations

import datetime as dt
import math
import time

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.core.clock import utcnow
from app.core.jobs import in_app_context, queue
from app.core.notify import notify
from app.core.org import User
from app.core.transaction import unit_of_work
from app.core.webhooks import local_time
from app.extensions import db
from app.workflow.models import PENDING, RUNNING, ApprovalAction, ApprovalInstance, ApprovalTask


def schedule_sla(uow, task: ApprovalTask, sla) -> None:
    """After commit, schedule `task`'s reminder and timeout (when its step has them). All of an
    action's go to Redis in one round trip: each joins the bucket of the minute it falls due in
    (tasks due in the same minute, of every instance, share one reminder job and one timeout
    job, so the scheduler holds two jobs per minute rather than two per task)."""
    if sla is None or not (sla.remind_after or sla.escalate_after):
        return
    pending = getattr(uow, "_sla_jobs", None)
    if pending is None:
        pending = uow._sla_jobs = {}
        uow.after_commit(lambda: _enqueue_scheduled(pending))
    if sla.remind_after:
        pending.setdefault((sla.remind_after, remind_tasks), []).append((task.id, task.version))
    if sla.escalate_after:
        pending.setdefault((sla.escalate_after, tasks_timeout), []).append((task.id, task.version))


BUCKET_SECONDS = 60
KEEP_SECONDS = 7 * 24 * 3600   # a bucket outlives its time by this much (then the sweep has it)
_BUCKET_JOBS = {}   # job name → function, filled below


def bucket_key(q, func, due: int) -> str:
    """The Redis list of `func`'s (task id, version) entries due at `due` (a minute, epoch seconds)."""
    return f"{q.name}:wf_sla:{func.__name__}:{due}"


def _enqueue_scheduled(pending) -> None:
    q = queue()
    now = time.time()
    buckets = []
    with q.connection.pipeline(transaction=False) as pipe:   # one round trip
        for (after, func), tasks in pending.items():
            seconds = after.total_seconds()
            due = int(math.ceil((now + seconds) / BUCKET_SECONDS) * BUCKET_SECONDS)
            key = bucket_key(q, func, due)
            pipe.rpush(key, *[f"{task_id}:{version}" for task_id, version in tasks])
            pipe.expire(key, int(seconds) + KEEP_SECONDS)
            pipe.set(key + ":job", 1, nx=True, ex=int(seconds) + KEEP_SECONDS)   # the bucket's job, once
            buckets.append((func, key, due))
        created = pipe.execute()[2::3]
    new = [bucket for bucket, first in zip(buckets, created) if first]
    if new:   # the first task of a minute: its job (once a minute per kind, not per action)
        with q.connection.pipeline(transaction=False) as pipe:
            for func, key, due in new:
                when = dt.datetime.fromtimestamp(due, dt.timezone.utc)
                q.schedule_job(q.create_job(run_bucket, args=(func.__name__, key)), when, pipeline=pipe)
            pipe.execute()


def bucket_entries(q, key: str) -> list[tuple[int, int]]:
    """(task id, version) of a bucket, without taking them."""
    return [_entry(e) for e in q.connection.lrange(key, 0, -1)]


def _entry(raw) -> tuple[int, int]:
    task_id, version = (raw.decode() if isinstance(raw, bytes) else raw).split(":")
    return int(task_id), int(version)


@in_app_context
def run_bucket(name: str, key: str):
    """The job of a minute's bucket: takes its entries and runs `name` (remind_tasks or
    tasks_timeout) on them; a bucket already taken (the job run twice) does nothing."""
    q = queue()
    with q.connection.pipeline(transaction=True) as pipe:
        pipe.lrange(key, 0, -1)
        pipe.delete(key, key + ":job")
        entries, _deleted = pipe.execute()
    tasks = [_entry(e) for e in entries]
    return _BUCKET_JOBS[name](tasks) if tasks else []


@in_app_context
def remind_tasks(tasks) -> list[str]:
    """The reminder job of tasks opened together: remind_task for each (task id, version)."""
    return [remind_task(task_id, version) for task_id, version in tasks]


@in_app_context
def tasks_timeout(tasks) -> list[str]:
    """The time-limit job of tasks opened together: task_timeout for each (task id, version)."""
    out = []
    for task_id, version in tasks:
        out.append(task_timeout(task_id, version))
        db.session.rollback()
    return out


def _sla_of(task: ApprovalTask):
    from app.workflow.engine import definition_of

    return definition_of(task.instance).step(task.step_id).sla


_BUCKET_JOBS.update(remind_tasks=remind_tasks, tasks_timeout=tasks_timeout)


@in_app_context
def remind_task(task_id: int, expected_version: int) -> str:
    """Remind the assignee once, when the task is still open at the reminder time."""
    from app.workflow.notices import task_link

    with unit_of_work(None) as uow:
        task = db.session.get(ApprovalTask, task_id)
        if task is None or task.status != PENDING or task.version != expected_version \
                or task.instance.status != RUNNING:
            return "stale"
        sla = _sla_of(task)
        if not sla.remind_after or utcnow() < task.created_at + sla.remind_after - dt.timedelta(seconds=5):
            return "early"
        assignee = db.session.get(User, task.assignee_id)
        if not assignee.active:
            return "inactive"
        claimed = db.session.execute(
            update(ApprovalTask).where(ApprovalTask.id == task_id, ApprovalTask.version == expected_version,
                                       ApprovalTask.status == PENDING, ApprovalTask.reminded_at.is_(None))
            .values(reminded_at=utcnow()).execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            return "done"
        instance = task.instance
        db.session.add(ApprovalAction(instance_id=instance.id, task_id=task.id, step_id=task.step_id,
                                      action="remind", target_id=assignee.id, reason="sla", at=utcnow()))
        notify(uow, [assignee], _("Waiting for your approval: %(doc)s", doc=instance.title),
               _("This approval has been waiting since %(time)s.", time=local_time(task.created_at)),
               link=task_link(task.id))
    return "reminded"


@in_app_context
def task_timeout(task_id: int, expected_version: int) -> str:
    """At the step's time limit: escalate, approve or reject the task (per the chain)."""
    from app.workflow.timeouts import escalate

    task = db.session.get(ApprovalTask, task_id)
    if task is None or task.status != PENDING or task.version != expected_version:
        return "stale"
    sla = _sla_of(task)
    if not sla.escalate_after or utcnow() < task.created_at + sla.escalate_after - dt.timedelta(seconds=5):
        return "early"
    return escalate(task_id, expected_version)


@in_app_context
def reassign_inactive_approver(user_id: int) -> int:
    from app.workflow.timeouts import reassign_inactive

    return reassign_inactive(user_id)


@in_app_context
def sweep_overdue() -> int:
    """Every few minutes: run the reminder / timeout of open tasks already past their limits
    (their scheduled jobs may have been lost). Idempotent like the jobs themselves."""
    done = 0
    now = utcnow()
    rows = db.session.execute(
        select(ApprovalTask.id, ApprovalTask.version, ApprovalTask.created_at, ApprovalTask.reminded_at)
        .join(ApprovalInstance, ApprovalInstance.id == ApprovalTask.instance_id)
        .where(ApprovalTask.status == PENDING, ApprovalInstance.status == RUNNING)
        .where(ApprovalTask.created_at < now - dt.timedelta(minutes=10))).all()
    for task_id, version, created_at, reminded_at in rows:
        task = db.session.get(ApprovalTask, task_id)
        sla = _sla_of(task)
        if sla.escalate_after and now >= created_at + sla.escalate_after + dt.timedelta(minutes=10):
            done += task_timeout(task_id, version) not in ("stale", "early")
        elif sla.remind_after and reminded_at is None and now >= created_at + sla.remind_after + dt.timedelta(minutes=10):
            done += remind_task(task_id, version) == "reminded"
        db.session.rollback()
    return done


CRON = [
    {"func": sweep_overdue, "cron": "*/10 * * * *", "name": "workflow.sweep_overdue"},
]
