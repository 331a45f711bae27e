"""Interactions and the customer's timeline: logged by users, e-mails recorded automatically,
field and grade changes on the same timeline, newest first, filterable by kind."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.errors import DomainError, ValidationErrors
from app.core.notify import send_mail
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers import grading, interactions, service
from app.modules.customers.models import Contact, Customer, Interaction
from tests.conftest import unique
from tests.factories import make_customer


def _log(user, customer, **fields):
    fields.setdefault("kind", "call")
    fields.setdefault("subject", unique("电话"))
    return interactions.log_interaction(user, Interaction(customer_id=customer.id, **fields))


def _fresh(customer):
    db.session.expire_all()
    return db.session.get(Customer, customer.id)


def test_logging_an_interaction_sets_last_interaction_and_next_follow_up(org):
    customer = make_customer(org.east_rep)
    at = utcnow() - dt.timedelta(hours=2)
    item = _log(org.east_rep, customer, occurred_at=at, duration_minutes=15, outcome="interested",
                next_follow_up_on=dt.date.today() + dt.timedelta(days=7))
    assert item.user_id == org.east_rep.id
    fresh = _fresh(customer)
    assert fresh.last_interaction_at == at
    assert fresh.next_follow_up_on == dt.date.today() + dt.timedelta(days=7)


def test_a_newer_interaction_without_a_date_completes_a_due_follow_up_but_keeps_a_later_one(org):
    due = make_customer(org.east_rep)
    _log(org.east_rep, due, occurred_at=utcnow() - dt.timedelta(days=3), next_follow_up_on=dt.date.today() - dt.timedelta(days=1))
    _log(org.east_rep, due)
    assert _fresh(due).next_follow_up_on is None
    planned = make_customer(org.east_rep)
    later = dt.date.today() + dt.timedelta(days=10)
    _log(org.east_rep, planned, next_follow_up_on=later)
    _log(org.east_rep, planned, kind="note", content="顺便记一笔")
    assert _fresh(planned).next_follow_up_on == later


def test_an_older_interaction_logged_late_does_not_move_the_follow_up(org):
    customer = make_customer(org.east_rep)
    planned = dt.date.today() + dt.timedelta(days=5)
    _log(org.east_rep, customer, next_follow_up_on=planned)
    _log(org.east_rep, customer, occurred_at=utcnow() - dt.timedelta(days=20), next_follow_up_on=dt.date.today())
    assert _fresh(customer).next_follow_up_on == planned


def test_each_bad_field_is_reported_and_nothing_is_written(org):
    customer = make_customer(org.east_rep)
    other = make_customer(org.east_rep)
    stranger = service.create_contact(org.east_rep, Contact(customer_id=other.id, name="王伟"))
    with pytest.raises(ValidationErrors) as err:
        interactions.log_interaction(org.east_rep, Interaction(
            customer_id=customer.id, kind="telepathy", subject="", content="  ", outcome="great",
            occurred_at=utcnow() + dt.timedelta(days=2), duration_minutes=-5, contact_id=stranger.id,
            next_follow_up_on=dt.date.today()))
    assert set(err.value.errors) == {"kind", "content", "outcome", "occurred_at", "duration_minutes", "contact",
                                     "next_follow_up_on"}
    assert db.session.scalar(select(db.func.count()).select_from(Interaction).where(Interaction.customer_id == customer.id)) == 0
    assert _fresh(customer).last_interaction_at is None


def test_sales_user_cannot_log_on_another_reps_customer(org):
    customer = make_customer(org.east_rep2)
    with pytest.raises(DomainError) as err:
        _log(org.east_rep, customer)
    assert err.value.code == "interactions.no_customer"


def test_timeline_merges_interactions_field_changes_and_grades_newest_first(org, login):
    customer = make_customer(org.east_rep)
    _log(org.east_rep, customer, subject="第一次电话")
    customer = _fresh(customer)
    customer.region = "浙江省"
    service.update_customer(org.east_rep, customer)
    grading.record_amounts(None, customer.id, paid_12m="60000")
    grading.regrade(None, [customer.id])
    _log(org.east_rep, customer, kind="visit", subject="上门拜访")
    html = login(org.east_rep).get(f"/customer_timeline/{customer.id}/").get_data(as_text=True)
    titles = re.findall(r'zwt-timeline-title">(?:<a [^>]*>)?([^<]+)', html)
    assert titles[0] == "上门拜访" and titles[-1] in ("创建客户", "Customer created")
    assert titles.index("上门拜访") < titles.index("第一次电话")
    assert "浙江省" in html and "60,000.00" in html


def test_timeline_is_filtered_by_kind_and_pages_by_fifty(org, login):
    customer = make_customer(org.east_rep)
    base = utcnow() - dt.timedelta(days=10)
    with unit_of_work(org.east_rep):
        for n in range(55):
            _log(org.east_rep, customer, subject=f"通话{n:02d}", occurred_at=base + dt.timedelta(minutes=n))
        _log(org.east_rep, customer, kind="meeting", subject="季度会议", occurred_at=base - dt.timedelta(days=1))
    client = login(org.east_rep)
    first = client.get(f"/customer_timeline/{customer.id}/?kind=call").get_data(as_text=True)
    assert first.count('class="zwt-timeline-entry') == 50
    assert "通话54" in first and "通话04" not in first and "季度会议" not in first
    more = re.search(r'href="([^"]*offset=50[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(more).get_data(as_text=True)
    assert second.count('class="zwt-timeline-entry') == 5 and "通话00" in second
    meetings = client.get(f"/customer_timeline/{customer.id}/?kind=meeting").get_data(as_text=True)
    assert meetings.count('class="zwt-timeline-entry') == 1 and "季度会议" in meetings


def test_mail_to_a_contacts_address_is_recorded_on_the_timeline(org):
    customer = make_customer(org.east_rep)
    address = f"{unique('buyer')}@example.cn"
    contact = service.create_contact(org.east_rep, Contact(customer_id=customer.id, name="李娜", email=address))
    with unit_of_work(org.east_rep) as uow:
        send_mail(uow, address, "报价单", "请查收附件中的报价单。")
    items = db.session.scalars(select(Interaction).where(Interaction.customer_id == customer.id)).all()
    assert [(i.kind, i.subject, i.contact_id, i.user_id) for i in items] == [("email", "报价单", contact.id, org.east_rep.id)]
    assert items[0].mail_id is not None
    assert _fresh(customer).last_interaction_at is not None


def test_mail_carrying_a_customer_reference_is_recorded_and_staff_mail_is_not(org):
    customer = make_customer(org.east_rep)
    with unit_of_work(None) as uow:
        send_mail(uow, "finance@partner.example", "对账单", "本月对账单", customer_id=customer.id)
        send_mail(uow, org.manager.email, "内部通知", "与客户无关")
    items = db.session.scalars(select(Interaction).where(Interaction.customer_id == customer.id)).all()
    assert [(i.kind, i.subject, i.user_id) for i in items] == [("email", "对账单", None)]
    assert db.session.scalar(select(Interaction).where(Interaction.subject == "内部通知")) is None


def test_the_log_form_on_the_customer_page_keeps_what_was_typed_on_error(org, login):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    resp = client.post(f"/customer_timeline/{customer.id}/log", data={
        "kind": "visit", "subject": "拜访张总", "content": "谈了年度框架协议", "duration_minutes": "5000",
        "next_follow_up_on": "2020-01-01", "occurred_at": ""})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "拜访张总" in html and "谈了年度框架协议" in html and "5000" in html
    errors = re.findall(r'zwt-field-error">([^<]+)', html)
    assert len(errors) == 2
    assert db.session.scalar(select(Interaction).where(Interaction.customer_id == customer.id)) is None
    resp = client.post(f"/customer_timeline/{customer.id}/log", data={
        "kind": "visit", "subject": "拜访张总", "content": "谈了年度框架协议", "duration_minutes": "50",
        "occurred_at": "2026-01-05T10:30", "next": f"/customers/show/{customer.id}"})
    assert resp.status_code == 302
    item = db.session.scalar(select(Interaction).where(Interaction.customer_id == customer.id))
    assert item.occurred_at == dt.datetime(2026, 1, 5, 2, 30)  # 10:30 in Shanghai, stored as UTC


def test_read_only_users_see_the_timeline_but_cannot_log(org, login):
    customer = make_customer(org.east_rep)
    _log(org.east_rep, customer, subject="可见的通话")
    client = login(org.readonly)
    page = client.get(f"/customers/show/{customer.id}/tab/timeline").get_data(as_text=True)
    assert "可见的通话" in page and "zwt-log-interaction" not in page
    resp = client.post(f"/customer_timeline/{customer.id}/log", data={"kind": "call", "subject": "偷偷记录"})
    assert resp.status_code in (302, 403)
    assert db.session.scalar(select(Interaction).where(Interaction.subject == "偷偷记录")) is None


def test_another_reps_customer_timeline_is_not_found(org, login):
    customer = make_customer(org.east_rep2)
    client = login(org.east_rep)
    assert client.get(f"/customer_timeline/{customer.id}/").status_code == 404
    assert client.post(f"/customer_timeline/{customer.id}/log", data={"kind": "call", "subject": "x"}).status_code == 404


def test_interactions_api_follows_the_customers_scope(org, api_token):
    mine = make_customer(org.east_rep)
    theirs = make_customer(org.east_rep2)
    _log(org.east_rep2, theirs, subject="别人的通话")
    client_headers = api_token(org.east_rep)
    from flask import current_app

    client = current_app.test_client()
    resp = client.post("/api/v1/interactions/", json={"customer_id": mine.id, "kind": "call", "subject": "API 通话",
                                                      "next_follow_up_on": "2099-01-01"}, headers=client_headers)
    assert resp.status_code == 201, resp.get_json()
    resp = client.post("/api/v1/interactions/", json={"customer_id": theirs.id, "kind": "call", "subject": "越权"},
                       headers=client_headers)
    assert resp.status_code == 400
    listed = client.get("/api/v1/interactions/?q=(page_size:100)", headers=client_headers).get_json()["result"]
    subjects = {r["subject"] for r in listed}
    assert "API 通话" in subjects and "别人的通话" not in subjects
    other = db.session.scalar(select(Interaction).where(Interaction.subject == "别人的通话"))
    assert client.get(f"/api/v1/interactions/{other.id}", headers=client_headers).status_code == 404
    assert _fresh(mine).next_follow_up_on == dt.date(2099, 1, 1)


def test_documents_of_other_modules_appear_on_the_timeline_for_those_who_may_read_them(org, login):
    from decimal import Decimal

    from app.modules.contracts import service as contracts
    from app.modules.contracts.models import Contract

    customer = make_customer(org.east_rep)
    contract = contracts.create_contract(org.east_rep, Contract(
        title="年度框架协议", customer_id=customer.id, amount=Decimal("88000"), owner_id=org.east_rep.id,
        starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31)))
    html = login(org.east_rep).get(f"/customer_timeline/{customer.id}/?kind=contracts").get_data(as_text=True)
    assert contract.code in html and "年度框架协议" in html and "88,000.00" in html
    assert html.count('class="zwt-timeline-entry') == 1
