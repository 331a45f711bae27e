"""Customers and their contacts."""
from __future__ import annotations


from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, func
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow


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


class Customer(Audited, Model):
    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_owner_id_id", "owner_id", "id"),
        Index("ix_customer_department_id_id", "department_id", "id"),
        Index("ix_customer_industry_id", "industry", "id"),
        Index("ix_customer_status_id", "status", "id"),
        # Never reuse a deleted row's id on SQLite: the audit trail is keyed by id.
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    name = Column(String(200), nullable=False)
    kind = Column(String(16), nullable=False, default="company", info={"choices": KIND_CHOICES})
    industry = Column(String(32), info={"choices": INDUSTRY_CHOICES})
    region = Column(String(64), index=True)
    address = Column(String(255))
    phone = Column(String(32), index=True)
    email = Column(String(120))
    tax_id = Column(String(32), index=True)
    source = Column(String(32), info={"choices": SOURCE_CHOICES})
    status = Column(String(16), nullable=False, default="potential", info={"choices": STATUS_CHOICES})
    credit_limit = Column(Numeric(18, 2), nullable=False, default=0)
    notes = Column(Text)
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    owner = relationship("AppUser", foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    department = relationship("Department", foreign_keys=[department_id], lazy="joined")
    contacts = relationship("Contact", back_populates="customer", cascade="all, delete-orphan",
                            order_by="(Contact.is_primary.desc(), Contact.id)")

    def __str__(self) -> str:
        return self.name or ""


Index("ix_customer_name_lower", func.lower(Customer.name))


class Contact(Audited, Model):
    __tablename__ = "contact"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(100), nullable=False)
    title = Column(String(100))
    phone = Column(String(32), index=True)
    email = Column(String(120))
    is_primary = Column(Boolean, nullable=False, default=False)
    notes = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    customer = relationship("Customer", back_populates="contacts")

    def __str__(self) -> str:
        return self.name or ""
