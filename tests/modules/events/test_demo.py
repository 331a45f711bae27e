"""The demo events: one ended with check-ins, one open with a waiting list, one in preparation; loaded once."""
from sqlalchemy import select

from app.extensions import db
from app.modules.events import seed
from app.modules.events.models import Event
from tests.factories import make_user


def test_demo_events_show_every_state_and_load_once(org):
    marketer = make_user("Marketing", org.sales)
    assert seed.load_demo(org.admin, {"zhoumin": marketer}) == "3 events, 74 registrations"
    made = {e.kind: e for e in db.session.scalars(select(Event).where(Event.owner_id == marketer.id))}
    assert (made["meeting"].status, made["meeting"].registered, made["meeting"].checked_in) == ("ended", 40, 33)
    assert (made["exhibition"].status, made["exhibition"].registered, made["exhibition"].waiting) == ("open", 30, 4)
    assert made["live"].status == "preparing"
    assert seed.load_demo(org.admin, {"zhoumin": marketer}) == "0 events"
