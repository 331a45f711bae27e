"""资源管理: venues, materials and staff that events book, and what an event spends.

A venue or a member of staff is booked by one event at a time: a booking first writes the resource's row (a row
lock on PostgreSQL, the write lock on SQLite), then looks for an overlapping booking, so two bookings of one
resource made at once are checked one after the other and the second finds the first. A material's quantity
leaves its stock in the same conditional UPDATE (never below zero) and comes back when the booking is cancelled.
An event's cost is its bookings plus its expenses."""
from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.core.errors import DomainError, ValidationErrors
from app.core.org import User
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.events.models import CANCELLED, Event
from app.modules.events.planning import event_for_change
from app.modules.events.plan_models import (MATERIAL, RESOURCE_KIND_CHOICES, STAFF, VENUE, EventAllocation,
                                            EventExpense, EventResource)

FEN = Decimal("0.01")
MONEY_MAX = Decimal("9999999999999999.99")
LONGEST_BOOKING = dt.timedelta(days=92)


class DoubleBooked(DomainError):
    status = 409


# -- resources --------------------------------------------------------------------------------------------------
def _check_resource(resource: EventResource) -> None:
    errors: dict[str, list[str]] = {}
    resource.name = (resource.name or "").strip()
    if not resource.name:
        errors["name"] = [_("Please enter the name.")]
    elif db.session.scalar(select(EventResource.id).where(func.lower(EventResource.name) == resource.name.lower(),
                                                           EventResource.id != (resource.id or 0)).limit(1)):
        errors["name"] = [_("A resource of this name exists already.")]
    if resource.kind not in {value for value, _label in RESOURCE_KIND_CHOICES}:
        errors["kind"] = [_("Choose a kind from the list.")]
    cost = Decimal(resource.unit_cost if resource.unit_cost is not None else 0)
    if cost < 0 or cost > MONEY_MAX:
        errors["unit_cost"] = [_("Enter an amount of 0 or more.")]
    resource.unit_cost = cost.quantize(FEN, ROUND_HALF_UP)
    if resource.kind == MATERIAL:
        if resource.stock is None or resource.stock < 0:
            errors["stock"] = [_("Enter how many are in store (0 or more).")]
    else:
        resource.stock = None
    if resource.kind == STAFF:
        user = resource.user if resource.user is not None else (
            db.session.get(User, resource.user_id) if resource.user_id else None)
        if user is None or not user.active:
            errors["user"] = [_("Choose the member of staff (an active user).")]
    if resource.capacity is not None and resource.capacity <= 0:
        errors["capacity"] = [_("Enter a number greater than 0, or leave it empty.")]
    if errors:
        raise ValidationErrors(errors)


def _save_resource(actor, resource: EventResource) -> EventResource:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _check_resource(resource)
        db.session.add(resource)
    return resource


def _delete_resource(actor, resource: EventResource) -> None:
    with unit_of_work(actor):
        if db.session.scalar(select(EventAllocation.id).where(EventAllocation.resource_id == resource.id).limit(1)):
            raise DomainError("events.resource_booked", _(
                "%(name)s has bookings; mark it inactive instead of deleting it.", name=resource.name))
        db.session.delete(resource)


class event_resources:
    create = update = staticmethod(_save_resource)
    delete = staticmethod(_delete_resource)


# -- bookings ---------------------------------------------------------------------------------------------------
def days_of(starts_at: dt.datetime, ends_at: dt.datetime) -> int:
    """The days a venue or a member of staff is charged for: every day begun."""
    return max(1, math.ceil((ends_at - starts_at) / dt.timedelta(days=1)))


