"""Scheduling an approval task's reminder and time limit (its step's SLA) after the action that
opened it commits. Each joins the Redis list of the minute it falls due in; one RQ job per minute
and kind (app/workflow/jobs.py: run_bucket) runs them. This module names those jobs by their
dotted path and imports nothing of the engine, so the engine's notices can schedule without
importing the jobs that call back into it."""
from __future__ import annotations

import datetime as dt
import math
import time

from app.core.jobs import queue

JOBS = "app.workflow.jobs"
REMIND, TIMEOUT = "remind_tasks", "tasks_timeout"


def schedule_sla(uow, task, sla) -> None:
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
        pending.setdefault((sla.remind_after, REMIND), []).append((task.id, task.version))
    if sla.escalate_after:
        pending.setdefault((sla.escalate_after, TIMEOUT), []).append((task.id, task.version))


BUCKET_SECONDS = 60
KEEP_SECONDS = 7 * 24 * 3600   # a bucket outlives its time by this much (then the sweep has it)


def bucket_key(q, func, due: int) -> str:
    """The Redis list of job `func`'s (task id, version) entries due at `due` (a minute, epoch
    seconds); `func` is the job's name or the job function."""
    return f"{q.name}:wf_sla:{getattr(func, '__name__', func)}:{due}"


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
                q.schedule_job(q.create_job(f"{JOBS}.run_bucket", args=(func, key)), when, pipeline=pipe)
            pipe.execute()
