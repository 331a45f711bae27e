"""活动效果分析 on a known data set: registrations, check-ins, new customers and contacts, orders and revenue
within the attribution window (and not outside it), cost per registrant and per new customer, ROI; registrants made
customers with one click (转为客户) and linked; the pages, the chart and the export for those who may, refused
for those who may not."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.modules.customers.api import Contact, Customer
from app.modules.events import analysis, leads, resources, service
from app.modules.events.models import Event, EventRegistration
from app.modules.events.plan_models import EventExpense
from app.modules.orders.api import SalesOrder
from tests.conftest import unique
from tests.factories import make_customer, make_department, make_user
from tests.modules.events.helpers import phone


@pytest.fixture
def marketer(org):
    return make_user("Marketing", make_department(unique("市场部"), org.company))


def _order(customer, day: dt.date, total: str, status="confirmed"):
    order = SalesOrder(code=unique("DD"), customer_id=customer.id, order_date=day, status=status, untaxed=total,
                       tax=0, total=Decimal(total), owner_id=customer.owner_id)
    db.session.add(order)
    db.session.commit()
    return order


def _past_event(actor, days_ago=60):
    start = utcnow() - dt.timedelta(days=days_ago)
    made = service.create_event(actor, Event(title=unique("新品发布会"), kind="meeting", starts_at=start - dt.timedelta(
        days=5), ends_at=start - dt.timedelta(days=5) + dt.timedelta(hours=3), venue="上海", budget=Decimal("9000")))
    made.starts_at, made.ends_at = start, start + dt.timedelta(hours=3)
    db.session.commit()
    service.advance(actor, made.id, "open")
    return made


def test_roi_and_the_attribution_window_on_a_known_data_set(org, marketer):
    made = _past_event(marketer)
    known = make_customer(marketer, phone=phone())                      # a customer before the event
    known.created_at = made.starts_at - dt.timedelta(days=100)
    db.session.commit()
    before = made.starts_at - dt.timedelta(days=2)                      # they registered two days before it
    old = service.register(None, made.id, {"name": "老客户", "phone": known.phone, "consent": "1"}, now=before)
    assert old.customer_id == known.id
    fresh = service.register(None, made.id, {"name": "新朋友", "phone": phone(), "company": unique("新公司"),
                                             "consent": "1"}, now=before)
    service.register(None, made.id, {"name": "路人", "phone": phone(), "consent": "1"}, now=before)
    service.check_in(marketer, made.id, old.code)
    leads.convert(marketer, fresh.id)                                  # a new customer and contact …
    linked = db.session.get(EventRegistration, fresh.id)
    new_customer = db.session.get(Customer, linked.customer_id)
    new_customer.created_at = made.starts_at + dt.timedelta(days=5)     # … made five days after the event
    db.session.get(Contact, linked.contact_id).created_at = made.starts_at + dt.timedelta(days=5)
    db.session.commit()
    day = made.starts_at.date()
    _order(known, day + dt.timedelta(days=3), "30000.00")               # in the window
    _order(new_customer, day + dt.timedelta(days=7), "12000.00")        # in the window
    _order(known, day + dt.timedelta(days=40), "99999.00")              # after a 30-day window (and not future:
                                                                        # other tests count orders up to today)
    _order(known, day - dt.timedelta(days=2), "55555.00")               # before the event
    _order(known, day + dt.timedelta(days=4), "77777.00", status="cancelled")
    resources.event_expenses.create(marketer, EventExpense(event_id=made.id, title="场地", amount=Decimal("8000"),
                                                           spent_on=day))
    q = analysis.query(None, None, "30", "")
    [row] = analysis.effects(marketer, q, made.id)
    assert (row.registered, row.checked_in, row.new_customers, row.new_contacts) == (3, 1, 1, 1)
    assert (row.orders, row.revenue, row.cost) == (2, Decimal("42000.00"), Decimal("8000.00"))
    assert row.cost_per_registrant == Decimal("2666.67") and row.cost_per_customer == Decimal("8000.00")
    assert row.roi == Decimal("425.0")                                  # (42,000 − 8,000) / 8,000
    assert row.check_in_rate == Decimal("33.3")
    [longer] = analysis.effects(marketer, analysis.query(None, None, "60", ""), made.id)
    assert (longer.orders, longer.revenue) == (3, Decimal("141999.00"))
    assert made.id in {r.event_id for r in analysis.effects(marketer, q)}
    other = make_user("Marketing", make_department(unique("市场二部"), org.company))
    assert analysis.effects(other, q, made.id) == []                   # not their department's


def test_a_registrant_made_customer_once_and_linked(org, marketer):
    made = _past_event(marketer)
    person = service.register(None, made.id, {"name": "赵先生", "phone": phone(), "company": unique("远景科技"),
                                              "title": "采购经理", "consent": "1"})
    converted = leads.convert(marketer, person.id)
    customer = db.session.get(Customer, converted.customer_id)
    contact = db.session.get(Contact, converted.contact_id)
    assert customer.name == person.company and customer.owner_id == marketer.id and customer.status == "potential"
    assert (contact.name, contact.phone, contact.title, contact.customer_id) == ("赵先生", person.phone, "采购经理",
                                                                                 customer.id)
    with pytest.raises(DomainError) as refused:
        leads.convert(marketer, person.id)
    assert customer.name in refused.value.message
    colleague = service.register(None, made.id, {"name": "钱女士", "phone": phone(), "company": customer.name,
                                                 "consent": "1"})
    assert leads.convert(marketer, colleague.id).customer_id == customer.id          # the company's contact
    assert db.session.scalar(select(Contact.name).where(Contact.id == db.session.get(
        EventRegistration, colleague.id).contact_id)) == "钱女士"


def test_the_schedule_analysis_and_convert_on_the_screens(app, org, marketer, login):
    made = _past_event(marketer, days_ago=0)
    person = service.register(None, made.id, {"name": "孙先生", "phone": phone(), "consent": "1"})
    client = login(marketer)
    # the calendar is in the company's time zone: the event's day there
    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    day = made.starts_at.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()
    for view in ("month", "week", "timeline", "resources"):
        page = client.get(f"/event_schedule/?view={view}&day={day.isoformat()}")
        assert page.status_code == 200, view
        if view != "resources":
            assert made.title in page.get_data(as_text=True)
    assert client.get("/event_schedule/?view=year").status_code == 400
    assert "请输入日期" in client.get("/event_schedule/?day=2026-13-45").get_data(as_text=True)
    page = client.get("/event_analysis/")
    assert page.status_code == 200 and made.title in page.get_data(as_text=True)
    bad = client.get("/event_analysis/?window=999")
    assert bad.status_code == 400 and "0 到 365" in bad.get_data(as_text=True)
    assert client.get("/event_analysis/chart.json").json["option"]["series"][0]["data"]
    exported = client.get("/event_analysis/export.csv")
    assert exported.status_code == 200 and made.title in exported.get_data(as_text=True)
    shown = client.post("/events/action_post", data={"action": "effect", "rowid": [str(made.id)]})
    assert shown.status_code == 302 and shown.location.endswith(f"/event_analysis/?event={made.id}")
    alone = client.get(shown.location).get_data(as_text=True)
    assert made.title in alone and "对比全部活动" in alone
    done = client.post("/event_registrations/action_post", data={"action": "convert", "rowid": [str(person.id)]})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(EventRegistration, person.id).customer_id is not None

    rep = login(org.east_rep)                                          # Sales read events, write none
    assert rep.get("/event_analysis/").status_code == 200
    refused = rep.post("/event_schedule/move/1", data={"starts_on": "2026-01-01", "due_on": "2026-01-02"})
    assert refused.status_code in (302, 403)
    assert rep.post("/event_registrations/action_post", data={"action": "convert", "rowid": [str(person.id)]}
                    ).status_code in (302, 403)
    keeper = login(make_user("Warehouse", org.company))                # no events at all
    for url in ("/event_schedule/", "/event_analysis/", "/event_analysis/export.csv", "/event_resources/list/"):
        assert keeper.get(url).status_code in (302, 403), url
