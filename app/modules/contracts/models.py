"""Contracts with customers: drafted, approved through the contract_approval chain, signed,
archived."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.core.custom_fields.column import custom_column
# Contracts refer to customers: their mapping must exist whichever module is imported first.
from app.modules.customers import api as _customers  # noqa: F401

DRAFT, IN_APPROVAL, APPROVED, REJECTED, SIGNED, ARCHIVED = (
    "draft", "in_approval", "approved", "rejected", "signed", "archived")
# "Rejected" alone already means a refused registration (已拒绝); a contract is 已驳回.
STATUS_CHOICES = [
    (DRAFT, lazy_pgettext("contract status", "Draft")),
    (IN_APPROVAL, lazy_pgettext("contract status", "In approval")),
    (APPROVED, lazy_pgettext("contract status", "Approved")),
    (REJECTED, lazy_pgettext("contract status", "Rejected")),
    (SIGNED, lazy_pgettext("contract status", "Signed")),
    (ARCHIVED, lazy_pgettext("contract status", "Archived")),
]


class Contract(Audited, Model):
    __tablename__ = "contract"
    __table_args__ = (
        Index("ix_contract_owner_id_id", "owner_id", "id"),
        Index("ix_contract_department_id_id", "department_id", "id"),
        Index("ix_contract_status_id", "status", "id"),
        # A customer's page lists its contracts newest first.
        Index("ix_contract_customer_id_id", "customer_id", "id"),
        # Never reuse a deleted row's id on SQLite: the audit trail is keyed by id.
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    custom = custom_column()              # custom field values (app/core/custom_fields)
    code = Column(String(32), unique=True, nullable=False)
    title = Column(String(200), nullable=False)
    # No cascade from the customer: a customer with contracts cannot be deleted.
    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False)
    amount = Column(Numeric(18, 2), nullable=False)
    standard_terms = Column(Boolean, nullable=False, default=True)
    signed_on = Column(Date)
    starts_on = Column(Date)
    ends_on = Column(Date)
    status = Column(String(16), nullable=False, default=DRAFT, info={"choices": STATUS_CHOICES})
    notes = Column(Text)
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    customer = relationship("Customer", foreign_keys=[customer_id], lazy="joined", innerjoin=True)
    owner = relationship("AppUser", foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    department = relationship("Department", foreign_keys=[department_id], lazy="joined")

    def __str__(self) -> str:
        return f"{self.code or ''} {self.title or ''}".strip()
