"""A user's favourite reports (starred, or pinned to their home page with their filters) and the reports built
in the centre without code."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.clock import utcnow

KIND_CHOICES = [("bar", lazy_pgettext("chart kind", "Bars")), ("line", lazy_pgettext("chart kind", "Line")),
                ("pie", lazy_pgettext("chart kind", "Pie"))]


class ReportFavourite(Model):
    __tablename__ = "report_favourite"
    __table_args__ = (UniqueConstraint("user_id", "report", name="uq_report_favourite"),)

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    report = Column(String(80), nullable=False)
    pinned = Column(Boolean, nullable=False, default=False)     # its chart on the user's home page
    query = Column(String(255), nullable=False, default="")     # the filters it was pinned with
    created_at = Column(DateTime, nullable=False, default=utcnow)


class SavedReport(Model):
    """A report built in the centre: a module's rows grouped by one column, one measure, a chart kind."""

    __tablename__ = "saved_report"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    module = Column(String(64), nullable=False)
    group_by = Column(String(64), nullable=False)
    measure = Column(String(80), nullable=False, default="count")   # count, sum:<column>, avg:<column>
    chart = Column(String(8), nullable=False, default="bar", info={"choices": KIND_CHOICES})
    description = Column(Text)
    created_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by = relationship("AppUser", foreign_keys=[created_by_id], lazy="joined")

    def __repr__(self):
        return self.name


class Dashboard(Model):
    """A page of report widgets (charts and KPI numbers): one shipped per role, or composed by an admin."""

    __tablename__ = "dashboard"

    id = Column(Integer, primary_key=True)
    code = Column(String(40), unique=True)                 # shipped dashboards: management, sales …
    name = Column(String(100), nullable=False, unique=True)
    role_name = Column(String(64))                         # shown to this role's members (and admins); none: everyone
    layout = Column(Text, nullable=False, default="[]")    # JSON: [{"report", "kind", "width"}]
    refresh = Column(Integer, nullable=False, default=300)  # seconds between redraws on a wall display
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


SCHEDULE_CHOICES = [("daily", lazy_pgettext("report schedule", "Every day at 8:00")),
                    ("weekly", lazy_pgettext("report schedule", "Every Monday at 9:00")),
                    ("monthly", lazy_pgettext("report schedule", "On the 1st of every month at 9:00")),
                    ("cron", lazy_pgettext("report schedule", "Cron expression"))]
FORMAT_CHOICES = [("xlsx", lazy_pgettext("file format", "Excel")), ("pdf", lazy_pgettext("file format", "PDF"))]


class ReportSubscription(Model):
    """A user's standing order for a report with its filters, mailed to them on a schedule."""

    __tablename__ = "report_subscription"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    report = Column(String(80), nullable=False)
    query = Column(String(255), nullable=False, default="")
    schedule = Column(String(16), nullable=False, info={"choices": SCHEDULE_CHOICES})
    cron = Column(String(100))
    fmt = Column(String(8), nullable=False, default="xlsx", info={"choices": FORMAT_CHOICES})
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class ReportDelivery(Model):
    """One period's mail of a subscription: written with the mail, in one transaction, so a period is sent once."""

    __tablename__ = "report_delivery"
    __table_args__ = (UniqueConstraint("subscription_id", "period", name="uq_report_delivery_period"),)

    id = Column(Integer, primary_key=True)
    subscription_id = Column(Integer, ForeignKey("report_subscription.id", ondelete="CASCADE"), nullable=False)
    period = Column(String(32), nullable=False)        # the scheduled moment (local time, ISO)
    sent_at = Column(DateTime, nullable=False, default=utcnow)
