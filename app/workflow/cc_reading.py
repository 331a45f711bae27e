"""Whether a user has read an approval copied to them (抄送我的: read / unread).

One row per (approval, user) once read; an approval copied again later (another event) shows as
unread again until it is read again."""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, and_, exists, func, select

from app.core.clock import utcnow
from app.core.transaction import unit_of_work
from app.extensions import db
from app.workflow.models import ApprovalCc


class ApprovalCcRead(Model):
    """When `user` last read the approval copied to them."""

    __tablename__ = "wf_cc_read"

    instance_id = Column(Integer, ForeignKey("wf_instance.id", ondelete="CASCADE"), primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    read_at = Column(DateTime, nullable=False, default=utcnow)


def mark_read(actor, instance_id: int) -> int:
    """Mark the approval read for `actor` now; returns how many of their CC entries it covers."""
    with unit_of_work(actor):
        row = db.session.get(ApprovalCcRead, (instance_id, actor.id))
        if row is None:
            db.session.add(ApprovalCcRead(instance_id=instance_id, user_id=actor.id, read_at=utcnow()))
        else:
            row.read_at = utcnow()
        count = db.session.scalar(select(func.count(ApprovalCc.id)).where(
            ApprovalCc.instance_id == instance_id, ApprovalCc.user_id == actor.id)) or 0
    return count


def _not_read_since(user):
    read = ApprovalCcRead
    return ~exists().where(and_(read.instance_id == ApprovalCc.instance_id, read.user_id == user.id,
                                read.read_at >= ApprovalCc.at))


def unread_clause(user, instance_column):
    """SQL: the approval in `instance_column` has a CC to `user` newer than their last reading."""
    return exists().where(ApprovalCc.instance_id == instance_column, ApprovalCc.user_id == user.id,
                          _not_read_since(user))


def read_ids(user, instance_ids) -> set[int]:
    """Of these approvals, the ones `user` has read since they were last copied."""
    ids = list(instance_ids)
    if not ids:
        return set()
    unread = set(db.session.scalars(select(ApprovalCc.instance_id).where(
        ApprovalCc.instance_id.in_(ids), ApprovalCc.user_id == user.id, _not_read_since(user))))
    return set(ids) - unread
