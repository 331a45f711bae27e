"""活动 on a phone (390×844): a visitor registers on the public page (name, mobile, the drawn sum), lands on the
ticket with its QR code; staff check them in at the desk by typing the code; a second check-in is refused with
the time of the first; walk-ins are registered on the spot. No page scrolls sideways."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_approval_phone_browser import phone  # noqa: F401  (a fixture)
from tests.factories import PASSWORD
from tests.security.test_registration import challenge_answer

FITS = """() => document.documentElement.scrollWidth <= window.innerWidth + 1"""


@pytest.fixture
def meeting(app):
    from app.extensions import db
    from tests.conftest import unique
    from tests.factories import make_department, make_user
    from tests.modules.events.helpers import event

    with app.app_context():
        marketer = make_user("Marketing", make_department(unique("手机市场部")))
        made = event(marketer, capacity=50, asked="company", title=unique("新品发布会"))
        data = SimpleNamespace(marketer=marketer.username, id=made.id, key=made.public_key, title=made.title)
        db.session.remove()
    return data


def test_register_on_a_phone_then_check_in_at_the_desk(app, phone, meeting, shot):  # noqa: F811
    visitor = phone(390, 844)
    visitor.goto(f"/e/{meeting.key}")
    expect(visitor.locator(".panel-title")).to_contain_text(meeting.title)
    assert visitor.evaluate(FITS), "the registration page scrolls sideways"
    visitor.fill("#reg-name", "冯晓明")
    visitor.fill("#reg-phone", "13955501" + str(meeting.id % 1000).zfill(3))
    visitor.fill("#reg-company", "苏州恒通机电")
    cookie = next(c["value"] for c in visitor.context.cookies() if c["name"] == app.config["SESSION_COOKIE_NAME"])
    with app.app_context():
        visitor.fill("#reg-answer", challenge_answer(app, cookie))
    shot("event-register-phone")
    visitor.locator("#zwt-event-register-submit").tap()
    expect(visitor).to_have_url(re.compile(rf"/e/{meeting.key}/t/[A-Z0-9]+$"))
    expect(visitor.locator("#zwt-ticket-status")).to_contain_text("报名成功")
    expect(visitor.locator("#zwt-ticket-qr svg")).to_be_visible()
    assert visitor.evaluate(FITS), "the ticket scrolls sideways"
    code = visitor.locator("#zwt-ticket-code").inner_text().strip()
    shot("event-ticket-phone")

    desk = phone(390, 844)
    log_in(desk, meeting.marketer, PASSWORD)
    desk.goto(f"/event_checkin/{meeting.id}")
    assert desk.evaluate(FITS), "the check-in desk scrolls sideways"
    desk.fill("#zwt-checkin-code", code.lower())
    desk.locator("#zwt-checkin-save").tap()
    expect(desk.locator("#zwt-checkin-result")).to_contain_text("冯晓明签到成功")
    expect(desk.locator('[data-count="checked_in"]')).to_have_text("1")
    desk.fill("#zwt-checkin-code", code)
    desk.locator("#zwt-checkin-save").tap()
    expect(desk.locator("#zwt-checkin-result")).to_contain_text("不能重复签到")
    desk.locator("#zwt-walk-in summary").tap()
    desk.fill("#zwt-walk-in-name", "褚卫东")
    desk.fill("#zwt-walk-in-phone", "13766602" + str(meeting.id % 1000).zfill(3))
    desk.locator("#zwt-walk-in-save").tap()
    expect(desk.locator("#zwt-checkin-result")).to_contain_text("褚卫东已现场报名并签到")
    expect(desk.locator('[data-count="checked_in"]')).to_have_text("2")
    expect(desk.locator('[data-count="registered"]')).to_have_text("2")
    shot("event-checkin-phone")
    visitor.reload()
    expect(visitor.locator("#zwt-main, body").first).to_contain_text("签到时间")
