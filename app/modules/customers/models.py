"""Customers and their contacts."""
from __future__ import annotations


from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l, lazy_pgettext
from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Table, Text,
                        func, select)
from sqlalchemy.orm import column_property, relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.core.custom_fields.column import custom_column


KIND_CHOICES = [("company", _l("Company")), ("person", _l("Individual"))]
STATUS_CHOICES = [
    ("potential", _l("Potential")), ("active", _l("Active")),
    ("dormant", _l("Dormant")), ("lost", _l("Lost")),
]
INDUSTRY_CHOICES = [
    ("manufacturing", _l("Manufacturing")), ("retail", _l("Retail & wholesale")),
    ("it", _l("IT & software")), ("construction", _l("Construction")),
    ("logistics", _l("Logistics")), ("finance", _l("Finance")),
    ("education", _l("Education")), ("healthcare", _l("Healthcare")),
    ("food", _l("Food & beverage")), ("energy", _l("Energy")),
    ("services", _l("Business services")), ("other", _l("Other")),
]
SOURCE_CHOICES = [
    ("referral", _l("Referral")), ("website", _l("Website")), ("exhibition", _l("Exhibition")),
    ("cold_call", _l("Cold call")), ("advertising", _l("Advertising")),
    ("partner", _l("Partner")), ("other", _l("Other")),
]

# Tag colours: Bootstrap 3 label classes, so a tag looks the same on every screen.
COLOUR_CHOICES = [
    ("primary", _l("Blue")), ("success", _l("Green")), ("info", _l("Cyan")),
    ("warning", _l("Orange")), ("danger", _l("Red")), ("default", _l("Grey")),
]
INTERACTION_KINDS = [
    ("call", _l("Call")), ("visit", _l("Visit")), ("meeting", _l("Meeting")),
    ("note", _l("Note")), ("email", lazy_pgettext("interaction", "E-mail")),
]
OUTCOME_CHOICES = [
    ("reached", _l("Reached")), ("interested", _l("Interested")), ("quoted", _l("Quoted")),
    ("no_answer", _l("No answer")), ("not_interested", _l("Not interested")), ("won", _l("Deal closed")),
]


class Tag(Audited, Model):
    __tablename__ = "tag"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    name = Column(String(32), nullable=False, unique=True)
    colour = Column(String(16), nullable=False, default="primary", info={"choices": COLOUR_CHOICES})
    description = Column(String(200))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    def __str__(self) -> str:
        return self.name or ""


