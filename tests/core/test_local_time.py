"""Times are stored in UTC and shown in the user's time zone (the company's, TIME_ZONE, default
Asia/Shanghai, unless the user chose one), to the minute: no seconds' fractions anywhere — mail
and SMS outboxes, users, login history, generated lists and pages, exports."""
from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from app.core.notify import MailMessage
from app.core.transaction import unit_of_work
from app.core.webhooks import local_time
from app.extensions import db
from app.modules.customers.models import Customer
from app.security.sms import SmsMessage
from tests.conftest import unique
from tests.factories import make_customer

STORED = dt.datetime(2026, 1, 5, 2, 3, 4, 123456)        # UTC, as the database keeps it
SHANGHAI = "2026-01-05 10:03"
RAW = ("2026-01-05 02:03", "02:03:04", ".123456", "10:03:04")


def _shows_local(html: str) -> None:
    assert SHANGHAI in html
    for raw in RAW:
        assert raw not in html, raw


@pytest.fixture
def zone(app):
    """zone(name): the company's time zone for this test."""
    before = app.config["BABEL_DEFAULT_TIMEZONE"]
    yield lambda name: app.config.__setitem__("BABEL_DEFAULT_TIMEZONE", name)
    app.config["BABEL_DEFAULT_TIMEZONE"] = before


def test_mail_and_sms_outboxes_show_local_times_to_the_minute(app, org, login):
    subject = unique("时间测试邮件")
    with unit_of_work(None):
        mail = MailMessage(to="a@example.com", subject=subject, body="正文", status="sent", created_at=STORED,
                           sent_at=STORED)
        sms = SmsMessage(mobile="13900000000", text=unique("时间测试短信"), status="outbox", created_at=STORED)
        db.session.add_all([mail, sms])
    admin = login(org.admin)
    listed = admin.get(f"/mail_outbox/list/?_flt_0_subject={subject}").get_data(as_text=True)
    _shows_local(listed)
    assert "已发送" in listed                                   # the status by its label, not "sent"
    _shows_local(admin.get(f"/mail_outbox/show/{mail.id}").get_data(as_text=True))
    _shows_local(admin.get(f"/sms_outbox/show/{sms.id}").get_data(as_text=True))


def test_login_history_shows_local_times_to_the_second_without_fractions(app, org, login):
    from app.security.models import LoginAttempt

    with unit_of_work(None):
        attempt = LoginAttempt(at=STORED, user_id=org.east_rep.id, username=org.east_rep.username, ip="10.0.0.1",
                               success=False, reason="password", factor="password")
        db.session.add(attempt)
    html = login(org.admin).get(f"/login_history/show/{attempt.id}").get_data(as_text=True)
    assert "2026-01-05 10:03:04" in html
    assert ".123456" not in html and "02:03:04" not in html


def test_generated_lists_pages_and_exports_show_local_times(app, org, login):
    customer = make_customer(org.east_rep, name=unique("时区客户"))
    with unit_of_work(None):
        db.session.execute(update(Customer).where(Customer.id == customer.id).values(created_at=STORED))
    client = login(org.admin)
    _shows_local(client.get(f"/customers/show/{customer.id}").get_data(as_text=True))
    exported = client.get(f"/customers/export/csv?_flt_2_name={customer.name}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    header, row = rows[0], rows[1]
    assert row[header.index("创建时间")] == SHANGHAI


def test_the_company_time_zone_decides_and_a_users_own_zone_wins(app, org, login, zone):
    subject = unique("柏林时间")
    with unit_of_work(None):
        mail = MailMessage(to="b@example.com", subject=subject, body="正文", created_at=STORED)
        db.session.add(mail)
    zone("Europe/Berlin")
    html = login(org.admin).get(f"/mail_outbox/show/{mail.id}").get_data(as_text=True)
    assert "2026-01-05 03:03" in html and SHANGHAI not in html
    zone("Asia/Shanghai")
    from flask import g

    with app.test_request_context("/"):
        g.user = SimpleNamespace(time_zone="America/New_York")
        assert local_time(STORED) == "2026-01-04 21:03"
        g.user = SimpleNamespace(time_zone="Not/AZone")        # an unknown zone: the company's
        assert local_time(STORED) == SHANGHAI
        g.user = SimpleNamespace()
        assert local_time(STORED) == SHANGHAI
        assert local_time(STORED.replace(tzinfo=dt.timezone.utc)) == SHANGHAI
