"""Marketing events (活动) and their registrations (报名). An event's kept counters — registered, waiting, checked
in — change in the same statement that admits, moves up or checks in a registration, so a full event never takes
one more, however many register at once."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import (Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        Text, text)
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.modules.customers import api as _customers  # noqa: F401  (registrants are linked to customers)

MONEY = Numeric(18, 2)

MEETING, EXHIBITION, LIVE, PROMOTION, TRAINING, SALON, OTHER = (
    "meeting", "exhibition", "live", "promotion", "training", "salon", "other")
KIND_CHOICES = [
    (MEETING, lazy_pgettext("event kind", "Conference")),
    (EXHIBITION, lazy_pgettext("event kind", "Trade show")),
    (LIVE, lazy_pgettext("event kind", "Live stream")),
    (PROMOTION, lazy_pgettext("event kind", "Promotion")),
    (TRAINING, lazy_pgettext("event kind", "Training")),
    (SALON, lazy_pgettext("event kind", "Salon")),
    (OTHER, lazy_pgettext("event kind", "Other")),
]
PREPARING, OPEN, RUNNING, ENDED, CANCELLED = "preparing", "open", "running", "ended", "cancelled"
STATUS_CHOICES = [
    (PREPARING, lazy_pgettext("event status", "In preparation")),
    (OPEN, lazy_pgettext("event status", "Registration open")),
    (RUNNING, lazy_pgettext("event status", "Under way")),
    (ENDED, lazy_pgettext("event status", "Ended")),
    (CANCELLED, lazy_pgettext("event status", "Cancelled")),
]
PATH = [PREPARING, OPEN, RUNNING, ENDED]
# An event whose budget is over BUDGET_LIMIT is approved (活动预算审批) before registration opens or it starts.
BUDGET_LIMIT = 20000
APPROVAL_DRAFT, APPROVAL_RUNNING, APPROVAL_DONE, APPROVAL_REJECTED = "draft", "in_approval", "approved", "rejected"
APPROVAL_CHOICES = [
    (APPROVAL_DRAFT, lazy_pgettext("event approval", "Not submitted")),
    (APPROVAL_RUNNING, lazy_pgettext("event approval", "In approval")),
    (APPROVAL_DONE, lazy_pgettext("event approval", "Approved")),
    (APPROVAL_REJECTED, lazy_pgettext("event approval", "Rejected")),
]
# What the public registration form may ask besides the name and the mobile number (always asked).
ASKED_CHOICES = [
    ("company", lazy_pgettext("registration field", "Company")),
    ("title", lazy_pgettext("registration field", "Job title")),
    ("email", lazy_pgettext("registration field", "E-mail")),
    ("remark", lazy_pgettext("registration field", "Remarks")),
]

REGISTERED, WAITING, REG_CANCELLED = "registered", "waiting", "cancelled"
REG_STATUS_CHOICES = [
    (REGISTERED, lazy_pgettext("registration status", "Registered")),
    (WAITING, lazy_pgettext("registration status", "On the waiting list")),
    (REG_CANCELLED, lazy_pgettext("registration status", "Cancelled")),
]
PUBLIC, INTERNAL, WALK_IN = "public", "internal", "walk_in"
SOURCE_CHOICES = [
    (PUBLIC, lazy_pgettext("registration source", "Registration page")),
    (INTERNAL, lazy_pgettext("registration source", "Entered by staff")),
    (WALK_IN, lazy_pgettext("registration source", "Walk-in")),
]


class Event(Audited, Model):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity > 0", name="ck_event_capacity"),
        CheckConstraint("capacity IS NULL OR registered <= capacity", name="ck_event_not_overbooked"),
        CheckConstraint("ends_at >= starts_at", name="ck_event_dates"),
        Index("ix_event_owner_id_id", "owner_id", "id"),
        Index("ix_event_department_id_id", "department_id", "id"),
        Index("ix_event_starts_at", "starts_at"),
        Index("ix_event_status_id", "status", "id"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    title = Column(String(200), nullable=False)
    kind = Column(String(16), nullable=False, default=MEETING, info={"choices": KIND_CHOICES})
    starts_at = Column(DateTime, nullable=False)
    ends_at = Column(DateTime, nullable=False)
    venue = Column(String(300))
    online_url = Column(String(500))
    capacity = Column(Integer)                                   # none: no limit
    registration_deadline = Column(DateTime)
    budget = Column(MONEY, nullable=False, default=0)
    status = Column(String(16), nullable=False, default=PREPARING, info={"choices": STATUS_CHOICES})
    description = Column(Text)
    asked = Column(String(200), nullable=False, default="company")   # comma list of ASKED_CHOICES
    consent_text = Column(Text)
    public_key = Column(String(32), unique=True, nullable=False)     # the registration page's address
    registered = Column(Integer, nullable=False, default=0)
    waiting = Column(Integer, nullable=False, default=0)
    checked_in = Column(Integer, nullable=False, default=0)
    cancel_reason = Column(Text)
    approval = Column(String(16), nullable=False, default=APPROVAL_DRAFT, info={"choices": APPROVAL_CHOICES})
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    owner = relationship("AppUser", foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    department = relationship("Department", foreign_keys=[department_id])

    def __str__(self) -> str:
        return self.title or ""

    @property
    def asked_fields(self) -> list[str]:
        known = {value for value, _label in ASKED_CHOICES}
        return [name for name in (self.asked or "").split(",") if name in known]


class EventRegistration(Model):
    __tablename__ = "event_registration"
    __table_args__ = (
        # One registration per mobile number and event (a second one is told it is already registered).
        Index("uq_event_registration_phone", "event_id", "phone", unique=True),
        Index("ix_event_registration_event_status_id", "event_id", "status", "id"),
        Index("ix_event_registration_customer_id", "customer_id"),
        # The registrations linked to a customer, by event: what 活动效果分析 reads (from the index alone).
        Index("ix_event_registration_linked", "event_id", "customer_id",
              postgresql_include=["contact_id", "created_at", "status"],
              postgresql_where=text("customer_id IS NOT NULL"), sqlite_where=text("customer_id IS NOT NULL")),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, ForeignKey("event.id", ondelete="CASCADE"), nullable=False)
    code = Column(String(16), unique=True, nullable=False)          # on the QR code; typed at check-in
    name = Column(String(100), nullable=False)
    phone = Column(String(32), nullable=False)
    email = Column(String(200))
    company = Column(String(200))
    title = Column(String(100))
    remark = Column(String(500))
    status = Column(String(16), nullable=False, default=REGISTERED, info={"choices": REG_STATUS_CHOICES})
    source = Column(String(16), nullable=False, default=PUBLIC, info={"choices": SOURCE_CHOICES})
    consented = Column(Boolean, nullable=False, default=False)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="SET NULL"))
    contact_id = Column(Integer, ForeignKey("contact.id", ondelete="SET NULL"))
    checked_in_at = Column(DateTime)
    checked_in_by_id = Column(Integer, ForeignKey("ab_user.id"))
    cancelled_at = Column(DateTime)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))      # none: on the public page
    created_at = Column(DateTime, nullable=False, default=utcnow)

    event = relationship("Event", lazy="joined", innerjoin=True)
    customer = relationship("Customer")
    contact = relationship("Contact")
    checked_in_by = relationship("AppUser", foreign_keys=[checked_in_by_id])

    def __str__(self) -> str:
        return f"{self.name} {self.code}" if self.name else ""
