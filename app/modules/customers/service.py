"""Customer and contact operations. Screens, API, jobs and the CLI all call these.

Each function takes the acting user explicitly, validates, writes in one transaction and raises
DomainError (nothing written) when a rule refuses.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, inspect as sa_inspect, or_, select

from app.core.clock import utcnow
from app.core.datamodel import chosen_id  # noqa: F401  (the module's screens and imports use it from here)
from app.core.errors import DomainError, ValidationErrors
from app.core.numbering import next_number
from app.core.org import subtree_ids
from app.core.scope import ALL, DEPARTMENT, can_see, effective_scope, may_assign_to
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.models import Contact, Customer
from app.modules.customers.values import CENT, local_date, local_today, money as _money  # noqa: F401

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# 统一社会信用代码 has 18 characters; older tax registration numbers 15 to 20.
TAX_ID = re.compile(r"^[0-9A-Z]{15,20}$")


def normalise_tax_id(tax_id: str | None) -> str | None:
    """Upper case without spaces or dashes; None for empty input."""
    if tax_id is None:
        return None
    return re.sub(r"[\s-]", "", str(tax_id)).upper() or None


def normalise_phone(phone: str | None) -> str | None:
    """Strip spaces and a leading +86; None for empty input."""
    if phone is None:
        return None
    phone = re.sub(r"[\s()]", "", str(phone))
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone or None


def _check_contact_fields(obj, errors: dict) -> None:
    obj.phone = normalise_phone(obj.phone)
    if obj.phone and not (MOBILE.match(obj.phone) or LANDLINE.match(obj.phone)):
        errors.setdefault("phone", []).append(
            _("Please enter a valid phone number: an 11-digit mobile number or a landline such as 010-12345678."))
    obj.email = (obj.email or "").strip() or None
    if obj.email and not EMAIL.match(obj.email):
        errors.setdefault("email", []).append(_("Please enter a valid e-mail address."))


def find_duplicate_phone(phone: str, customer_id: int | None = None, contact_id: int | None = None):
    """The customer that already uses `phone` (on itself or one of its contacts), other than
    `customer_id`; None when the number is free."""
    if not phone:
        return None
    # Two look-ups, each served by its phone index (an OR of the two made the database scan
    # every customer), the customer's own number first.
    own = select(Customer.id).where(Customer.phone == phone)
    via_contact = select(Contact.customer_id).where(Contact.phone == phone, Contact.id != (contact_id or 0))
    if customer_id:
        own = own.where(Customer.id != customer_id)
        via_contact = via_contact.where(Contact.customer_id != customer_id)
    found = db.session.scalar(own.limit(1))
    if found is None:
        found = db.session.scalar(via_contact.limit(1))
    return db.session.get(Customer, found) if found is not None else None


def may_manage(actor, customer: Customer) -> bool:
    """Whether `actor` may change `customer` (edit it, log interactions, add contacts).

    Customers in the shared pool are shown to every user who may read customers, so that they
    can be claimed; changing one beyond claiming it needs a scope that reaches it on its own:
    all, or department for a customer of the actor's department subtree."""
    if actor is None or customer.pooled_at is None:
        return True
    granted = effective_scope(actor, "customers")
    if granted == ALL:
        return True
    if granted == DEPARTMENT and actor.department_id and customer.department_id:
        return customer.department_id in subtree_ids(actor.department_id)
    return False


def check_may_manage(actor, customer: Customer) -> None:
    if not may_manage(actor, customer):
        raise DomainError("customers.in_pool", _("“%(name)s” is in the shared pool. Claim it first.",
                                                 name=customer.name))


def department_for(owner, chosen_department_id, stored_owner_id=None, stored_department_id=None):
    """The department a record of `owner` belongs to: the one chosen, else the owner's. When the
    owner changes and the department was left as it was, it follows the new owner (as a
    transfer does), so the new owner's manager sees the record."""
    if chosen_department_id is None:
        return owner.department_id
    if stored_owner_id is not None and stored_owner_id != owner.id and chosen_department_id == stored_department_id:
        return owner.department_id
    return chosen_department_id


def _stored(customer: Customer):
    """(owner_id, department_id) as stored, before this save; None for a new customer."""
    if not sa_inspect(customer).persistent:
        return None
    with db.session.no_autoflush:
        return db.session.execute(select(Customer.owner_id, Customer.department_id)
                                  .where(Customer.id == customer.id)).one()


