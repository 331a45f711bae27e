"""Scheduled reports (定时报表): a user subscribes to a report with its filters and a schedule — every day at 8:00,
Monday at 9:00, the 1st of the month at 9:00, or a cron expression, in the company's time zone — and receives it by
mail as Excel or PDF, drawn in their own data scope.

Exactly once per period: the RQ cron job (every five minutes) finds, for each subscription, the latest scheduled
moment not before it was made, and writes that period's delivery row together with the mail in one transaction.
The row's unique (subscription, period) makes a second run — a retry, another worker, a restarted one — find the
period sent and send nothing. A period missed while no worker ran is sent once when one runs again; only the
latest missed one, not every one of them."""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from croniter import croniter
from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core import reports
from app.core.clock import utcnow
from app.core.errors import DomainError, ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.reports.models import FORMAT_CHOICES, SCHEDULE_CHOICES, ReportDelivery, ReportSubscription

CRONS = {"daily": "0 8 * * *", "weekly": "0 9 * * 1", "monthly": "0 9 1 * *"}
MAX_SUBSCRIPTIONS = 20
MIN_GAP = dt.timedelta(minutes=59)      # a cron expression sends at most once an hour


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def expression(subscription: ReportSubscription) -> str:
    return CRONS.get(subscription.schedule) or subscription.cron or ""


def check_cron(text: str) -> str:
    text = " ".join((text or "").split())[:100]
    if len(text.split()) != 5 or not croniter.is_valid(text):
        raise ValidationErrors({"cron": [_("Write the schedule as five cron fields, e.g. 0 9 * * 1-5 (9:00 on "
                                           "working days).")]})
    moments = croniter(text, dt.datetime(2026, 1, 1))
    first, second = moments.get_next(dt.datetime), moments.get_next(dt.datetime)
    if second - first < MIN_GAP:
        raise ValidationErrors({"cron": [_("A scheduled report is sent at most once an hour.")]})
    return text


def subscribe(actor, report: reports.ReportSpec, schedule: str, fmt: str, query: str = "",
              cron: str = "") -> ReportSubscription:
    if schedule not in {k for k, _l in SCHEDULE_CHOICES}:
        raise ValidationErrors({"schedule": [_("Choose a schedule from the list.")]})
    if fmt not in {k for k, _l in FORMAT_CHOICES}:
        raise ValidationErrors({"fmt": [_("Choose Excel or PDF.")]})
    cron = check_cron(cron) if schedule == "cron" else None
    if not actor.email:
        raise DomainError("reports.no_email", _("Your account has no e-mail address to send the report to."))
    with unit_of_work(actor):
        count = db.session.scalar(select(db.func.count()).select_from(ReportSubscription).where(
            ReportSubscription.user_id == actor.id, ReportSubscription.active.is_(True)))
        if count >= MAX_SUBSCRIPTIONS:
            raise DomainError("reports.too_many_subscriptions",
                              _("You subscribe to %(count)d reports already: cancel one first.", count=count))
        subscription = ReportSubscription(user_id=actor.id, report=report.name, query=(query or "")[:255],
                                          schedule=schedule, cron=cron, fmt=fmt)
        db.session.add(subscription)
    return subscription


def cancel(actor, subscription_id: int) -> None:
    with unit_of_work(actor):
        found = db.session.scalar(select(ReportSubscription).where(ReportSubscription.id == subscription_id,
                                                                   ReportSubscription.user_id == actor.id))
        if found is None:
            raise DomainError("reports.no_subscription", _("No such subscription of yours."))
        found.active = False


def mine(user) -> list[ReportSubscription]:
    return list(db.session.scalars(select(ReportSubscription).where(
        ReportSubscription.user_id == user.id, ReportSubscription.active.is_(True)).order_by(ReportSubscription.id)))


def due_period(subscription: ReportSubscription, now: dt.datetime) -> str | None:
    """The latest scheduled moment at or before `now` (UTC) and not before the subscription was made, as local
    ISO time; None when there is none yet."""
    zone = _zone()
    local_now = now.replace(tzinfo=dt.timezone.utc).astimezone(zone).replace(tzinfo=None)
    made = subscription.created_at.replace(tzinfo=dt.timezone.utc).astimezone(zone).replace(tzinfo=None)
    text = expression(subscription)
    if not text or not croniter.is_valid(text):
        return None
    moment = croniter(text, local_now + dt.timedelta(seconds=1)).get_prev(dt.datetime)
    if moment < made:
        return None
    return moment.isoformat(timespec="minutes")


def _params(report: reports.ReportSpec, query: str) -> reports.Params:
    return reports.parse_params(dict(parse_qsl(query or "")), report)


def deliver_due(now: dt.datetime | None = None) -> dict:
    """Send every subscription's due period not sent yet; returns what happened (sent, skipped)."""
    from app.core.notify import mail_html, send_mail
    from app.core.org import User
    from app.modules.reports import files
    from app.modules.reports.catalogue import find

    now = now or utcnow()
    sent = skipped = 0
    ids = list(db.session.scalars(select(ReportSubscription.id).where(ReportSubscription.active.is_(True))
                                  .order_by(ReportSubscription.id)))
    for subscription_id in ids:
        subscription = db.session.get(ReportSubscription, subscription_id)
        period = due_period(subscription, now) if subscription is not None else None
        if period is None or db.session.scalar(select(ReportDelivery.id).where(
                ReportDelivery.subscription_id == subscription_id, ReportDelivery.period == period)):
            continue
        user = db.session.get(User, subscription.user_id)
        report = find(subscription.report)
        if user is None or not user.active or not user.email or report is None or not _may_read(user, report):
            skipped += 1
            continue
        try:
            with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
                params = _params(report, subscription.query)
                result = reports.run(report, user, params)
                day = dt.date.fromisoformat(period[:10])
                if subscription.fmt == "pdf":
                    attachment = (files.filename(report, day, "pdf"), files.pdf_bytes(report, result, params,
                                                                                    user.display_name), files.PDF)
                else:
                    attachment = (files.filename(report, day, "xlsx"), files.xlsx_bytes(report, result), files.XLSX)
                subject = _("Scheduled report: %(title)s", title=str(report.title))
                body = _("The report %(title)s as of %(when)s is attached, in your data scope. Change or cancel the "
                         "subscription in the reports centre.", title=str(report.title), when=period.replace("T", " "))
                with unit_of_work(None) as uow:
                    db.session.add(ReportDelivery(subscription_id=subscription_id, period=period))
                    db.session.flush()
                    send_mail(uow, user.email, subject, body, internal=True, html=mail_html(subject, body),
                              attachments=[attachment])
            sent += 1
        except IntegrityError:
            db.session.rollback()           # another run sent this period meanwhile
        except (reports.ReportError, ValidationErrors, DomainError):
            db.session.rollback()
            skipped += 1
    return {"sent": sent, "skipped": skipped}


def _may_read(user, report: reports.ReportSpec) -> bool:
    """Whether `user` (outside a request) holds read access to the report's module."""
    permission = reports.permission_of(report)
    if not permission:
        return False
    from app.core.scope import is_admin

    if is_admin(user):
        return True
    return any(p.permission.name == "can_read" and p.view_menu.name == permission
               for role in user.roles for p in role.permissions)
