"""What other modules may use of the events module: an event and its registrations (reports read who registered
and who came), and the states in which an event still takes people."""
from app.modules.events.models import OPEN, RUNNING, Event, EventRegistration

TAKING_PEOPLE = (OPEN, RUNNING)

__all__ = ["TAKING_PEOPLE", "Event", "EventRegistration"]