def _check_owner(actor, customer: Customer, stored=None) -> None:
    """The owner must exist and be someone the actor may hand customers to. A customer in the
    shared pool has none; giving it one takes it out of the pool. The department defaults to
    the owner's (see department_for)."""
    from app.core.org import Department, User

    with db.session.no_autoflush:
        owner_id = chosen_id(customer, "owner")
        owner = db.session.get(User, owner_id) if owner_id else None
        if owner is None:
            if customer.pooled_at is not None:
                return
            raise DomainError("customers.no_owner", _("Please choose the owner."), field="owner")
        customer.owner = owner
        customer.pooled_at = None
        if not may_assign_to(actor, "customers", owner):
            raise DomainError("customers.owner_out_of_scope",
                              _("You may not assign customers to %(name)s.", name=owner.display_name), field="owner")
        department_id = department_for(owner, chosen_id(customer, "department"),
                                       *(stored if stored is not None else (None, None)))
        department = db.session.get(Department, department_id) if department_id else None
        if department_id and department is None:
            raise DomainError("customers.no_department", _("Department not found."), field="department")
        customer.department = department


def _validate_customer(customer: Customer) -> None:
    errors: dict[str, list[str]] = {}
    customer.name = (customer.name or "").strip()
    if not customer.name:
        errors.setdefault("name", []).append(_("Please enter the customer name."))
    elif len(customer.name) > 200:
        errors.setdefault("name", []).append(_("The customer name is at most 200 characters."))
    _check_contact_fields(customer, errors)
    customer.tax_id = normalise_tax_id(customer.tax_id)
    if customer.tax_id and not TAX_ID.match(customer.tax_id):
        errors.setdefault("tax_id", []).append(
            _("Please enter a valid tax ID: the 18-character unified social credit code, e.g. 91310115MA1H7XXX1X."))
    customer.credit_limit = _money(customer.credit_limit, "credit_limit", errors)
    if customer.owner_id is None and customer.owner is None and customer.pooled_at is None:
        errors.setdefault("owner", []).append(_("Please choose the owner."))
    if customer.name and "name" not in errors:
        stmt = select(Customer.code).where(func.lower(Customer.name) == customer.name.lower())
        if customer.id:
            stmt = stmt.where(Customer.id != customer.id)
        code = db.session.scalar(stmt.limit(1))
        if code:
            errors.setdefault("name", []).append(
                _("A customer named “%(name)s” already exists (%(code)s). Please do not enter it twice.",
                  name=customer.name, code=code))
    if customer.phone and "phone" not in errors:
        other = find_duplicate_phone(customer.phone, customer.id)
        if other is not None:
            errors.setdefault("phone", []).append(
                _("The phone number %(phone)s is already used by customer “%(name)s” (%(code)s).",
                  phone=customer.phone, name=other.name, code=other.code))
    if customer.tax_id and "tax_id" not in errors:
        stmt = select(Customer.name, Customer.code).where(Customer.tax_id == customer.tax_id)
        if customer.id:
            stmt = stmt.where(Customer.id != customer.id)
        other = db.session.execute(stmt.limit(1)).first()
        if other is not None:
            errors.setdefault("tax_id", []).append(
                _("The tax ID %(tax_id)s is already used by customer “%(name)s” (%(code)s).",
                  tax_id=customer.tax_id, name=other.name, code=other.code))
    if errors:
        raise ValidationErrors(errors, code="customers.invalid")


def _track_status(customer: Customer) -> None:
    """`lost_at` says since when a customer is lost (the lost-customers chart counts it)."""
    if customer.status == "lost":
        customer.lost_at = customer.lost_at or utcnow()
    else:
        customer.lost_at = None


def create_customer(actor, customer: Customer) -> Customer:
    """Add a customer with the next number of the "customer" rule (KH-yyyy-nnnnn).

    Owner defaults to the actor, department to the owner's, the start of cooperation to today.
    Refuses a duplicate name, phone or tax id.
    """
    with unit_of_work(actor):
        if customer.owner_id is None and customer.owner is None and actor is not None:
            customer.owner = actor
        _validate_customer(customer)
        _check_owner(actor, customer)
        customer.code = next_number("customer")
        if customer.cooperating_since is None:
            customer.cooperating_since = (local_date(customer.created_at) if customer.created_at else local_today())
        _track_status(customer)
        db.session.add(customer)
    return customer


