"""Contracts with customers: their type, contact, lines and payment plan; drafted, approved through the
contract_approval chain, signed, watched for expiry, renewed or terminated, archived."""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_pgettext
from sqlalchemy import (Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        Text)
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow
from app.core.custom_fields.column import custom_column
# Contracts refer to customers: their mapping must exist whichever module is imported first.
from app.modules.customers import api as _customers  # noqa: F401
from app.modules.products import api as _products  # noqa: F401  (contract lines name products)

DRAFT, IN_APPROVAL, APPROVED, REJECTED, SIGNING, SIGNED, EXPIRING, EXPIRED, RENEWED, TERMINATED, ARCHIVED = (
    "draft", "in_approval", "approved", "rejected", "signing", "signed", "expiring", "expired", "renewed",
    "terminated", "archived")
# "Rejected" alone already means a refused registration (已拒绝); a contract is 已驳回.
STATUS_CHOICES = [
    (DRAFT, lazy_pgettext("contract status", "Draft")),
    (IN_APPROVAL, lazy_pgettext("contract status", "In approval")),
    (APPROVED, lazy_pgettext("contract status", "Approved")),
    (REJECTED, lazy_pgettext("contract status", "Rejected")),
    (SIGNING, lazy_pgettext("contract status", "Being signed")),
    (SIGNED, lazy_pgettext("contract status", "Signed")),
    (EXPIRING, lazy_pgettext("contract status", "Expiring soon")),
    (EXPIRED, lazy_pgettext("contract status", "Expired")),
    (RENEWED, lazy_pgettext("contract status", "Renewed")),
    (TERMINATED, lazy_pgettext("contract status", "Terminated")),
    (ARCHIVED, lazy_pgettext("contract status", "Archived")),
]
# In force or after: what was signed no longer changes.
SIGNED_STATES = (SIGNED, EXPIRING, EXPIRED, RENEWED, TERMINATED, ARCHIVED)
# How a signed contract ended: the step before 已归档.
ENDINGS = (EXPIRED, RENEWED, TERMINATED)
MONEY = Numeric(18, 2)

# When an instalment of the payment plan falls due: on a date, or some days after signing or delivery.
ON_DATE, AFTER_SIGNING, AFTER_DELIVERY = "date", "signing", "delivery"
BASIS_CHOICES = [
    (ON_DATE, lazy_pgettext("instalment due", "On a date")),
    (AFTER_SIGNING, lazy_pgettext("instalment due", "Days after signing")),
    (AFTER_DELIVERY, lazy_pgettext("instalment due", "Days after delivery")),
]


# 电子签名: the parties sign in the type's order; the contract shows whom it waits for.
OURS, CUSTOMER = "ours", "customer"
PARTY_CHOICES = [(OURS, lazy_pgettext("signing party", "Our company")),
                 (CUSTOMER, lazy_pgettext("signing party", "Customer"))]
OURS_FIRST, CUSTOMER_FIRST = "ours_first", "customer_first"
SIGN_ORDER_CHOICES = [(OURS_FIRST, lazy_pgettext("signing order", "We sign first")),
                      (CUSTOMER_FIRST, lazy_pgettext("signing order", "The customer signs first"))]
SIGNING_DONE, SIGNING_PAPER = "done", "paper"
SIGNING_STATE_CHOICES = [(OURS, lazy_pgettext("signing state", "Waiting for us")),
                         (CUSTOMER, lazy_pgettext("signing state", "Waiting for the customer")),
                         (SIGNING_DONE, lazy_pgettext("signing state", "Signed electronically")),
                         (SIGNING_PAPER, lazy_pgettext("signing state", "Signed on paper"))]
WAITING, CURRENT, DONE, CANCELLED = "waiting", "current", "signed", "cancelled"
SIGNER_STATUS_CHOICES = [(WAITING, lazy_pgettext("signer status", "Waiting for an earlier party")),
                         (CURRENT, lazy_pgettext("signer status", "To sign now")),
                         (DONE, lazy_pgettext("signer status", "Signed")),
                         (CANCELLED, lazy_pgettext("signer status", "Cancelled"))]


