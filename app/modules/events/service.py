"""Event operations (活动, 报名, 签到). Screens, the public registration page, the API and jobs all call these.

Each function takes the acting user explicitly (None on the public page), validates, writes in one transaction
and raises DomainError or ValidationErrors (nothing written) when a rule refuses.

Capacity holds under any number of parallel registrations: a place is taken by one conditional UPDATE of the
event's kept count (`registered < capacity`), which the database runs one at a time per event; whoever finds
the event full goes on the waiting list. A cancellation gives its place to the longest waiting, in the same
transaction and under the same row lock."""
from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import Integer, String, bindparam, case, func, insert, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.core.clock import utcnow
from app.core.datamodel import chosen_id as _chosen
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.numbering import next_number
from app.core.org import User
from app.core.scope import may_assign_to
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.api import Contact, Customer
from app.modules.events.models import (APPROVAL_DONE, ASKED_CHOICES, BUDGET_LIMIT, CANCELLED, ENDED, INTERNAL,
                                       KIND_CHOICES, OPEN,
                                       PREPARING, PUBLIC, REG_CANCELLED, REGISTERED, RUNNING, WAITING, WALK_IN,
                                       Event, EventRegistration)

NUMBERING = "event"
MOBILE = re.compile(r"^1[3-9]\d{9}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"      # no 0/O, 1/I: read aloud and typed at the door
BUDGET_MAX = Decimal("9999999999999999.99")
# The registration page's fields as people write them, in Chinese or English.
ASKED_NAMES = {"公司": "company", "单位": "company", "职务": "title", "职位": "title", "邮箱": "email", "电子邮箱": "email",
               "e-mail": "email", "备注": "remark", "job title": "title", "remarks": "remark"}


class WrongState(DomainError):
    status = 409


class AlreadyCheckedIn(DomainError):
    status = 409


# -- events ---------------------------------------------------------------------------------------------------
def _check_event(actor, event: Event) -> None:
    errors: dict[str, list[str]] = {}
    event.title = (event.title or "").strip()
    if not event.title:
        errors["title"] = [_("Please enter the title.")]
    if event.kind not in {value for value, _label in KIND_CHOICES}:
        errors["kind"] = [_("Choose a kind from the list.")]
    if event.starts_at is None:
        errors["starts_at"] = [_("Please enter when it starts.")]
    if event.ends_at is None:
        errors["ends_at"] = [_("Please enter when it ends.")]
    elif event.starts_at is not None and event.ends_at < event.starts_at:
        errors["ends_at"] = [_("It ends before it starts.")]
    if event.registration_deadline is not None and event.ends_at is not None \
            and event.registration_deadline > event.ends_at:
        errors["registration_deadline"] = [_("Registration must close before the event ends.")]
    if event.capacity is not None:
        if event.capacity <= 0:
            errors["capacity"] = [_("Enter a capacity above 0, or leave it empty for no limit.")]
        elif event.capacity < (event.registered or 0):
            errors["capacity"] = [_("%(n)s people are registered already; the capacity cannot be less.",
                                    n=event.registered)]
    try:
        budget = Decimal(str(event.budget if event.budget is not None else 0))
        if budget < 0 or budget > BUDGET_MAX or budget != budget.quantize(Decimal("0.01")):
            raise InvalidOperation
        event.budget = budget
    except (InvalidOperation, ValueError):
        errors["budget"] = [_("Enter the budget in yuan, at most two decimals.")]
    if event.online_url and not re.match(r"^https?://\S+$", event.online_url.strip()):
        errors["online_url"] = [_("Enter an address starting with http:// or https://.")]
    asked = [ASKED_NAMES.get(name.strip().lower(), name.strip()) for name in
             re.split(r"[,，、\s]+", event.asked or "") if name.strip()]
    known = {value for value, _label in ASKED_CHOICES}
    if any(name not in known for name in asked):
        errors["asked"] = [_("Choose the fields to ask from the list.")]
    event.asked = ",".join(dict.fromkeys(name for name in asked if name in known))
    owner_id = _chosen(event, "owner") or getattr(actor, "id", None)
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or not owner.active:
        errors["owner"] = [_("Please choose the owner.")]
    elif not may_assign_to(actor, "events", owner):
        errors["owner"] = [_("You may not make %(name)s the owner.", name=owner.display_name)]
    if errors:
        raise ValidationErrors(errors)
    event.owner_id, event.owner = owner.id, owner
    if _chosen(event, "department") is None:
        event.department_id = owner.department_id


def create_event(actor, event: Event) -> Event:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            event.registered = event.waiting = event.checked_in = 0
            event.status = PREPARING
            _check_event(actor, event)
        event.code = next_number(NUMBERING)
        event.public_key = secrets.token_urlsafe(12)
        db.session.add(event)
    return event


def update_event(actor, event: Event) -> Event:
    with unit_of_work(actor):
        if event.status in (ENDED, CANCELLED):
            raise WrongState("events.closed", _("An ended or cancelled event is not changed."))
        with db.session.no_autoflush:
            _check_event(actor, event)
    return event


def delete_event(actor, event: Event) -> None:
    """Only an event nobody has registered for is deleted; otherwise it is cancelled."""
    with unit_of_work(actor):
        count = db.session.scalar(select(func.count()).select_from(EventRegistration)
                                  .where(EventRegistration.event_id == event.id))
        if count:
            raise DomainError("events.has_registrations", _(
                "%(n)s people have registered for %(title)s; cancel the event instead.", n=count, title=event.title))
        db.session.delete(event)


def _locked(event_id: int) -> Event:
    event = db.session.scalar(select(Event).where(Event.id == event_id).with_for_update())
    if event is None:
        raise NotFound("events.not_found", _("The event does not exist."))
    return event


STEPS = {  # step: (from, to)
    "open": ((PREPARING,), OPEN),
    "start": ((PREPARING, OPEN), RUNNING),
    "end": ((RUNNING, OPEN), ENDED),
}


def advance(actor, event_id: int, step: str) -> Event:
    """开放报名, 开始 or 结束 an event, along 筹备中 → 报名中 → 进行中 → 已结束."""
    if step not in STEPS:
        raise DomainError("events.bad_step", _("This step does not exist."))
    sources, target = STEPS[step]
    with unit_of_work(actor):
        event = _locked(event_id)
        if event.status not in sources:
            raise WrongState("events.wrong_state", _(
                "%(title)s is %(status)s; this step is not possible now.", title=event.title,
                status=_status_label(event.status)))
        if target in (OPEN, RUNNING) and needs_approval(event) and event.approval != APPROVAL_DONE:
            raise WrongState("events.approval_needed", _(
                "The budget of %(title)s (¥%(budget)s) is over ¥%(limit)s: it must be approved before registration "
                "opens or the event starts. Submit it for approval on its approval tab.", title=event.title,
                budget=f"{Decimal(event.budget):,.2f}", limit=f"{BUDGET_LIMIT:,}"))
        event.status = target
    return event


def needs_approval(event: Event) -> bool:
    """活动预算审批: an event over the budget limit is approved before registration opens or it starts."""
    return Decimal(event.budget or 0) > BUDGET_LIMIT


def before_submit(actor, event: Event) -> None:
    """What 活动预算审批 asks of an event: a budget over the limit (said otherwise) and an event not yet over."""
    if event.status in (ENDED, CANCELLED):
        raise WrongState("events.closed", _("An ended or cancelled event is not changed."))
    if not needs_approval(event):
        raise DomainError("events.no_approval_needed", _(
            "The budget of %(title)s is within ¥%(limit)s and needs no approval: open its registration.",
            title=event.title, limit=f"{BUDGET_LIMIT:,}"))


def cancel_event(actor, event_id: int, reason: str) -> Event:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationErrors({"reason": [_("Please give the reason.")]})
    with unit_of_work(actor):
        event = _locked(event_id)
        if event.status in (ENDED, CANCELLED):
            raise WrongState("events.closed", _("An ended or cancelled event is not changed."))
        event.status, event.cancel_reason = CANCELLED, reason[:2000]
    return event


def _status_label(status: str) -> str:
    from app.modules.events.models import STATUS_CHOICES

    return str(dict(STATUS_CHOICES).get(status, status))


# -- registrations -------------------------------------------------------------------------------------------
def new_code() -> str:
    """Ten characters (about 50 bits: the code on a ticket's address is what lets its holder cancel), at least
    one of them a digit, so that a code never reads as a word."""
    code = [secrets.choice(CODE_ALPHABET) for _i in range(10)]
    if not any(char.isdigit() for char in code):
        code[secrets.randbelow(10)] = secrets.choice("23456789")
    return "".join(code)


def normalise_phone(value) -> str:
    phone = re.sub(r"[\s()-]", "", str(value or ""))
    return phone[3:] if phone.startswith("+86") else phone


def _check_person(event: Event, data: dict, public: bool) -> dict:
    errors: dict[str, list[str]] = {}
    clean = {"name": str(data.get("name") or "").strip()[:100], "phone": normalise_phone(data.get("phone"))}
    if not clean["name"]:
        errors["name"] = [_("Please enter the name.")]
    if not MOBILE.match(clean["phone"]):
        errors["phone"] = [_("Please enter an 11-digit mobile number.")]
    for name, size in (("company", 200), ("title", 100), ("email", 200), ("remark", 500)):
        value = str(data.get(name) or "").strip()
        if len(value) > size:
            errors[name] = [_("At most %(n)s characters.", n=size)]
        clean[name] = value[:size] or None
    if clean["email"] and not EMAIL.match(clean["email"]):
        errors["email"] = [_("Please enter a valid e-mail address.")]
    if public:
        for name in event.asked_fields:
            if name in ("company", "email") and not clean.get(name):
                errors[name] = [_("Please fill in this field.")]
        if event.consent_text and not data.get("consent"):
            errors["consent"] = [_("Please agree to the terms to register.")]
    if errors:
        raise ValidationErrors(errors)
    clean["consented"] = bool(data.get("consent"))
    return clean


def _open_for(event: Event, now: dt.datetime, walk_in: bool = False) -> None:
    if event.status == CANCELLED:
        raise WrongState("events.cancelled", _("This event has been cancelled."))
    if event.status == ENDED:
        raise WrongState("events.ended", _("This event has ended."))
    if walk_in:
        if event.status not in (OPEN, RUNNING):
            raise WrongState("events.not_running", _("Walk-ins are registered while the event is under way."))
        return
    if event.status != OPEN:
        raise WrongState("events.not_open", _("Registration for this event is not open."))
    if event.registration_deadline is not None and now > event.registration_deadline:
        raise WrongState("events.deadline", _("Registration closed at %(at)s.", at=_local(event.registration_deadline)))


def _local(moment: dt.datetime) -> str:
    from app.core.webhooks import local_time

    return local_time(moment)


@functools.cache
def _statements() -> dict:
    """The statements a registration runs, built once per process (a registration is mostly their execution: the
    public page may take hundreds a second)."""
    event, registration = Event.__table__, EventRegistration.__table__
    statements = {         # updated_at: the column's onupdate, as the ORM sets it
        "take": update(event).where(event.c.id == bindparam("event_id"),
                                    or_(event.c.capacity.is_(None), event.c.registered < event.c.capacity))
        .values(registered=event.c.registered + 1),
        "wait": update(event).where(event.c.id == bindparam("event_id")).values(waiting=event.c.waiting + 1),
        "insert": insert(registration),
    }
    dialect = db.session.get_bind().dialect.name
    for with_email in (False, True):
        phone = bindparam("phone", type_=String)
        conditions = [Contact.phone == phone]
        if with_email:
            conditions.append(Contact.email == bindparam("email", type_=String))
        first_contact = select(Contact.id).where(or_(*conditions)).order_by(Contact.id).limit(1).scalar_subquery()
        by_phone = select(Customer.id).where(Customer.phone == phone).order_by(Customer.id).limit(1).scalar_subquery()
        earlier = select(EventRegistration.id).where(EventRegistration.event_id == bindparam("event_id", type_=Integer),
                                                     EventRegistration.phone == phone).scalar_subquery()
        statements["match", with_email] = select(
            first_contact, select(Contact.customer_id).where(Contact.id == first_contact).scalar_subquery(),
            by_phone, earlier)
        # A new registration in one statement: linked to the contact (and its customer) with this number or e-mail,
        # else to a customer with this phone; nothing written when the number is registered for the event already.
        matched = select(first_contact.label("contact_id")).subquery("zwt_match")
        customer = case((matched.c.contact_id.is_not(None),
                         select(Contact.customer_id).where(Contact.id == matched.c.contact_id).scalar_subquery()),
                        else_=by_phone)
        given = [column for column in registration.c if column.key not in ("id", "customer_id", "contact_id")]
        rows = (select(*[bindparam(column.key, type_=column.type) for column in given], matched.c.contact_id,
                       customer).select_from(matched).where(true()))    # WHERE: SQLite reads ON CONFLICT after it
        upsert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}.get(dialect)
        if upsert is not None:
            statements["new", with_email] = (
                upsert(registration).from_select([*[column.key for column in given], "contact_id", "customer_id"], rows)
                .on_conflict_do_nothing(index_elements=["event_id", "phone"])
                .returning(registration.c.id, registration.c.customer_id, registration.c.contact_id))
    return statements


