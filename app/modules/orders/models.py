"""Sales orders (订单) with their lines: what a customer buys, at which price, from which warehouse, and how far
it has got — 草稿 → 已确认 (stock reserved) → 备货中 → 部分发货 → 已发货 → 已签收 → 已完成, or 已取消 with a reason; and
its shipments (发货单: carrier, tracking number, the quantities of each line that left)."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.modules.contracts import api as _contracts  # noqa: F401  (an order may come from a contract)
from app.modules.customers import api as _customers  # noqa: F401  (orders refer to customers)
from app.modules.inventory import models as _inventory  # noqa: F401  (and to the warehouse they ship from)

DRAFT, CONFIRMED, PREPARING, PARTIAL, SHIPPED, RECEIVED, COMPLETED, CANCELLED = (
    "draft", "confirmed", "preparing", "partial", "shipped", "received", "completed", "cancelled")
STATUS_CHOICES = [
    (DRAFT, lazy_pgettext("order status", "Draft")),
    (CONFIRMED, lazy_pgettext("order status", "Confirmed")),
    (PREPARING, lazy_pgettext("order status", "Preparing")),
    (PARTIAL, lazy_pgettext("order status", "Partly shipped")),
    (SHIPPED, lazy_pgettext("order status", "Shipped")),
    (RECEIVED, lazy_pgettext("order status", "Received")),
    (COMPLETED, lazy_pgettext("order status", "Completed")),
    (CANCELLED, lazy_pgettext("order status", "Cancelled")),
]
# An order over its customer's credit or with a discount beyond the limit is approved before it is confirmed.
APPROVAL_DRAFT, APPROVAL_RUNNING, APPROVAL_DONE, APPROVAL_REJECTED = "draft", "in_approval", "approved", "rejected"
APPROVAL_CHOICES = [
    (APPROVAL_DRAFT, lazy_pgettext("order approval", "Not submitted")),
    (APPROVAL_RUNNING, lazy_pgettext("order approval", "In approval")),
    (APPROVAL_DONE, lazy_pgettext("order approval", "Approved")),
    (APPROVAL_REJECTED, lazy_pgettext("order approval", "Rejected")),
]
DOC_TYPE = "order"
MONEY = Numeric(18, 2)


class SalesOrder(Audited, Model):
    __tablename__ = "sales_order"
    __table_args__ = (
        Index("ix_sales_order_owner_id_id", "owner_id", "id"),
        Index("ix_sales_order_department_id_id", "department_id", "id"),
        Index("ix_sales_order_customer_id_id", "customer_id", "id"),
        Index("ix_sales_order_status_id", "status", "id"),
        Index("ix_sales_order_owner_status_id", "owner_id", "status", "id"),
        Index("ix_sales_order_department_status_id", "department_id", "status", "id"),
        # a period's orders, read from the index only on PostgreSQL (订单统计 with dates, dashboard figures)
        Index("ix_sales_order_order_date", "order_date",
              postgresql_include=["status", "total", "owner_id", "department_id", "customer_id"]),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False)
    contract_id = Column(Integer, ForeignKey("contract.id"), index=True)   # made from this contract
    warehouse_id = Column(Integer, ForeignKey("warehouse.id"))
    order_date = Column(Date, nullable=False)
    delivery_address = Column(String(255))
    status = Column(String(16), nullable=False, default=DRAFT, info={"choices": STATUS_CHOICES})
    untaxed = Column(MONEY, nullable=False, default=0)
    tax = Column(MONEY, nullable=False, default=0)
    total = Column(MONEY, nullable=False, default=0)
    # The amount after discounts over the amount at the lines' unit prices (0.85: 15% off), read by 订单折扣超限审批.
    discount_rate = Column(Numeric(6, 4), nullable=False, default=1)
    cancel_reason = Column(Text)
    notes = Column(Text)
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    shipped_at = Column(DateTime)
    approval = Column(String(16), nullable=False, default=APPROVAL_DRAFT, info={"choices": APPROVAL_CHOICES})
    # What the customer's open orders and this one exceed their credit limit by, when submitted (信用审批).
    credit_excess = Column(MONEY)
    # The customer's region, kept equal by database triggers (orders_0006): 订单统计 by region reads it.
    customer_region = Column(String(64))

    customer = relationship("Customer", foreign_keys=[customer_id], lazy="joined", innerjoin=True)
    warehouse = relationship("Warehouse", foreign_keys=[warehouse_id])
    contract = relationship("Contract", foreign_keys=[contract_id])
    owner = relationship("AppUser", foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    department = relationship("Department", foreign_keys=[department_id])
    lines = relationship("SalesOrderLine", back_populates="order", order_by="SalesOrderLine.id",
                         cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.code or ""


class SalesOrderLine(Model):
    __tablename__ = "sales_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_sales_order_line_quantity"),
        CheckConstraint("discount >= 0 AND discount <= 100", name="ck_sales_order_line_discount"),
        Index("ix_sales_order_line_product_order", "product_id", "order_id"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("sales_order.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    quantity = Column(Numeric(16, 4), nullable=False)
    unit_price = Column(MONEY, nullable=False)
    discount = Column(Numeric(5, 2), nullable=False, default=0)      # per cent off the unit price
    tax_rate = Column(Numeric(5, 2), nullable=False, default=0)      # per cent
    amount = Column(MONEY, nullable=False, default=0)                # untaxed, after discount
    tax = Column(MONEY, nullable=False, default=0)
    total = Column(MONEY, nullable=False, default=0)
    shipped = Column(Numeric(16, 4), nullable=False, default=0)       # how much of it has left in shipments
    # Copies of the order's owner, department and status, kept equal by database triggers (orders_0006): the
    # lines' data scope and 订单统计 by product read them on the line's own row.
    owner_id = Column(Integer)
    department_id = Column(Integer)
    order_status = Column(String(16))

    order = relationship("SalesOrder", back_populates="lines")
    product = relationship("Product")

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}" if self.product is not None else ""


class Shipment(Model):
    """A shipment of an order (发货单): what left the warehouse at once, with its carrier and tracking number."""

    __tablename__ = "order_shipment"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("sales_order.id", ondelete="CASCADE"), nullable=False, index=True)
    carrier = Column(String(60))
    tracking_no = Column(String(60))
    shipped_at = Column(DateTime, nullable=False, default=utcnow)
    shipped_by_id = Column(Integer, ForeignKey("ab_user.id"))
    note = Column(String(255))

    order = relationship("SalesOrder")
    shipped_by = relationship("AppUser", foreign_keys=[shipped_by_id])
    lines = relationship("ShipmentLine", back_populates="shipment", order_by="ShipmentLine.id",
                         cascade="all, delete-orphan")

    def __str__(self) -> str:
        return " ".join(part for part in (self.carrier, self.tracking_no) if part) or f"#{self.id}"

    @property
    def summary(self) -> str:
        return "、".join(f"{line.product} × {line.quantity.normalize():f}" for line in self.lines)


class ShipmentLine(Model):
    __tablename__ = "order_shipment_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_order_shipment_line_quantity"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    shipment_id = Column(Integer, ForeignKey("order_shipment.id", ondelete="CASCADE"), nullable=False, index=True)
    order_line_id = Column(Integer, ForeignKey("sales_order_line.id", ondelete="CASCADE"), nullable=False)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    quantity = Column(Numeric(16, 4), nullable=False)

    shipment = relationship("Shipment", back_populates="lines")
    product = relationship("Product")
