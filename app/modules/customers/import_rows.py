"""The columns of a customer import and the checking of its rows.

Headers and choice values are accepted in Chinese and English alike. Every row is checked with
the customers service's own field rules, against existing customers (same name ignoring case,
phone number on a customer or one of its contacts, tax id) and against the other rows of the
file; the duplicate checks ask the database once per batch, not once per row.
"""
from __future__ import annotations

import datetime as dt
import unicodedata

from flask_babel import force_locale, gettext as _
from sqlalchemy import ARRAY, String, any_, bindparam, func, select

from app.core.scope import may_assign_to
from app.extensions import db
from app.modules.customers import merging, service
from app.modules.customers.models import Contact, Customer

# The columns of the template, in order. "owner" is given as a user name.
FIELDS = ["name", "kind", "industry", "region", "address", "phone", "email", "source", "status",
          "credit_limit", "tax_id", "owner", "notes"]
DEFAULTS = {"kind": "company", "status": "potential"}
MONEY_NOISE = str.maketrans("", "", ",，¥￥元 \u00a0")


# -- columns and headers -----------------------------------------------------------------------
def _labels() -> dict:
    from app.modules.customers.fields import CUSTOMER_LABELS

    return CUSTOMER_LABELS


def header_of(field_name: str) -> str:
    """The column header of a field in the current language (负责人(用户名) for the owner)."""
    label = str(_labels()[field_name])
    if field_name == "owner":
        return _("%(label)s (user name)", label=label)
    return label


def headers() -> list[str]:
    return [header_of(f) for f in FIELDS]


def normalise_header(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return "".join(ch for ch in text if ch not in " *\t")


def header_names() -> dict:
    """{normalised header: field} for the headers of both languages and the field names."""
    names = {}
    for locale in ("zh_CN", "en"):
        with force_locale(locale):
            for f in FIELDS:
                names[normalise_header(header_of(f))] = f
                names[normalise_header(_labels()[f])] = f
    for f in FIELDS:
        names[normalise_header(f)] = f
    return names


def _choice_maps() -> dict:
    """{field: {normalised label or value: value}} for the fields with choices, both languages."""
    maps = {}
    for column in Customer.__table__.columns:
        if column.key in FIELDS and "choices" in column.info:
            mapping = {}
            for value, label in column.info["choices"]:
                mapping[normalise_header(value)] = value
                for locale in ("zh_CN", "en"):
                    with force_locale(locale):
                        mapping[normalise_header(str(label))] = value
            maps[column.key] = mapping
    return maps


def choice_labels(field_name: str) -> list[str]:
    column = Customer.__table__.columns[field_name]
    return [str(label) for _value, label in column.info["choices"]]


def choice_label(field_name: str, value: str) -> str:
    return str(dict(Customer.__table__.columns[field_name].info["choices"])[value])


# -- checking rows -----------------------------------------------------------------------------
class _ArrayLookups:
    """The duplicate look-ups of merging.existing_* on PostgreSQL, each a single statement for
    a whole batch: the values go as one array parameter (`= ANY(...)`, served by the same
    indexes), so the statement's text stays short whatever the batch's size."""

    @staticmethod
    def _rows(stmt, values) -> dict:
        found = {}
        wanted = sorted({v for v in values if v})
        if wanted:
            for key, code, name in db.session.execute(stmt, {"wanted": wanted}):
                found.setdefault(key, (code, name))
        return found

    @classmethod
    def existing_names(cls, names) -> dict:
        key = func.lower(Customer.name)
        return cls._rows(select(key, Customer.code, Customer.name).where(key == any_(_wanted())),
                         (n.lower() for n in names if n))

    @classmethod
    def existing_phones(cls, phones) -> dict:
        phones = {p for p in phones if p}
        found = cls._rows(select(Customer.phone, Customer.code, Customer.name).where(Customer.phone == any_(_wanted())),
                          phones)
        on_contacts = cls._rows(select(Contact.phone, Customer.code, Customer.name)
                                .join(Customer, Customer.id == Contact.customer_id)
                                .where(Contact.phone == any_(_wanted())), phones - found.keys())
        return {**on_contacts, **found}

    @classmethod
    def existing_tax_ids(cls, tax_ids) -> dict:
        return cls._rows(select(Customer.tax_id, Customer.code, Customer.name)
                         .where(Customer.tax_id == any_(_wanted())), tax_ids)


def _wanted():
    return bindparam("wanted", type_=ARRAY(String))


class ImportRow:
    """One row's customer as checked: the typed fields and the owner's ids, as plain values
    (the import writes rows in bulk; no ORM object is made per row)."""

    __slots__ = (*FIELDS, "owner_id", "department_id")

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, None)


