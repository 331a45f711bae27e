"""What the customer import (app/core/importing) adds to the frame's checks: the customers
service's own field rules, the duplicate rules (same name ignoring case, a phone number on a
customer or one of its contacts, a tax id — in the database and among the file's rows; the
database is asked once per batch, not once per row), and a bulk writer that stores a batch of
customers per statement exactly as the service stores one."""
from __future__ import annotations

import json
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import ARRAY, String, any_, bindparam, func, select

from app.core.audit import AuditLog, _plain
from app.core.clock import utcnow
from app.core.numbering import next_numbers
from app.extensions import db
from app.modules.customers import merging, service
from app.modules.customers.models import Contact, Customer

# The columns of the template, in order. "owner" is given as a user name.
FIELDS = ["name", "kind", "industry", "region", "address", "phone", "email", "source", "status",
          "credit_limit", "tax_id", "owner", "notes"]
DEFAULTS = {"kind": "company", "status": "potential"}
ZERO = Decimal("0.00")


def help_texts() -> dict:
    """What to enter, for the columns whose rule the column's type does not say."""
    from flask_babel import lazy_gettext as _l

    return {
        "name": _l("The customer's name; must not exist yet."),
        "phone": _l("A mobile number (13912345678) or a landline (010-12345678); must not be used by another "
                    "customer."),
        "credit_limit": _l("An amount in yuan, e.g. 50000 or 50,000.00. Empty: 0."),
        "tax_id": _l("The 18-character unified social credit code; must not be used by another customer."),
        "owner": _l("The owner's user name (or name). Empty: you."),
    }


# -- one row ---------------------------------------------------------------------------------------
def check_row(importer, row, errors: dict) -> None:
    """The customers service's own checks of a customer's fields (its duplicate checks run once
    per batch instead, see check_batch); the owner's department as the service sets it."""
    errors.pop("name", None)   # a name too long: the service's own message says so
    row.name = (row.name or "").strip()
    if not row.name:
        errors.setdefault("name", []).append(_("Please enter the customer name."))
    elif len(row.name) > 200:
        errors.setdefault("name", []).append(_("The customer name is at most 200 characters."))
    service._check_contact_fields(row, errors)
    row.tax_id = service.normalise_tax_id(row.tax_id)
    if row.tax_id and not service.TAX_ID.match(row.tax_id):
        errors.setdefault("tax_id", []).append(
            _("Please enter a valid tax ID: the 18-character unified social credit code, e.g. 91310115MA1H7XXX1X."))
    if "credit_limit" not in errors:
        row.credit_limit = service._money(row.credit_limit, "credit_limit", errors)
    for name in ("region", "address", "email", "notes", "phone"):
        if getattr(row, name) == "":
            setattr(row, name, None)
    if row.owner is not None:
        row.department_id = service.department_for(row.owner, None)


# -- a batch: duplicates -----------------------------------------------------------------------------
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


def check_batch(importer, built: list) -> None:
    """Duplicates of existing customers and of earlier rows of the file, for [(row number, row,
    errors)]. A value seen on an earlier row names that row; otherwise an existing customer with
    it is named. The first row with a value claims it even when the database has it too."""
    seen = importer.state.setdefault("seen", {"name": {}, "phone": {}, "tax_id": {}})
    lookups = _ArrayLookups if db.session.get_bind().dialect.name == "postgresql" else merging
    names = lookups.existing_names(c.name for _n, c, e in built if c.name and "name" not in e)
    phones = lookups.existing_phones(c.phone for _n, c, e in built if c.phone and "phone" not in e)
    taxes = lookups.existing_tax_ids(c.tax_id for _n, c, e in built if c.tax_id and "tax_id" not in e)

    def duplicate(number, field_name, value, existing, errors, in_database, in_file):
        if not value or field_name in errors:
            return
        first = seen[field_name].setdefault(value, number)
        if first != number:
            errors.setdefault(field_name, []).append(in_file(first))
        elif value in existing:
            errors.setdefault(field_name, []).append(in_database(existing[value]))

    for number, customer, errors in built:
        duplicate(
            number, "name", customer.name.lower() if customer.name else None, names, errors,
            lambda other: _("A customer named “%(name)s” already exists (%(code)s). Please do not enter it twice.",
                            name=customer.name, code=other[0]),
            lambda first: _("Row %(row)d of this file has the same customer name.", row=first))
        duplicate(
            number, "phone", customer.phone, phones, errors,
            lambda other: _("The phone number %(phone)s is already used by customer “%(name)s” (%(code)s).",
                            phone=customer.phone, name=other[1], code=other[0]),
            lambda first: _("Row %(row)d of this file has the same phone number.", row=first))
        duplicate(
            number, "tax_id", customer.tax_id, taxes, errors,
            lambda other: _("The tax ID %(tax_id)s is already used by customer “%(name)s” (%(code)s).",
                            tax_id=customer.tax_id, name=other[1], code=other[0]),
            lambda first: _("Row %(row)d of this file has the same tax ID.", row=first))