def _take_place(event_id: int) -> bool:
    """One more registered, if there is room: one statement, which the database runs one at a time per event."""
    return db.session.connection().execute(_statements()["take"], {"event_id": event_id}).rowcount == 1


def _match(person: dict, event_id: int | None = None) -> tuple[int | None, int | None, int | None]:
    """The contact (and its customer) with this mobile number or e-mail, else a customer with that phone; and the
    id of this number's earlier registration for the event, if any: one statement."""
    email = person.get("email") or None
    params = {"phone": person["phone"], "event_id": event_id}
    if email:
        params["email"] = email
    contact_id, contact_customer, customer_id, earlier_id = db.session.connection().execute(
        _statements()["match", bool(email)], params).one()
    if contact_id is not None:
        return contact_customer, contact_id, earlier_id
    return customer_id, None, earlier_id


def register(actor, event_id: int, data: dict, source: str = PUBLIC, now: dt.datetime | None = None) \
        -> EventRegistration:
    """A person registered for an event: admitted while there is room, else put on the waiting list. Linked to
    the customer's contact with the same mobile number or e-mail. Refused when the event is not open, the
    deadline has passed or the mobile number is registered already (a cancelled one registers again)."""
    now = now or utcnow()
    event = db.session.get(Event, event_id, options=[lazyload(Event.owner)])
    if event is None:
        raise NotFound("events.not_found", _("The event does not exist."))
    person = _check_person(event, data, public=source == PUBLIC)
    _open_for(event, now, walk_in=source == WALK_IN)
    from app.modules.events.notices import confirm

    with unit_of_work(actor) as uow:
        # Everything but the place is written first, the confirmation for the likely outcome included, so that the
        # event's row is locked (from taking the place to the commit) for two short statements only.
        likely = REGISTERED if event.capacity is None or event.registered < event.capacity else WAITING
        values = {**person, "event_id": event_id, "status": likely, "source": source, "code": new_code(),
                  "cancelled_at": None, "checked_in_at": None, "checked_in_by_id": None,
                  "created_by_id": getattr(actor, "id", None), "created_at": now}
        registration = None
        statement = _statements().get(("new", bool(person.get("email"))))
        if statement is not None:
            # A new registration: one statement, and the row known to the session as it was written (no reading back).
            inserted = _insert(statement, values, person)
            if inserted is not None:
                values["id"], values["customer_id"], values["contact_id"] = inserted
                registration = _known(values)
        if registration is None:
            values["customer_id"], values["contact_id"], earlier_id = _match(person, event_id)
            if earlier_id is not None:        # registered before: locked, and taken up again only when cancelled
                registration = db.session.scalar(select(EventRegistration).where(EventRegistration.id == earlier_id)
                                                 .with_for_update())
                if registration is not None and registration.status != REG_CANCELLED:
                    raise DomainError("events.already_registered", _(
                        "%(phone)s is registered for this event already (%(status)s).", phone=person["phone"],
                        status=_reg_status_label(registration.status)), field="phone")
            if registration is None:
                values["id"] = _insert(_statements()["insert"], values, person).inserted_primary_key[0]
                registration = _known(values)
            else:
                for key, value in values.items():
                    setattr(registration, key, value)
        written = confirm(uow, registration, event) if source != WALK_IN else []
        db.session.flush()
        admitted = _take_place(event_id)
        if not admitted:
            if source == WALK_IN:
                raise WrongState("events.full", _("The event is full: no walk-in can be admitted."))
            db.session.connection().execute(_statements()["wait"], {"event_id": event_id})
        if (REGISTERED if admitted else WAITING) != likely:      # the last places went meanwhile (or came back)
            registration.status = REGISTERED if admitted else WAITING
            for row in written:
                db.session.delete(row)
            if source != WALK_IN:
                confirm(uow, registration, event)
        if source == WALK_IN:
            registration.checked_in_at, registration.checked_in_by_id = now, getattr(actor, "id", None)
            db.session.execute(update(Event).where(Event.id == event_id).values(checked_in=Event.checked_in + 1)
                               .execution_options(synchronize_session=False))
        db.session.flush()      # nothing of the registration left pending (an outer unit of work commits later)
        kept = {column.key: getattr(registration, column.key) for column in _REGISTRATION_COLUMNS}
    # The commit expired the registration: what it wrote is what it holds, so the caller reads it without asking the
    # database again (its event, customer and contact load when asked for).
    for key, value in kept.items():
        set_committed_value(registration, key, value)
    return registration


