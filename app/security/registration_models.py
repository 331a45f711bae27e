"""Self-registration records and the registration settings an admin changes in the app.

A registration is not a user: the ab_user row is created only when the account becomes usable
(on activation, or on approval when approval is required), so a registration that was never
activated or was rejected can never log in, and never clutters the user list.
"""
from __future__ import annotations

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l, lazy_pgettext
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.clock import utcnow

PENDING = "pending"                       # waiting for the e-mailed code
AWAITING_APPROVAL = "awaiting_approval"   # e-mail confirmed, an admin decides
ACTIVE = "active"                         # the user exists and may log in
REJECTED = "rejected"

STATUS_CHOICES = [
    (PENDING, _l("Waiting for the e-mail code")),
    (AWAITING_APPROVAL, _l("Awaiting approval")),
    (ACTIVE, lazy_pgettext("registration", "Activated")),
    (REJECTED, _l("Rejected")),
]


class Registration(Audited, Model):
    __tablename__ = "registration"
    __table_args__ = {"sqlite_autoincrement": True}
    # Secrets and counters stay out of the change log.
    __audit_exclude__ = ("token", "password_hash", "code_hash", "code_attempts")

    id = Column(Integer, primary_key=True)
    # Names the registration in the activation URL; proves nothing (the code does).
    token = Column(String(64), nullable=False, unique=True)
    status = Column(String(24), nullable=False, default=PENDING, index=True, info={"choices": STATUS_CHOICES})
    username = Column(String(128), nullable=False, index=True)
    first_name = Column(String(64), nullable=False)   # given name
    last_name = Column(String(64), nullable=False)    # family name
    email = Column(String(320), nullable=False, index=True)
    mobile = Column(String(32), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id", ondelete="SET NULL"))
    company = Column(String(200))
    # FAB's password hash; moved to the user on activation, cleared on rejection.
    password_hash = Column(String(256))
    # HMAC of the 6-digit code; NULL once used or void.
    code_hash = Column(String(128))
    code_sent_at = Column(DateTime)
    code_expires_at = Column(DateTime)
    code_attempts = Column(Integer, nullable=False, default=0)
    ip = Column(String(64))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    activated_at = Column(DateTime)
    decided_at = Column(DateTime)
    decided_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    decision_note = Column(String(500))
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))

    department = relationship("Department", foreign_keys=[department_id])
    decided_by = relationship("AppUser", foreign_keys=[decided_by_id])
    user = relationship("AppUser", foreign_keys=[user_id])

    @property
    def display_name(self) -> str:
        return f"{self.last_name or ''}{self.first_name or ''}".strip() or self.username

    def __str__(self) -> str:
        return f"{self.display_name} ({self.username})"


class RegistrationSettings(Audited, Model):
    """One row (id 1). Read on every request, so a change applies at once, without restart."""

    __tablename__ = "registration_settings"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    enabled = Column(Boolean, nullable=False, default=True)
    approval_required = Column(Boolean, nullable=False, default=False)
    # NULL: the role named by REGISTRATION_DEFAULT_ROLE ('ReadOnly').
    default_role_id = Column(Integer, ForeignKey("ab_role.id", ondelete="SET NULL"))
    # Used when the applicant chose no department.
    default_department_id = Column(Integer, ForeignKey("department.id", ondelete="SET NULL"))
    changed_at = Column(DateTime)

    default_role = relationship("Role", foreign_keys=[default_role_id])
    default_department = relationship("Department", foreign_keys=[default_department_id])