# -- writing -------------------------------------------------------------------------------------------
def writer(importer):
    return _Writer(importer).write


class _Writer:
    """Writes checked rows as customers, a batch per statement, inside the import's unit of
    work: what creating a customer sets besides the typed fields (as the service does: owner
    and department, start of cooperation, since when lost), the next numbers of the "customer"
    rule in file order, and each customer's "created" entry in the history, as the audit trail
    records it for a customer saved through the service. Custom field values go into `custom`."""

    def __init__(self, importer):
        self.actor = actor = importer.actor
        self.today = service.local_today()
        self.actor_department = service.department_for(actor, None) if actor is not None else None
        table = Customer.__table__
        self.customers = table
        self.columns = [c.key for c in table.columns if c.key != "id"]
        self.custom = "custom" in table.columns
        if self.custom:
            from app.core.custom_fields.values import dump

            fields = {c.field.name: c.field for c in importer.columns if c.kind == "custom"}
            self.dump = lambda name, value: dump(fields[name], value)
        excluded = set(getattr(Customer, "__audit_exclude__", ()))
        self.audited = [c.key for c in table.columns if c.key not in excluded]
        self.history_columns = ["at", "actor_id", "table_name", "record_id", "action", "changes"]
        connection = db.session.connection()
        self.copy = connection.dialect.name == "postgresql"
        if self.copy:
            self.sequence = connection.exec_driver_sql("SELECT pg_get_serial_sequence('customer', 'id')").scalar()
        returning = connection.dialect.insert_executemany_returning_sort_by_parameter_order
        self.insert = table.insert().returning(table.c.id, sort_by_parameter_order=True) if returning else None
        self.history = AuditLog.__table__.insert()
        self.actor_id = db.session.info.get("actor_id")

    def write(self, rows: list) -> int:
        now = utcnow()
        records = []
        for row, code in zip(rows, next_numbers("customer", len(rows))):
            record = {name: getattr(row, name) for name in FIELDS if name != "owner"}
            if row.owner_id is None:
                record["owner_id"] = self.actor.id
                record["department_id"] = self.actor_department
            else:
                record["owner_id"], record["department_id"] = row.owner_id, row.department_id
            for name, default in DEFAULTS.items():
                if record[name] is None:
                    record[name] = default
            if record["credit_limit"] is None:
                record["credit_limit"] = ZERO
            record.update(code=code, cooperating_since=self.today, created_at=now, updated_at=now,
                          lost_at=now if record["status"] == "lost" else None, pooled_at=None, paid_12m=ZERO,
                          total_ordered=ZERO, total_paid=ZERO, total_outstanding=ZERO,
                          last_interaction_at=None, next_follow_up_on=None)
            if self.custom:
                record["custom"] = {name: self.dump(name, value) for name, value in row.custom.items()}
            for key in self.columns:   # columns this import does not know keep their defaults
                record.setdefault(key, _default(self.customers.c[key]))
            records.append(record)
        ids = self._store(records)
        entries = []
        for record, customer_id in zip(records, ids):
            record["id"] = customer_id
            entries.append({"at": now, "actor_id": self.actor_id, "table_name": "customer",
                            "record_id": str(customer_id), "action": "create",
                            "changes": {key: [None, _plain(record[key])] for key in self.audited
                                        if record.get(key) is not None and record.get(key) != {}}})
        self._store_history(entries)
        return len(records)

    def _store(self, records: list) -> list:
        """INSERT the customers; their ids in the order given. On PostgreSQL the ids are taken
        from the table's sequence and the rows sent with COPY."""
        connection = db.session.connection()
        if self.copy:
            raw = connection.connection.driver_connection
            with raw.cursor() as cursor:
                cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", (self.sequence, len(records)))
                ids = [row[0] for row in cursor.fetchall()]
                columns = self.columns
                with cursor.copy(f"COPY customer (id, {', '.join(columns)}) FROM STDIN") as copy:
                    for record, customer_id in zip(records, ids):
                        copy.write_row([customer_id, *[_copy_value(record[key]) for key in columns]])
            return ids
        if self.insert is not None:
            return connection.execute(self.insert, records).scalars().all()
        return [connection.execute(self.customers.insert(), record).inserted_primary_key[0] for record in records]

    def _store_history(self, entries: list) -> None:
        connection = db.session.connection()
        if not self.copy:
            connection.execute(self.history, entries)
            return
        columns = self.history_columns
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY audit_log ({', '.join(columns)}) FROM STDIN") as copy:
                for entry in entries:
                    entry["changes"] = json.dumps(entry["changes"])
                    copy.write_row([entry[key] for key in columns])


def _default(column):
    """A column's Python-side default for a row written in bulk (None when it has none)."""
    default = column.default
    if default is None or not default.is_scalar:
        return {} if column.key == "custom" else None
    return default.arg


def _copy_value(value):
    return json.dumps(value) if isinstance(value, (dict, list)) else value
