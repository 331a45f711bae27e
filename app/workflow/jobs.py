"""Approval time limits as RQ jobs: a reminder and a timeout per task, scheduled when the task
opens, as an entry in the bucket of the minute it falls due in (one job per bucket runs them
all). Each entry carries the task's version: a job that fires late, twice, or after the task
was handled, reassigned or reopened does nothing. A cron sweep re-schedules what a lost Redis
forgot, so a deadline is never silently dropped."""
from __future__ import annotations

import datetime as dt

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
from app.workflow.sla import BUCKET_SECONDS, KEEP_SECONDS, bucket_key, schedule_sla  # noqa: F401

_BUCKET_JOBS = {}   # job name → function, filled below


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
    from app.workflow.frame import definition_of

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