class RowChecker:
    """Checks rows batch by batch; remembers the file's names, phones and tax ids."""

    def __init__(self, actor):
        from app.core.org import User

        self.actor = actor
        self.user_model = User
        self.choices = _choice_maps()
        self.labels = {f: header_of(f) for f in FIELDS}
        self.lengths = {c.key: c.type.length for c in Customer.__table__.columns
                        if c.key in FIELDS and isinstance(c.type, String) and c.type.length}
        self.owners: dict[str, tuple] = {}
        self.seen = {"name": {}, "phone": {}, "tax_id": {}}
        self.today = service.local_today() if hasattr(service, "local_today") else dt.date.today()

    # one row, no database
    def build(self, values: dict) -> tuple[ImportRow, dict]:
        errors: dict[str, list[str]] = {}
        customer = ImportRow()
        for field_name in FIELDS:
            text = values.get(field_name, "")
            if field_name in self.choices:
                if not text:
                    setattr(customer, field_name, DEFAULTS.get(field_name))
                    continue
                value = self.choices[field_name].get(normalise_header(text))
                if value is None:
                    errors.setdefault(field_name, []).append(
                        _("“%(value)s” is not one of: %(choices)s.", value=text,
                          choices="、".join(choice_labels(field_name))))
                setattr(customer, field_name, value or DEFAULTS.get(field_name))
            elif field_name == "credit_limit":
                customer.credit_limit = text.translate(MONEY_NOISE) or None
            elif field_name == "owner":
                self._owner(customer, text, errors)
            else:
                limit = self.lengths.get(field_name)
                if limit and len(text) > limit and field_name != "name":
                    errors.setdefault(field_name, []).append(
                        _("At most %(n)d characters.", n=limit))
                    text = text[:limit]
                setattr(customer, field_name, text or None)
        self._service_rules(customer, errors)
        return customer, errors

    def _service_rules(self, customer: ImportRow, errors: dict) -> None:
        """The customers service's own checks of a customer's fields (its duplicate checks
        run once per batch instead, see check_batch)."""
        customer.name = (customer.name or "").strip()
        if not customer.name:
            errors.setdefault("name", []).append(_("Please enter the customer name."))
        elif len(customer.name) > 200:
            errors.setdefault("name", []).append(_("The customer name is at most 200 characters."))
        service._check_contact_fields(customer, errors)
        customer.tax_id = service.normalise_tax_id(customer.tax_id)
        if customer.tax_id and not service.TAX_ID.match(customer.tax_id):
            errors.setdefault("tax_id", []).append(
                _("Please enter a valid tax ID: the 18-character unified social credit code, e.g. 91310115MA1H7XXX1X."))
        customer.credit_limit = service._money(customer.credit_limit, "credit_limit", errors)

    def _owner(self, customer: ImportRow, text: str, errors: dict) -> None:
        key = text.lower()
        if key not in self.owners:
            self.owners[key] = self._find_owner(text)
        owner, message = self.owners[key]
        if message:
            errors.setdefault("owner", []).append(message)
        elif owner is not None:
            customer.owner_id = owner.id
            customer.department_id = service.department_for(owner, None)

    def _find_owner(self, text: str) -> tuple:
        User = self.user_model
        if not text:
            owner = self.actor
        else:
            owner = db.session.scalar(select(User).where(func.lower(User.username) == text.lower(),
                                                         User.active.is_(True)))
            if owner is None:
                display = func.coalesce(User.last_name, "") + func.coalesce(User.first_name, "")
                matches = list(db.session.scalars(select(User).where(display == text, User.active.is_(True)).limit(2)))
                owner = matches[0] if len(matches) == 1 else None
            if owner is None:
                return None, _("No active user is called “%(name)s”; please enter a user name.", name=text)
        if owner is None:
            return None, _("Please choose the owner.")
        if not may_assign_to(self.actor, "customers", owner):
            return None, _("You may not assign customers to %(name)s.", name=owner.display_name)
        return owner, None

    # a batch, with the database
    def check_batch(self, batch: list) -> list[tuple]:
        """[(row number, customer, {field: [message]})] for a batch of (row number, values)."""
        built = [(number, *self.build(values)) for number, values in batch]
        lookups = _ArrayLookups if db.session.get_bind().dialect.name == "postgresql" else merging
        names = lookups.existing_names(c.name for _n, c, e in built if c.name and "name" not in e)
        phones = lookups.existing_phones(c.phone for _n, c, e in built if c.phone and "phone" not in e)
        taxes = lookups.existing_tax_ids(c.tax_id for _n, c, e in built if c.tax_id and "tax_id" not in e)
        for number, customer, errors in built:
            self._duplicate(
                number, "name", customer.name.lower() if customer.name else None, names, errors,
                lambda other: _("A customer named “%(name)s” already exists (%(code)s). Please do not enter it twice.",
                                name=customer.name, code=other[0]),
                lambda first: _("Row %(row)d of this file has the same customer name.", row=first))
            self._duplicate(
                number, "phone", customer.phone, phones, errors,
                lambda other: _("The phone number %(phone)s is already used by customer “%(name)s” (%(code)s).",
                                phone=customer.phone, name=other[1], code=other[0]),
                lambda first: _("Row %(row)d of this file has the same phone number.", row=first))
            self._duplicate(
                number, "tax_id", customer.tax_id, taxes, errors,
                lambda other: _("The tax ID %(tax_id)s is already used by customer “%(name)s” (%(code)s).",
                                tax_id=customer.tax_id, name=other[1], code=other[0]),
                lambda first: _("Row %(row)d of this file has the same tax ID.", row=first))
        return built

    def _duplicate(self, number, field_name, value, existing, errors, in_database, in_file):
        """A value seen on an earlier row names that row; otherwise an existing customer with
        it is named. The first row with a value claims it even when the database has it too."""
        if not value or field_name in errors:
            return
        first = self.seen[field_name].setdefault(value, number)
        if first != number:
            errors.setdefault(field_name, []).append(in_file(first))
        elif value in existing:
            errors.setdefault(field_name, []).append(in_database(existing[value]))

    def messages(self, errors: dict) -> list[str]:
        return [_("%(column)s: %(message)s", column=self.labels.get(f, f), message=m)
                for f, ms in errors.items() for m in ms]
