"""盘点单: a stock count of a warehouse, one of its zones or one bin. Starting it freezes those places (no
move in or out until it ends) and takes the quantities on hand as expected; staff enter what they count
(on a phone by scanning barcodes too); the differences go through approval and are posted as count moves."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.clock import utcnow
from app.modules.inventory.models import QTY

PLANNED, COUNTING, COUNTED, IN_APPROVAL, POSTED, REJECTED, CANCELLED = (
    "planned", "counting", "counted", "in_approval", "posted", "rejected", "cancelled")
FROZEN = (COUNTING, COUNTED, IN_APPROVAL)
STATUS_CHOICES = [
    (PLANNED, lazy_pgettext("count status", "Planned")),
    (COUNTING, lazy_pgettext("count status", "Counting")),
    (COUNTED, lazy_pgettext("count status", "Counted")),
    (IN_APPROVAL, lazy_pgettext("count status", "In approval")),
    (POSTED, lazy_pgettext("count status", "Posted")),
    (REJECTED, lazy_pgettext("count status", "Rejected")),
    (CANCELLED, lazy_pgettext("count status", "Cancelled")),
]
DOC_TYPE = "stock_count"


class StockCount(Model):
    __tablename__ = "stock_count"
    __table_args__ = (Index("ix_stock_count_warehouse_status", "warehouse_id", "status"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    status = Column(String(16), nullable=False, default=PLANNED, info={"choices": STATUS_CHOICES})
    warehouse_id = Column(Integer, ForeignKey("warehouse.id"), nullable=False)
    zone_id = Column(Integer, ForeignKey("warehouse_zone.id"))
    bin_id = Column(Integer, ForeignKey("warehouse_bin.id"))
    note = Column(Text)
    owner_id = Column(Integer, ForeignKey("ab_user.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    started_at = Column(DateTime)
    posted_at = Column(DateTime)

    warehouse = relationship("Warehouse")
    zone = relationship("WarehouseZone")
    bin = relationship("WarehouseBin")
    owner = relationship("AppUser", foreign_keys=[owner_id])
    lines = relationship("StockCountLine", back_populates="count", order_by="StockCountLine.id",
                         cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.code or ""


class StockCountLine(Model):
    __tablename__ = "stock_count_line"
    __table_args__ = (UniqueConstraint("count_id", "product_id", "bin_key", name="uq_stock_count_line_place"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    count_id = Column(Integer, ForeignKey("stock_count.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    bin_id = Column(Integer, ForeignKey("warehouse_bin.id"))
    bin_key = Column(Integer, nullable=False, default=0)
    expected = Column(QTY, nullable=False, default=0)
    counted = Column(QTY)
    counted_by_id = Column(Integer, ForeignKey("ab_user.id"))
    counted_at = Column(DateTime)

    count = relationship("StockCount", back_populates="lines")
    product = relationship("Product")
    bin = relationship("WarehouseBin")
    counted_by = relationship("AppUser", foreign_keys=[counted_by_id])

    @property
    def difference(self):
        return None if self.counted is None else self.counted - self.expected

    def __str__(self) -> str:
        return f"{self.product}" if self.product is not None else ""
