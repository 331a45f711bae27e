"""Approval forms (审批单): forms an administrator defines without code, each bound to an
approval chain, and the requests staff submit with them.

A form's fields are kept as versions: every change of the fields makes a new version, and a
request keeps the version it was filled in with, so changing a form never changes how an
already-submitted request reads. The request's values live in one JSON column; what chains
read (days, total, the form, its main choice) is kept in columns of its own, so conditions
such as `doc.days > 3` and `doc.total > 5000` read plain document fields."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, Numeric, String, \
    UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow

DRAFT, IN_APPROVAL, APPROVED, REJECTED = "draft", "in_approval", "approved", "rejected"
STATUS_CHOICES = [
    (DRAFT, lazy_pgettext("request status", "Draft")),
    (IN_APPROVAL, lazy_pgettext("request status", "In approval")),
    (APPROVED, lazy_pgettext("request status", "Approved")),
    (REJECTED, lazy_pgettext("request status", "Rejected")),
]


class ApprovalForm(Audited, Model):
    __tablename__ = "approval_form"

    id = Column(Integer, primary_key=True)
    code = Column(String(40), unique=True, nullable=False)      # e.g. "leave"; doc.form in conditions
    name = Column(String(60), nullable=False)
    icon = Column(String(40), nullable=False, default="fa-file-text-o")
    description = Column(String(500))
    group_name = Column(String(40), nullable=False, default="")
    chain = Column(String(80), nullable=False)                   # approval chain name
    active = Column(Boolean, nullable=False, default=True)
    position = Column(Integer, nullable=False, default=0)
    version = Column(Integer, nullable=False, default=1)         # the current fields version
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return self.name or ""


class ApprovalFormVersion(Model):
    """The fields of a form as they were from one change to the next; never changed once written."""

    __tablename__ = "approval_form_version"
    __table_args__ = (UniqueConstraint("form_id", "version", name="uq_approval_form_version"),)

    id = Column(Integer, primary_key=True)
    form_id = Column(Integer, ForeignKey("approval_form.id", ondelete="CASCADE"), nullable=False)
    version = Column(Integer, nullable=False)
    fields = Column(JSON, nullable=False, default=list)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))


class ApprovalRequest(Audited, Model):
    __tablename__ = "approval_request"
    __table_args__ = (
        Index("ix_approval_request_submitter_id_id", "submitter_id", "id"),
        Index("ix_approval_request_department_id_id", "department_id", "id"),
        Index("ix_approval_request_status_id", "status", "id"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    form_id = Column(Integer, ForeignKey("approval_form.id"), nullable=False)
    form = Column(String(40), nullable=False)      # the form's code: doc.form in conditions
    form_version = Column(Integer, nullable=False)
    chain = Column(String(80), nullable=False)                    # the chain it was submitted to
    title = Column(String(200), nullable=False)
    status = Column(String(16), nullable=False, default=DRAFT, info={"choices": STATUS_CHOICES})
    days = Column(Numeric(8, 1))                 # the days of its date ranges (请假)
    total = Column(Numeric(18, 2))               # the sum of its amounts (报销)
    category = Column(String(60))                # the value of its first single choice (假期类型, 印章类型)
    values = Column(JSON, nullable=False, default=dict)   # field name -> stored value
    submitter_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    approval_form = relationship("ApprovalForm", foreign_keys=[form_id], lazy="joined", innerjoin=True)
    submitter = relationship("AppUser", foreign_keys=[submitter_id], lazy="joined", innerjoin=True)
    department = relationship("Department", foreign_keys=[department_id], lazy="joined")

    def __str__(self) -> str:
        return f"{self.code or ''} {self.title or ''}".strip()
