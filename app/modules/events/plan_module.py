"""The event's planning, declared once: its agenda, preparation tasks and milestones, resource bookings and
expenses (tabs of the event), and the resources themselves (venues, materials, staff: a menu entry). They share
the events' permission; the tabs' records are in their event's data scope."""
from flask_babel import lazy_gettext as _l, lazy_pgettext
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from app.core.forms import MoneyField
from app.core.panels import register_record_rule
from app.core.remote_select import RemoteSelectField
from app.core.scope import ScopeSpec
from app.core.spec import ModuleSpec
from app.modules.events import planning, resources
from app.modules.events.models import CANCELLED, ENDED, Event
from app.modules.events.plan_models import (DOING, DONE, MATERIAL, STAFF, TODO, VENUE, EventAllocation, EventExpense,
                                            EventResource, EventSession, EventTask)

EVENTS = lazy_pgettext("menu", "Events")


def _event_field(name: str):
    return RemoteSelectField(_l("Event"), model=Event, url=f"/relation-search/{name}/event")


def _open(actor, item) -> bool:
    return item.event.status not in (ENDED, CANCELLED)


for _name in ("event_sessions", "event_tasks", "event_expenses"):
    register_record_rule(_name, "edit", _open)
    register_record_rule(_name, "delete", _open)
register_record_rule("event_allocations", "edit", lambda actor, item: False)
register_record_rule("event_allocations", "delete", _open)

SESSION_FORM = ["event", "title", "starts_at", "ends_at", "speaker", "room"]
TASK_FORM = ["event", "title", "owner", "starts_on", "due_on", "milestone", "status"]
BOOKING_FORM = ["event", "resource", "starts_at", "ends_at", "quantity", "notes"]
EXPENSE_FORM = ["event", "title", "amount", "spent_on"]
RESOURCE_FORM = ["kind", "name", "unit", "unit_cost", "stock", "capacity", "user", "active", "notes"]

