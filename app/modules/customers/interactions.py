"""Interactions with customers (calls, visits, meetings, notes, e-mails) and the customer's
timeline, which merges them with field changes, grade changes and the documents of other
modules, newest first.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from app.core.audit import AuditLog
from app.core.clock import utcnow
from app.core.errors import DomainError, ValidationErrors
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.models import (INTERACTION_KINDS, OUTCOME_CHOICES, Contact, Customer, GradeChange,
                                          Interaction)
from app.modules.customers.service import check_may_manage, local_date

KINDS = {k for k, _label in INTERACTION_KINDS}
OUTCOMES = {k for k, _label in OUTCOME_CHOICES}
MAX_DURATION = 24 * 60
# How far ahead of now an interaction may be dated (clock skew, a meeting logged while it runs).
FUTURE_SLACK = dt.timedelta(hours=1)


# -- logging interactions ----------------------------------------------------------------------
def _validate(actor, item: Interaction) -> Customer:
    errors: dict[str, list[str]] = {}
    customer_id = item.customer_id or (item.customer.id if item.customer is not None else None)
    customer = db.session.get(Customer, customer_id) if customer_id else None
    if customer is None or not can_see("customers", actor, customer.id):
        raise DomainError("interactions.no_customer", _("Customer not found."), field="customer")
    check_may_manage(actor, customer)
    item.customer = customer
    if item.kind not in KINDS:
        errors.setdefault("kind", []).append(_("Please choose the kind of interaction."))
    if item.outcome in ("", None):
        item.outcome = None
    elif item.outcome not in OUTCOMES:
        errors.setdefault("outcome", []).append(_("Please choose one of the listed outcomes."))
    item.subject = (item.subject or "").strip() or None
    item.content = (item.content or "").strip() or None
    if not item.subject and not item.content:
        errors.setdefault("content", []).append(_("Please describe the interaction."))
    if item.subject and len(item.subject) > 200:
        errors.setdefault("subject", []).append(_("The subject is at most 200 characters."))
    if item.occurred_at is None:
        item.occurred_at = utcnow()
    elif item.occurred_at > utcnow() + FUTURE_SLACK:
        errors.setdefault("occurred_at", []).append(_("An interaction cannot be in the future."))
    if item.duration_minutes is not None and not (0 <= item.duration_minutes <= MAX_DURATION):
        errors.setdefault("duration_minutes", []).append(_("The duration is between 0 and 1440 minutes."))
    if item.next_follow_up_on is not None and item.next_follow_up_on < local_date(item.occurred_at):
        errors.setdefault("next_follow_up_on", []).append(
            _("The next follow-up cannot be before the interaction."))
    contact_id = item.contact_id or (item.contact.id if item.contact is not None else None)
    if contact_id:
        contact = db.session.get(Contact, contact_id)
        if contact is None or contact.customer_id != customer.id:
            errors.setdefault("contact", []).append(_("The contact does not belong to this customer."))
    if errors:
        raise ValidationErrors(errors, code="interactions.invalid")
    return customer


def _follow_up(customer: Customer, item: Interaction) -> None:
    """Keep the customer's last interaction and next follow-up date current.

    The newest interaction decides the next follow-up: its own date when it has one; without
    one, a follow-up that was due by then counts as done, a later one stays planned."""
    if customer.last_interaction_at is None or item.occurred_at >= customer.last_interaction_at:
        customer.last_interaction_at = item.occurred_at
        if item.next_follow_up_on is not None:
            customer.next_follow_up_on = item.next_follow_up_on
        elif customer.next_follow_up_on is not None and customer.next_follow_up_on <= local_date(item.occurred_at):
            customer.next_follow_up_on = None


def _recompute_last(customer: Customer) -> None:
    customer.last_interaction_at = db.session.scalar(
        select(func.max(Interaction.occurred_at)).where(Interaction.customer_id == customer.id))


def log_interaction(actor, item: Interaction) -> Interaction:
    """Record an interaction with a customer the actor may see and manage (a pooled customer
    must be claimed first). Sets the customer's last interaction time and next follow-up
    date; the follow-up reminder job reads the latter. Refuses with field messages, nothing
    written."""
    with unit_of_work(actor):
        customer = _validate(actor, item)
        if item.user_id is None and item.user is None and actor is not None:
            item.user_id = actor.id
        db.session.add(item)
        db.session.flush()
        _follow_up(customer, item)
    return item


def update_interaction(actor, item: Interaction) -> Interaction:
    """Save changes to an interaction, checked like a new one."""
    with unit_of_work(actor):
        customer = _validate(actor, item)
        db.session.flush()
        _recompute_last(customer)
        _follow_up(customer, item)
    return item


def delete_interaction(actor, item: Interaction) -> None:
    """Delete an interaction; the customer's last interaction time follows."""
    with unit_of_work(actor):
        customer = item.customer
        check_may_manage(actor, customer)
        db.session.delete(item)
        db.session.flush()
        _recompute_last(customer)