def _local(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def allocate(actor, booking: EventAllocation) -> EventAllocation:
    """Book `booking.resource` for `booking.event` from starts_at to ends_at (the event's times when empty).
    Refuses a venue or member of staff already booked then (DoubleBooked, with the other booking), a material
    beyond its stock, an inactive resource, an ended or cancelled event."""
    with unit_of_work(actor):
        with db.session.no_autoflush:
            event_id = booking.event_id if booking.event_id is not None else getattr(booking.event, "id", None)
            event = event_for_change(actor, event_id)
            resource_id = booking.resource_id if booking.resource_id is not None else getattr(booking.resource,
                                                                                             "id", None)
            resource = db.session.get(EventResource, resource_id) if resource_id else None
            if resource is None:
                raise ValidationErrors({"resource": [_("Choose a resource from the list.")]})
            booking.starts_at = booking.starts_at or event.starts_at
            booking.ends_at = booking.ends_at or event.ends_at
            if booking.ends_at <= booking.starts_at:
                raise ValidationErrors({"ends_at": [_("It cannot end before it starts.")]})
            if booking.ends_at - booking.starts_at > LONGEST_BOOKING:
                raise ValidationErrors({"ends_at": [_("A booking lasts at most three months.")]})
            quantity = booking.quantity if resource.kind == MATERIAL else 1
            if quantity is None or quantity <= 0:
                raise ValidationErrors({"quantity": [_("Enter a number greater than 0.")]})
        with db.session.no_autoflush:
            # The resource's row written first: bookings of one resource are checked one after the other.
            taken = update(EventResource).where(EventResource.id == resource.id, EventResource.active.is_(True))
            if resource.kind == MATERIAL:
                taken = taken.where(EventResource.stock >= quantity).values(stock=EventResource.stock - quantity)
            else:
                taken = taken.values(active=True)
            if db.session.execute(taken.execution_options(synchronize_session=False)).rowcount != 1:
                db.session.refresh(resource)
                if not resource.active:
                    raise DomainError("events.resource_inactive", _("%(name)s is no longer in use.",
                                                                    name=resource.name))
                raise DomainError("events.out_of_stock", _(
                    "Only %(stock)s of %(name)s are in store; %(wanted)s were asked for.", stock=resource.stock,
                    name=resource.name, wanted=quantity))
            if resource.kind in (VENUE, STAFF):
                clash = db.session.execute(
                    select(EventAllocation.starts_at, EventAllocation.ends_at, Event.code, Event.title)
                    .join(Event, Event.id == EventAllocation.event_id)
                    .where(EventAllocation.resource_id == resource.id, EventAllocation.starts_at < booking.ends_at,
                           EventAllocation.ends_at > booking.starts_at, Event.status != CANCELLED,
                           EventAllocation.id != (booking.id or 0))
                    .order_by(EventAllocation.starts_at).limit(1)).first()
                if clash is not None:
                    raise DoubleBooked("events.double_booked", _(
                        "%(name)s is already booked from %(start)s to %(end)s by %(code)s %(title)s.",
                        name=resource.name, start=_local(clash.starts_at), end=_local(clash.ends_at), code=clash.code,
                        title=clash.title))
                units = days_of(booking.starts_at, booking.ends_at)
            else:
                units = quantity
        booking.event_id, booking.resource_id, booking.quantity = event.id, resource.id, quantity
        booking.cost = (Decimal(resource.unit_cost) * units).quantize(FEN, ROUND_HALF_UP)
        booking.created_by_id = getattr(actor, "id", None)
        db.session.add(booking)
    return booking


def cancel_booking(actor, booking: EventAllocation) -> None:
    """A booking cancelled: the slot is free again, a material's quantity back in store."""
    with unit_of_work(actor):
        event_for_change(actor, booking.event_id)
        if booking.resource.kind == MATERIAL:
            db.session.execute(update(EventResource).where(EventResource.id == booking.resource_id)
                               .values(stock=EventResource.stock + booking.quantity)
                               .execution_options(synchronize_session=False))
        db.session.delete(booking)


def _not_changed(actor, booking, *args, **kwargs):
    raise DomainError("events.booking_fixed", _("A booking is not changed: cancel it and book again."))


class event_allocations:
    create = staticmethod(allocate)
    update = staticmethod(_not_changed)
    delete = staticmethod(cancel_booking)


# -- expenses ---------------------------------------------------------------------------------------------------
def _save_expense(actor, expense: EventExpense) -> EventExpense:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            errors: dict[str, list[str]] = {}
            expense.title = (expense.title or "").strip()
            if not expense.title:
                errors["title"] = [_("Please enter what was paid for.")]
            if expense.amount is None or not Decimal(0) < Decimal(expense.amount) <= MONEY_MAX:
                errors["amount"] = [_("Enter an amount greater than 0.")]
            if expense.spent_on is None:
                errors["spent_on"] = [_("Please enter the date.")]
            if errors:
                raise ValidationErrors(errors)
            expense.amount = Decimal(expense.amount).quantize(FEN, ROUND_HALF_UP)
            event_id = expense.event_id if expense.event_id is not None else getattr(expense.event, "id", None)
            event_for_change(actor, event_id)
            if expense.id is None:
                expense.created_by_id = getattr(actor, "id", None)
        db.session.add(expense)
    return expense


def _delete_expense(actor, expense: EventExpense) -> None:
    with unit_of_work(actor):
        event_for_change(actor, expense.event_id)
        db.session.delete(expense)


class event_expenses:
    create = update = staticmethod(_save_expense)
    delete = staticmethod(_delete_expense)


def costs_of(event_ids) -> dict[int, Decimal]:
    """Each event's cost: its bookings plus its expenses (two grouped statements)."""
    ids = list(event_ids)
    totals = {event_id: Decimal(0) for event_id in ids}
    if not ids:
        return totals
    for model, column in ((EventAllocation, EventAllocation.cost), (EventExpense, EventExpense.amount)):
        for event_id, amount in db.session.execute(select(model.event_id, func.sum(column))
                                                   .where(model.event_id.in_(ids)).group_by(model.event_id)):
            totals[event_id] += Decimal(amount or 0)
    return totals


def bookings_between(resource_ids, start: dt.datetime, end: dt.datetime) -> list:
    """The bookings of these resources overlapping [start, end): the resource calendar."""
    return list(db.session.scalars(
        select(EventAllocation).join(Event, Event.id == EventAllocation.event_id)
        .where(EventAllocation.resource_id.in_(list(resource_ids)), EventAllocation.starts_at < end,
               EventAllocation.ends_at > start, Event.status != CANCELLED)
        .order_by(EventAllocation.starts_at).limit(2000)))
