"""Supplier and quote operations (供应商, 报价). Screens, API, imports and jobs all call these.

Each function takes the acting user explicitly, validates, writes in one transaction and raises DomainError or
ValidationErrors (nothing written) when a rule refuses. A supplier is refused when its tax id or its name is
already another supplier's (names compared without spaces, brackets' width or the 有限公司 kind of suffix), as
customers are."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.core.clock import company_today
from app.core.datamodel import chosen_id as _chosen
from app.core.errors import DomainError, ValidationErrors
from app.core.numbering import next_number
from app.core.scope import can_see, may_assign_to
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.purchasing.models import (CURRENCY_CHOICES, STATUS_CHOICES, Supplier, SupplierCertificate,
                                           SupplierContact, SupplierQuote)

NUMBERING = "supplier"
TAX_ID = re.compile(r"^[0-9A-Z]{15,20}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ACCOUNT = re.compile(r"^[0-9 ]{8,40}$")
CURRENCIES = tuple(code for code, _label in CURRENCY_CHOICES)
_SUFFIX = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团|公司)$")
_WIDTH = str.maketrans("（）", "()")
PRICE_MAX = Decimal("9999999999999999.99")


def name_key(name: str | None) -> str:
    """A supplier's name as duplicates are told: no spaces, half-width brackets, no 有限公司-type suffix."""
    text = re.sub(r"\s+", "", (name or "")).translate(_WIDTH)
    return _SUFFIX.sub("", text).lower()


def normalise_tax_id(value) -> str | None:
    if value is None:
        return None
    return re.sub(r"[\s-]", "", str(value)).upper() or None


def normalise_phone(value) -> str | None:
    if value is None:
        return None
    phone = re.sub(r"[\s()]", "", str(value))
    return (phone[3:] if phone.startswith("+86") else phone) or None


def duplicate_of(supplier: Supplier) -> Supplier | None:
    """Another supplier with the same tax id or, names compared as name_key does, the same name."""
    others = select(Supplier).where(Supplier.id != (supplier.id or 0))
    if supplier.tax_id:
        found = db.session.scalar(others.where(Supplier.tax_id == supplier.tax_id).limit(1))
        if found is not None:
            return found
    key = name_key(supplier.name)
    if not key:
        return None
    # The name index finds the few names that start alike; the key decides.
    start = re.sub(r"\s+", "", supplier.name or "")[:2]
    for other in db.session.scalars(others.where(Supplier.name.like(f"{_escape(start)}%", escape="\\")).limit(200)):
        if name_key(other.name) == key:
            return other
    return None


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _check_supplier(actor, supplier: Supplier) -> None:
    from app.core.org import User

    errors: dict[str, list[str]] = {}
    supplier.name = (supplier.name or "").strip()
    if not supplier.name:
        errors["name"] = [_("Please enter the supplier's name.")]
    elif len(supplier.name) > 200:
        errors["name"] = [_("At most %(n)s characters.", n=200)]
    supplier.tax_id = normalise_tax_id(supplier.tax_id)
    if supplier.tax_id and not TAX_ID.match(supplier.tax_id):
        errors["tax_id"] = [_("A tax id has 15 to 20 letters and digits (the unified social credit code has 18).")]
    supplier.phone = normalise_phone(supplier.phone)
    if supplier.phone and not (MOBILE.match(supplier.phone) or LANDLINE.match(supplier.phone)):
        errors["phone"] = [_("Please enter a valid phone number: an 11-digit mobile number or a landline such as "
                             "010-12345678.")]
    supplier.bank_account = (supplier.bank_account or "").strip() or None
    if supplier.bank_account and not ACCOUNT.match(supplier.bank_account):
        errors["bank_account"] = [_("A bank account number has 8 to 40 digits.")]
    for column in ("address", "bank_name"):
        setattr(supplier, column, (getattr(supplier, column) or "").strip() or None)
    if supplier.status not in dict(STATUS_CHOICES):
        supplier.status = supplier.status or "trial"
        if supplier.status not in dict(STATUS_CHOICES):
            errors["status"] = [_("Choose a status from the list.")]
    owner_id = _chosen(supplier, "owner") or getattr(actor, "id", None)
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or not owner.active:
        errors["owner"] = [_("Please choose the owner.")]
    elif not may_assign_to(actor, "suppliers", owner):
        errors["owner"] = [_("You may not make %(name)s the buyer in charge.", name=owner.display_name)]
    if errors:
        raise ValidationErrors(errors)
    supplier.owner_id = owner.id
    supplier.owner = owner
    if _chosen(supplier, "department") is None:
        supplier.department_id = owner.department_id
    other = duplicate_of(supplier)
    if other is not None:
        field = "tax_id" if supplier.tax_id and other.tax_id == supplier.tax_id else "name"
        raise ValidationErrors({field: [_("This supplier is already registered as %(code)s %(name)s.",
                                          code=other.code, name=other.name)]})


def create_supplier(actor, supplier: Supplier) -> Supplier:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _check_supplier(actor, supplier)
        supplier.code = next_number(NUMBERING)
        db.session.add(supplier)
    return supplier


def update_supplier(actor, supplier: Supplier) -> Supplier:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _check_supplier(actor, supplier)
    return supplier


def delete_supplier(actor, supplier: Supplier) -> None:
    """A supplier with quotes is kept (suspend it instead): its history explains past prices."""
    with unit_of_work(actor):
        quoted = db.session.scalar(select(func.count()).select_from(SupplierQuote)
                                   .where(SupplierQuote.supplier_id == supplier.id))
        if quoted:
            raise DomainError("purchasing.supplier_quoted", _(
                "%(name)s has %(n)s quotes and cannot be deleted; suspend it instead.",
                name=supplier.name, n=quoted))
        db.session.delete(supplier)


