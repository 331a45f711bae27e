"""Approval statistics (审批统计): per chain and step, and per approver, over a period.

Counts (tasks, decided, rejected, open) are SQL aggregates (GROUP BY) in the database. Medians and
90th percentiles of the time to decide are taken from each group's durations fetched in order,
the same on SQLite and PostgreSQL. A task is overdue when it waited longer than its step's time
limit (the SLA's escalate_after, else remind_after, of the chain version it ran under)."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from app.core.org import User
from app.extensions import db
from app.workflow.definitions import parse_definition
from app.workflow.models import (DONE_APPROVED, DONE_REJECTED, OPEN_TASK_STATES, ApprovalInstance, ApprovalTask,
                                 WorkflowDefinition, WorkflowVersion)

DECIDED = (DONE_APPROVED, DONE_REJECTED)
PERIODS = ("this_month", "last_month", "this_quarter", "custom")


def period_bounds(period: str, today: dt.date, start: dt.date | None = None, end: dt.date | None = None):
    """[first day, day after the last) of a named period, or of custom dates (inclusive)."""
    if period == "last_month":
        first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        return first, today.replace(day=1)
    if period == "this_quarter":
        first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        month = first.month + 3
        return first, dt.date(first.year + (month > 12), (month - 1) % 12 + 1, 1)
    if period == "custom" and start and end:
        return start, end + dt.timedelta(days=1)
    first = today.replace(day=1)
    return first, (first + dt.timedelta(days=32)).replace(day=1)


def percentile(ordered: list[float], share: float) -> float | None:
    """The nearest-rank percentile of sorted values (None when there are none)."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(ordered: list[float]) -> float | None:
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass
class Row:
    key: tuple
    label: str
    step: str = ""
    count: int = 0
    decided: int = 0
    rejected: int = 0
    open: int = 0
    overdue: int = 0
    hours: list = field(default_factory=list)

    @property
    def median_hours(self):
        return median(sorted(self.hours))

    @property
    def p90_hours(self):
        return percentile(sorted(self.hours), 0.9)

    @property
    def rejected_share(self):
        return (self.rejected / self.decided) if self.decided else None


_LIMITS: dict = {}


def _limit(version_id: int, source: str, step_id: str) -> dt.timedelta | None:
    """The step's time limit in that chain version (cached per version)."""
    if version_id not in _LIMITS:
        try:
            definition = parse_definition(source, allow_missing_document=True)
        except Exception:  # noqa: BLE001 - an old version that no longer reads has no limits
            _LIMITS[version_id] = {}
        else:
            _LIMITS[version_id] = {s.id: (s.sla.escalate_after or s.sla.remind_after) if s.sla else None
                                   for s in definition.steps}
    return _LIMITS[version_id].get(step_id)


def _scope(query, start: dt.date, end: dt.date, chain: str | None):
    query = query.where(ApprovalTask.created_at >= dt.datetime.combine(start, dt.time()),
                        ApprovalTask.created_at < dt.datetime.combine(end, dt.time()))
    if chain:
        query = query.where(WorkflowDefinition.name == chain)
    return query


def _joined(query):
    return (query.join(ApprovalInstance, ApprovalInstance.id == ApprovalTask.instance_id)
            .join(WorkflowVersion, WorkflowVersion.id == ApprovalInstance.version_id)
            .join(WorkflowDefinition, WorkflowDefinition.id == WorkflowVersion.definition_id))


def statistics(start: dt.date, end: dt.date, chain: str | None = None, now: dt.datetime | None = None) -> dict:
    """{"steps": [Row per chain and step], "approvers": [Row per approver]} of tasks opened in [start, end)."""
    now = now or dt.datetime.utcnow()
    counts = [func.count(ApprovalTask.id),
              func.sum(case((ApprovalTask.status.in_(DECIDED), 1), else_=0)),
              func.sum(case((ApprovalTask.status == DONE_REJECTED, 1), else_=0)),
              func.sum(case((ApprovalTask.status.in_(OPEN_TASK_STATES), 1), else_=0))]
    by_step = _scope(_joined(select(WorkflowDefinition.name, WorkflowDefinition.title, ApprovalTask.step_id,
                                    *counts)), start, end, chain) \
        .group_by(WorkflowDefinition.name, WorkflowDefinition.title, ApprovalTask.step_id) \
        .order_by(WorkflowDefinition.title, ApprovalTask.step_id)
    steps = {}
    for name, title, step_id, count, decided, rejected, open_ in db.session.execute(by_step):
        steps[(name, step_id)] = Row((name, step_id), title, step_id, count, decided or 0, rejected or 0, open_ or 0)
    by_user = _scope(_joined(select(ApprovalTask.assignee_id, *counts)), start, end, chain) \
        .group_by(ApprovalTask.assignee_id)
    users = {}
    for user_id, count, decided, rejected, open_ in db.session.execute(by_user):
        users[user_id] = Row((user_id,), "", "", count, decided or 0, rejected or 0, open_ or 0)
    names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(list(users) or [0]))).all())
    for user_id, row in users.items():
        row.label = names.get(user_id, str(user_id))
    # time to decide and overdue: each task's times, in order of duration per group
    timing = _scope(_joined(select(WorkflowDefinition.name, ApprovalTask.step_id, ApprovalTask.assignee_id,
                                   ApprovalTask.status, ApprovalTask.created_at, ApprovalTask.decided_at,
                                   WorkflowVersion.id, WorkflowVersion.source)), start, end, chain)
    for name, step_id, user_id, status, created, decided_at, version_id, source in db.session.execute(timing):
        waited = ((decided_at if status in DECIDED and decided_at else now) - created)
        limit = _limit(version_id, source, step_id)
        late = limit is not None and (status in DECIDED or status in OPEN_TASK_STATES) and waited > limit
        for row in (steps.get((name, step_id)), users.get(user_id)):
            if row is None:
                continue
            if status in DECIDED and decided_at:
                row.hours.append(waited.total_seconds() / 3600)
            row.overdue += late
    return {"steps": list(steps.values()),
            "approvers": sorted(users.values(), key=lambda r: (-r.decided, r.label))}
