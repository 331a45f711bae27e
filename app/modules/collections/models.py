"""Payments received (收款) and how they settle invoices (核销). A payment's amount is what was allocated plus the
customer's credit left from it; an invoice's outstanding amount is its total less its allocations."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import (Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        Text)
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import company_today, utcnow
from app.modules.customers import api as _customers  # noqa: F401  (payments come from customers)
from app.modules.invoices import api as _invoices  # noqa: F401  (and settle invoices)

TRANSFER, ACCEPTANCE, CASH, CHEQUE, OTHER = "transfer", "acceptance", "cash", "cheque", "other"
METHOD_CHOICES = [(TRANSFER, lazy_pgettext("payment method", "Bank transfer")),
                  (ACCEPTANCE, lazy_pgettext("payment method", "Bank acceptance bill")),
                  (CASH, lazy_pgettext("payment method", "Cash")),
                  (CHEQUE, lazy_pgettext("payment method", "Cheque")),
                  (OTHER, lazy_pgettext("payment method", "Other"))]
REGISTERED, REVERSED = "registered", "reversed"
STATUS_CHOICES = [(REGISTERED, lazy_pgettext("payment status", "Registered")),
                  (REVERSED, lazy_pgettext("payment status", "Reversed"))]
# 回款退款审批 moves refund_state: none → in_approval → approved (the payment is reversed) / rejected.
REFUND_NONE, REFUND_RUNNING, REFUND_DONE, REFUND_REJECTED = "none", "in_approval", "approved", "rejected"
REFUND_CHOICES = [(REFUND_NONE, lazy_pgettext("payment refund", "Not asked")),
                  (REFUND_RUNNING, lazy_pgettext("payment refund", "Reversal in approval")),
                  (REFUND_DONE, lazy_pgettext("payment refund", "Reversal approved")),
                  (REFUND_REJECTED, lazy_pgettext("payment refund", "Reversal refused"))]
MONEY = Numeric(18, 2)


class Payment(Audited, Model):
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_payment_amount"),
        Index("ix_payment_owner_id_id", "owner_id", "id"),
        Index("ix_payment_department_id_id", "department_id", "id"),
        Index("ix_payment_customer_id_id", "customer_id", "id"),
        # The same bank transfer is registered once per customer, however often it is submitted.
        Index("uq_payment_customer_bank_ref", "customer_id", "bank_ref", unique=True),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False)
    amount = Column(MONEY, nullable=False)
    received_on = Column(Date, nullable=False, default=lambda context=None: company_today())   # today on the form
    method = Column(String(16), nullable=False, default=TRANSFER, info={"choices": METHOD_CHOICES})
    bank_ref = Column(String(64))
    payer = Column(String(200))
    idempotency_key = Column(String(64), unique=True)
    unallocated = Column(MONEY, nullable=False, default=0)             # the customer's credit left from it
    status = Column(String(16), nullable=False, default=REGISTERED, info={"choices": STATUS_CHOICES})
    refund_state = Column(String(16), nullable=False, default=REFUND_NONE, info={"choices": REFUND_CHOICES})
    notes = Column(Text)
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    customer = relationship("Customer", foreign_keys=[customer_id], lazy="joined", innerjoin=True)
    owner = relationship("AppUser", foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    department = relationship("Department", foreign_keys=[department_id])
    allocations = relationship("PaymentAllocation", back_populates="payment", order_by="PaymentAllocation.id",
                               cascade="all, delete-orphan", passive_deletes=True)

    def __str__(self) -> str:
        return self.code or ""


class PaymentAllocation(Model):
    """Part of a payment settling an invoice (核销)."""

    __tablename__ = "payment_allocation"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_payment_allocation_amount"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    payment_id = Column(Integer, ForeignKey("payment.id", ondelete="CASCADE"), nullable=False, index=True)
    invoice_id = Column(Integer, ForeignKey("invoice.id"), nullable=False, index=True)
    amount = Column(MONEY, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    payment = relationship("Payment", back_populates="allocations")
    invoice = relationship("Invoice")

    def __str__(self) -> str:
        return f"{self.invoice} ¥{self.amount}" if self.invoice is not None else ""


class DunningRule(Audited, Model):
    """A collection reminder (催收提醒) an admin sets: `days` after an invoice's due date (negative: before it, 0: on
    the day), its owner is notified and the customer's contact e-mailed their statement — once per invoice."""

    __tablename__ = "dunning_rule"
    __table_args__ = (CheckConstraint("days BETWEEN -365 AND 3650", name="ck_dunning_rule_days"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    name = Column(String(60), nullable=False, unique=True)
    days = Column(Integer, nullable=False, default=0)
    notify_owner = Column(Boolean, nullable=False, default=True)
    mail_contact = Column(Boolean, nullable=False, default=False)
    active = Column(Boolean, nullable=False, default=True)

    def __str__(self) -> str:
        return self.name or ""


# A bank statement line (银行流水) waits to be matched to a customer and registered as a payment.
NEW, MATCHED, UNMATCHED, IGNORED = "new", "matched", "unmatched", "ignored"
LINE_STATUS_CHOICES = [(NEW, lazy_pgettext("bank line", "Not matched yet")),
                       (MATCHED, lazy_pgettext("bank line", "Registered")),
                       (UNMATCHED, lazy_pgettext("bank line", "To be matched")),
                       (IGNORED, lazy_pgettext("bank line", "Ignored"))]


class BankLine(Audited, Model):
    """A credit of an imported bank statement (银行流水): matched to a customer by its reference, the payer or the
    amount and registered as their payment, or left in the queue of lines to match by hand."""

    __tablename__ = "bank_line"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_bank_line_amount"),
        Index("ix_bank_line_status_id", "status", "id"),
        Index("ix_bank_line_owner_id_id", "owner_id", "id"),
        Index("uq_bank_line_bank_ref", "bank_ref", unique=True),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    booked_on = Column(Date, nullable=False)
    amount = Column(MONEY, nullable=False)
    payer = Column(String(200))
    payer_account = Column(String(64))
    bank_ref = Column(String(64))
    memo = Column(String(255))
    status = Column(String(16), nullable=False, default=NEW, info={"choices": LINE_STATUS_CHOICES})
    customer_id = Column(Integer, ForeignKey("customer.id"))
    payment_id = Column(Integer, ForeignKey("payment.id"))
    note = Column(String(255))                                         # how it was matched, or why not
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    customer = relationship("Customer", foreign_keys=[customer_id])
    payment = relationship("Payment", foreign_keys=[payment_id])
    owner = relationship("AppUser", foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    department = relationship("Department", foreign_keys=[department_id])

    def __str__(self) -> str:
        return f"{self.booked_on} {self.payer or ''} ¥{self.amount}" if self.booked_on else ""