def update_customer(actor, customer: Customer) -> Customer:
    """Save changes to a customer; the code never changes. Refuses duplicates like create, and
    changes to a pooled customer by someone who may only claim it. An emptied department falls
    back to the owner's, and a department left as it was follows a new owner; choosing an owner
    for a pooled customer takes it out of the pool. A new start of cooperation grades the
    customer again at once (the months of cooperation decide its grade)."""
    with unit_of_work(actor):
        since_changed = sa_inspect(customer).attrs.cooperating_since.history.has_changes()
        stored = _stored(customer)
        check_may_manage(actor, customer)
        with db.session.no_autoflush:   # the duplicate checks look at other rows only
            _validate_customer(customer)
        _check_owner(actor, customer, stored)
        _track_status(customer)
        if since_changed:
            from app.modules.customers.grading import grade_after_change   # grading builds on this module

            grade_after_change(actor, customer.id)
    return customer


def delete_customer(actor, customer: Customer) -> None:
    """Delete a customer with its contacts, interactions and tags. A customer that other
    records still refer to (contracts, orders …) is refused (409), naming them and what may be
    done instead."""
    from app.core.references import refuse_if_referenced

    with unit_of_work(actor):
        check_may_manage(actor, customer)
        refuse_if_referenced(actor, customer, "customers.in_use")
        db.session.delete(customer)


def alternatives_to_deleting(actor, customer: Customer) -> list:
    """What a user may do with a customer that cannot be deleted: hand it to someone else, or
    mark it as lost."""
    from app.core.references import Alternative

    if not may_manage(actor, customer):
        return []
    found = [Alternative(_("transfer it to another owner"), f"/customer_bulk/transfer?ids={customer.id}")]
    if customer.status != "lost":
        found.append(Alternative(_("mark it as lost"), f"/customers/show/{customer.id}"))
    return found


def mark_lost(actor, customers: list[Customer]) -> str:
    """Set the status of the given customers to lost; returns a message for the user."""
    with unit_of_work(actor):
        for customer in customers:
            check_may_manage(actor, customer)
            customer.status = "lost"
            _track_status(customer)
    return _("%(count)d customer(s) marked as lost.", count=len(customers))


# -- contacts ------------------------------------------------------------------------------
def _validate_contact(contact: Contact) -> None:
    errors: dict[str, list[str]] = {}
    contact.name = (contact.name or "").strip()
    if not contact.name:
        errors.setdefault("name", []).append(_("Please enter the contact's name."))
    if contact.customer_id is None and contact.customer is None:
        errors.setdefault("customer", []).append(_("Please choose the customer."))
    _check_contact_fields(contact, errors)
    if contact.phone and "phone" not in errors:
        customer_id = contact.customer_id or (contact.customer.id if contact.customer else None)
        other = find_duplicate_phone(contact.phone, customer_id, contact.id)
        if other is not None:
            errors.setdefault("phone", []).append(
                _("The phone number %(phone)s is already used by customer “%(name)s” (%(code)s).",
                  phone=contact.phone, name=other.name, code=other.code))
    if errors:
        raise ValidationErrors(errors, code="contacts.invalid")


def _single_primary(contact: Contact) -> None:
    if contact.is_primary:
        customer_id = contact.customer_id or contact.customer.id
        for other in db.session.scalars(select(Contact).where(Contact.customer_id == customer_id, Contact.is_primary.is_(True))):
            if other is not contact:
                other.is_primary = False


def _check_customer_visible(actor, contact: Contact) -> None:
    customer_id = contact.customer_id or (contact.customer.id if contact.customer else None)
    if customer_id is None or not can_see("customers", actor, customer_id):
        raise DomainError("contacts.no_customer", _("Customer not found."), field="customer")
    check_may_manage(actor, db.session.get(Customer, customer_id))


def create_contact(actor, contact: Contact) -> Contact:
    """Add a contact to a customer the actor may see; a new primary contact replaces the
    previous one."""
    with unit_of_work(actor):
        _validate_contact(contact)
        _check_customer_visible(actor, contact)
        db.session.add(contact)
        db.session.flush()
        _single_primary(contact)
    return contact


def update_contact(actor, contact: Contact) -> Contact:
    """Save a contact; it may move only to another customer the actor may see."""
    with unit_of_work(actor):
        _validate_contact(contact)
        _check_customer_visible(actor, contact)
        _single_primary(contact)
    return contact


def delete_contact(actor, contact: Contact) -> None:
    """Delete a contact; its interactions stay on the customer's timeline."""
    with unit_of_work(actor):
        check_may_manage(actor, contact.customer)
        db.session.delete(contact)


class customers:
    """The hooks the generated screens and API call for customers."""
    create, update, delete = staticmethod(create_customer), staticmethod(update_customer), staticmethod(delete_customer)


class contacts:
    """The hooks the generated screens and API call for contacts."""
    create, update, delete = staticmethod(create_contact), staticmethod(update_contact), staticmethod(delete_contact)
