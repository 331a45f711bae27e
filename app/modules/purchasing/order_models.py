"""Purchase orders (采购订单) and their lines. A line's unit price includes tax, as suppliers quote it: its amount is
quantity × price, its tax the part of the amount at its rate, each rounded half up to the fen, and the order's
figures are the sums of its lines."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.modules.inventory import api as _inventory  # noqa: F401  (an order is received into a warehouse)
from app.modules.purchasing.models import MONEY, QTY

DRAFT, IN_APPROVAL, APPROVED, REJECTED, ORDERED, PARTIAL, RECEIVED, CLOSED, CANCELLED = (
    "draft", "in_approval", "approved", "rejected", "ordered", "partial", "received", "closed", "cancelled")
STATUS_CHOICES = [
    (DRAFT, lazy_pgettext("purchase order status", "Draft")),
    (IN_APPROVAL, lazy_pgettext("purchase order status", "In approval")),
    (APPROVED, lazy_pgettext("purchase order status", "Approved")),
    (REJECTED, lazy_pgettext("purchase order status", "Returned")),
    (ORDERED, lazy_pgettext("purchase order status", "Ordered")),
    (PARTIAL, lazy_pgettext("purchase order status", "Partly received")),
    (RECEIVED, lazy_pgettext("purchase order status", "Received")),
    (CLOSED, lazy_pgettext("purchase order status", "Closed")),
    (CANCELLED, lazy_pgettext("purchase order status", "Cancelled")),
]
EDITABLE = (DRAFT, REJECTED)
PATH = [DRAFT, IN_APPROVAL, APPROVED, ORDERED, PARTIAL, RECEIVED, CLOSED]


class PurchaseOrder(Audited, Model):
    __tablename__ = "purchase_order"
    __table_args__ = (
        Index("ix_purchase_order_owner_id_id", "owner_id", "id"),
        Index("ix_purchase_order_department_id_id", "department_id", "id"),
        Index("ix_purchase_order_supplier_id_id", "supplier_id", "id"),
        Index("ix_purchase_order_status_id", "status", "id"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    supplier_id = Column(Integer, ForeignKey("supplier.id"), nullable=False)
    warehouse_id = Column(Integer, ForeignKey("warehouse.id"))
    quote_id = Column(Integer, ForeignKey("supplier_quote.id", ondelete="SET NULL"))   # made from this quote
    order_date = Column(Date, nullable=False)
    expected_date = Column(Date)
    status = Column(String(16), nullable=False, default=DRAFT, info={"choices": STATUS_CHOICES})
    untaxed = Column(MONEY, nullable=False, default=0)
    tax = Column(MONEY, nullable=False, default=0)
    amount = Column(MONEY, nullable=False, default=0)          # tax included: what 采购订单审批 reads
    cancel_reason = Column(Text)
    notes = Column(Text)
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    ordered_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    supplier = relationship("Supplier", lazy="joined", innerjoin=True)
    warehouse = relationship("Warehouse")
    owner = relationship("AppUser", foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    department = relationship("Department", foreign_keys=[department_id])
    lines = relationship("PurchaseOrderLine", back_populates="order", order_by="PurchaseOrderLine.id",
                         cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.code or ""


class PurchaseOrderLine(Model):
    __tablename__ = "purchase_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_purchase_order_line_quantity"),
        CheckConstraint("received >= 0", name="ck_purchase_order_line_received"),
        Index("ix_purchase_order_line_product_order", "product_id", "order_id"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("purchase_order.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    quantity = Column(QTY, nullable=False)
    unit_price = Column(MONEY, nullable=False)                  # tax included
    tax_rate = Column(Numeric(5, 2), nullable=False, default=13)
    amount = Column(MONEY, nullable=False, default=0)           # quantity × unit price, tax included
    tax = Column(MONEY, nullable=False, default=0)
    delivery_date = Column(Date)
    received = Column(QTY, nullable=False, default=0)           # accepted into stock so far
    invoiced = Column(QTY, nullable=False, default=0)           # on supplier invoices in force

    order = relationship("PurchaseOrder", back_populates="lines")
    product = relationship("Product")

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}" if self.product is not None else ""
