"""调拨单: a transfer of products from one warehouse (and bin) to another warehouse or bin. Sending
writes the moves out and puts the quantities in transit; arriving writes the moves in."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from app.core.clock import utcnow
from app.modules.inventory.models import QTY

DRAFT, IN_TRANSIT, ARRIVED, DONE, CANCELLED = "draft", "in_transit", "arrived", "done", "cancelled"
STATUS_CHOICES = [
    (DRAFT, lazy_pgettext("transfer status", "Draft")),
    (IN_TRANSIT, lazy_pgettext("transfer status", "In transit")),
    (ARRIVED, lazy_pgettext("transfer status", "Arrived")),
    (DONE, lazy_pgettext("transfer status", "Done")),
    (CANCELLED, lazy_pgettext("transfer status", "Cancelled")),
]
DOC_TYPE = "transfer"


class StockTransfer(Model):
    __tablename__ = "stock_transfer"
    __table_args__ = (Index("ix_stock_transfer_status_id", "status", "id"), {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    status = Column(String(16), nullable=False, default=DRAFT, info={"choices": STATUS_CHOICES})
    from_warehouse_id = Column(Integer, ForeignKey("warehouse.id"), nullable=False, index=True)
    from_bin_id = Column(Integer, ForeignKey("warehouse_bin.id"))
    to_warehouse_id = Column(Integer, ForeignKey("warehouse.id"), nullable=False, index=True)
    to_bin_id = Column(Integer, ForeignKey("warehouse_bin.id"))
    note = Column(Text)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime)
    arrived_at = Column(DateTime)

    from_warehouse = relationship("Warehouse", foreign_keys=[from_warehouse_id])
    from_bin = relationship("WarehouseBin", foreign_keys=[from_bin_id])
    to_warehouse = relationship("Warehouse", foreign_keys=[to_warehouse_id])
    to_bin = relationship("WarehouseBin", foreign_keys=[to_bin_id])
    created_by = relationship("AppUser", foreign_keys=[created_by_id])
    lines = relationship("StockTransferLine", back_populates="transfer", order_by="StockTransferLine.id",
                         cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.code or ""


class StockTransferLine(Model):
    __tablename__ = "stock_transfer_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_stock_transfer_line_quantity"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    transfer_id = Column(Integer, ForeignKey("stock_transfer.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    quantity = Column(QTY, nullable=False)

    transfer = relationship("StockTransfer", back_populates="lines")
    product = relationship("Product")

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}" if self.product is not None else ""