class ContractType(Audited, Model):
    """合同类型 (销售合同, 框架协议, 服务合同 …), kept by admins, with how early its contracts are watched
    for expiry and when their owners are reminded."""

    __tablename__ = "contract_type"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id = Column(Integer, primary_key=True)
    name = Column(String(60), nullable=False, unique=True)
    notice_days = Column(Integer, nullable=False, default=30)
    reminder_days = Column(String(60), nullable=False, default="30,15,7,0")
    active = Column(Boolean, nullable=False, default=True)
    sort_order = Column(Integer, nullable=False, default=0)
    sign_order = Column(String(16), nullable=False, default=OURS_FIRST, info={"choices": SIGN_ORDER_CHOICES})
    signer_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))   # our authorised signer

    signer = relationship("AppUser", foreign_keys=[signer_id])

    def __str__(self) -> str:
        return self.name or ""


class Contract(Audited, Model):
    __tablename__ = "contract"
    __table_args__ = (
        Index("ix_contract_owner_id_id", "owner_id", "id"),
        Index("ix_contract_department_id_id", "department_id", "id"),
        Index("ix_contract_status_id", "status", "id"),
        # A customer's page lists its contracts newest first.
        Index("ix_contract_customer_id_id", "customer_id", "id"),
        Index("ix_contract_status_ends_on", "status", "ends_on"),
        Index("ix_contract_signing_state_id", "signing_state", "id"),
        # Never reuse a deleted row's id on SQLite: the audit trail is keyed by id.
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    custom = custom_column()              # custom field values (app/core/custom_fields)
    code = Column(String(32), unique=True, nullable=False)
    title = Column(String(200), nullable=False)
    # No cascade from the customer: a customer with contracts cannot be deleted.
    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False)
    amount = Column(Numeric(18, 2), nullable=False)
    type_id = Column(Integer, ForeignKey("contract_type.id"))
    contact_id = Column(Integer, ForeignKey("contact.id", ondelete="SET NULL"))
    terms = Column(Text)                   # the contract's own clauses, printed and searched
    standard_terms = Column(Boolean, nullable=False, default=True)
    signed_on = Column(Date)
    starts_on = Column(Date)
    ends_on = Column(Date)
    status = Column(String(16), nullable=False, default=DRAFT, info={"choices": STATUS_CHOICES})
    notes = Column(Text)
    terminate_reason = Column(Text)
    renewed_from_id = Column(Integer, ForeignKey("contract.id"), index=True)
    ended_as = Column(String(16))          # expired / renewed / terminated, kept once archived
    pdf_sha256 = Column(String(64))        # the contract's PDF as approved, kept among its files
    signing_state = Column(String(16), info={"choices": SIGNING_STATE_CHOICES})   # whom signing waits for
    # How many of its orders are confirmed or beyond: kept by triggers on the orders (orders_0007).
    order_count = Column(Integer, nullable=False, default=0, server_default="0")
    signing_sha256 = Column(String(64))    # the PDF being signed: the approved one, its 签署记录 page, signatures
    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    customer = relationship("Customer", foreign_keys=[customer_id], lazy="joined", innerjoin=True)
    owner = relationship("AppUser", foreign_keys=[owner_id], lazy="joined", innerjoin=True)
    department = relationship("Department", foreign_keys=[department_id], lazy="joined")
    type = relationship("ContractType", foreign_keys=[type_id])
    contact = relationship("Contact", foreign_keys=[contact_id])
    renewed_from = relationship("Contract", foreign_keys=[renewed_from_id], remote_side=[id])
    lines = relationship("ContractLine", back_populates="contract", order_by="ContractLine.id",
                         cascade="all, delete-orphan", passive_deletes=True)
    signers = relationship("ContractSigner", back_populates="contract", order_by="ContractSigner.seq",
                           cascade="all, delete-orphan", passive_deletes=True)
    instalments = relationship("ContractInstalment", back_populates="contract",
                               order_by="(ContractInstalment.seq, ContractInstalment.id)",
                               cascade="all, delete-orphan", passive_deletes=True)

    def __str__(self) -> str:
        return f"{self.code or ''} {self.title or ''}".strip()