_REGISTRATION_COLUMNS = tuple(EventRegistration.__mapper__.column_attrs)


def _insert(statement, values: dict, person: dict):
    """The registration's INSERT: its one row (id, customer, contact) for an upsert — None when the number is
    registered already —, else the result."""
    params = {**values, "email": person.get("email")}
    try:
        result = db.session.connection().execute(statement, params)
    except IntegrityError:
        db.session.rollback()
        raise DomainError("events.already_registered", _(
            "%(phone)s is registered for this event already.", phone=person["phone"]), field="phone")
    return result.first() if result.returns_rows else result


def _known(values: dict) -> EventRegistration:
    """The registration just inserted, in the session as it was written."""
    registration = EventRegistration(**values)
    make_transient_to_detached(registration)
    db.session.add(registration)
    return registration


def _reg_status_label(status: str) -> str:
    from app.modules.events.models import REG_STATUS_CHOICES

    return str(dict(REG_STATUS_CHOICES).get(status, status))


def cancel_registration(actor, registration_id: int, now: dt.datetime | None = None) -> EventRegistration | None:
    """A registration cancelled; its place goes to the longest waiting, who is told. Returns who moved up."""
    now = now or utcnow()
    with unit_of_work(actor) as uow:
        registration = db.session.scalar(select(EventRegistration).where(EventRegistration.id == registration_id)
                                         .with_for_update())
        if registration is None:
            raise NotFound("events.no_registration", _("The registration does not exist."))
        if registration.status == REG_CANCELLED:
            raise WrongState("events.registration_cancelled", _("The registration is cancelled already."))
        if registration.checked_in_at is not None:
            raise WrongState("events.checked_in", _("Whoever has checked in is not cancelled."))
        event = _locked(registration.event_id)
        was = registration.status
        registration.status, registration.cancelled_at = REG_CANCELLED, now
        moved = None
        if was == WAITING:
            event.waiting -= 1
        else:
            moved = db.session.scalar(select(EventRegistration).where(
                EventRegistration.event_id == event.id, EventRegistration.status == WAITING)
                .order_by(EventRegistration.id).limit(1).with_for_update())
            if moved is not None and event.status in (OPEN, RUNNING):
                moved.status = REGISTERED
                event.waiting -= 1
            else:
                moved = None
                event.registered -= 1
        if moved is not None:
            from app.modules.events.notices import moved_up

            uow.after_commit(lambda: moved_up(moved.id))
    return moved


