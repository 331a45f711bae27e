"""Approval time limits and deactivated approvers, run by a real RQ worker against real Redis
(scenarios 10 and 12): a job that fires late, twice, or after the task was handled does nothing."""
from __future__ import annotations

import datetime as dt

from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select, update

from app.core import jobs
from app.core.clock import utcnow
from app.core.notify import Notification
from app.extensions import db
from app.workflow import engine
from app.workflow import jobs as wf_jobs
from app.workflow.jobs import remind_task, task_timeout
from app.workflow.models import ApprovalTask
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401  (fixture)
from tests.factories import make_user
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import actions, fresh, publish_chain, step, task_of, user_rule

SLA = {"remind_after": "24h", "escalate_after": "72h", "on_timeout": "escalate", "escalate_to": "manager"}


def _age(task, hours: int) -> None:
    db.session.execute(update(ApprovalTask).where(ApprovalTask.id == task.id)
                       .values(created_at=utcnow() - dt.timedelta(hours=hours)))
    db.session.commit()


def _reminders(user) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.link.like("%/approvals/task/%"),
        Notification.title.like("%" + str(_waiting_word()) + "%"))) or 0


def _waiting_word():
    from flask_babel import gettext

    return gettext("Waiting for your approval: %(doc)s", doc="").strip(" :：")


def _setup(org, **sla):
    boss = make_user("Manager")
    approver = make_user("Manager", manager=boss)
    publish_chain([step("s1", user_rule(approver))], sla={**SLA, **sla})
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    return boss, approver, run


def _buckets_holding(app, tasks) -> dict:
    """{job kind: (scheduled time, the bucket's entries)} of the scheduled buckets holding any of `tasks`."""
    queue = jobs.queue(app.config)
    registry = ScheduledJobRegistry(queue=queue)
    found = {}
    for job_id in registry.get_job_ids():
        job = queue.fetch_job(job_id)
        if job is None or not job.func_name.endswith(".run_bucket"):
            continue
        kind, key = job.args
        entries = wf_jobs.bucket_entries(queue, key)
        if any((t.id, t.version) in entries for t in tasks):
            assert kind not in found or found[kind][2].args[1] == key, f"one bucket per kind and minute: {kind}"
            found[kind] = (registry.get_scheduled_time(job), entries, job)
    return found


def test_opening_a_task_schedules_its_reminder_and_time_limit(org, app):
    _boss, approver, run = _setup(org)
    task = task_of(run, approver)
    mine = _buckets_holding(app, [task])
    assert set(mine) == {"remind_tasks", "tasks_timeout"}
    created = task.created_at.replace(tzinfo=dt.timezone.utc)
    for kind, hours in (("remind_tasks", 24), ("tasks_timeout", 72)):
        late = mine[kind][0] - created - dt.timedelta(hours=hours)
        assert dt.timedelta(0) <= late < dt.timedelta(minutes=1, seconds=5), "never early, at most a minute late"


def test_tasks_falling_due_in_one_minute_share_a_reminder_job_that_reminds_each_once(org, app, job_env):
    first, second, third = make_user("Manager"), make_user("Manager"), make_user("Manager")
    publish_chain([step("s1", user_rule(first, second))], sla=SLA)
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)
    publish_chain([step("s1", user_rule(third))], sla=SLA)
    other = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)   # another instance
    opened = [task_of(run, first), task_of(run, second), task_of(other, third)]
    reminders = _buckets_holding(app, opened)["remind_tasks"]
    if not all((t.id, t.version) in reminders[1] for t in opened):   # the minute turned in between
        assert all((t.id, t.version) in reminders[1] for t in opened[:2])
        opened = opened[:2]
    for task in opened:
        _age(task, 25)
    queue = jobs.queue(app.config)
    job = reminders[2]
    queue.enqueue(job.func, *job.args)
    queue.enqueue(job.func, *job.args)   # fired twice: still one reminder each
    run_worker_burst(job_env)

    assert _reminders(first) == 1 and _reminders(second) == 1
    assert len(actions(run, "remind")) == 2
    assert wf_jobs.bucket_entries(queue, job.args[1]) == [], "the bucket is taken by its job"


def test_at_24_hours_exactly_one_reminder_even_if_the_job_runs_twice(org, app, job_env):
    _boss, approver, run = _setup(org)
    task = task_of(run, approver)
    _age(task, 25)
    queue = jobs.queue(app.config)
    queue.enqueue(remind_task, task.id, task.version)
    queue.enqueue(remind_task, task.id, task.version)
    run_worker_burst(job_env)

    assert _reminders(approver) == 1
    assert len(actions(run, "remind")) == 1


def test_at_72_hours_the_task_moves_to_the_escalation_target(org, app, job_env):
    boss, approver, run = _setup(org)
    task = task_of(run, approver)
    _age(task, 73)
    jobs.queue(app.config).enqueue(task_timeout, task.id, task.version)
    jobs.queue(app.config).enqueue(task_timeout, task.id, task.version)
    run_worker_burst(job_env)

    assert task_of(run, boss).step_id == "s1"
    assert task_of(run, approver, "transferred")
    assert [a.reason for a in actions(run, "escalate")] == ["timeout"]


def test_jobs_do_nothing_once_the_approver_has_acted(org, app, job_env):
    boss, approver, run = _setup(org)
    task = task_of(run, approver)
    engine.approve(approver, task.id)
    _age(task, 80)
    queue = jobs.queue(app.config)
    queue.enqueue(remind_task, task.id, task.version)
    queue.enqueue(task_timeout, task.id, task.version)
    run_worker_burst(job_env)

    assert _reminders(approver) == 0
    assert actions(run, "escalate") == [] and actions(run, "remind") == []
    assert fresh(run).status == "approved"


def test_a_timeout_can_approve_automatically(org, app, job_env):
    _boss, approver, run = _setup(org, on_timeout="auto_approve")
    task = task_of(run, approver)
    _age(task, 73)
    jobs.queue(app.config).enqueue(task_timeout, task.id, task.version)
    run_worker_burst(job_env)

    assert fresh(run).status == "approved"
    assert [a.reason for a in actions(run, "approve")] == ["timeout"]


def test_a_deactivated_approvers_task_is_reassigned_and_reminders_stop(org, app, job_env):
    boss, approver, run = _setup(org)
    task = task_of(run, approver)
    approver.active = False
    db.session.commit()                 # queues the reassignment job
    run_worker_burst(job_env)

    moved = task_of(run, boss)
    assert [a.reason for a in actions(run, "reassign")] == ["inactive_approver"]
    _age(task, 25)
    _age(moved, 1)
    jobs.queue(app.config).enqueue(remind_task, task.id, task.version)
    run_worker_burst(job_env)
    assert _reminders(approver) == 0
