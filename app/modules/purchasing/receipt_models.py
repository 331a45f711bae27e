"""Goods receipts (入库单) against a purchase order: per order line what was accepted into stock (and into which
bin) and what was rejected, with why. A receipt is never edited; what it accepted moved stock."""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import relationship

from app.core.clock import utcnow
from app.modules.purchasing.models import QTY


class GoodsReceipt(Model):
    __tablename__ = "goods_receipt"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    order_id = Column(Integer, ForeignKey("purchase_order.id"), nullable=False, index=True)
    warehouse_id = Column(Integer, ForeignKey("warehouse.id"), nullable=False)
    received_on = Column(Date, nullable=False)
    received_by_id = Column(Integer, ForeignKey("ab_user.id"))
    note = Column(String(255))
    quality_rating = Column(SmallInteger)                       # 1–5, the buyer's view of what arrived
    service_rating = Column(SmallInteger)                       # 1–5, of the supplier's service on this delivery
    created_at = Column(DateTime, nullable=False, default=utcnow)

    order = relationship("PurchaseOrder")
    warehouse = relationship("Warehouse")
    received_by = relationship("AppUser", foreign_keys=[received_by_id])
    lines = relationship("GoodsReceiptLine", back_populates="receipt", order_by="GoodsReceiptLine.id",
                         cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.code or ""


class GoodsReceiptLine(Model):
    __tablename__ = "goods_receipt_line"
    __table_args__ = (
        CheckConstraint("accepted >= 0", name="ck_goods_receipt_line_accepted"),
        CheckConstraint("rejected >= 0", name="ck_goods_receipt_line_rejected"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    receipt_id = Column(Integer, ForeignKey("goods_receipt.id", ondelete="CASCADE"), nullable=False, index=True)
    order_line_id = Column(Integer, ForeignKey("purchase_order_line.id"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    accepted = Column(QTY, nullable=False, default=0)
    rejected = Column(QTY, nullable=False, default=0)
    reject_reason = Column(String(255))
    bin_id = Column(Integer, ForeignKey("warehouse_bin.id"))

    receipt = relationship("GoodsReceipt", back_populates="lines")
    product = relationship("Product")
    bin = relationship("WarehouseBin")

    def __str__(self) -> str:
        return f"{self.product} × {self.accepted}" if self.product is not None else ""
