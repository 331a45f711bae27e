"""Invoices (发票) and their lines. An invoice line names what it bills: an order line (part of its quantity) or a
contract's payment plan instalment; what an order line or instalment has been invoiced is the sum of the lines
of its invoices that are not voided (a red-letter invoice's lines are negative)."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.modules.contracts import api as _contracts  # noqa: F401  (invoices bill contracts' instalments)
from app.modules.customers import api as _customers  # noqa: F401  (and customers)
from app.modules.orders import api as _orders  # noqa: F401  (and orders' lines)

SPECIAL, ORDINARY, RECEIPT = "special", "ordinary", "receipt"
KIND_CHOICES = [(SPECIAL, lazy_pgettext("invoice type", "VAT special invoice")),
                (ORDINARY, lazy_pgettext("invoice type", "VAT ordinary invoice")),
                (RECEIPT, lazy_pgettext("invoice type", "Receipt"))]
ISSUED, VOIDED, REVERSED = "issued", "voided", "reversed"
STATUS_CHOICES = [(ISSUED, lazy_pgettext("invoice status", "Issued")),
                  (VOIDED, lazy_pgettext("invoice status", "Voided")),
                  (REVERSED, lazy_pgettext("invoice status", "Reversed by a red-letter invoice"))]
# 发票作废审批 moves void_state: none → in_approval → approved (the invoice is voided) / rejected.
VOID_NONE, VOID_RUNNING, VOID_DONE, VOID_REJECTED = "none", "in_approval", "approved", "rejected"
VOID_CHOICES = [(VOID_NONE, lazy_pgettext("invoice void", "Not asked")),
                (VOID_RUNNING, lazy_pgettext("invoice void", "Void in approval")),
                (VOID_DONE, lazy_pgettext("invoice void", "Void approved")),
                (VOID_REJECTED, lazy_pgettext("invoice void", "Void refused"))]
MONEY = Numeric(18, 2)


class InvoiceVoidReason(Audited, Model):
    """Why an invoice is voided (作废原因), kept by admins: 开票信息有误, 客户退货 …"""

    __tablename__ = "invoice_void_reason"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id = Column(Integer, primary_key=True)
    name = Column(String(60), nullable=False, unique=True)
    active = Column(Boolean, nullable=False, default=True)
    sort_order = Column(Integer, nullable=False, default=0)

    def __str__(self) -> str:
        return self.name or ""


class Invoice(Audited, Model):
    __tablename__ = "invoice"
    __table_args__ = (
        Index("ix_invoice_owner_id_id", "owner_id", "id"),
        Index("ix_invoice_department_id_id", "department_id", "id"),
        Index("ix_invoice_customer_id_id", "customer_id", "id"),
        Index("ix_invoice_status_id", "status", "id"),
        Index("ix_invoice_issue_date_id", "issue_date", "id"),
        # The receivables (应收): invoices in force with something left to pay, by customer and due date.
        Index("ix_invoice_open", "customer_id", "due_date",
              postgresql_where=text("status = 'issued' AND NOT red AND paid < total"),
              postgresql_include=["total", "paid", "owner_id", "department_id"],      # the aging reads the index only
              sqlite_where=text("status = 'issued' AND NOT red AND paid < total")),
        # ... and by due date, the longest overdue first (the home page's 逾期应收).
        Index("ix_invoice_open_due", "due_date", "id",
              postgresql_where=text("status = 'issued' AND NOT red AND paid < total"),
              sqlite_where=text("status = 'issued' AND NOT red AND paid < total")),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(40), unique=True, nullable=False)            # the invoice number, never reused
    kind = Column(String(16), nullable=False, info={"choices": KIND_CHOICES})
    red = Column(Boolean, nullable=False, default=False)               # 红字发票: negative, reverses `original`
    original_id = Column(Integer, ForeignKey("invoice.id"), index=True)
    status = Column(String(16), nullable=False, default=ISSUED, info={"choices": STATUS_CHOICES})
    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False)
    order_id = Column(Integer, ForeignKey("sales_order.id"), index=True)      # the (first) order billed
    contract_id = Column(Integer, ForeignKey("contract.id"), index=True)
    issue_date = Column(Date, nullable=False)
    due_date = Column(Date, nullable=False)                          # when it is to be paid (到期日)
    buyer_name = Column(String(200), nullable=False)
    buyer_tax_id = Column(String(32))
    buyer_address_phone = Column(String(255))
    buyer_bank_account = Column(String(255))
    amount = Column(MONEY, nullable=False, default=0)                 # before tax
    tax = Column(MONEY, nullable=False, default=0)
    total = Column(MONEY, nullable=False, default=0)
    paid = Column(MONEY, nullable=False, default=0, server_default="0")  # settled by payments (已回款), kept
    notes = Column(Text)
    platform_ref = Column(String(64))                                 # the tax platform's number for it
    void_state = Column(String(16), nullable=False, default=VOID_NONE, info={"choices": VOID_CHOICES})
    void_reason_id = Column(Integer, ForeignKey("invoice_void_reason.id"))
    void_note = Column(Text)
    voided_at = Column(DateTime)
    print_count = Column(Integer, nullable=False, default=0)
    printed_at = Column(DateTime)
    printed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    customer = relationship("Customer", foreign_keys=[customer_id], lazy="joined", innerjoin=True)
    order = relationship("SalesOrder", foreign_keys=[order_id])
    contract = relationship("Contract", foreign_keys=[contract_id])
    original = relationship("Invoice", foreign_keys=[original_id], remote_side=[id])
    owner = relationship("AppUser", foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    printed_by = relationship("AppUser", foreign_keys=[printed_by_id])
    department = relationship("Department", foreign_keys=[department_id])
    void_reason = relationship("InvoiceVoidReason")
    lines = relationship("InvoiceLine", back_populates="invoice", order_by="InvoiceLine.id",
                         cascade="all, delete-orphan", passive_deletes=True)

    def __str__(self) -> str:
        return self.code or ""


class InvoiceLine(Model):
    __tablename__ = "invoice_line"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id = Column(Integer, primary_key=True)
    invoice_id = Column(Integer, ForeignKey("invoice.id", ondelete="CASCADE"), nullable=False, index=True)
    order_line_id = Column(Integer, ForeignKey("sales_order_line.id"), index=True)
    instalment_id = Column(Integer, ForeignKey("contract_instalment.id"), index=True)
    product_id = Column(Integer, ForeignKey("product.id"))
    description = Column(String(200), nullable=False)
    unit = Column(String(16))
    quantity = Column(Numeric(16, 4), nullable=False, default=1)
    unit_price = Column(Numeric(18, 6), nullable=False, default=0)    # before tax
    tax_rate = Column(Numeric(5, 2), nullable=False, default=0)       # per cent
    amount = Column(MONEY, nullable=False, default=0)
    tax = Column(MONEY, nullable=False, default=0)
    total = Column(MONEY, nullable=False, default=0)

    invoice = relationship("Invoice", back_populates="lines")
    product = relationship("Product")

    def __str__(self) -> str:
        return self.description or ""
