"""Who may look at an approval, and the approvals and timeline of a document."""
from __future__ import annotations

from sqlalchemy import select

from app.core.scope import can_see
from app.extensions import db
from app.workflow.models import ApprovalAction, ApprovalCc, ApprovalInstance, ApprovalTask


def may_view(user, instance: ApprovalInstance) -> bool:
    """Participants (submitter, any assignee, CC recipients) and whoever may see the document."""
    if user is None:
        return True
    if instance.submitter_id == user.id:
        return True
    if db.session.scalar(select(ApprovalTask.id).where(ApprovalTask.instance_id == instance.id,
                                                       (ApprovalTask.assignee_id == user.id)
                                                       | (ApprovalTask.on_behalf_of_id == user.id)).limit(1)):
        return True
    if db.session.scalar(select(ApprovalCc.id).where(ApprovalCc.instance_id == instance.id,
                                                     ApprovalCc.user_id == user.id).limit(1)):
        return True
    return can_see(instance.document, user, instance.record_id)


def instances_of(document: str, record_id: int) -> list[ApprovalInstance]:
    return list(db.session.scalars(select(ApprovalInstance).where(
        ApprovalInstance.document == document, ApprovalInstance.record_id == record_id)
        .order_by(ApprovalInstance.id.desc())))


def timeline(instance: ApprovalInstance) -> list[ApprovalAction]:
    return list(db.session.scalars(select(ApprovalAction).where(ApprovalAction.instance_id == instance.id)
                                   .order_by(ApprovalAction.id)))
