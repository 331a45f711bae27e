"""Supplier ratings (供应商评分), one row per supplier and month: quality, delivery, price and service scored 0–100
from that month's receipts and orders (and what buyers rated on the receipts), their weighted score and grade.
The rows are the history; the supplier carries its latest score and grade."""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.clock import utcnow
from app.modules.purchasing.models import QTY

SCORE = Numeric(5, 1)
RATE = Numeric(7, 4)
GRADES = ("A", "B", "C", "D")


class SupplierRating(Model):
    __tablename__ = "supplier_rating"
    __table_args__ = (UniqueConstraint("supplier_id", "period", name="uq_supplier_rating_period"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    supplier_id = Column(Integer, ForeignKey("supplier.id", ondelete="CASCADE"), nullable=False, index=True)
    period = Column(String(7), nullable=False)                  # 2026-11
    receipt_lines = Column(Integer, nullable=False, default=0)
    received = Column(QTY, nullable=False, default=0)           # accepted + rejected
    rejected = Column(QTY, nullable=False, default=0)
    on_time_rate = Column(RATE)                                 # share of receipt lines by their delivery date
    rejection_rate = Column(RATE)
    price_index = Column(RATE)                                  # ordered price ÷ other suppliers' quotes
    quality = Column(SCORE)
    delivery = Column(SCORE)
    price = Column(SCORE)
    service = Column(SCORE)
    score = Column(SCORE)
    grade = Column(String(1))
    computed_at = Column(DateTime, nullable=False, default=utcnow)

    supplier = relationship("Supplier")

    def __str__(self) -> str:
        return f"{self.period} {self.grade or ''}"