customer_tags = Table(
    "customer_tags", Model.metadata,
    Column("customer_id", Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
    # "Customers with tag X": the primary key serves "tags of customer Y".
    Index("ix_customer_tags_tag_id", "tag_id", "customer_id"),
)


class Customer(Audited, Model):
    __tablename__ = "customer"
    # Kept by the services from interactions, statuses and other modules' documents: the
    # timeline shows those themselves, so their echo is left out of the change log.
    __audit_exclude__ = ("updated_at", "last_interaction_at", "next_follow_up_on", "lost_at", "paid_12m",
                         "total_ordered", "total_paid", "total_outstanding")
    # What a list row naming a customer (a contract's, a contact's …) reads of it: its name, and what
    # deciding whether the reader may change it reads (service.may_manage, asked for contacts' and
    # interactions' rows). Not its other columns or its grade (a sub-query per row).
    named_by = ("name", "pooled_at", "owner_id", "department_id")
    __table_args__ = (
        Index("ix_customer_owner_id_id", "owner_id", "id"),
        Index("ix_customer_department_id_id", "department_id", "id"),
        Index("ix_customer_industry_id", "industry", "id"),
        Index("ix_customer_status_id", "status", "id"),
        Index("ix_customer_owner_follow_up", "owner_id", "next_follow_up_on"),
        # Never reuse a deleted row's id on SQLite: the audit trail is keyed by id.
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    custom = custom_column()              # custom field values (app/core/custom_fields)
    code = Column(String(32), unique=True, nullable=False)
    name = Column(String(200), nullable=False)
    kind = Column(String(16), nullable=False, default="company", info={"choices": KIND_CHOICES})
    industry = Column(String(32), info={"choices": INDUSTRY_CHOICES})
    region = Column(String(64), index=True)
    address = Column(String(255))
    phone = Column(String(32), index=True)
    email = Column(String(120), index=True)
    tax_id = Column(String(32), index=True)
    source = Column(String(32), info={"choices": SOURCE_CHOICES})
    status = Column(String(16), nullable=False, default="potential", info={"choices": STATUS_CHOICES})
    credit_limit = Column(Numeric(18, 2), nullable=False, default=0)
    notes = Column(Text)
    # None only while the customer is in the shared pool (公海).
    owner_id = Column(Integer, ForeignKey("ab_user.id"))
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # Grading (the grade itself is in CustomerGrade): what the customer paid in the last 12
    # months (fed by the receivables module) and how long it has worked with us.
    paid_12m = Column(Numeric(18, 2), nullable=False, default=0, server_default="0")
    cooperating_since = Column(Date)
    # Totals the order and receivables modules keep up to date; shown on the profile.
    total_ordered = Column(Numeric(18, 2), nullable=False, default=0, server_default="0")
    total_paid = Column(Numeric(18, 2), nullable=False, default=0, server_default="0")
    total_outstanding = Column(Numeric(18, 2), nullable=False, default=0, server_default="0")
    # Follow-up: kept by the interaction service.
    last_interaction_at = Column(DateTime)
    next_follow_up_on = Column(Date)
    pooled_at = Column(DateTime, index=True)   # in the shared pool since; None when owned
    lost_at = Column(DateTime)                 # when the status became "lost"

    owner = relationship("AppUser", foreign_keys=[owner_id], lazy="joined")
    department = relationship("Department", foreign_keys=[department_id], lazy="joined")
    contacts = relationship("Contact", back_populates="customer", cascade="all, delete-orphan",
                            order_by="(Contact.is_primary.desc(), Contact.id)")
    tags = relationship("Tag", secondary=customer_tags, lazy="selectin", order_by="Tag.name")

    @property
    def in_pool(self) -> bool:
        return self.pooled_at is not None

    def __str__(self) -> str:
        return self.name or ""


Index("ix_customer_name_lower", func.lower(Customer.name))


class Contact(Audited, Model):
    __tablename__ = "contact"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    custom = custom_column()              # custom field values (app/core/custom_fields)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(100), nullable=False)
    title = Column(String(100))
    phone = Column(String(32), index=True)
    email = Column(String(120), index=True)
    is_primary = Column(Boolean, nullable=False, default=False)
    notes = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # The customer's owner, department and pool time, kept equal to it by triggers (customers_0009):
    # the data scope reads them through the indexes (owner_id, <list order>, id).
    owner_id = Column(Integer)
    department_id = Column(Integer)
    pooled_at = Column(DateTime)

    customer = relationship("Customer", back_populates="contacts")

    def __str__(self) -> str:
        return self.name or ""


class Interaction(Audited, Model):
    """A call, visit, meeting, note or e-mail with a customer: its timeline and follow-ups."""

    __tablename__ = "interaction"
    __table_args__ = (
        # The timeline: a customer's newest interactions first, read backwards along this index.
        Index("ix_interaction_customer_occurred", "customer_id", "occurred_at", "id"),
        Index("ix_interaction_user_occurred", "user_id", "occurred_at"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    contact_id = Column(Integer, ForeignKey("contact.id", ondelete="SET NULL"), index=True)
    kind = Column(String(16), nullable=False, default="call", info={"choices": INTERACTION_KINDS})
    subject = Column(String(200))
    content = Column(Text)
    occurred_at = Column(DateTime, nullable=False, default=utcnow)
    duration_minutes = Column(Integer)
    outcome = Column(String(32), info={"choices": OUTCOME_CHOICES})
    next_follow_up_on = Column(Date)
    user_id = Column(Integer, ForeignKey("ab_user.id"))   # None: recorded by the system
    # The outbox message an e-mail interaction was recorded from.
    mail_id = Column(Integer, ForeignKey("mail_outbox.id", ondelete="SET NULL"), unique=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # The customer's owner, department and pool time, kept equal to it by triggers (customers_0009):
    # the data scope reads them through the indexes (owner_id, <list order>, id).
    owner_id = Column(Integer)
    department_id = Column(Integer)
    pooled_at = Column(DateTime)

    customer = relationship("Customer")
    contact = relationship("Contact")
    user = relationship("AppUser", foreign_keys=[user_id])

    def __str__(self) -> str:
        return self.subject or (self.content or "")[:40]


class CustomerGrade(Model):
    """A customer's current grade, beside the customer row: grading may rewrite the grade of
    every customer in one night, and rewriting this two-column row costs a fraction of
    rewriting a customer row with its many indexes (its name's bigram index above all)."""

    __tablename__ = "customer_grade"
    __table_args__ = (Index("ix_customer_grade_grade", "grade", "customer_id"),)

    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    grade = Column(String(8))


# Read as a column of the customer (lists, filters, exports, API); written only by grading.
Customer.grade = column_property(
    select(CustomerGrade.grade).where(CustomerGrade.customer_id == Customer.id)
    .correlate_except(CustomerGrade).scalar_subquery().label("grade"))
# FAB builds the list's search form from these column attributes: an optional, plain value.
for _attr, _value in (("nullable", True), ("unique", False), ("default", None)):
    if not hasattr(Customer.grade.property.columns[0], _attr):
        setattr(Customer.grade.property.columns[0], _attr, _value)


class GradeRule(Audited, Model):
    """One grade and what it takes: rules are tried in `sort_order`, the first that a customer
    meets gives its grade."""

    __tablename__ = "grade_rule"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    code = Column(String(8), nullable=False, unique=True)
    name = Column(String(50), nullable=False)
    min_paid_12m = Column(Numeric(18, 2), nullable=False, default=0)
    min_months = Column(Integer, nullable=False, default=0)
    sort_order = Column(Integer, nullable=False, default=0)
    description = Column(String(255))

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GradeChange(Model):
    """A customer's grade changed, with the figures that decided it."""

    __tablename__ = "grade_change"
    __table_args__ = (Index("ix_grade_change_customer_at", "customer_id", "at"),)

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    old_grade = Column(String(8))
    new_grade = Column(String(8))
    paid_12m = Column(Numeric(18, 2), nullable=False)
    months = Column(Integer, nullable=False)
    at = Column(DateTime, nullable=False)
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))

    actor = relationship("AppUser", foreign_keys=[actor_id])


class CustomerSettings(Audited, Model):
    """One row (id 1) of the customers module's settings; read when needed, so a change applies
    at once."""

    __tablename__ = "customer_settings"

    id = Column(Integer, primary_key=True)
    inactive_days = Column(Integer, nullable=False, default=30)
    auto_release = Column(Boolean, nullable=False, default=False)
    changed_at = Column(DateTime)
