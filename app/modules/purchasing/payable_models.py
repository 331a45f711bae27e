"""Supplier invoices (供应商发票) against the received lines of a purchase order, matched three ways (what was
ordered, what was received, what is invoiced), and supplier payments (付款单) of them, with 付款审批 above a
threshold. What an invoice still owes is its amount less what payments paid on it."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import (Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.modules.purchasing.models import MONEY, QTY

OPEN, PART_PAID, PAID, VOIDED = "open", "part_paid", "paid", "voided"
INVOICE_STATUS_CHOICES = [
    (OPEN, lazy_pgettext("supplier invoice status", "To pay")),
    (PART_PAID, lazy_pgettext("supplier invoice status", "Partly paid")),
    (PAID, lazy_pgettext("supplier invoice status", "Paid")),
    (VOIDED, lazy_pgettext("supplier invoice status", "Voided")),
]
MATCHED, DIFFERENCE, ACCEPTED = "matched", "difference", "accepted"
MATCH_CHOICES = [
    (MATCHED, lazy_pgettext("three-way match", "Matched")),
    (DIFFERENCE, lazy_pgettext("three-way match", "Differences")),
    (ACCEPTED, lazy_pgettext("three-way match", "Differences accepted")),
]

DRAFT, IN_APPROVAL, APPROVED, REJECTED, DONE, CANCELLED = (
    "draft", "in_approval", "approved", "rejected", "paid", "cancelled")
PAYMENT_STATUS_CHOICES = [
    (DRAFT, lazy_pgettext("supplier payment status", "Draft")),
    (IN_APPROVAL, lazy_pgettext("supplier payment status", "In approval")),
    (APPROVED, lazy_pgettext("supplier payment status", "Approved, to pay")),
    (REJECTED, lazy_pgettext("supplier payment status", "Returned")),
    (DONE, lazy_pgettext("supplier payment status", "Paid")),
    (CANCELLED, lazy_pgettext("supplier payment status", "Cancelled")),
]
PAYMENT_EDITABLE = (DRAFT, REJECTED)
PAYMENT_PENDING = (DRAFT, IN_APPROVAL, APPROVED, REJECTED)     # not paid yet, may still be
METHOD_CHOICES = [
    ("transfer", lazy_pgettext("payment method", "Bank transfer")),
    ("acceptance", lazy_pgettext("payment method", "Bank acceptance bill")),
    ("cash", lazy_pgettext("payment method", "Cash")),
    ("other", lazy_pgettext("payment method", "Other")),
]


class SupplierInvoice(Audited, Model):
    __tablename__ = "supplier_invoice"
    __table_args__ = (
        UniqueConstraint("supplier_id", "number", name="uq_supplier_invoice_number"),
        Index("ix_supplier_invoice_owner_id_id", "owner_id", "id"),
        Index("ix_supplier_invoice_department_id_id", "department_id", "id"),
        Index("ix_supplier_invoice_status_due", "status", "due_date"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    number = Column(String(40), nullable=False)                 # the supplier's invoice number
    supplier_id = Column(Integer, ForeignKey("supplier.id"), nullable=False, index=True)
    order_id = Column(Integer, ForeignKey("purchase_order.id"), nullable=False, index=True)
    invoice_date = Column(Date, nullable=False)
    due_date = Column(Date, nullable=False)
    untaxed = Column(MONEY, nullable=False, default=0)
    tax = Column(MONEY, nullable=False, default=0)
    amount = Column(MONEY, nullable=False, default=0)           # tax included
    expected = Column(MONEY, nullable=False, default=0)         # what the received lines cost at the ordered prices
    paid = Column(MONEY, nullable=False, default=0)
    status = Column(String(16), nullable=False, default=OPEN, info={"choices": INVOICE_STATUS_CHOICES})
    match_status = Column(String(16), nullable=False, default=MATCHED, info={"choices": MATCH_CHOICES})
    match_note = Column(Text)                                   # why the differences were accepted
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    supplier = relationship("Supplier", lazy="joined", innerjoin=True)
    order = relationship("PurchaseOrder")
    owner = relationship("AppUser", foreign_keys=[owner_id])
    department = relationship("Department", foreign_keys=[department_id])
    lines = relationship("SupplierInvoiceLine", back_populates="invoice", order_by="SupplierInvoiceLine.id",
                         cascade="all, delete-orphan")

    @property
    def owed(self):
        return (self.amount or 0) - (self.paid or 0)

    @property
    def difference(self):
        return (self.amount or 0) - (self.expected or 0)

    def __str__(self) -> str:
        return f"{self.code} ({self.number})" if self.code else ""


class SupplierInvoiceLine(Model):
    """One invoiced order line and how it matches: the quantity received and not invoiced before, the ordered
    unit price, and what differs."""
    __tablename__ = "supplier_invoice_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_supplier_invoice_line_quantity"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    invoice_id = Column(Integer, ForeignKey("supplier_invoice.id", ondelete="CASCADE"), nullable=False, index=True)
    order_line_id = Column(Integer, ForeignKey("purchase_order_line.id"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    quantity = Column(QTY, nullable=False)
    unit_price = Column(MONEY, nullable=False)                  # tax included, as invoiced
    tax_rate = Column(Numeric(5, 2), nullable=False)
    amount = Column(MONEY, nullable=False)
    tax = Column(MONEY, nullable=False)
    ordered_price = Column(MONEY, nullable=False)
    received_open = Column(QTY, nullable=False)                 # received and not yet invoiced, when invoiced
    quantity_diff = Column(QTY, nullable=False, default=0)      # invoiced beyond what was received
    price_diff = Column(MONEY, nullable=False, default=0)       # invoiced unit price − ordered unit price
    flagged = Column(Boolean, nullable=False, default=False)

    invoice = relationship("SupplierInvoice", back_populates="lines")
    product = relationship("Product")
    order_line = relationship("PurchaseOrderLine")

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}" if self.product is not None else ""


class SupplierPayment(Audited, Model):
    """付款单: what is paid to a supplier on one of its invoices; above the threshold of 付款审批 it is approved
    first, and it counts against the invoice when 已付款 is recorded."""
    __tablename__ = "supplier_payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_supplier_payment_amount"),
        Index("ix_supplier_payment_owner_id_id", "owner_id", "id"),
        Index("ix_supplier_payment_department_id_id", "department_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    supplier_id = Column(Integer, ForeignKey("supplier.id"), nullable=False, index=True)
    invoice_id = Column(Integer, ForeignKey("supplier_invoice.id"), nullable=False, index=True)
    amount = Column(MONEY, nullable=False)
    method = Column(String(16), nullable=False, default="transfer", info={"choices": METHOD_CHOICES})
    pay_on = Column(Date)                                       # planned
    paid_on = Column(Date)
    reference = Column(String(64))                              # the bank's transaction number
    status = Column(String(16), nullable=False, default=DRAFT, info={"choices": PAYMENT_STATUS_CHOICES})
    notes = Column(Text)
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    supplier = relationship("Supplier", lazy="joined", innerjoin=True)
    invoice = relationship("SupplierInvoice")
    owner = relationship("AppUser", foreign_keys=[owner_id])
    department = relationship("Department", foreign_keys=[department_id])

    def __str__(self) -> str:
        return self.code or ""