class interactions:
    """The hooks the generated screens and API call for interactions."""
    create, update, delete = (staticmethod(log_interaction), staticmethod(update_interaction),
                              staticmethod(delete_interaction))


# -- e-mails sent from the app -----------------------------------------------------------------
def record_mail(uow, message, refs: dict) -> Interaction | None:
    """Mail listener: a message written to the outbox for a customer (refs customer_id /
    contact_id) or to a customer's or contact's address becomes an e-mail interaction on that
    customer's timeline, in the sender's transaction."""
    customer_id, contact_id = refs.get("customer_id"), refs.get("contact_id")
    address = (message.to or "").strip()
    if contact_id and not customer_id:
        customer_id = db.session.scalar(select(Contact.customer_id).where(Contact.id == contact_id))
    if not customer_id and address:
        row = db.session.execute(
            select(Contact.customer_id, Contact.id)
            .where(or_(Contact.email == address, Contact.email == address.lower())).limit(1)).first()
        if row is not None:
            customer_id, contact_id = row
        else:
            customer_id = db.session.scalar(
                select(Customer.id).where(or_(Customer.email == address, Customer.email == address.lower())).limit(1))
    if not customer_id:
        return None
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        return None
    db.session.flush()
    now = utcnow()
    item = Interaction(customer_id=customer.id, contact_id=contact_id, kind="email", subject=message.subject[:200],
                       content=message.body, occurred_at=now, mail_id=message.id,
                       user_id=getattr(uow.actor, "id", None))
    db.session.add(item)
    if customer.last_interaction_at is None or now >= customer.last_interaction_at:
        customer.last_interaction_at = now
    return item


# -- the timeline ------------------------------------------------------------------------------
@dataclass
class TimelineEntry:
    kind: str                   # an interaction kind, "change", "grade" or a document source's key
    at: dt.datetime             # UTC
    title: str
    body: str = ""
    user: Any = None
    link: str = ""
    details: list = field(default_factory=list)     # [(label, value)]
    interaction: Any = None


@dataclass(frozen=True)
class TimelineSource:
    """Entries another module adds to a customer's timeline (contracts, orders, invoices,
    payments): `fetch(customer_id, limit)` returns its newest `limit` TimelineEntry objects."""

    key: str
    label: Any
    fetch: Callable


_sources: dict[str, TimelineSource] = {}


def register_timeline_source(source: TimelineSource) -> None:
    """Add (or replace, by key) a kind of entries on every customer's timeline."""
    _sources[source.key] = source


def timeline_kinds() -> list[tuple[str, Any]]:
    """(key, label) of every kind the timeline can be filtered by, in display order."""
    return ([*INTERACTION_KINDS, ("change", _l("Field change")), ("grade", _l("Grade change"))]
            + [(s.key, s.label) for s in _sources.values()])


