"""活动预算审批 before registration opens, preparation tasks and milestones (dates, drag, reminders by a real RQ
worker once per due date), the agenda; resources booked without double booking (also in parallel on PostgreSQL),
materials leaving and coming back to store; an event's cost."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.errors import DomainError, ValidationErrors
from app.core.notify import Notification
from app.extensions import db
from app.modules.events import planning, resources, service
from app.modules.events.models import Event
from app.modules.events.plan_models import EventAllocation, EventExpense, EventResource, EventSession, EventTask
from tests.conftest import unique
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401  (a fixture)
from tests.factories import make_department, make_user
from tests.modules.events.helpers import event

CHAIN = Path(__file__).resolve().parents[3] / "workflows" / "event_budget_approval.yaml"


@pytest.fixture
def marketer(org):
    head = make_user("Manager", org.company)
    department = make_department(unique("市场部"), org.company)
    department.head_id = head.id
    db.session.commit()
    return make_user("Marketing", department, head)


def test_an_event_over_the_budget_limit_opens_only_once_approved(org, marketer):
    from app.workflow import engine, publishing
    from app.workflow.models import ApprovalTask

    publishing.publish(None, CHAIN.read_text(encoding="utf-8"))
    small = event(marketer, budget=Decimal("20000"))                   # at the limit: no approval
    assert small.status == "open"
    with pytest.raises(DomainError) as refused:
        engine.submit(marketer, "events", small.id)
    assert "无需审批" in refused.value.message

    big = event(marketer, budget=Decimal("80000"), opened=False)
    with pytest.raises(DomainError) as refused:
        service.advance(marketer, big.id, "open")
    assert refused.value.code == "events.approval_needed" and "80,000.00" in refused.value.message
    engine.submit(marketer, "events", big.id)
    assert db.session.get(Event, big.id).approval == "in_approval"
    task = db.session.scalar(select(ApprovalTask).where(ApprovalTask.status == "pending")
                             .order_by(ApprovalTask.id.desc()))
    engine.approve(db.session.get(type(marketer), task.assignee_id), task.id, "同意")
    db.session.expire_all()
    assert db.session.get(Event, big.id).approval == "approved"
    assert service.advance(marketer, big.id, "open").status == "open"


def _resource(kind="venue", **fields):
    return resources.event_resources.create(None, EventResource(kind=kind, name=unique("资源"), **fields))


def _book(actor, made, resource, start=None, hours=3, quantity=1):
    start = start or made.starts_at
    return resources.allocate(actor, EventAllocation(event_id=made.id, resource_id=resource.id, starts_at=start,
                                                     ends_at=start + dt.timedelta(hours=hours), quantity=quantity))


def test_a_venue_is_never_booked_twice_and_materials_leave_the_store(org, marketer):
    hall = _resource(unit_cost=Decimal("5000"))
    first, second = event(marketer), event(marketer)
    booking = _book(marketer, first, hall, hours=30)                   # two days begun: two days charged
    assert booking.cost == Decimal("10000.00")
    with pytest.raises(resources.DoubleBooked) as refused:
        _book(marketer, second, hall, start=first.starts_at + dt.timedelta(hours=2))
    assert first.code in refused.value.message and first.title in refused.value.message
    after = _book(marketer, second, hall, start=first.starts_at + dt.timedelta(hours=30))   # right after: fine
    assert after.id

    gifts = _resource("material", stock=10, unit_cost=Decimal("88.5"))
    taken = _book(marketer, first, gifts, quantity=7)
    assert taken.cost == Decimal("619.50")
    with pytest.raises(DomainError) as refused:
        _book(marketer, second, gifts, quantity=4)
    assert "3" in refused.value.message
    resources.cancel_booking(marketer, taken)
    db.session.expire_all()
    assert db.session.get(EventResource, gifts.id).stock == 10
    resources.event_expenses.create(marketer, EventExpense(event_id=first.id, title="印刷", amount=Decimal("100.005"),
                                                           spent_on=dt.date.today()))
    assert resources.costs_of([first.id])[first.id] == Decimal("10100.01")
    with pytest.raises(ValidationErrors):
        resources.event_expenses.create(marketer, EventExpense(event_id=first.id, title="退款", amount=Decimal("-1"),
                                                               spent_on=dt.date.today()))


def test_a_cancelled_event_frees_its_venue_and_an_ended_one_takes_no_booking(org, marketer):
    hall = _resource()
    first, second = event(marketer), event(marketer)
    _book(marketer, first, hall)
    service.cancel_event(marketer, first.id, "场地改期")
    assert _book(marketer, second, hall).id
    with pytest.raises(DomainError):
        _book(marketer, db.session.get(Event, first.id), _resource())


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("parallel bookings need PostgreSQL")


def test_parallel_bookings_of_one_venue_leave_one_booking(app, org, marketer, postgres):
    hall = _resource()
    events = [event(marketer) for _ in range(8)]
    starts = events[0].starts_at
    barrier, results = threading.Barrier(len(events)), [None] * len(events)
    ids, hall_id = [e.id for e in events], hall.id

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                resources.allocate(None, EventAllocation(event_id=ids[i], resource_id=hall_id, starts_at=starts,
                                                         ends_at=starts + dt.timedelta(hours=2)))
                results[i] = "booked"
            except resources.DoubleBooked:
                results[i] = "refused"
            except Exception as exc:   # reported by the assertion below
                results[i] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(events))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["booked"] + ["refused"] * 7, results
    assert len(db.session.scalars(select(EventAllocation).where(EventAllocation.resource_id == hall_id)).all()) == 1


def test_tasks_milestones_and_the_drag_on_the_timeline(org, marketer):
    made = event(marketer)
    day = made.starts_at.date()
    task = planning.event_tasks.create(marketer, EventTask(event_id=made.id, title="场地布置", owner_id=marketer.id,
                                                           starts_on=day - dt.timedelta(days=3), due_on=day))
    moved = planning.move_task(marketer, task.id, day - dt.timedelta(days=1), day + dt.timedelta(days=2))
    assert (moved.starts_on, moved.due_on) == (day - dt.timedelta(days=1), day + dt.timedelta(days=2))
    with pytest.raises(ValidationErrors) as refused:
        planning.move_task(marketer, task.id, day, day - dt.timedelta(days=1))
    assert "due_on" in refused.value.errors
    milestone = planning.event_tasks.create(marketer, EventTask(
        event_id=made.id, title="物料到位", owner_id=marketer.id, starts_on=day - dt.timedelta(days=9), due_on=day,
        milestone=True))
    assert milestone.starts_on == milestone.due_on == day                  # a milestone is one day
    other = make_user("Marketing", make_department(unique("市场二部"), org.company))
    with pytest.raises(DomainError):                                        # not in their scope
        planning.move_task(other, task.id, day, day)
    planning.event_sessions.create(marketer, EventSession(event_id=made.id, title="开场致辞", starts_at=made.starts_at,
                                                          ends_at=made.starts_at + dt.timedelta(minutes=30)))
    found = planning.schedule(marketer, day - dt.timedelta(days=10), day + dt.timedelta(days=10))
    assert made.id in {e.id for e in found["events"]} and {task.id, milestone.id} <= {t.id for t in found["tasks"]}
    assert made.id not in {e.id for e in planning.schedule(other, day, day)["events"]}


def test_owners_are_reminded_by_the_worker_once_per_due_date(org, app, marketer, job_env):  # noqa: F811
    from app.core import jobs
    from app.modules.events.jobs import remind_event_tasks

    made = event(marketer)
    today = dt.date.today()
    task = planning.event_tasks.create(marketer, EventTask(event_id=made.id, title=unique("确认嘉宾"),
                                                           owner_id=marketer.id, due_on=today + dt.timedelta(days=1)))
    planning.event_tasks.create(marketer, EventTask(event_id=made.id, title=unique("远期任务"), owner_id=marketer.id,
                                                    due_on=today + dt.timedelta(days=10)))
    queue = jobs.queue(app.config)
    queue.enqueue(remind_event_tasks, today.isoformat())
    queue.enqueue(remind_event_tasks, today.isoformat())                 # a second run tells nobody again
    run_worker_burst(job_env)
    db.session.expire_all()
    notes = db.session.scalars(select(Notification).where(Notification.user_id == marketer.id)).all()
    assert [n.title for n in notes if task.title in n.title] == [f"即将到期：{task.title}（{made.title}）"]
    assert not any("远期任务" in n.title for n in notes)
    assert "events.task_reminders" in {job.name for job in jobs.build_cron(app).get_jobs()}


def test_an_ended_event_takes_no_new_task(org, marketer):
    made = event(marketer)
    service.advance(marketer, made.id, "end")
    with pytest.raises(DomainError):
        planning.event_tasks.create(marketer, EventTask(event_id=made.id, title="补充", owner_id=marketer.id,
                                                        due_on=dt.date.today()))
    assert utcnow()
