"""Duplicate customers: finding them (same name, phone or tax id) and merging two into one.

A merge moves every row that references the other customer to the survivor. The referencing
tables are found from the foreign keys to customer.id in the SQLAlchemy metadata, so contracts,
orders, invoices and payments move too as their modules arrive, without changes here. Comments
and followers (which name records by module and id, not by foreign key) move through the
collaboration frame.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, select, tuple_, update

from app.core import collab
from app.core.audit import AuditLog
from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound
from app.core.scope import can_see, scope_clause
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers import service
from app.modules.customers.models import Contact, Customer

LOOKUP_CHUNK = 500
KINDS = ("name", "phone", "tax_id")


# -- looking up existing customers -------------------------------------------------------------
def _chunks(values, size=LOOKUP_CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def existing_names(names) -> dict:
    """{lower-case name: (code, name)} of customers whose name equals one of `names` ignoring
    case, as the service compares names."""
    found = {}
    wanted = {n.lower() for n in names if n}
    for chunk in _chunks(wanted):
        key = func.lower(Customer.name)
        for lowered, code, name in db.session.execute(select(key, Customer.code, Customer.name).where(key.in_(chunk))):
            found.setdefault(lowered, (code, name))
    return found


def existing_phones(phones) -> dict:
    """{phone: (code, name)} of customers using one of `phones` themselves or on a contact.

    Two indexed lookups: a phone compared against customer OR contact in one condition makes
    the database scan every customer."""
    found = {}
    for chunk in _chunks({p for p in phones if p}):
        for phone, code, name in db.session.execute(
                select(Customer.phone, Customer.code, Customer.name).where(Customer.phone.in_(chunk))):
            found.setdefault(phone, (code, name))
        for phone, code, name in db.session.execute(
                select(Contact.phone, Customer.code, Customer.name).join(Customer, Customer.id == Contact.customer_id)
                .where(Contact.phone.in_(chunk))):
            found.setdefault(phone, (code, name))
    return found


def existing_tax_ids(tax_ids) -> dict:
    """{tax id: (code, name)} of customers with one of `tax_ids`."""
    found = {}
    for chunk in _chunks({t for t in tax_ids if t}):
        for tax_id, code, name in db.session.execute(
                select(Customer.tax_id, Customer.code, Customer.name).where(Customer.tax_id.in_(chunk))):
            found.setdefault(tax_id, (code, name))
    return found


# -- the "possible duplicates" screen ----------------------------------------------------------
def _key_column(kind: str):
    if kind == "name":
        return func.lower(Customer.name)
    if kind == "phone":
        return Customer.phone
    if kind == "tax_id":
        return Customer.tax_id
    raise NotFound("customers.duplicates_kind", _("The page or record does not exist, or you may not see it."))


def duplicate_groups(actor, kind: str, limit: int = 20, offset: int = 0) -> list[dict]:
    """Groups of customers the actor may see that share a name (ignoring case), a phone number
    or a tax id: [{"key": value, "customers": [Customer, ...]}], ordered by the shared value."""
    from app.core.registry import registry

    key = _key_column(kind)
    clause = scope_clause(registry.get("customers"), actor)
    stmt = select(key.label("k")).where(key.isnot(None), key != "")
    if clause is not None:
        stmt = stmt.where(clause)
    keys = list(db.session.scalars(stmt.group_by(key).having(func.count() > 1).order_by(key)
                                   .limit(limit).offset(offset)))
    if not keys:
        return []
    members = select(Customer).where(key.in_(keys)).order_by(Customer.id)
    if clause is not None:
        members = members.where(clause)
    groups = {k: [] for k in keys}
    for customer in db.session.scalars(members):
        value = getattr(customer, kind) if kind != "name" else customer.name.lower()
        groups.setdefault(value, []).append(customer)
    return [{"key": k, "customers": groups[k]} for k in keys if len(groups.get(k, [])) > 1]


# -- merging -----------------------------------------------------------------------------------
def merge_fields() -> list[str]:
    """The fields a user chooses between when merging: those of the customer form."""
    from app.modules.customers.fields import CUSTOMER_FORM

    return [f for f in CUSTOMER_FORM if f not in ("code",)]


def _column_of(field: str) -> str:
    """The column behind a form field (owner -> owner_id)."""
    rel = Customer.__mapper__.relationships.get(field)
    if rel is not None:
        return next(iter(rel.local_columns)).key
    return field


def referencing_columns() -> list:
    """(table, column) pairs of every foreign key to customer.id, in any module."""
    target = Customer.__table__.c.id
    pairs = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column is target:
                pairs.append((table, fk.parent))
    return pairs


def _unique_sets(table, column) -> list[list]:
    """The other columns of every unique key (primary key, unique constraint or index) of
    `table` that contains `column`: rows of both customers equal on them cannot coexist."""
    sets = []
    keys = [list(table.primary_key.columns)]
    keys += [list(c.columns) for c in table.constraints if c.__class__.__name__ == "UniqueConstraint"]
    keys += [list(i.columns) for i in table.indexes if i.unique]
    for cols in keys:
        if column in cols:
            sets.append([c for c in cols if c is not column])
    return sets


def _move_rows(table, column, from_id: int, to_id: int) -> int:
    """Point `column` of `table` at the survivor; rows that would collide with one of the
    survivor's on a unique key are the same fact twice, and the survivor's copy stays."""
    for others in _unique_sets(table, column):
        if not others:
            clash = exists(select(column).where(column == to_id))
            db.session.execute(delete(table).where(column == from_id, clash))
            continue
        theirs = select(*others).where(column == to_id)
        mine = tuple_(*others) if len(others) > 1 else others[0]
        db.session.execute(delete(table).where(and_(column == from_id, mine.in_(theirs))))
    result = db.session.execute(update(table).where(column == from_id).values({column.key: to_id}))
    return result.rowcount or 0


def reference_counts(customer_id: int) -> dict:
    """{table name: rows referencing the customer} (non-zero only), plus comments."""
    counts = {}
    for table, column in referencing_columns():
        n = db.session.scalar(select(func.count()).select_from(table).where(column == customer_id))
        if n:
            counts[table.name] = counts.get(table.name, 0) + n
    comments = collab.comment_count("customers", customer_id)
    if comments:
        counts["comment"] = comments
    return counts


def find_pair(actor, first_id, second_id) -> tuple[Customer, Customer]:
    """Two different customers the actor may see, or NotFound / DomainError."""
    try:
        ids = int(first_id), int(second_id)
    except (TypeError, ValueError):
        raise NotFound("customers.not_found", _("Customer not found.")) from None
    if ids[0] == ids[1]:
        raise DomainError("customers.merge_same", _("Choose two different customers to merge."))
    found = []
    for pk in ids:
        customer = db.session.get(Customer, pk)
        if customer is None or not can_see("customers", actor, pk):
            raise NotFound("customers.not_found", _("Customer not found."))
        found.append(customer)
    return found[0], found[1]


def merge_customers(actor, survivor_id, other_id, take_from_other=()) -> tuple[Customer, dict]:
    """Merge customer `other_id` into `survivor_id`, in one transaction.

    Every row referencing the other customer (contacts, interactions, tags, contracts and the
    documents of later modules, comments, followers) afterwards references the survivor; the
    fields named in `take_from_other` take the other customer's value; the merge is written to
    both customers' histories; the other customer is deleted. The survivor is then checked by
    the customers service like any edit (duplicates, owner in the actor's reach): if it refuses,
    nothing at all has changed. Returns the survivor and {what: how many rows moved}.
    """
    with unit_of_work(actor):
        survivor, other = find_pair(actor, survivor_id, other_id)
        service.check_may_manage(actor, survivor)
        service.check_may_manage(actor, other)
        allowed = set(merge_fields())
        chosen = {}
        for field in take_from_other:
            if field not in allowed:
                raise DomainError("customers.merge_field", _("Unknown field: %(field)s", field=field))
            chosen[field] = getattr(other, _column_of(field))
        survivor_id, other_id = survivor.id, other.id
        labels = {"survivor": (survivor.code, survivor.name), "other": (other.code, other.name)}

        moved = {}
        for table, column in referencing_columns():
            n = _move_rows(table, column, other_id, survivor_id)
            if n:
                moved[table.name] = moved.get(table.name, 0) + n
        from app.core.registry import registry

        spec_names = [s.name for s in registry.specs.values() if s.model is Customer]
        for what, n in collab.move_references(spec_names, other_id, survivor_id).items():
            if n:
                moved[what] = n
        _keep_one_primary_contact(survivor_id)

        now = utcnow()
        (s_code, s_name), (o_code, o_name) = labels["survivor"], labels["other"]
        # Both histories say which customer went into which; the other's also outlives it.
        for record_id in (survivor_id, other_id):
            db.session.add(AuditLog(at=now, actor_id=getattr(actor, "id", None), table_name="customer",
                                    record_id=str(record_id), action="merge",
                                    changes={"code": [o_code, s_code], "name": [o_name, s_name]}))
        db.session.flush()
        # Loaded collections (contacts …) still list the moved rows: forget them before the
        # delete cascades, or it would delete what was just moved.
        db.session.expire_all()
        db.session.delete(db.session.get(Customer, other_id))
        db.session.flush()

        survivor = db.session.get(Customer, survivor_id)
        relationships = Customer.__mapper__.relationships
        for field, value in chosen.items():
            if field in relationships:  # owner, department: set the relation, the service reads it
                related = relationships[field].mapper.class_
                setattr(survivor, field, db.session.get(related, value) if value is not None else None)
            else:
                setattr(survivor, field, value)
        service.update_customer(actor, survivor)
    return survivor, moved


def _keep_one_primary_contact(customer_id: int) -> None:
    primaries = list(db.session.scalars(select(Contact.id).where(Contact.customer_id == customer_id,
                                                                  Contact.is_primary.is_(True)).order_by(Contact.id)))
    if len(primaries) > 1:
        db.session.execute(update(Contact).where(Contact.id.in_(primaries[1:])).values(is_primary=False))