def internal_register(actor, event_id: int, rows: list[dict]) -> tuple[list[EventRegistration], dict]:
    """Staff register several people (e.g. a customer's contacts) at once: each on its own; those refused are
    reported by their line, the others kept."""
    done, refused = [], {}
    for number, row in enumerate(rows, start=1):
        try:
            done.append(register(actor, event_id, row, source=INTERNAL))
        except ValidationErrors as exc:
            refused[number] = "; ".join(m for messages in exc.errors.values() for m in messages)
        except DomainError as exc:
            refused[number] = exc.message
    return done, refused


# -- check-in ------------------------------------------------------------------------------------------------
def check_in(actor, event_id: int, code: str, now: dt.datetime | None = None) -> EventRegistration:
    """Marks the registration with this code in, at once; a second check-in is refused with the first's time."""
    now = now or utcnow()
    code = re.sub(r"[^0-9A-Za-z]", "", str(code or "")).upper()[:16]
    if not code:
        raise ValidationErrors({"code": [_("Scan the QR code or type the registration code.")]})
    with unit_of_work(actor):
        done = db.session.execute(
            update(EventRegistration).where(EventRegistration.event_id == event_id, EventRegistration.code == code,
                                            EventRegistration.status == REGISTERED,
                                            EventRegistration.checked_in_at.is_(None))
            .values(checked_in_at=now, checked_in_by_id=getattr(actor, "id", None))
            .execution_options(synchronize_session=False)).rowcount
        registration = db.session.scalar(select(EventRegistration).where(
            EventRegistration.event_id == event_id, EventRegistration.code == code))
        if registration is None:
            raise NotFound("events.unknown_code", _("No registration for this event has the code %(code)s.",
                                                    code=code), field="code")
        if not done:
            if registration.status == WAITING:
                raise WrongState("events.waiting", _("%(name)s is still on the waiting list.",
                                                     name=registration.name), field="code")
            if registration.status == REG_CANCELLED:
                raise WrongState("events.registration_cancelled", _("%(name)s cancelled the registration.",
                                                                    name=registration.name), field="code")
            raise AlreadyCheckedIn("events.checked_in_already", _(
                "%(name)s checked in already at %(at)s.", name=registration.name,
                at=_local(registration.checked_in_at)), field="code")
        db.session.execute(update(Event).where(Event.id == event_id).values(checked_in=Event.checked_in + 1)
                           .execution_options(synchronize_session=False))
    return registration


def counters(event_id: int) -> dict:
    event = db.session.get(Event, event_id)
    db.session.refresh(event)
    rate = (Decimal(event.checked_in) / event.registered * 100).quantize(Decimal("0.1")) if event.registered \
        else Decimal(0)
    return {"registered": event.registered, "waiting": event.waiting, "checked_in": event.checked_in,
            "rate": str(rate), "capacity": event.capacity}


class events:
    create = staticmethod(create_event)
    update = staticmethod(update_event)
    delete = staticmethod(delete_event)


def _not_here(actor, item, *args, **kwargs):
    raise DomainError("events.registrations_here", _(
        "Registrations are made on the event's registration page, its check-in desk or by staff, and cancelled there."))


class event_registrations:
    create = update = delete = staticmethod(_not_here)

