"""Requests for quotation (询价单): one product and quantity asked of several suppliers; each invited supplier's
answer is entered as a quote of the request, and the request's quotes are compared side by side."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import (CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.modules.purchasing.models import QTY

OPEN, CLOSED = "open", "closed"
STATUS_CHOICES = [(OPEN, lazy_pgettext("quote request status", "Asking")),
                  (CLOSED, lazy_pgettext("quote request status", "Closed"))]


class QuoteRequest(Audited, Model):
    __tablename__ = "quote_request"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_quote_request_quantity"),
        Index("ix_quote_request_owner_id_id", "owner_id", "id"),
        Index("ix_quote_request_department_id_id", "department_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False, index=True)
    quantity = Column(QTY, nullable=False)
    needed_by = Column(Date)
    reply_by = Column(Date)
    status = Column(String(16), nullable=False, default=OPEN, info={"choices": STATUS_CHOICES})
    notes = Column(Text)
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    product = relationship("Product", lazy="joined", innerjoin=True)
    owner = relationship("AppUser", foreign_keys=[owner_id])
    department = relationship("Department", foreign_keys=[department_id])
    invited = relationship("QuoteRequestSupplier", back_populates="request", order_by="QuoteRequestSupplier.id",
                           cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.code or ""


class QuoteRequestSupplier(Model):
    """A supplier asked by a request: when, at which address, and its answer (a quote) once entered."""
    __tablename__ = "quote_request_supplier"
    __table_args__ = (UniqueConstraint("request_id", "supplier_id", name="uq_quote_request_supplier"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    request_id = Column(Integer, ForeignKey("quote_request.id", ondelete="CASCADE"), nullable=False, index=True)
    supplier_id = Column(Integer, ForeignKey("supplier.id", ondelete="CASCADE"), nullable=False, index=True)
    invited_at = Column(DateTime, nullable=False, default=utcnow)
    mailed_to = Column(String(255))
    quote_id = Column(Integer, ForeignKey("supplier_quote.id", ondelete="SET NULL"))

    request = relationship("QuoteRequest", back_populates="invited")
    supplier = relationship("Supplier", lazy="joined", innerjoin=True)
    quote = relationship("SupplierQuote")

    def __str__(self) -> str:
        return str(self.supplier) if self.supplier is not None else ""
