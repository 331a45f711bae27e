"""活动效果分析: per event, and compared across events — registrations, check-ins, new customers and contacts,
orders and revenue attributed within N days, cost per registrant and per new customer, ROI.

Attribution: an order counts for an event when its customer is linked to one of the event's registrations (not
cancelled) and it was placed from the event's first day to N days after its last (drafts and cancelled orders
left out). A new customer (contact) of an event is one linked to a registration and added on or after the day the
person registered, at most N days after the event. An order falling in the windows of two events counts for both.
ROI = (revenue − cost) / cost. Every figure is computed in SQL over the events shown (at most PAGE)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import Date, case, cast, func, select, text

from app.core.clock import company_today
from app.core.errors import ValidationErrors
from app.core.registry import registry
from app.core.scope import scope_clause
from app.extensions import db
from app.modules.customers.api import Contact, Customer
from app.modules.events.models import CANCELLED, KIND_CHOICES, REG_CANCELLED, Event, EventRegistration
from app.modules.events.resources import costs_of
from app.modules.orders.api import NOT_INVOICEABLE, SalesOrder

PAGE = 50
DEFAULT_WINDOW = 30
FEN = Decimal("0.01")


@dataclass
class Effect:
    event_id: int
    code: str
    title: str
    kind: str
    starts_at: dt.datetime
    registered: int = 0
    checked_in: int = 0
    new_customers: int = 0
    new_contacts: int = 0
    orders: int = 0
    revenue: Decimal = field(default_factory=lambda: Decimal(0))
    cost: Decimal = field(default_factory=lambda: Decimal(0))

    @property
    def check_in_rate(self) -> Decimal | None:
        return _ratio(Decimal(self.checked_in), self.registered, 100, "0.1")

    @property
    def cost_per_registrant(self) -> Decimal | None:
        return _ratio(self.cost, self.registered)

    @property
    def cost_per_customer(self) -> Decimal | None:
        return _ratio(self.cost, self.new_customers)

    @property
    def roi(self) -> Decimal | None:
        """(revenue − cost) / cost, as a percentage; None without a cost."""
        return _ratio(self.revenue - self.cost, self.cost, 100, "0.1")

    def as_row(self) -> dict:
        return {"code": self.code, "title": self.title, "starts_at": self.starts_at, "registered": self.registered,
                "checked_in": self.checked_in, "check_in_rate": self.check_in_rate,
                "new_customers": self.new_customers, "new_contacts": self.new_contacts, "orders": self.orders,
                "revenue": self.revenue, "cost": self.cost, "cost_per_registrant": self.cost_per_registrant,
                "cost_per_customer": self.cost_per_customer, "roi": self.roi}


def _ratio(numerator: Decimal, denominator, scale: int = 1, places: str = "0.01") -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(Decimal(places), ROUND_HALF_UP)


@dataclass
class Query:
    start: dt.date
    end: dt.date
    window: int = DEFAULT_WINDOW
    kind: str = ""


def query(raw_start, raw_end, raw_window, raw_kind, today: dt.date | None = None) -> Query:
    """The events started between two dates (default: the last twelve months), the attribution window in days
    (default 30, at most 365), a kind or all; ValidationErrors for a bad one."""
    today = today or company_today()
    errors: dict[str, list[str]] = {}

    def day(raw, name):
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(str(raw)[:10])
        except ValueError:
            errors[name] = [_("Enter a date like 2026-01-31.")]
            return None

    start, end = day(raw_start, "start"), day(raw_end, "end")
    window = DEFAULT_WINDOW
    if raw_window not in (None, ""):
        if not str(raw_window).isdigit() or not 0 <= int(raw_window) <= 365:
            errors["window"] = [_("Enter a number of days from 0 to 365.")]
        else:
            window = int(raw_window)
    if raw_kind and raw_kind not in {value for value, _label in KIND_CHOICES}:
        errors["kind"] = [_("Choose a kind from the list.")]
    if errors:
        raise ValidationErrors(errors)
    end = end or today
    start = start or end - dt.timedelta(days=365)
    if start > end:
        raise ValidationErrors({"start": [_("The start is after the end.")]})
    if (end - start).days > 3660:
        raise ValidationErrors({"start": [_("Choose a period of at most ten years.")]})
    return Query(start, end, window, raw_kind or "")


def _events(actor, q: Query, event_id: int | None = None) -> list[Event]:
    stmt = select(Event).where(Event.status != CANCELLED)
    if event_id is not None:
        stmt = stmt.where(Event.id == event_id)
    else:
        stmt = stmt.where(Event.starts_at >= dt.datetime.combine(q.start, dt.time.min),
                          Event.starts_at < dt.datetime.combine(q.end + dt.timedelta(days=1), dt.time.min))
        if q.kind:
            stmt = stmt.where(Event.kind == q.kind)
    clause = scope_clause(registry.get("events"), actor) if actor is not None else None
    if clause is not None:
        stmt = stmt.where(clause)
    return list(db.session.scalars(stmt.order_by(Event.starts_at.desc(), Event.id.desc()).limit(PAGE)))


def effects(actor, q: Query, event_id: int | None = None) -> list[Effect]:
    """The figures of the events the actor may see that started in the period (newest first, at most PAGE), or of
    the one event `event_id`."""
    events = _events(actor, q, event_id)
    found = {e.id: Effect(e.id, e.code, e.title, e.kind, e.starts_at, registered=e.registered,
                          checked_in=e.checked_in) for e in events}
    if not found:
        return []
    ids = list(found)
    linked = (select(EventRegistration.event_id, EventRegistration.customer_id, EventRegistration.contact_id,
                     EventRegistration.created_at, Event.starts_at, Event.ends_at)
              .join(Event, Event.id == EventRegistration.event_id)
              .where(EventRegistration.event_id.in_(ids), EventRegistration.status != REG_CANCELLED,
                     EventRegistration.customer_id.isnot(None)))
    for event_id_, customers, contacts in db.session.execute(_new_people(linked, q.window)):
        found[event_id_].new_customers, found[event_id_].new_contacts = customers, contacts
    for event_id_, orders, revenue in db.session.execute(_orders(linked, q.window)):
        found[event_id_].orders, found[event_id_].revenue = orders, Decimal(revenue or 0)
    for event_id_, cost in costs_of(ids).items():
        found[event_id_].cost = cost
    return [found[e.id] for e in events]


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _moment_after(column, days: int):
    """`column` (a moment) plus `days` days, as the database writes it."""
    if _sqlite():
        return func.strftime("%Y-%m-%d %H:%M:%f", column, f"+{int(days)} days")
    return column + text(f"interval '{int(days)} days'")


def _day_after(column, days: int):
    """The day of `column` (a moment) plus `days` days."""
    if _sqlite():
        return func.date(column, f"+{int(days)} days")
    return cast(column + text(f"interval '{int(days)} days'"), Date)


def _day_of(column):
    return func.date(column) if _sqlite() else cast(column, Date)


def _new_people(linked, days: int):
    """Per event: the customers and the contacts linked to its registrations that were added on or after the
    registration, at most `days` after the event (each looked up by its key)."""
    r = linked.subquery("r")
    until = _moment_after(r.c.ends_at, days)
    customer_at = select(Customer.created_at).where(Customer.id == r.c.customer_id).scalar_subquery()
    contact_at = select(Contact.created_at).where(Contact.id == r.c.contact_id).scalar_subquery()
    customer_new = (customer_at >= r.c.created_at) & (customer_at <= until)
    contact_new = (contact_at >= r.c.created_at) & (contact_at <= until)
    return (select(r.c.event_id, func.count(func.distinct(case((customer_new, r.c.customer_id), else_=None))),
                   func.count(func.distinct(case((contact_new, r.c.contact_id), else_=None))))
            .select_from(r).group_by(r.c.event_id))


def _orders(linked, days: int):
    """Per event: the orders of its registrants' customers placed from its first day to `days` after its last
    (each customer's orders read along its own index)."""
    p = linked.with_only_columns(EventRegistration.event_id, EventRegistration.customer_id, Event.starts_at,
                                 Event.ends_at).distinct().subquery("p")
    placed = (SalesOrder.customer_id == p.c.customer_id, SalesOrder.status.notin_(NOT_INVOICEABLE),
              SalesOrder.order_date >= _day_of(p.c.starts_at), SalesOrder.order_date <= _day_after(p.c.ends_at, days))
    count = select(func.count()).select_from(SalesOrder).where(*placed).scalar_subquery()
    total = select(func.coalesce(func.sum(SalesOrder.total), 0)).where(*placed).scalar_subquery()
    each = select(p.c.event_id, count.label("orders"), total.label("revenue")).subquery("each")
    return (select(each.c.event_id, func.sum(each.c.orders), func.sum(each.c.revenue))
            .group_by(each.c.event_id))


def totals(rows: list[Effect]) -> Effect:
    """The events shown taken together (a new customer of two events counted twice)."""
    total = Effect(0, "", _("Total"), "", None)
    for row in rows:
        for name in ("registered", "checked_in", "new_customers", "new_contacts", "orders", "revenue", "cost"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return total
