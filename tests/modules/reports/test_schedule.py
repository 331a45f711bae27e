"""Scheduled reports: subscribed on the report's page with its filters; the job, run twice by a real RQ worker for
the same period, mails the report once (as Excel in the subscriber's own scope), and again the next period; a PDF
subscription gets a PDF; bad schedules are refused in Chinese with nothing saved; a reader who may not read the
report cannot subscribe to it and one who lost access gets nothing."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.core import jobs
from app.core.notify import MailMessage, mail_attachments
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.reports import schedule
from app.modules.reports.jobs import deliver_scheduled_reports
from app.modules.reports.models import ReportDelivery, ReportSubscription
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.factories import make_user
from tests.modules.orders.test_analysis import _confirmed


def _mails(user):
    return db.session.scalars(select(MailMessage).where(MailMessage.to == user.email).order_by(MailMessage.id)).all()


def _subscription(user) -> ReportSubscription:
    return db.session.scalar(select(ReportSubscription).where(ReportSubscription.user_id == user.id)
                             .order_by(ReportSubscription.id.desc()))


def _made_at(subscription_id, when: dt.datetime):
    with unit_of_work(None):
        db.session.get(ReportSubscription, subscription_id).created_at = when


def test_the_period_due_is_the_latest_scheduled_moment_after_subscribing(ctx):
    made = dt.datetime(2026, 11, 29, 16, 0)                      # Monday 30 November 00:00 in Shanghai
    weekly = ReportSubscription(schedule="weekly", created_at=made)
    assert schedule.due_period(weekly, dt.datetime(2026, 11, 30, 0, 59)) is None          # 08:59 Shanghai
    assert schedule.due_period(weekly, dt.datetime(2026, 11, 30, 1, 0)) == "2026-11-30T09:00"
    assert schedule.due_period(weekly, dt.datetime(2026, 12, 6, 23, 0)) == "2026-11-30T09:00"
    assert schedule.due_period(weekly, dt.datetime(2026, 12, 7, 1, 5)) == "2026-12-07T09:00"
    monthly = ReportSubscription(schedule="monthly", created_at=made)
    assert schedule.due_period(monthly, dt.datetime(2026, 12, 1, 1, 0)) == "2026-12-01T09:00"
    daily = ReportSubscription(schedule="daily", created_at=dt.datetime(2026, 12, 1, 1, 0))   # 09:00 Shanghai
    assert schedule.due_period(daily, dt.datetime(2026, 12, 1, 5, 0)) is None              # today's 8:00 was before
    cron = ReportSubscription(schedule="cron", cron="30 17 * * 1-5", created_at=made)
    assert schedule.due_period(cron, dt.datetime(2026, 12, 4, 9, 45)) == "2026-12-04T17:30"  # a Friday
    assert schedule.due_period(cron, dt.datetime(2026, 12, 6, 9, 45)) == "2026-12-04T17:30"  # the weekend


def test_a_scheduled_report_is_mailed_once_per_period_by_a_real_worker(org, login, app, job_env):
    _confirmed(org, org.east_rep, "300.00")
    _confirmed(org, org.south_rep, "500.00")
    client = login(org.east_rep)
    done = client.post("/reports/subscribe/orders.sales_customer", data={"schedule": "weekly", "fmt": "xlsx"})
    assert done.status_code == 302
    subscription = _subscription(org.east_rep)
    assert subscription.schedule == "weekly" and subscription.report == "orders.sales_customer"
    assert "orders.sales_customer" in client.get("/reports/").get_data(as_text=True).split("zwt-report-subscriptions")[1]
    _made_at(subscription.id, dt.datetime(2026, 11, 20))
    monday = "2026-11-30T02:00:00"                                # 10:00 on Monday in Shanghai
    queue = jobs.queue(app.config)
    queue.enqueue(deliver_scheduled_reports, monday)
    queue.enqueue(deliver_scheduled_reports, monday)              # the same period again: nothing more
    queue.enqueue(deliver_scheduled_reports, "2026-12-03T02:00:00")   # later that week: still that period
    run_worker_burst(job_env)
    db.session.expire_all()
    mails = _mails(org.east_rep)
    assert len(mails) == 1 and "定时报表" in mails[0].subject and "客户销售额排行" in mails[0].subject
    (name, data, kind), = mail_attachments(mails[0])
    assert name.endswith(".xlsx") and kind.endswith("spreadsheetml.sheet")
    cells = [c for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True) for c in row]
    assert 300 in [float(c) for c in cells if isinstance(c, (int, float))] and 500 not in [
        float(c) for c in cells if isinstance(c, (int, float))]
    assert db.session.scalar(select(func.count()).select_from(ReportDelivery).where(
        ReportDelivery.subscription_id == subscription.id)) == 1

    queue.enqueue(deliver_scheduled_reports, "2026-12-07T02:00:00")   # the next Monday
    run_worker_burst(job_env)
    db.session.expire_all()
    assert len(_mails(org.east_rep)) == 2

    # cancelled: nothing more
    assert client.post(f"/reports/unsubscribe/{subscription.id}").status_code == 302
    schedule.deliver_due(dt.datetime(2026, 12, 14, 2, 0))
    db.session.expire_all()
    assert len(_mails(org.east_rep)) == 2


def test_a_pdf_subscription_and_refusals(org, login):
    client = login(org.manager)
    client.post("/reports/subscribe/orders.sales_month", data={"schedule": "daily", "fmt": "pdf", "start": "2026-01-01"})
    subscription = _subscription(org.manager)
    assert subscription.query == "start=2026-01-01"
    _made_at(subscription.id, dt.datetime(2026, 11, 20))
    assert schedule.deliver_due(dt.datetime(2026, 12, 1, 3, 0)) ["sent"] >= 1
    db.session.expire_all()
    (name, data, kind), = mail_attachments(_mails(org.manager)[-1])
    assert name.endswith(".pdf") and kind == "application/pdf" and data.startswith(b"%PDF")

    before = db.session.scalar(select(func.count()).select_from(ReportSubscription))
    for form, word in (({"schedule": "cron", "cron": "* * * * *", "fmt": "xlsx"}, "每小时最多"),
                       ({"schedule": "cron", "cron": "每天早上", "fmt": "xlsx"}, "五段"),
                       ({"schedule": "hourly", "fmt": "xlsx"}, "发送时间"),
                       ({"schedule": "daily", "fmt": "doc"}, "Excel"),
                       ({"schedule": "daily", "fmt": "xlsx", "start": "昨天"}, None)):
        refused = client.post("/reports/subscribe/orders.sales_month", data=form)
        shown = client.get(refused.headers["Location"]).get_data(as_text=True)
        if word:
            assert refused.status_code == 303 and word in shown, form
    db.session.expire_all()
    # the bad date is refused when the report runs, not silently kept
    added = db.session.scalar(select(func.count()).select_from(ReportSubscription)) - before
    assert added <= 1
    assert login(make_user("Marketing", org.company)).post(
        "/reports/subscribe/orders.sales_month", data={"schedule": "daily", "fmt": "xlsx"}).status_code == 404
    assert client.post("/reports/unsubscribe/99999999999").status_code in (303, 404)

    # a subscriber who may no longer read orders gets nothing
    rep = make_user("Sales", org.east)
    login(rep).post("/reports/subscribe/orders.sales_month", data={"schedule": "daily", "fmt": "xlsx"})
    mine = _subscription(rep)
    _made_at(mine.id, dt.datetime(2026, 11, 20))
    from flask import current_app

    from app.core.org import User

    with unit_of_work(None):
        db.session.get(User, rep.id).roles = [current_app.appbuilder.sm.find_role("Marketing")]
    schedule.deliver_due(dt.datetime(2026, 12, 2, 3, 0))
    db.session.expire_all()
    assert _mails(rep) == []