class ContractLine(Model):
    """A product the contract sells: quantity × unit price less the discount, plus tax, each figure
    rounded half up to the fen; the lines' totals add up to the contract amount."""

    __tablename__ = "contract_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_contract_line_quantity"),
        CheckConstraint("discount >= 0 AND discount <= 100", name="ck_contract_line_discount"),
        Index("ix_contract_line_product_contract", "product_id", "contract_id"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    contract_id = Column(Integer, ForeignKey("contract.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False)
    quantity = Column(Numeric(16, 4), nullable=False)
    unit_price = Column(MONEY, nullable=False)
    discount = Column(Numeric(5, 2), nullable=False, default=0)      # per cent off the unit price
    tax_rate = Column(Numeric(5, 2), nullable=False, default=0)      # per cent
    amount = Column(MONEY, nullable=False, default=0)                # before tax, after discount
    tax = Column(MONEY, nullable=False, default=0)
    total = Column(MONEY, nullable=False, default=0)

    contract = relationship("Contract", back_populates="lines")
    product = relationship("Product")

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}" if self.product is not None else ""


class ContractInstalment(Model):
    """One instalment of the payment plan (回款计划): due on a date or N days after signing or delivery,
    an amount or a percentage of the contract amount. The plan adds up to the amount exactly; 回款
    tracks it."""

    __tablename__ = "contract_instalment"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="ck_contract_instalment_amount"),
        {"sqlite_autoincrement": True},
    )

    id = Column(Integer, primary_key=True)
    contract_id = Column(Integer, ForeignKey("contract.id", ondelete="CASCADE"), nullable=False, index=True)
    seq = Column(Integer, nullable=False, default=1)
    name = Column(String(60), nullable=False)
    basis = Column(String(16), nullable=False, default=ON_DATE, info={"choices": BASIS_CHOICES})
    due_on = Column(Date)
    days = Column(Integer)
    percent = Column(Numeric(7, 4))
    amount = Column(MONEY, nullable=False, default=0)
    notes = Column(String(255))

    contract = relationship("Contract", back_populates="instalments")

    def __str__(self) -> str:
        return self.name or ""



class ContractSigner(Audited, Model):
    """A party's signature of a contract (签署方): our authorised signer in the app, or the customer's contact
    through a one-time link and a 6-digit code. Kept as the signing record: who, when, from where, how, and
    the SHA-256 of the PDF before and after their signature."""

    __tablename__ = "contract_signer"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id = Column(Integer, primary_key=True)
    contract_id = Column(Integer, ForeignKey("contract.id", ondelete="CASCADE"), nullable=False, index=True)
    seq = Column(Integer, nullable=False)
    party = Column(String(16), nullable=False, info={"choices": PARTY_CHOICES})
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    contact_id = Column(Integer, ForeignKey("contact.id", ondelete="SET NULL"))
    name = Column(String(100), nullable=False)
    mobile = Column(String(32))
    email = Column(String(120))
    status = Column(String(16), nullable=False, default=WAITING, info={"choices": SIGNER_STATUS_CHOICES})
    field_name = Column(String(40), nullable=False)
    box = Column(String(80), nullable=False)                      # where the stamp goes: x1,y1,x2,y2 on the last page
    link_hash = Column(String(64), unique=True)                   # SHA-256 of the one-time link's token
    link_expires_at = Column(DateTime)
    link_sent_at = Column(DateTime)
    link_used_at = Column(DateTime)
    code_hash = Column(String(200))
    code_expires_at = Column(DateTime)
    code_attempts = Column(Integer, nullable=False, default=0)
    codes_sent = Column(Integer, nullable=False, default=0)
    code_sent_at = Column(DateTime)
    signed_at = Column(DateTime)
    ip = Column(String(64))
    user_agent = Column(String(300))
    method = Column(String(40))                                   # how identity was confirmed: password, totp, code
    picture = Column(String(16))                                  # stored, seal, drawn
    document_sha256 = Column(String(64))                          # the PDF they signed
    signed_sha256 = Column(String(64))                            # the PDF with their signature

    contract = relationship("Contract", back_populates="signers")
    user = relationship("AppUser", foreign_keys=[user_id])

    def __str__(self) -> str:
        return self.name or ""


class SigningPicture(Model):
    """A user's stored handwritten signature (我的签名), drawn once and chosen when they sign again."""

    __tablename__ = "signing_picture"

    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    sha256 = Column(String(64), nullable=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class ContractSeal(Audited, Model):
    """A company seal (公司印章) our signers may stamp with: its image is the newest picture in its 附件."""

    __tablename__ = "contract_seal"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id = Column(Integer, primary_key=True)
    name = Column(String(60), nullable=False, unique=True)
    active = Column(Boolean, nullable=False, default=True)
    notes = Column(String(255))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    def __str__(self) -> str:
        return self.name or ""
