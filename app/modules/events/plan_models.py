"""What an event is planned with: its agenda (议程), its preparation tasks and milestones (活动日程), the resources
it books (资源: venues, materials, staff) and what it spends (费用). An event's cost is its bookings plus its
expenses."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import (Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        Text)
from sqlalchemy.orm import relationship

from app.core.clock import utcnow

MONEY = Numeric(18, 2)

TODO, DOING, DONE = "todo", "doing", "done"
TASK_STATUS_CHOICES = [
    (TODO, lazy_pgettext("event task status", "To do")),
    (DOING, lazy_pgettext("event task status", "In progress")),
    (DONE, lazy_pgettext("event task status", "Done")),
]
VENUE, MATERIAL, STAFF = "venue", "material", "staff"
RESOURCE_KIND_CHOICES = [
    (VENUE, lazy_pgettext("resource kind", "Venue")),
    (MATERIAL, lazy_pgettext("resource kind", "Material")),
    (STAFF, lazy_pgettext("resource kind", "Staff")),
]


class EventSession(Model):
    """One item of an event's agenda: a talk, a break, the dinner."""
    __tablename__ = "event_session"
    __table_args__ = (CheckConstraint("ends_at >= starts_at", name="ck_event_session_times"),
                      Index("ix_event_session_event_starts", "event_id", "starts_at"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, ForeignKey("event.id", ondelete="CASCADE"), nullable=False)
    title = Column(String(200), nullable=False)
    starts_at = Column(DateTime, nullable=False)
    ends_at = Column(DateTime, nullable=False)
    speaker = Column(String(100))
    room = Column(String(100))

    event = relationship("Event", lazy="joined", innerjoin=True)

    def __str__(self) -> str:
        return self.title or ""


class EventTask(Model):
    """A preparation task or milestone (里程碑) of an event, with its owner, dates and status; its owner is
    reminded the day before it is due (a daily job)."""
    __tablename__ = "event_task"
    __table_args__ = (CheckConstraint("due_on >= starts_on", name="ck_event_task_dates"),
                      Index("ix_event_task_event_due", "event_id", "due_on"),
                      Index("ix_event_task_due_status", "due_on", "status"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, ForeignKey("event.id", ondelete="CASCADE"), nullable=False)
    title = Column(String(200), nullable=False)
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    starts_on = Column(Date, nullable=False)
    due_on = Column(Date, nullable=False)
    milestone = Column(Boolean, nullable=False, default=False)
    status = Column(String(16), nullable=False, default=TODO, info={"choices": TASK_STATUS_CHOICES})
    reminded_on = Column(Date)                       # the due date its owner was last reminded of
    done_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    event = relationship("Event", lazy="joined", innerjoin=True)
    owner = relationship("AppUser", foreign_keys=[owner_id])

    def __str__(self) -> str:
        return self.title or ""


class EventResource(Model):
    """A venue, a material (with its stock and unit cost) or a member of staff that events book."""
    __tablename__ = "event_resource"
    __table_args__ = (CheckConstraint("stock IS NULL OR stock >= 0", name="ck_event_resource_stock"),
                      CheckConstraint("unit_cost >= 0", name="ck_event_resource_cost"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False, default=VENUE, info={"choices": RESOURCE_KIND_CHOICES})
    name = Column(String(200), nullable=False, unique=True)
    unit = Column(String(20))                         # 天, 个, 人天 …
    unit_cost = Column(MONEY, nullable=False, default=0)
    stock = Column(Integer)                           # materials: how many are in store
    capacity = Column(Integer)                        # venues: seats
    user_id = Column(Integer, ForeignKey("ab_user.id"))     # staff: the user
    active = Column(Boolean, nullable=False, default=True)
    notes = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    user = relationship("AppUser", foreign_keys=[user_id])

    def __str__(self) -> str:
        return self.name or ""


class EventAllocation(Model):
    """A resource booked for an event's time slot. A venue or a member of staff is booked by one event at a time;
    a material's quantity leaves its stock (and comes back when the booking is cancelled)."""
    __tablename__ = "event_allocation"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ck_event_allocation_times"),
                      CheckConstraint("quantity > 0", name="ck_event_allocation_quantity"),
                      Index("ix_event_allocation_resource_starts", "resource_id", "starts_at"),
                      Index("ix_event_allocation_event", "event_id"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, ForeignKey("event.id", ondelete="CASCADE"), nullable=False)
    resource_id = Column(Integer, ForeignKey("event_resource.id"), nullable=False)
    starts_at = Column(DateTime, nullable=False)
    ends_at = Column(DateTime, nullable=False)
    quantity = Column(Integer, nullable=False, default=1)
    cost = Column(MONEY, nullable=False, default=0)
    notes = Column(String(300))
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    event = relationship("Event", lazy="joined", innerjoin=True)
    resource = relationship("EventResource", lazy="joined", innerjoin=True)

    def __str__(self) -> str:
        return f"{self.resource} {self.starts_at:%Y-%m-%d %H:%M}" if self.resource_id and self.starts_at else ""


class EventExpense(Model):
    """Money an event spent besides its bookings (printing, catering, advertising …)."""
    __tablename__ = "event_expense"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_event_expense_amount"),
                      Index("ix_event_expense_event", "event_id"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, ForeignKey("event.id", ondelete="CASCADE"), nullable=False)
    title = Column(String(200), nullable=False)
    amount = Column(MONEY, nullable=False)
    spent_on = Column(Date, nullable=False)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    event = relationship("Event", lazy="joined", innerjoin=True)

    def __str__(self) -> str:
        return self.title or ""
