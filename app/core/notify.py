"""Notification centre and outbound mail.

Every e-mail is first written to the mail outbox in the caller's transaction, as plain text
and, for notices, as HTML with clickable links (sent together as multipart/alternative). With
MAIL_SERVER configured, a job sends it over SMTP after commit and marks it sent; without, it
stays in the outbox, which admins read in the app (so codes and reminders are visible in the demo).

Links in notifications are paths of the app (`/approvals/task/7`); a mail turns them into
addresses people can open from their mail program: see public_url().
"""
from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage
from functools import lru_cache

from flask import current_app, g, has_request_context, request
from flask_appbuilder import Model
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text, bindparam, func, insert, literal,
                        select, update)
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
    html = Column(Text)   # the same message as HTML, when it has links to click
    attachments = Column(Text)   # JSON [{"key": file store key, "name": file name, "type": content type}]
    status = Column(String(16), nullable=False, default=OUTBOX, index=True)
    error = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime)

    def __str__(self) -> str:
        return self.subject


# -- where people reach the app ------------------------------------------------------------------
def public_base_url() -> str:
    """The address people reach the app at, without a trailing slash: PUBLIC_URL when set
    (`run.py serve` sets it for its children from the address it listens on); else the address
    of the request being served (its Host header is trusted outside production, or when Flask's
    TRUSTED_HOSTS vouches for it); else the HOST / PORT the app was started with."""
    cfg = current_app.config
    configured = (cfg.get("PUBLIC_URL") or "").strip()
    if configured:
        return configured.rstrip("/")
    if has_request_context() and (cfg.get("TRUSTED_HOSTS") or cfg.get("ZWT_ENV") != "production"):
        return request.host_url.rstrip("/")
    host = os.environ.get("HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{os.environ.get('PORT') or 5000}"


def public_url(link: str) -> str:
    """`link` (a path of the app, or already a full address) as a full address to open from a
    mail program."""
    if not link or link.startswith(("http://", "https://")):
        return link
    return public_base_url() + "/" + link.lstrip("/")


def mail_html(title: str, body: str, links=()) -> str:
    """A notice as a small HTML mail: the title, the body (every line escaped: it carries what
    users typed) and a button per (label, address) in `links`."""
    lines = Markup("<br>\n").join(escape(line) for line in (body or "").split("\n"))
    buttons = Markup(" ").join(
        Markup('<a href="{}" style="display:inline-block;margin:0 8px 8px 0;padding:6px 14px;'
               'border:1px solid #2e6da4;border-radius:4px;color:#2e6da4;text-decoration:none">{}</a>').format(url, label)
        for label, url in links if url.startswith(("http://", "https://")))
    return str(Markup(
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
        '<body style="font-family:sans-serif;font-size:14px;color:#333">\n'
        '<p style="font-size:16px"><strong>{title}</strong></p>\n<p>{lines}</p>\n<p>{buttons}</p>\n'
        '</body></html>\n').format(title=title, lines=lines, buttons=buttons))


def _mail_of(title: str, body: str, link: str, actions) -> tuple[str, str]:
    """(plain text, HTML) of a notice whose `link` and `actions` [(label, path)] are paths."""
    links = [(label, public_url(path)) for label, path in actions or ()]
    if link:
        links.append((_("Open"), public_url(link)))
    text = body
    if links:
        line = _("%(label)s: %(link)s")   # translated once, filled per link
        text += "\n\n" + "\n".join(line % {"label": label, "link": url} for label, url in links)
    return text, mail_html(title, body, links)


def notify(uow, users, title: str, body: str = "", link: str = "", mail: bool = True) -> int:
    """Notify each user in-app, and by e-mail when `mail` and the user has an address.

    Rows are written in the caller's transaction (one INSERT for all notifications, one for
    all mails unless SMTP is configured); SMTP sending happens after commit. Mails to users of
    the app are internal: mail listeners (customer timelines) never see them. Returns how many
    users were notified.
    """
    return notify_each(uow, [(user, title, body, link) for user in users], mail=mail)


_INSERTS = {"notification": insert(Notification.__table__), "mail": insert(MailMessage.__table__)}


FEW = 20   # notices to as many people as this go with their mails in one statement (PostgreSQL)

# Called as fn(user_ids) -> the ids of those who want their notices in the app only (their
# notification settings, app.security.preferences).
mail_opt_outs: list = []


def notify_each(uow, messages, mail: bool = True) -> int:
    """Like notify(), for messages that differ per user: `messages` is a list of
    (user, title, body, link) or (user, title, body, link, actions), where `actions` are
    [(label, path)] offered only in the mail (e.g. approve / reject). One INSERT for all
    notifications and one for all mails."""
    messages = [(m + (None,))[:5] for m in messages if m[0] is not None]
    if not messages:
        return 0
    now = utcnow()
    notes = [{"user_id": user.id, "title": title, "body": body, "link": link, "is_read": False, "created_at": now}
             for user, title, body, link, _actions in messages]
    app_only = set().union(*(f([m[0].id for m in messages]) for f in mail_opt_outs)) if mail else set()
    mails = [(user.email, _subject(title), *_mail_of(title, body, link, actions))
             for user, title, body, link, actions in messages if mail and user.email and user.id not in app_only]
    smtp = bool(current_app.config.get("MAIL_SERVER"))
    outbox = [] if smtp else [{"to": address, "subject": title, "body": text, "html": html, "status": OUTBOX,
                               "created_at": now} for address, title, text, html in mails]
    db.session.flush()   # the rows below may name users created in this unit of work
    connection = db.session.connection()
    if outbox and len(notes) <= FEW and connection.dialect.name == "postgresql":
        # A few people (an approval action's): both sets of rows in one statement, the notices
        # as a data-modifying CTE of the mails' INSERT (PostgreSQL runs it once, whether or not
        # the outer statement reads it).
        params = {f"{prefix}_{key}_{i}": value for prefix, rows in (("m", outbox), ("n", notes))
                  for i, row in enumerate(rows) for key, value in row.items()}
        connection.exec_driver_sql(
            _notices_and_mails(connection.dialect, tuple(notes[0]), len(notes), tuple(outbox[0]), len(outbox)), params)
        outbox = []
    else:
        # One row as a plain execute: the driver's batch path costs about twice as much for one.
        connection.execute(_INSERTS["notification"], notes[0] if len(notes) == 1 else notes)
    forget_unread_count()
    if outbox:
        connection.execute(_INSERTS["mail"], outbox[0] if len(outbox) == 1 else outbox)
    if smtp:
        for address, title, text, html in mails:
            send_mail(uow, address, title, text, internal=True, html=html)
    return len(messages)


@lru_cache(maxsize=64)
def _notices_and_mails(dialect, note_keys: tuple, notes: int, mail_keys: tuple, mails: int) -> str:
    """PostgreSQL: `mails` outbox rows and, as a CTE, `notes` notifications, in one INSERT with
    parameters `m_<key>_<i>` and `n_<key>_<i>`, compiled once per shape (SQLAlchemy compiles a
    multi-row INSERT anew each time it runs one). Its columns are plain ones the driver adapts."""
    def rows(table, prefix, keys, count):
        return [{key: bindparam(f"{prefix}_{key}_{i}", type_=table.c[key].type) for key in keys} for i in range(count)]

    notices = insert(Notification.__table__).values(rows(Notification.__table__, "n", note_keys, notes))
    return str(insert(MailMessage.__table__).values(rows(MailMessage.__table__, "m", mail_keys, mails))
               .add_cte(notices.cte("new_notices")).compile(dialect=dialect))


def _subject(title: str) -> str:
    """A mail subject is one line (a line break in a header would end it or fail the sending)."""
    return " ".join(str(title).split())[:255]


# Called as fn(uow, message, refs) for every message written to the outbox, in the sender's
# transaction: modules record mails about their records (a customer's timeline).
mail_listeners: list = []


def send_mail(uow, to: str, subject: str, body: str, internal: bool = False, html: str | None = None,
              attachments: list | None = None, **refs) -> MailMessage:
    """Write the message to the outbox; with SMTP configured, send it after commit. `html`:
    the same message as HTML (sent with the text as multipart/alternative). `attachments`:
    [(file name, bytes, content type)], kept in the file store and attached when sent.

    `refs` name the records the mail is about (e.g. customer_id=7) for the mail listeners;
    `internal` mails (to the app's own users) are not shown to them."""
    message = MailMessage(to=to, subject=_subject(subject), body=body, html=html)
    if attachments:
        import json

        from app.core.files import store

        message.attachments = json.dumps([{"key": store().put_bytes(data, content_type=kind), "name": name,
                                           "type": kind} for name, data, kind in attachments], ensure_ascii=False)
    db.session.add(message)
    if current_app.config.get("MAIL_SERVER"):
        message.status = QUEUED
        db.session.flush()
        enqueue_after_commit(uow, deliver_mail, message.id)
    for listener in ([] if internal else mail_listeners):
        listener(uow, message, refs)
    return message


def mail_attachments(message: MailMessage) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, content type) of each file attached to the message."""
    import json

    from app.core.files import store

    return [(item["name"], store().read(item["key"]), item["type"]) for item in json.loads(message.attachments or "[]")]


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
    if message.html:
        email.add_alternative(message.html, subtype="html")
    for name, data, kind in mail_attachments(message):
        main, _slash, sub = (kind or "application/octet-stream").partition("/")
        email.add_attachment(data, maintype=main, subtype=sub or "octet-stream", filename=name)
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


def _unread_query(user):
    return select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.is_read.is_(False))


# What else the top bar counts for a user in the badge's statement: fn(user) -> a SELECT of one
# count (the approval engine registers the tasks waiting for the user). The badge's statement is
# built once per process with a stand-in user whose id is a bound parameter, so fn must use
# nothing of the user but `user.id`, in SQL.
_waiting_counts = []
_badge_statements: dict = {}


def register_waiting_count(fn) -> None:
    if fn not in _waiting_counts:
        _waiting_counts.append(fn)
        _badge_statements.clear()


def _badge_statement():
    """SELECT (unread notifications, tasks waiting, newest history entry) of the user named by
    the parameter `badge_user`: built once, executed on every page."""
    found = _badge_statements.get("badge")
    if found is None:
        from types import SimpleNamespace

        from app.core.audit import AuditLog

        user = SimpleNamespace(id=bindparam("badge_user", type_=Integer))
        waiting_query = _waiting_counts[0](user) if _waiting_counts else select(literal(0))
        found = _badge_statements["badge"] = select(
            _unread_query(user).scalar_subquery(), waiting_query.scalar_subquery(),
            select(func.max(AuditLog.id)).scalar_subquery())
    return found


def unread_count(user) -> int:
    """The user's unread notifications. In a request, counted once (every template the page
    renders shows the badge), in the same statement as the approvals waiting for the user."""
    if not has_request_context():
        return db.session.scalar(_unread_query(user)) or 0
    cached = g.get("_unread_notifications")
    if cached is not None and cached[0] == user.id:
        return cached[1]
    # The newest history entry as this request sees it rides along: a list's rows carry it as
    # the version they were shown at (versions.page_mark).
    unread, waiting, mark = db.session.execute(_badge_statement(), {"badge_user": user.id}).one()
    g._unread_notifications = (user.id, unread or 0)
    g.setdefault("_zwt_audit_mark", mark or 0)
    if getattr(g, "user", None) is not None and getattr(g.user, "id", None) == user.id:
        g._approvals_waiting = waiting or 0
    return unread or 0


def forget_unread_count() -> None:
    """After a change of notifications in this request, the next badge counts again."""
    if has_request_context():
        g.pop("_unread_notifications", None)


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
    forget_unread_count()
    return count
