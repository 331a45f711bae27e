"""Safety stock (安全库存) per product × warehouse: the warning line, the reorder quantity, how they were
set (by hand or computed from shipments) and the alert state that makes a breach notify once."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        UniqueConstraint)
from sqlalchemy.orm import relationship

from app.core.clock import utcnow
from app.modules.inventory.models import QTY, StockMove

MANUAL, COMPUTED = "manual", "computed"
METHOD_CHOICES = [(MANUAL, _l("Set by hand")), (COMPUTED, _l("Computed from shipments"))]


class SafetyStock(Model):
    """The warning line and reorder quantity of one product in one warehouse.

    `alerted_at` is the alert state: set when stock fell below the line and the warehouse and
    purchasing roles were told, cleared when stock is back above it, so one breach notifies once."""
    __tablename__ = "safety_stock"
    __table_args__ = (
        UniqueConstraint("product_id", "warehouse_id", name="uq_safety_stock_place"),
        CheckConstraint("warning_line >= 0", name="ck_safety_stock_warning_line"),
        CheckConstraint("reorder_qty >= 0", name="ck_safety_stock_reorder_qty"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    warehouse_id = Column(Integer, ForeignKey("warehouse.id"), nullable=False, index=True)
    warning_line = Column(QTY, nullable=False, default=0)
    reorder_qty = Column(QTY, nullable=False, default=0)
    method = Column(String(16), nullable=False, default=MANUAL, info={"choices": METHOD_CHOICES})
    history_days = Column(Integer, nullable=False, default=90)       # N days of shipments the computation reads
    lead_time_days = Column(Integer, nullable=False, default=7)
    safety_factor = Column(Numeric(6, 2), nullable=False, default=1.65)
    computed_at = Column(DateTime)
    alerted_at = Column(DateTime)          # below the line and notified; None: not breached
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    product = relationship("Product", lazy="joined")
    warehouse = relationship("Warehouse", lazy="joined")

    def __str__(self) -> str:
        return f"{self.product} @ {self.warehouse}"


# Shipments of a period are what safety stock, turnover, ABC and forecasts read: one index finds them
# without walking every move of every product.
Index("ix_stock_move_kind_created", StockMove.kind, StockMove.created_at)