PLAN_SPECS = [
    ModuleSpec(
        name="event_sessions",
        model=EventSession,
        label=_l("Agenda item"),
        label_plural=_l("Agenda"),
        category=EVENTS,
        category_key="events",
        permission_name="events",
        show_in_menu=False,
        label_columns={"event": _l("Event"), "event_id": _l("Event"), "event.title": _l("Event"),
                       "title": _l("Title"), "starts_at": _l("Starts at"), "ends_at": _l("Ends at"),
                       "speaker": _l("Speaker"), "room": _l("Room")},
        list_columns=["starts_at", "ends_at", "title", "speaker", "room"],
        show_fieldsets=[(_l("Agenda item"), {"fields": SESSION_FORM})],
        add_columns=SESSION_FORM,
        edit_columns=SESSION_FORM,
        form_fields={"event": _event_field("event_sessions")},
        search_columns=["title", "speaker", "room", "starts_at"],
        order_columns=["starts_at", "title"],
        base_order=("starts_at", "asc"),
        export_columns=["event.title", "starts_at", "ends_at", "title", "speaker", "room"],
        api_columns=["id", "event_id", "title", "starts_at", "ends_at", "speaker", "room"],
        api_write_columns=["event_id", "title", "starts_at", "ends_at", "speaker", "room"],
        scope=ScopeSpec(via="event_id", via_module="events"),
        date_column="starts_at",
        service=planning.event_sessions,
    ),
    ModuleSpec(
        name="event_tasks",
        model=EventTask,
        label=_l("Preparation task"),
        label_plural=_l("Preparation tasks"),
        category=EVENTS,
        category_key="events",
        permission_name="events",
        show_in_menu=False,
        label_columns={"event": _l("Event"), "event_id": _l("Event"), "event.title": _l("Event"),
                       "title": _l("Task"), "owner": _l("Owner"), "owner_id": _l("Owner"),
                       "owner.username": _l("Owner"), "starts_on": _l("Starts on"), "due_on": _l("Due on"),
                       "milestone": _l("Milestone"), "status": _l("Status"), "done_at": _l("Done at"),
                       "created_at": _l("Created at")},
        list_columns=["title", "owner", "starts_on", "due_on", "milestone", "status"],
        show_fieldsets=[(_l("Preparation task"), {"fields": [*TASK_FORM, "done_at"]})],
        add_columns=TASK_FORM,
        edit_columns=TASK_FORM,
        form_fields={"event": _event_field("event_tasks")},
        description_columns={"milestone": _l("A milestone is one day: its due date."),
                             "starts_on": _l("Empty: the due date.")},
        search_columns=["title", "owner", "status", "milestone", "due_on"],
        order_columns=["title", "starts_on", "due_on"],
        base_order=("due_on", "asc"),
        export_columns=["event.title", "title", "owner.username", "starts_on", "due_on", "milestone", "status"],
        api_columns=["id", "event_id", "title", "owner_id", "starts_on", "due_on", "milestone", "status",
                     "done_at"],
        api_write_columns=["event_id", "title", "owner_id", "starts_on", "due_on", "milestone", "status"],
        scope=ScopeSpec(via="event_id", via_module="events"),
        status_tones={TODO: "default", DOING: "processing", DONE: "success"},
        date_column="due_on",
        service=planning.event_tasks,
    ),
    ModuleSpec(
        name="event_allocations",
        model=EventAllocation,
        label=_l("Resource booking"),
        label_plural=_l("Resource bookings"),
        category=EVENTS,
        category_key="events",
        permission_name="events",
        show_in_menu=False,
        label_columns={"event": _l("Event"), "event_id": _l("Event"), "event.title": _l("Event"),
                       "resource": _l("Resource"), "resource_id": _l("Resource"), "resource.name": _l("Resource"),
                       "starts_at": _l("From"), "ends_at": _l("Until"), "quantity": _l("Quantity"),
                       "cost": _l("Cost"), "notes": _l("Notes"), "created_at": _l("Booked at")},
        list_columns=["resource", "starts_at", "ends_at", "quantity", "cost", "notes"],
        show_fieldsets=[(_l("Resource booking"), {"fields": [*BOOKING_FORM, "cost", "created_at"]})],
        add_columns=BOOKING_FORM,
        edit_columns=BOOKING_FORM,
        form_fields={"event": _event_field("event_allocations"),
                     "resource": RemoteSelectField(_l("Resource"), model=EventResource,
                                                   url="/relation-search/event_allocations/resource", minimum=0),
                     "quantity": IntegerField(_l("Quantity"), validators=[Optional(), NumberRange(1, 1000000)])},
        description_columns={"starts_at": _l("Empty: the event's times."),
                             "quantity": _l("Materials: how many are taken from the store. Venues and staff: one.")},
        search_columns=["resource", "starts_at", "cost"],
        order_columns=["starts_at", "cost"],
        base_order=("starts_at", "asc"),
        export_columns=["event.title", "resource.name", "starts_at", "ends_at", "quantity", "cost", "notes"],
        api_columns=["id", "event_id", "resource_id", "starts_at", "ends_at", "quantity", "cost", "notes"],
        api_write_columns=["event_id", "resource_id", "starts_at", "ends_at", "quantity", "notes"],
        scope=ScopeSpec(via="event_id", via_module="events"),
        title_column="resource",
        date_column="starts_at",
        service=resources.event_allocations,
    ),
    ModuleSpec(
        name="event_expenses",
        model=EventExpense,
        label=_l("Expense"),
        label_plural=_l("Expenses"),
        category=EVENTS,
        category_key="events",
        permission_name="events",
        show_in_menu=False,
        label_columns={"event": _l("Event"), "event_id": _l("Event"), "event.title": _l("Event"),
                       "title": _l("Paid for"), "amount": _l("Amount"), "spent_on": _l("Date"),
                       "created_at": _l("Entered at")},
        list_columns=["spent_on", "title", "amount"],
        show_fieldsets=[(_l("Expense"), {"fields": EXPENSE_FORM})],
        add_columns=EXPENSE_FORM,
        edit_columns=EXPENSE_FORM,
        form_fields={"event": _event_field("event_expenses"), "amount": MoneyField(_l("Amount"))},
        search_columns=["title", "spent_on", "amount"],
        order_columns=["spent_on", "amount"],
        base_order=("spent_on", "asc"),
        export_columns=["event.title", "spent_on", "title", "amount"],
        api_columns=["id", "event_id", "title", "amount", "spent_on"],
        api_write_columns=["event_id", "title", "amount", "spent_on"],
        scope=ScopeSpec(via="event_id", via_module="events"),
        date_column="spent_on",
        service=resources.event_expenses,
    ),
    ModuleSpec(
        name="event_resources",
        model=EventResource,
        label=_l("Resource"),
        label_plural=_l("Resources"),
        category=EVENTS,
        category_key="events",
        permission_name="events",
        icon="fa-cubes",
        label_columns={"kind": _l("Kind"), "name": _l("Name"), "unit": _l("Unit"), "unit_cost": _l("Unit cost"),
                       "stock": _l("In store"), "capacity": _l("Seats"), "user": _l("Member of staff"),
                       "user_id": _l("Member of staff"), "active": _l("In use"), "notes": _l("Notes"),
                       "created_at": _l("Created at")},
        list_columns=["name", "kind", "unit", "unit_cost", "stock", "capacity", "user", "active"],
        show_fieldsets=[(_l("Resource"), {"fields": RESOURCE_FORM})],
        add_columns=RESOURCE_FORM,
        edit_columns=RESOURCE_FORM,
        form_fields={"unit_cost": MoneyField(_l("Unit cost"))},
        description_columns={
            "unit_cost": _l("Venues and staff: per day booked. Materials: per piece."),
            "stock": _l("Materials: how many are in store."),
            "user": _l("Staff: the user booked."),
        },
        search_columns=["name", "kind", "active"],
        order_columns=["name", "unit_cost", "stock"],
        base_order=("name", "asc"),
        export_columns=["name", "kind", "unit", "unit_cost", "stock", "capacity", "active", "notes"],
        api_columns=["id", "kind", "name", "unit", "unit_cost", "stock", "capacity", "user_id", "active", "notes"],
        api_write_columns=["kind", "name", "unit", "unit_cost", "stock", "capacity", "user_id", "active", "notes"],
        status_tones={VENUE: "processing", MATERIAL: "default", STAFF: "success"},
        status_column="kind",
        title_column="name",
        service=resources.event_resources,
    ),
]