def _interaction_entries(customer_id: int, kinds: set | None, limit: int) -> list[TimelineEntry]:
    stmt = select(Interaction).where(Interaction.customer_id == customer_id)
    if kinds is not None:
        stmt = stmt.where(Interaction.kind.in_(sorted(kinds & KINDS)))
    stmt = (stmt.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit)
            .options(joinedload(Interaction.contact), joinedload(Interaction.user)))   # in the same statement
    outcome_labels, kind_labels = dict(OUTCOME_CHOICES), dict(INTERACTION_KINDS)
    entries = []
    for item in db.session.scalars(stmt):
        details = []
        if item.contact is not None:
            details.append((_("Contact"), item.contact.name))
        if item.duration_minutes:
            details.append((_("Duration"), _("%(n)d min", n=item.duration_minutes)))
        if item.outcome:
            details.append((_("Outcome"), str(outcome_labels.get(item.outcome, item.outcome))))
        if item.next_follow_up_on:
            details.append((_("Next follow-up"), item.next_follow_up_on.isoformat()))
        entries.append(TimelineEntry(kind=item.kind, at=item.occurred_at,
                                     title=item.subject or str(kind_labels.get(item.kind, item.kind)),
                                     body=item.content or "", user=item.user, details=details,
                                     link=f"/interactions/show/{item.id}", interaction=item))
    return entries


def _grade_entries(customer_id: int, limit: int) -> list[TimelineEntry]:
    stmt = (select(GradeChange).where(GradeChange.customer_id == customer_id)
            .order_by(GradeChange.at.desc(), GradeChange.id.desc()).limit(limit))
    none = _("(none)")
    return [TimelineEntry(
        kind="grade", at=change.at, user=change.actor,
        title=_("Grade %(old)s → %(new)s", old=change.old_grade or none, new=change.new_grade or none),
        details=[(_("Paid in the last 12 months"), f"{change.paid_12m:,.2f}"),
                 (_("Months of cooperation"), str(change.months))])
        for change in db.session.scalars(stmt)]


def _change_entries(customer: Customer, limit: int, describe: Callable) -> list[TimelineEntry]:
    stmt = (select(AuditLog).where(AuditLog.table_name == Customer.__tablename__,
                                   AuditLog.record_id == str(customer.id))
            .order_by(AuditLog.id.desc()).limit(limit))
    entries = []
    for log in db.session.scalars(stmt):
        changed = log.changes or {}
        if log.action == "create":
            title = _("Customer created")
        elif "pooled_at" in changed and changed["pooled_at"][1] and not changed["pooled_at"][0]:
            title = _("Released to the shared pool")
        elif "pooled_at" in changed and changed["pooled_at"][0] and not changed["pooled_at"][1]:
            title = _("Claimed from the shared pool") if log.actor_id == changed.get("owner_id", [None, None])[1] \
                else _("Assigned from the shared pool")
        elif "owner_id" in changed:
            title = _("Owner changed")
        else:
            title = _("Fields changed")
        described = describe(log) if log.action != "create" else {"changes": []}
        entries.append(TimelineEntry(kind="change", at=log.at, title=title, user=log.actor,
                                     details=[(label, f"{old or '—'} → {new or '—'}")
                                              for label, old, new in described["changes"]]))
    return entries


def timeline(customer: Customer, kinds: set | None = None, limit: int = 50, offset: int = 0,
             describe: Callable | None = None) -> tuple[list[TimelineEntry], bool]:
    """A page of the customer's timeline, newest first: its interactions, field changes (read
    through `describe(audit_entry)`, which names fields and values as the screens do), grade
    changes and every registered document source; `kinds` narrows it. Returns the entries and
    whether there are more.

    Each source reads only its newest offset+limit+1 rows along an index, so the first pages
    stay fast however long the history is."""
    wanted = offset + limit + 1
    entries: list[TimelineEntry] = []
    if kinds is None or kinds & KINDS:
        entries += _interaction_entries(customer.id, kinds, wanted)
    if (kinds is None or "change" in kinds) and describe is not None:
        entries += _change_entries(customer, wanted, describe)
    if kinds is None or "grade" in kinds:
        entries += _grade_entries(customer.id, wanted)
    for source in _sources.values():
        if kinds is None or source.key in kinds:
            entries += source.fetch(customer.id, wanted)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[offset:offset + limit], len(entries) > offset + limit
