"""Registrants who matched no customer become customers with one click (转为客户): the company (or the person) as a
potential customer owned by the one who converts, the registrant as its primary contact, and the registration
linked to both. Someone added since with the same mobile number or e-mail is linked instead of duplicated; a
registrant of a company already a customer becomes its contact."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.errors import DomainError, NotFound
from app.core.scope import visible
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.api import Contact, Customer, create_contact, create_customer
from app.modules.events.models import EXHIBITION, REG_CANCELLED, EventRegistration


def convert(actor, registration_id: int) -> EventRegistration:
    """The registration linked to a new customer and contact (or to the existing ones now matching it)."""
    from app.modules.events.service import _match

    with unit_of_work(actor):
        registration = visible("event_registrations", actor, registration_id)
        if registration is None:
            raise NotFound("events.registration_not_found", _("The registration does not exist or you may not see it."))
        if registration.customer_id is not None:
            raise DomainError("events.already_customer", _(
                "%(name)s is already linked to the customer %(customer)s.", name=registration.name,
                customer=registration.customer.name if registration.customer else ""))
        if registration.status == REG_CANCELLED:
            raise DomainError("events.registration_cancelled", _(
                "The registration of %(name)s was cancelled.", name=registration.name))
        customer_id, contact_id, _earlier = _match({"phone": registration.phone, "email": registration.email})
        company = (registration.company or "").strip()
        if customer_id is None and company:     # a contact more of a company already known (and visible)
            known = db.session.scalar(select(Customer.id).where(func.lower(Customer.name) == company.lower()).limit(1))
            if known is not None and visible("customers", actor, known) is not None:
                contact = create_contact(actor, Contact(
                    customer_id=known, name=registration.name, title=registration.title, phone=registration.phone,
                    email=registration.email))
                customer_id, contact_id = known, contact.id
        if customer_id is None:
            event = registration.event
            customer = create_customer(actor, Customer(
                name=company or registration.name, kind="company" if company else "person",
                phone=None if company else registration.phone, email=None if company else registration.email,
                source="exhibition" if event.kind == EXHIBITION else "other", status="potential",
                notes=_("From the event %(code)s %(title)s", code=event.code, title=event.title)))
            db.session.flush()
            contact = create_contact(actor, Contact(
                customer_id=customer.id, name=registration.name, title=registration.title,
                phone=registration.phone, email=registration.email, is_primary=True))
            customer_id, contact_id = customer.id, contact.id
        registration.customer_id, registration.contact_id = customer_id, contact_id
        db.session.flush()
    return registration
