"""The events' screens keep to roles and scope; the public registration page and ticket work without a login and
reach nothing internal; a wrong human-check answer registers nobody."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.modules.events import service
from app.modules.events.models import Event, EventRegistration
from tests.conftest import unique
from tests.factories import make_department, make_user
from tests.modules.events.helpers import event, phone


@pytest.fixture(autouse=True)
def fixed_challenge(monkeypatch):
    monkeypatch.setattr("app.security.challenge.make_problem", lambda *a: ("12+5", 17))


@pytest.fixture
def marketer(org):
    return make_user("Marketing", make_department(unique("市场部"), org.company))


def _count(event_id):
    return db.session.scalar(select(func.count()).select_from(EventRegistration)
                             .where(EventRegistration.event_id == event_id))


def test_the_public_page_registers_with_the_human_check(app, marketer):
    made = event(marketer, capacity=10, asked="公司、邮箱", consent_text="同意接收活动通知")
    assert made.asked == "company,email"
    client = app.test_client()
    page = client.get(f"/e/{made.public_key}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and made.title in text and "同意接收活动通知" in text and 'name="company"' in text
    assert "剩余名额" in text and 'name="title"' not in text
    person = {"name": "钱七", "phone": phone(), "company": "杭州远景", "email": "qian@example.com", "consent": "1"}
    wrong = client.post(f"/e/{made.public_key}", data={**person, "answer": "16"})
    assert wrong.status_code == 400 and "答案" in wrong.get_data(as_text=True) and _count(made.id) == 0
    missing = client.post(f"/e/{made.public_key}", data={**person, "consent": "", "answer": "17"})
    assert missing.status_code == 400 and "请勾选同意条款" in missing.get_data(as_text=True) and _count(made.id) == 0
    from sqlalchemy import event as sa_event

    statements = []
    seen = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    sa_event.listen(db.engine, "before_cursor_execute", seen)
    try:
        done = client.post(f"/e/{made.public_key}", data={**person, "answer": "17"})
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", seen)
    assert done.status_code == 302 and "/t/" in done.location
    # the event read once (by its key), nothing read back after the commit to answer
    assert len([s for s in statements if s.lstrip().startswith("SELECT") and "FROM event " in s + " "]) == 1, statements
    ticket = client.get(done.location)
    body = ticket.get_data(as_text=True)
    registration = db.session.scalar(select(EventRegistration).where(EventRegistration.event_id == made.id))
    assert ticket.status_code == 200 and "<svg" in body and registration.code in body and "报名成功" in body
    assert ticket.headers["Cache-Control"] == "no-store"
    # the confirmation went out by SMS and by e-mail with the QR code attached
    from app.core.notify import MailMessage, mail_attachments
    mail = db.session.scalar(select(MailMessage).where(MailMessage.to == "qian@example.com"))
    assert registration.code in mail.body and mail_attachments(mail)[0][1][:4] == b"\x89PNG"
    # the registrant cancels on their ticket
    cancel = client.post(f"/e/{made.public_key}/t/{registration.code}/cancel")
    assert cancel.status_code == 303
    db.session.expire_all()
    assert db.session.get(EventRegistration, registration.id).status == "cancelled"
    assert db.session.get(Event, made.id).registered == 0


def test_the_public_pages_reach_nothing_else(app, marketer):
    made = event(marketer)
    client = app.test_client()
    assert client.get("/e/no-such-page").status_code == 404
    assert client.get(f"/e/{made.public_key}/t/ZZZZZZZZ").status_code == 404
    assert client.post(f"/e/{made.public_key}/t/ZZZZZZZZ/cancel").status_code == 404
    for internal in (f"/events/show/{made.id}", "/events/list/", f"/event_checkin/{made.id}",
                     f"/event_register/{made.id}", f"/api/v1/events/{made.id}"):
        assert client.get(internal).status_code in (302, 401, 403), internal
    closed = event(marketer, opened=False)
    page = client.get(f"/e/{closed.public_key}")
    assert page.status_code == 200 and 'id="zwt-registration-closed"' in page.get_data(as_text=True)
    refused = client.post(f"/e/{closed.public_key}", data={"name": "孙八", "phone": phone(), "answer": "17"})
    assert refused.status_code == 400 and "未开放报名" in refused.get_data(as_text=True) and _count(closed.id) == 0


def test_roles_on_the_screens(org, login, marketer):
    made = event(marketer, capacity=3)
    guest = service.register(None, made.id, {"name": "周九", "phone": phone()})
    mine = login(marketer)
    assert mine.get("/events/list/").status_code == 200
    shown = mine.get(f"/events/show/{made.id}").get_data(as_text=True)
    assert f"/e/{made.public_key}</a>" in shown and 'id="zwt-event-page"' in shown
    desk = mine.get(f"/event_checkin/{made.id}")
    assert desk.status_code == 200 and 'id="zwt-checkin-form"' in desk.get_data(as_text=True)
    first = mine.post(f"/event_checkin/{made.id}/scan", data={"code": guest.code})
    assert first.status_code == 200 and first.get_json()["counts"]["checked_in"] == 1
    again = mine.post(f"/event_checkin/{made.id}/scan", data={"code": guest.code})
    assert again.status_code == 409 and "不能重复签到" in again.get_json()["message"]
    assert mine.post(f"/event_checkin/{made.id}/scan", data={"code": ""}).status_code == 400
    walk = mine.post(f"/event_checkin/{made.id}/walk_in", data={"name": "吴十", "phone": phone()})
    assert walk.status_code == 200 and walk.get_json()["counts"]["checked_in"] == 2
    bulk = mine.post(f"/event_register/{made.id}", data={"people": f"郑一, {phone()}, 远景\n坏, 123"})
    text = bulk.get_data(as_text=True)
    assert bulk.status_code == 200 and "已报名1人" in text and "第2行" in text
    # Sales read events but do not run the desk or register people; a warehouse keeper sees nothing
    sales = login(org.east_rep)
    assert sales.get("/events/list/").status_code == 200
    assert sales.post(f"/event_checkin/{made.id}/scan", data={"code": guest.code}).status_code in (302, 403)
    assert sales.get(f"/event_register/{made.id}").status_code in (302, 403)
    keeper = login(make_user("Warehouse"))
    assert keeper.get("/events/list/").status_code in (302, 403)
    # another department's marketer does not see this event (department scope)
    other = login(make_user("Marketing", make_department(unique("市场二部"), org.company)))
    assert other.get(f"/event_checkin/{made.id}").status_code == 404
    assert other.get(f"/events/show/{made.id}").status_code in (302, 403, 404)


def test_the_event_form_refuses_bad_input_with_messages(login, marketer):
    client = login(marketer)
    form = {"title": "年度客户答谢会", "kind": "meeting", "starts_at": "2027-01-10 09:00:00",
            "ends_at": "2027-01-09 09:00:00", "capacity": "0", "budget": "-5", "asked": "公司, 血型",
            "owner": str(marketer.id)}
    page = client.post("/events/add", data=form)
    text = page.get_data(as_text=True)
    for message in ("结束时间早于开始时间", "名额须大于0", "最多两位小数", "请从列表中选择填写项"):
        assert message in text, message
    empty = client.post("/events/add", data={**form, "title": ""})
    assert "必填" in empty.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.owner_id == marketer.id)) == 0
    done = client.post("/events/add", data={**form, "ends_at": "2027-01-10 12:00:00", "capacity": "50",
                                            "budget": "8000.00", "asked": "公司"})
    assert done.status_code == 302
    made = db.session.scalar(select(Event).where(Event.owner_id == marketer.id))
    assert (made.title, made.capacity, str(made.budget), made.status, made.asked) == (
        "年度客户答谢会", 50, "8000.00", "preparing", "company")
    assert made.code.startswith("HD-")
