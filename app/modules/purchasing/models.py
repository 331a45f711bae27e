"""Suppliers (供应商) with their contacts, the categories of products they supply and their certificates (with
expiry dates), and their quotes (报价) per product."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import (CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Table,
                        Text)
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.modules.products import api as _products  # noqa: F401  (suppliers name product categories, quotes products)

MONEY = Numeric(18, 2)
QTY = Numeric(16, 4)

QUALIFIED, TRIAL, SUSPENDED = "qualified", "trial", "suspended"
STATUS_CHOICES = [(QUALIFIED, lazy_pgettext("supplier status", "Qualified")),
                  (TRIAL, lazy_pgettext("supplier status", "On trial")),
                  (SUSPENDED, lazy_pgettext("supplier status", "Suspended"))]

CURRENCY_CHOICES = [("CNY", lazy_pgettext("currency", "Renminbi")), ("USD", lazy_pgettext("currency", "US dollar")),
                    ("EUR", lazy_pgettext("currency", "Euro")), ("JPY", lazy_pgettext("currency", "Japanese yen")),
                    ("HKD", lazy_pgettext("currency", "Hong Kong dollar")),
                    ("GBP", lazy_pgettext("currency", "Pound sterling"))]

supplier_category = Table(
    "supplier_category", Model.metadata,
    Column("supplier_id", Integer, ForeignKey("supplier.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", Integer, ForeignKey("product_category.id", ondelete="CASCADE"), primary_key=True),
)


class Supplier(Audited, Model):
    __tablename__ = "supplier"
    __table_args__ = (
        Index("ix_supplier_owner_id_id", "owner_id", "id"),
        Index("ix_supplier_department_id_id", "department_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    name = Column(String(200), nullable=False, index=True)
    tax_id = Column(String(20), unique=True)            # 统一社会信用代码, upper case without spaces
    address = Column(String(255))
    phone = Column(String(32), index=True)
    bank_name = Column(String(100))
    bank_account = Column(String(64))
    status = Column(String(16), nullable=False, default=TRIAL, info={"choices": STATUS_CHOICES})
    notes = Column(Text)
    score = Column(Numeric(5, 1))                       # of the latest month rated (供应商评分)
    grade = Column(String(1))
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)      # the buyer in charge
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    owner = relationship("AppUser", foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    department = relationship("Department", foreign_keys=[department_id])
    categories = relationship("ProductCategory", secondary=supplier_category, order_by="ProductCategory.name")
    contacts = relationship("SupplierContact", back_populates="supplier", cascade="all, delete-orphan",
                            order_by="SupplierContact.id")
    certificates = relationship("SupplierCertificate", back_populates="supplier", cascade="all, delete-orphan",
                                order_by="SupplierCertificate.expires_on")

    def __str__(self) -> str:
        return self.name or ""

    @property
    def status_label(self) -> str:
        return str(dict(STATUS_CHOICES).get(self.status, self.status or ""))


class SupplierContact(Model):
    __tablename__ = "supplier_contact"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    supplier_id = Column(Integer, ForeignKey("supplier.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(60), nullable=False)
    title = Column(String(60))
    phone = Column(String(32), index=True)
    email = Column(String(120))
    notes = Column(String(255))

    supplier = relationship("Supplier", back_populates="contacts")

    def __str__(self) -> str:
        return self.name or ""


class SupplierCertificate(Model):
    """A licence or certificate (营业执照, ISO 9001 …) with its expiry; the expiry job reminds the buyer in charge
    before it expires, once per expiry date (`reminded_for`)."""

    __tablename__ = "supplier_certificate"
    __table_args__ = (Index("ix_supplier_certificate_expires", "expires_on"), {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    supplier_id = Column(Integer, ForeignKey("supplier.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(100), nullable=False)
    number = Column(String(64))
    expires_on = Column(Date)
    reminded_for = Column(Date)          # the expiry date the reminder was sent for
    notes = Column(String(255))

    supplier = relationship("Supplier", back_populates="certificates")

    def __str__(self) -> str:
        return self.name or ""


class SupplierQuote(Audited, Model):
    """A supplier's price for a product: from a minimum quantity, delivered in lead_days, valid between two days."""

    __tablename__ = "supplier_quote"
    __table_args__ = (
        CheckConstraint("price >= 0", name="ck_supplier_quote_price"),
        CheckConstraint("min_quantity > 0", name="ck_supplier_quote_min_quantity"),
        Index("ix_supplier_quote_product_valid", "product_id", "valid_to"),
        Index("ix_supplier_quote_first", "supplier_id", "product_id", "valid_from", "id"),   # a supplier's first
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    supplier_id = Column(Integer, ForeignKey("supplier.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    price = Column(MONEY, nullable=False)               # per unit, tax included
    currency = Column(String(3), nullable=False, default="CNY", info={"choices": CURRENCY_CHOICES})
    min_quantity = Column(QTY, nullable=False, default=1)
    lead_days = Column(Integer, nullable=False, default=0)
    valid_from = Column(Date, nullable=False)
    valid_to = Column(Date)                              # open-ended when empty
    notes = Column(String(255))
    request_id = Column(Integer, ForeignKey("quote_request.id", ondelete="SET NULL"), index=True)   # 询价单 answered
    created_at = Column(DateTime, nullable=False, default=utcnow)

    supplier = relationship("Supplier", lazy="joined", innerjoin=True)
    product = relationship("Product")

    def __str__(self) -> str:
        return f"{self.supplier} · {self.product}" if self.supplier is not None else ""

    @property
    def currency_label(self) -> str:
        return str(dict(CURRENCY_CHOICES).get(self.currency, self.currency or ""))
