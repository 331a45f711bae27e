"""Notification centre and outbound mail.

Every e-mail is first written to the mail outbox in the caller's transaction. With MAIL_SERVER
configured, a job sends it over SMTP after commit and marks it sent; without, it stays in the
outbox, which admins read in the app (so codes and reminders are visible in the demo).
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text, func, insert, select, update
from sqlalchemy.orm import relationship

from app.core.jobs import enqueue_after_commit, in_app_context
from app.extensions import db
from app.core.clock import utcnow

OUTBOX, QUEUED, SENT, FAILED = "outbox", "queued", "sent", "failed"


class Notification(Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "is_read"),)

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    title = Column(String(200), nullable=False)
    body = Column(Text, default="")
    link = Column(String(500), default="")
    is_read = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    user = relationship("AppUser")


class MailMessage(Model):
    __tablename__ = "mail_outbox"

    id = Column(Integer, primary_key=True)
    to = Column(String(255), nullable=False)
    subject = Column(String(255), nullable=False)
    body = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default=OUTBOX, index=True)
    error = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime)

    def __str__(self) -> str:
        return self.subject


def notify(uow, users, title: str, body: str = "", link: str = "", mail: bool = True) -> int:
    """Notify each user in-app, and by e-mail when `mail` and the user has an address.

    Rows are written in the caller's transaction (one INSERT for all notifications, one for
    all mails unless SMTP is configured); SMTP sending happens after commit. Mails to users of
    the app are internal: mail listeners (customer timelines) never see them. Returns how many
    users were notified.
    """
    return notify_each(uow, [(user, title, body, link) for user in users], mail=mail)


_INSERTS = {"notification": insert(Notification.__table__), "mail": insert(MailMessage.__table__)}


def notify_each(uow, messages, mail: bool = True) -> int:
    """Like notify(), for messages that differ per user: `messages` is a list of
    (user, title, body, link). One INSERT for all notifications and one for all mails."""
    messages = [m for m in messages if m[0] is not None]
    if not messages:
        return 0
    now = utcnow()
    notes = [{"user_id": user.id, "title": title, "body": body, "link": link, "is_read": False, "created_at": now}
             for user, title, body, link in messages]
    mails = [(user.email, title, body + (f"\n\n{link}" if link else ""))
             for user, title, body, link in messages if mail and user.email]
    smtp = bool(current_app.config.get("MAIL_SERVER"))
    outbox = [] if smtp else [{"to": address, "subject": title, "body": text, "status": OUTBOX, "created_at": now}
                              for address, title, text in mails]
    db.session.flush()   # the rows below may name users created in this unit of work
    connection = db.session.connection()
    connection.execute(_INSERTS["notification"], notes)
    if outbox:
        connection.execute(_INSERTS["mail"], outbox)
    if smtp:
        for address, title, text in mails:
            send_mail(uow, address, title, text, internal=True)
    return len(messages)


# Called as fn(uow, message, refs) for every message written to the outbox, in the sender's
# transaction: modules record mails about their records (a customer's timeline).
mail_listeners: list = []


def send_mail(uow, to: str, subject: str, body: str, internal: bool = False, **refs) -> MailMessage:
    """Write the message to the outbox; with SMTP configured, send it after commit.

    `refs` name the records the mail is about (e.g. customer_id=7) for the mail listeners;
    `internal` mails (to the app's own users) are not shown to them."""
    message = MailMessage(to=to, subject=subject, body=body)
    db.session.add(message)
    if current_app.config.get("MAIL_SERVER"):
        message.status = QUEUED
        db.session.flush()
        enqueue_after_commit(uow, deliver_mail, message.id)
    for listener in ([] if internal else mail_listeners):
        listener(uow, message, refs)
    return message


@in_app_context
def deliver_mail(message_id: int) -> str:
    """Send one queued message over SMTP. Sent or outbox-only messages are left alone."""
    message = db.session.get(MailMessage, message_id)
    if message is None or message.status != QUEUED:
        return "skipped"
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    try:
        smtp_cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
        with smtp_cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls()
            if cfg["MAIL_USERNAME"]:
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        message.status, message.error = FAILED, str(exc)
        db.session.commit()
        raise
    message.status, message.sent_at = SENT, utcnow()
    db.session.commit()
    return "sent"


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.id, Notification.is_read.is_(False))
    ) or 0


def notifications_of(user, limit: int = 50, offset: int = 0) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.id.desc()).limit(limit).offset(offset)
    ))


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one (or, with None, all) of the user's notifications read; returns how many."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.is_read.is_(False))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    count = db.session.execute(stmt.values(is_read=True)).rowcount
    db.session.commit()
    return count