def suspend(actor, suppliers) -> int:
    """停用 the chosen suppliers (the list's bulk action)."""
    with unit_of_work(actor):
        for supplier in suppliers:
            supplier.status = "suspended"
    return len(suppliers)


# -- contacts and certificates ---------------------------------------------------------------------
def _parent(actor, item, errors) -> None:
    supplier_id = _chosen(item, "supplier")
    if not supplier_id or db.session.get(Supplier, supplier_id) is None or (
            actor is not None and not can_see("suppliers", actor, supplier_id)):
        errors["supplier"] = [_("Choose a supplier from the list.")]
    else:
        item.supplier_id = supplier_id


def save_contact(actor, contact: SupplierContact) -> SupplierContact:
    errors: dict[str, list[str]] = {}
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _parent(actor, contact, errors)
            contact.name = (contact.name or "").strip()
            if not contact.name:
                errors["name"] = [_("Please enter the contact's name.")]
            contact.phone = normalise_phone(contact.phone)
            if contact.phone and not (MOBILE.match(contact.phone) or LANDLINE.match(contact.phone)):
                errors["phone"] = [_("Please enter a valid phone number: an 11-digit mobile number or a landline "
                                     "such as 010-12345678.")]
            contact.email = (contact.email or "").strip() or None
            if contact.email and not EMAIL.match(contact.email):
                errors["email"] = [_("Please enter a valid e-mail address.")]
            if errors:
                raise ValidationErrors(errors)
        db.session.add(contact)
    return contact


def delete_child(actor, item) -> None:
    with unit_of_work(actor):
        db.session.delete(item)


def save_certificate(actor, certificate: SupplierCertificate) -> SupplierCertificate:
    errors: dict[str, list[str]] = {}
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _parent(actor, certificate, errors)
            certificate.name = (certificate.name or "").strip()
            if not certificate.name:
                errors["name"] = [_("Name the licence or certificate, e.g. business licence.")]
            if errors:
                raise ValidationErrors(errors)
            if certificate.reminded_for != certificate.expires_on:
                certificate.reminded_for = None        # a new expiry date is reminded again
        db.session.add(certificate)
    return certificate


# -- quotes ----------------------------------------------------------------------------------------
def _decimal(value, field, errors, low, places, high=PRICE_MAX, strictly=False):
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, AttributeError):
        errors[field] = [_("Please enter a number.")]
        return None
    if not number.is_finite() or number < low or (strictly and number == low) or number > high:
        errors[field] = [_("Please enter a number greater than %(low)s.", low=low) if strictly else
                         _("Please enter a number from %(low)s to %(high)s.", low=low, high=high)]
        return None
    return number.quantize(Decimal(places))


def save_quote(actor, quote: SupplierQuote) -> SupplierQuote:
    """A quote: price ≥ 0 (two decimals), minimum quantity > 0, lead time in whole days ≥ 0, a known currency,
    valid from a day to a later one (or open-ended), for a product that exists, from a supplier not suspended."""
    from app.modules.products.api import Product

    errors: dict[str, list[str]] = {}
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _parent(actor, quote, errors)
            supplier = db.session.get(Supplier, quote.supplier_id) if "supplier" not in errors else None
            if supplier is not None and supplier.status == "suspended":
                errors["supplier"] = [_("%(name)s is suspended and gives no quotes.", name=supplier.name)]
            product_id = _chosen(quote, "product")
            if not product_id or db.session.get(Product, product_id) is None:
                errors["product"] = [_("Choose a product from the list.")]
            else:
                quote.product_id = product_id
            quote.price = _decimal(quote.price if quote.price is not None else "", "price", errors, Decimal(0),
                                   "0.01")
            quote.min_quantity = _decimal(quote.min_quantity if quote.min_quantity is not None else 1,
                                          "min_quantity", errors, Decimal(0), "0.0001",
                                          high=Decimal("999999999999"), strictly=True)
            try:
                quote.lead_days = int(quote.lead_days if quote.lead_days not in (None, "") else 0)
                if not 0 <= quote.lead_days <= 3650:
                    raise ValueError
            except (TypeError, ValueError):
                errors["lead_days"] = [_("Lead time is a whole number of days from 0 to 3650.")]
            quote.currency = (quote.currency or "CNY").strip().upper()
            if quote.currency not in CURRENCIES:
                errors["currency"] = [_("Choose a currency from the list.")]
            quote.valid_from = quote.valid_from or company_today()
            if quote.valid_to is not None and quote.valid_to < quote.valid_from:
                errors["valid_to"] = [_("The end of validity is before its start.")]
            if errors:
                raise ValidationErrors(errors)
        db.session.add(quote)
    return quote


def valid_quotes(product_id: int, on: dt.date | None = None):
    """SELECT of the quotes valid on `on` (today) for a product, from suppliers not suspended."""
    on = on or company_today()
    return (select(SupplierQuote).join(Supplier, Supplier.id == SupplierQuote.supplier_id)
            .where(SupplierQuote.product_id == product_id, SupplierQuote.valid_from <= on,
                   or_(SupplierQuote.valid_to.is_(None), SupplierQuote.valid_to >= on),
                   Supplier.status != "suspended"))


class suppliers:
    create = staticmethod(create_supplier)
    update = staticmethod(update_supplier)
    delete = staticmethod(delete_supplier)


class supplier_contacts:
    create = update = staticmethod(save_contact)
    delete = staticmethod(delete_child)


class supplier_certificates:
    create = update = staticmethod(save_certificate)
    delete = staticmethod(delete_child)


class supplier_quotes:
    create = update = staticmethod(save_quote)
    delete = staticmethod(delete_child)
