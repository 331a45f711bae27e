"""Registration (报名) with capacity and a waiting list, cancellation moving the waiting list up, check-in (签到)
once, walk-ins, matching registrants to customers' contacts; parallel registrations never overbook (PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.extensions import db
from app.modules.customers.api import Contact
from app.modules.events import service
from app.modules.events.models import Event, EventRegistration
from app.security.sms import SmsMessage
from tests.factories import make_customer, make_department, make_user
from tests.conftest import unique
from tests.modules.events.helpers import event, phone


@pytest.fixture
def marketer(org):
    return make_user("Marketing", make_department(unique("市场部"), org.company))


def _person(**extra):
    return {"name": unique("王"), "phone": phone(), "company": "上海华信精密", **extra}


def _fresh(event_id):
    db.session.expire_all()
    return db.session.get(Event, event_id)


def test_the_capacity_holds_and_the_rest_wait_in_order(marketer):
    made = event(marketer, capacity=2)
    first, second, third, fourth = (service.register(None, made.id, _person()) for _ in range(4))
    assert [r.status for r in (first, second, third, fourth)] == ["registered", "registered", "waiting", "waiting"]
    # Each got one confirmation, the one of their outcome (the confirmation is written before the place is
    # taken, for the likely outcome, and rewritten when the last place went meanwhile).
    texts = {r.phone: db.session.scalars(select(SmsMessage.text).where(SmsMessage.mobile == r.phone)).all()
             for r in (first, second, third, fourth)}
    assert all(len(sent) == 1 for sent in texts.values()), texts
    assert "等候名单" in texts[third.phone][0] and "报名码" not in texts[third.phone][0]
    assert second.code in texts[second.phone][0]
    assert all(len(r.code) == 10 and any(c.isdigit() for c in r.code) for r in (first, second, third, fourth))
    assert (_fresh(made.id).registered, _fresh(made.id).waiting) == (2, 2)
    # a cancellation gives its place to the longest waiting, who is told by SMS
    moved = service.cancel_registration(None, second.id)
    assert moved.id == third.id
    db.session.expire_all()
    assert db.session.get(EventRegistration, third.id).status == "registered"
    assert (_fresh(made.id).registered, _fresh(made.id).waiting) == (2, 1)
    told = db.session.scalars(select(SmsMessage.text).where(SmsMessage.mobile == third.phone)).all()
    assert len(told) == 2 and "等候名单" in told[0] and third.code in told[1]
    # one waiting who cancels leaves the count of the registered alone
    service.cancel_registration(None, fourth.id)
    assert (_fresh(made.id).registered, _fresh(made.id).waiting) == (2, 0)
    with pytest.raises(DomainError):
        service.cancel_registration(None, fourth.id)


def test_bad_registrations_are_refused_and_write_nothing(marketer):
    made = event(marketer, capacity=5, asked="company,email", consent_text="同意接收活动通知")
    for bad, field in (({"name": "", "phone": phone()}, "name"), ({"name": "李四", "phone": "12345"}, "phone"),
                       ({"name": "李四", "phone": phone(), "company": "华信", "email": "x@y.cn"}, "consent"),
                       ({"name": "李四", "phone": phone(), "email": "not-mail", "consent": "1"}, "email")):
        with pytest.raises(ValidationErrors) as err:
            service.register(None, made.id, bad)
        assert field in err.value.errors
    taken = _person(email="a@b.cn", consent="1")
    service.register(None, made.id, taken)
    with pytest.raises(DomainError) as err:
        service.register(None, made.id, {**taken, "name": "别人"})
    assert err.value.code == "events.already_registered"
    assert _fresh(made.id).registered == 1
    assert db.session.scalar(select(func.count()).select_from(EventRegistration)
                             .where(EventRegistration.event_id == made.id)) == 1


def test_only_an_open_event_before_its_deadline_takes_registrations(marketer):
    draft = event(marketer, opened=False)
    with pytest.raises(DomainError) as err:
        service.register(None, draft.id, _person())
    assert err.value.code == "events.not_open"
    late = event(marketer, registration_deadline=utcnow() - dt.timedelta(minutes=1))
    with pytest.raises(DomainError) as err:
        service.register(None, late.id, _person())
    assert err.value.code == "events.deadline"
    gone = event(marketer)
    service.cancel_event(marketer, gone.id, "场地取消")
    with pytest.raises(DomainError) as err:
        service.register(None, gone.id, _person())
    assert err.value.code == "events.cancelled"
    with pytest.raises(ValidationErrors):
        service.cancel_event(marketer, late.id, " ")
    with pytest.raises(DomainError):
        service.advance(marketer, gone.id, "start")


def test_check_in_once_with_the_time_of_the_first(marketer):
    made = event(marketer, capacity=1)
    guest = service.register(None, made.id, _person())
    waiting = service.register(None, made.id, _person())
    done = service.check_in(marketer, made.id, guest.code.lower())
    assert done.checked_in_at is not None and _fresh(made.id).checked_in == 1
    with pytest.raises(service.AlreadyCheckedIn) as err:
        service.check_in(marketer, made.id, guest.code)
    assert "已于" in err.value.message and err.value.status == 409
    with pytest.raises(DomainError) as err:
        service.check_in(marketer, made.id, waiting.code)
    assert err.value.code == "events.waiting"
    with pytest.raises(NotFound):
        service.check_in(marketer, made.id, "ZZZZZZZZ")
    other = event(marketer)
    with pytest.raises(NotFound):            # a code of another event
        service.check_in(marketer, other.id, guest.code)
    with pytest.raises(DomainError):         # whoever checked in is not cancelled
        service.cancel_registration(None, guest.id)
    assert _fresh(made.id).checked_in == 1


def test_walk_ins_are_registered_and_checked_in_unless_full(marketer):
    made = event(marketer, capacity=1)
    service.advance(marketer, made.id, "start")
    walk = service.register(marketer, made.id, _person(), source="walk_in")
    assert (walk.status, walk.source, walk.checked_in_at is not None) == ("registered", "walk_in", True)
    assert (_fresh(made.id).registered, _fresh(made.id).checked_in) == (1, 1)
    with pytest.raises(DomainError) as err:
        service.register(marketer, made.id, _person(), source="walk_in")
    assert err.value.code == "events.full"


def test_registrants_are_linked_to_the_contact_with_their_number(org, marketer):
    from app.modules.customers.service import create_contact

    customer = make_customer(org.east_rep, unique("上海客户"))
    number = phone()
    contact = create_contact(org.east_rep, Contact(customer_id=customer.id, name="赵经理", phone=number))
    made = event(marketer)
    linked = service.register(None, made.id, {"name": "赵经理", "phone": number})
    assert (linked.customer_id, linked.contact_id) == (customer.id, contact.id)
    stranger = service.register(None, made.id, _person())
    assert (stranger.customer_id, stranger.contact_id) == (None, None)


def test_registrants_are_linked_by_e_mail_or_to_a_customer_with_their_phone(org, marketer):
    from app.modules.customers.service import create_contact

    by_phone = make_customer(org.east_rep, unique("北京客户"), phone=phone())
    other = make_customer(org.east_rep, unique("广州客户"))
    mail = f"{unique('li')}@example.com"
    contact = create_contact(org.east_rep, Contact(customer_id=other.id, name="李总", phone=phone(), email=mail))
    made = event(marketer)
    walked_in = service.register(None, made.id, {"name": "前台", "phone": by_phone.phone})
    assert (walked_in.customer_id, walked_in.contact_id) == (by_phone.id, None)
    written = service.register(None, made.id, {"name": "李总", "phone": phone(), "email": mail})
    assert (written.customer_id, written.contact_id) == (other.id, contact.id)
    db.session.expire_all()
    stored = db.session.get(EventRegistration, written.id)
    assert (stored.customer_id, stored.contact_id, stored.email) == (other.id, contact.id, mail)


def test_staff_register_several_at_once_and_hear_which_were_refused(marketer):
    made = event(marketer, capacity=2)
    taken = _person()
    service.register(None, made.id, taken)
    done, refused = service.internal_register(marketer, made.id, [
        _person(), {"name": "坏号码", "phone": "123"}, {**taken, "name": "重复"}, _person()])
    assert [r.status for r in done] == ["registered", "waiting"] and all(r.source == "internal" for r in done)
    assert sorted(refused) == [2, 3] and "手机" in refused[2]


def test_a_cancelled_registrant_registers_again_on_the_same_row(marketer):
    made = event(marketer, capacity=3)
    person = _person(email="again@example.com")
    first = service.register(None, made.id, person)
    first_id, first_code = first.id, first.code
    service.cancel_registration(None, first_id)
    again = service.register(None, made.id, {**person, "name": "王二"})
    assert (again.id, again.status, again.name, again.cancelled_at) == (first_id, "registered", "王二", None)
    assert again.code != first_code
    with pytest.raises(DomainError) as err:                 # registered (again): refused, with its status
        service.register(None, made.id, person)
    assert err.value.code == "events.already_registered" and "已报名" in err.value.message
    db.session.expire_all()
    assert (_fresh(made.id).registered, _fresh(made.id).waiting) == (1, 0)
    assert db.session.scalar(select(func.count()).select_from(EventRegistration)
                             .where(EventRegistration.event_id == made.id)) == 1


def test_a_registration_is_four_statements_and_is_read_back_without_the_database(marketer):
    from sqlalchemy import event as sa_event

    event_id = event(marketer, capacity=10).id
    db.session.remove()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        done = service.register(None, event_id, _person())
        written = len(statements)
        seen = (done.id, done.code, done.status, done.name, done.phone, done.created_at, done.customer_id)
        assert len(statements) == written, statements[written:]
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    # the event, the registration (matched to contacts and customers in the same statement), its SMS, the place
    assert [s.strip().split()[0] for s in statements] == ["SELECT", "INSERT", "INSERT", "UPDATE"], statements
    db.session.expire_all()
    row = db.session.get(EventRegistration, seen[0])
    assert (row.id, row.code, row.status, row.name, row.phone, row.created_at, row.customer_id) == seen
    assert done.event.id == event_id and _fresh(event_id).registered == 1


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("parallel registrations need PostgreSQL")


def test_parallel_registrations_never_overbook(app, marketer, postgres):
    made = event(marketer, capacity=5)
    event_id, count = made.id, 16
    barrier, results = threading.Barrier(count), [None] * count
    people = [_person() for _ in range(count)]

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = service.register(None, event_id, people[i]).status
            except Exception as exc:   # reported by the assertion below
                results[i] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["registered"] * 5 + ["waiting"] * 11, results
    assert (_fresh(event_id).registered, _fresh(event_id).waiting) == (5, 11)
    assert db.session.scalar(select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == event_id, EventRegistration.status == "registered")) == 5


def test_a_walk_in_registered_inside_another_unit_of_work_keeps_its_check_in(marketer):
    from app.core.transaction import unit_of_work

    made = event(marketer, capacity=2)
    service.advance(marketer, made.id, "start")
    with unit_of_work(marketer):
        walk = service.register(marketer, made.id, _person(), source="walk_in")
    db.session.expire_all()
    stored = db.session.get(EventRegistration, walk.id)
    assert (stored.status, stored.source, stored.checked_in_at is not None) == ("registered", "walk_in", True)
    assert _fresh(made.id).checked_in == 1


def test_the_last_place_gone_meanwhile_makes_a_waiting_registration_inside_another_unit_of_work(marketer):
    from sqlalchemy import update

    from app.core.transaction import unit_of_work

    made = event(marketer, capacity=1)
    person = _person()
    with unit_of_work(None):
        assert db.session.get(Event, made.id).registered == 0         # as the page read it
        db.session.connection().execute(update(Event.__table__).where(Event.__table__.c.id == made.id)
                                        .values(registered=1))         # the last place went meanwhile
        late = service.register(None, made.id, person)
        assert late.status == "waiting"
    db.session.expire_all()
    assert db.session.get(EventRegistration, late.id).status == "waiting"
    assert (_fresh(made.id).registered, _fresh(made.id).waiting) == (1, 1)
    sent = db.session.scalars(select(SmsMessage.text).where(SmsMessage.mobile == person["phone"])).all()
    assert len(sent) == 1 and "等候名单" in sent[0]
