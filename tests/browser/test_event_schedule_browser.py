"""活动日程 in the browser: the month calendar shows the event and its milestone; on the timeline a task dragged two
days to the right (with the mouse) is saved with its new dates, and the arrow key moves it back a day; the
effect analysis draws its chart. No script error, nothing from another host (the page fixture checks)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture
def planned(app):
    from app.extensions import db
    from app.modules.events import planning
    from app.modules.events.plan_models import EventTask
    from tests.conftest import unique
    from tests.factories import make_department, make_user
    from tests.modules.events.helpers import event

    with app.app_context():
        marketer = make_user("Marketing", make_department(unique("日程市场部")))
        made = event(marketer, title=unique("渠道大会"))
        due = made.starts_at.date()
        task = planning.event_tasks.create(marketer, EventTask(event_id=made.id, title="物料设计", owner_id=marketer.id,
                                                               starts_on=due - dt.timedelta(days=4), due_on=due))
        planning.event_tasks.create(marketer, EventTask(event_id=made.id, title="彩排", owner_id=marketer.id,
                                                        due_on=due, milestone=True))
        data = SimpleNamespace(user=marketer.username, day=due.isoformat(), task=task.id, title=made.title,
                               starts=task.starts_on, due=task.due_on)
        db.session.remove()
    return data


def _dates(app, task_id):
    from app.extensions import db
    from app.modules.events.plan_models import EventTask

    with app.app_context():
        task = db.session.get(EventTask, task_id)
        found = (task.starts_on, task.due_on)
        db.session.remove()
    return found


def test_the_calendar_and_a_task_dragged_on_the_timeline(app, page, planned, shot):
    log_in(page, planned.user, PASSWORD)
    page.goto(f"/event_schedule/?view=month&day={planned.day}")
    expect(page.locator("#zwt-calendar")).to_contain_text(planned.title)
    expect(page.locator(f'#zwt-calendar td[data-day="{planned.day}"] .zwt-milestone')).to_contain_text("彩排")
    shot("event-calendar")

    page.goto(f"/event_schedule/?view=timeline&day={planned.day}")
    bar = page.locator(f'.zwt-draggable[data-id="{planned.task}"]')
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    lane = bar.locator("xpath=..").bounding_box()
    day_width = lane["width"] / 35
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 5 + day_width * 1.2, box["y"] + box["height"] / 2, steps=5)
    page.mouse.move(box["x"] + 5 + day_width * 2.1, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    expect(page.locator("#zwt-timeline-message")).to_have_class("alert alert-success")
    two = dt.timedelta(days=2)
    assert _dates(app, planned.task) == (planned.starts + two, planned.due + two)
    shot("event-timeline")

    bar.focus()
    page.keyboard.press("ArrowLeft")
    expect(bar).to_have_attribute("data-due", (planned.due + dt.timedelta(days=1)).isoformat())
    assert _dates(app, planned.task) == (planned.starts + dt.timedelta(days=1), planned.due + dt.timedelta(days=1))

    page.goto(f"/event_analysis/?end={planned.day}")
    expect(page.locator("#zwt-event-effect")).to_contain_text(planned.title)
    expect(page.locator("#chart-event-effect canvas, #chart-event-effect svg").first).to_be_visible()
