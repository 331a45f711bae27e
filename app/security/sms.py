"""Text messages (verification codes) through a provider interface.

Every message is first written to the SMS outbox in the caller's transaction, which admins read
in the app. With SMS_PROVIDER = "outbox" (the default) that is all: the demo and offline
installations read codes there. With SMS_PROVIDER = "package.module:ClassName" a job hands the
message to that provider after commit and marks it sent, as mail is sent over SMTP.
"""
from __future__ import annotations

import importlib

from flask import current_app
from flask_appbuilder import Model, ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, Integer, String, Text, insert
from sqlalchemy.orm import make_transient_to_detached

from app.core.clock import utcnow
from app.core.jobs import enqueue_after_commit, in_app_context
from app.core.system import mail_status
from app.core.webhooks import local_time
from app.extensions import db

OUTBOX, QUEUED, SENT, FAILED = "outbox", "queued", "sent", "failed"


class SmsMessage(Model):
    __tablename__ = "sms_outbox"

    id = Column(Integer, primary_key=True)
    mobile = Column(String(32), nullable=False)
    text = Column(String(500), nullable=False)
    status = Column(String(16), nullable=False, default=OUTBOX, index=True)
    error = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime)

    def __str__(self) -> str:
        return self.mobile


class SmsProvider:
    """Sends one text message. Implementations raise an exception when sending fails."""

    def send(self, mobile: str, text: str) -> None:
        raise NotImplementedError


class OutboxSmsProvider(SmsProvider):
    """Keeps messages in the in-app outbox only (works offline)."""

    def send(self, mobile: str, text: str) -> "SmsMessage":
        return _written(mobile, text, OUTBOX)


def _written(mobile: str, text: str, status: str) -> "SmsMessage":
    """The message inserted into the outbox at once (one statement, no flush) and known to the session as written."""
    values = {"mobile": mobile, "text": text, "status": status, "error": None, "created_at": utcnow(), "sent_at": None}
    values["id"] = db.session.connection().execute(insert(SmsMessage.__table__), values).inserted_primary_key[0]
    message = SmsMessage(**values)
    make_transient_to_detached(message)
    db.session.add(message)
    return message


def sms_provider() -> SmsProvider:
    """The provider SMS_PROVIDER names: "outbox" or "package.module:ClassName"."""
    name = current_app.config.get("SMS_PROVIDER") or "outbox"
    if name == "outbox":
        return OutboxSmsProvider()
    module_name, _sep, class_name = name.partition(":")
    provider = getattr(importlib.import_module(module_name), class_name)()
    if not isinstance(provider, SmsProvider):
        raise TypeError(f"SMS_PROVIDER {name} is not an SmsProvider")
    return provider


def send_sms(uow, mobile: str, text: str) -> "SmsMessage":
    """Write the message to the outbox; with a real provider, send it after commit. Returns the outbox row."""
    provider = sms_provider()
    if isinstance(provider, OutboxSmsProvider):
        return provider.send(mobile, text)
    message = _written(mobile, text, QUEUED)
    enqueue_after_commit(uow, deliver_sms, message.id)
    return message


@in_app_context
def deliver_sms(message_id: int) -> str:
    """Hand one queued message to the provider. Sent or outbox-only messages are left alone."""
    message = db.session.get(SmsMessage, message_id)
    if message is None or message.status != QUEUED:
        return "skipped"
    try:
        sms_provider().send(message.mobile, message.text)
    except Exception as exc:  # any provider failure is recorded on the message, then re-raised
        message.status, message.error = FAILED, str(exc)[:2000]
        db.session.commit()
        raise
    message.status, message.sent_at = SENT, utcnow()
    db.session.commit()
    return "sent"


class SmsOutboxView(ModelView):
    """Every text message sent, for administrators (read only)."""

    datamodel = SQLAInterface(SmsMessage)
    route_base = "/sms_outbox"
    class_permission_name = "sms_outbox"
    method_permission_name = {"list": "read", "show": "read"}
    base_permissions = ["can_read"]
    list_title = show_title = _l("SMS outbox")
    list_columns = ["created_at", "mobile", "text", "status"]
    show_columns = ["created_at", "mobile", "text", "status", "error", "sent_at"]
    search_columns = ["mobile", "status", "created_at"]
    base_order = ("id", "desc")
    label_columns = {
        "created_at": _l("Created at"), "mobile": _l("Mobile"), "text": _l("Text"), "status": _l("Status"),
        "error": _l("Error"), "sent_at": _l("Sent at"),
    }
    formatters_columns = {"created_at": local_time, "sent_at": local_time, "status": mail_status}
