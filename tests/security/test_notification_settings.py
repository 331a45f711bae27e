"""Each user chooses on their profile whether their notices also come by e-mail; in-app notices
always arrive."""
from __future__ import annotations

from sqlalchemy import func, select

from app.core.notify import MailMessage, Notification, notify
from app.core.transaction import unit_of_work
from app.extensions import db
from app.core.org import User
from tests.factories import make_user
from tests.security.signin import client, post_login, refresh


def _counts(user) -> tuple[int, int]:
    refresh()
    notes = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user.id))
    mails = db.session.scalar(select(func.count()).select_from(MailMessage).where(MailMessage.to == user.email))
    return notes, mails


def _notify(*users):
    with unit_of_work(None) as uow:
        notify(uow, [db.session.get(User, u.id) for u in users], "测试通知", "正文", "/notifications/")


def test_a_sales_user_switches_notice_mails_off_and_on_from_the_profile(app, org):
    user, other = make_user("Sales", org.east), make_user("Sales", org.east)
    c = client(app)
    post_login(c, user.username)
    profile = c.get("/users/userinfo/").get_data(as_text=True)
    assert f"/users/action/notification_settings/{user.id}" in profile
    resp = c.post(f"/users/action/notification_settings/{user.id}")
    assert resp.status_code == 302
    page = c.get(resp.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="by_mail"' in html and "checked" in html and user.email in html, "on by default"

    _notify(user, other)
    assert _counts(user) == (1, 1) and _counts(other) == (1, 1)

    assert c.post("/notification_settings/", data={}).status_code == 302    # unticked
    assert "checked" not in c.get("/notification_settings/").get_data(as_text=True).split('name="by_mail"')[1][:80]
    _notify(user, other)
    assert _counts(user) == (2, 1), "the notice arrives in the app, without a mail"
    assert _counts(other) == (2, 2), "others' settings are their own"

    c.post("/notification_settings/", data={"by_mail": "1"})
    _notify(user)
    assert _counts(user) == (3, 2)


def test_notification_settings_need_a_signed_in_user(app):
    resp = client(app).get("/notification_settings/")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
