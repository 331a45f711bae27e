"""Each user's approvals: waiting for me, I submitted, CC to me, handled by me. Read-only
queries shared by the inbox screen, the navbar count and the REST API."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.workflow.models import (DONE_APPROVED, DONE_REJECTED, PENDING, RETURNED, TRANSFERRED, ApprovalCc,
                                 ApprovalInstance, ApprovalTask)

WAITING, SUBMITTED, CC, HANDLED = "waiting", "submitted", "cc", "handled"
TABS = (WAITING, SUBMITTED, CC, HANDLED)
HANDLED_STATES = (DONE_APPROVED, DONE_REJECTED, RETURNED, TRANSFERRED)
PAGE_SIZE = 20


def waiting_count(user) -> int:
    """Tasks waiting for the user's decision: one COUNT on the (assignee, status) index."""
    return db.session.scalar(select(func.count()).select_from(ApprovalTask).where(
        ApprovalTask.assignee_id == user.id, ApprovalTask.status == PENDING)) or 0


def _title_filter(stmt, search: str):
    search = (search or "").strip()
    if not search:
        return stmt
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return stmt.where(ApprovalInstance.title.ilike(f"%{escaped}%", escape="\\"))


def _waiting(user):
    return (select(ApprovalTask).join(ApprovalInstance, ApprovalInstance.id == ApprovalTask.instance_id)
            .where(ApprovalTask.assignee_id == user.id, ApprovalTask.status == PENDING))


def _submitted(user):
    return select(ApprovalInstance).where(ApprovalInstance.submitter_id == user.id)


def _cc_latest(user):
    return (select(ApprovalCc.instance_id, func.max(ApprovalCc.at).label("at"))
            .where(ApprovalCc.user_id == user.id).group_by(ApprovalCc.instance_id).subquery())


def _handled(user):
    return (select(ApprovalTask).join(ApprovalInstance, ApprovalInstance.id == ApprovalTask.instance_id)
            .where(ApprovalTask.decided_by_id == user.id, ApprovalTask.status.in_(HANDLED_STATES)))


def counts(user, search: str = "") -> dict[str, int]:
    """{tab: number of rows} for the user, narrowed by the title search."""
    def count(stmt):
        return db.session.scalar(select(func.count()).select_from(_title_filter(stmt, search).subquery())) or 0

    latest = _cc_latest(user)
    cc = select(ApprovalInstance.id).join(latest, latest.c.instance_id == ApprovalInstance.id)
    return {
        WAITING: count(_waiting(user).with_only_columns(ApprovalTask.id)),
        SUBMITTED: count(_submitted(user).with_only_columns(ApprovalInstance.id)),
        CC: count(cc),
        HANDLED: count(_handled(user).with_only_columns(ApprovalTask.id)),
    }


@dataclass
class Row:
    instance: ApprovalInstance
    task: ApprovalTask | None = None
    at: object = None           # when it reached me: task created / submitted / copied / decided


def rows(user, tab: str, search: str = "", page: int = 0, page_size: int = PAGE_SIZE) -> list[Row]:
    """One page of a tab, newest first."""
    # Past the last row a page is empty; the cap keeps an absurd page number a valid OFFSET.
    offset = min(max(page, 0), 1_000_000) * page_size
    if tab == WAITING:
        stmt = _title_filter(_waiting(user), search).options(
            joinedload(ApprovalTask.instance).joinedload(ApprovalInstance.version),
            joinedload(ApprovalTask.on_behalf_of)).order_by(ApprovalTask.created_at.desc(), ApprovalTask.id.desc())
        return [Row(t.instance, t, t.created_at) for t in db.session.scalars(stmt.offset(offset).limit(page_size))]
    if tab == HANDLED:
        stmt = _title_filter(_handled(user), search).options(
            joinedload(ApprovalTask.instance).joinedload(ApprovalInstance.version)).order_by(
            ApprovalTask.decided_at.desc(), ApprovalTask.id.desc())
        return [Row(t.instance, t, t.decided_at) for t in db.session.scalars(stmt.offset(offset).limit(page_size))]
    if tab == CC:
        latest = _cc_latest(user)
        stmt = _title_filter(select(ApprovalInstance, latest.c.at).join(latest, latest.c.instance_id == ApprovalInstance.id),
                             search).options(joinedload(ApprovalInstance.version)).order_by(
            latest.c.at.desc(), ApprovalInstance.id.desc())
        return [Row(i, None, at) for i, at in db.session.execute(stmt.offset(offset).limit(page_size))]
    stmt = _title_filter(_submitted(user), search).options(joinedload(ApprovalInstance.version)).order_by(
        ApprovalInstance.id.desc())
    return [Row(i, None, i.started_at) for i in db.session.scalars(stmt.offset(offset).limit(page_size))]
