"""Who a customer belongs to: transfer between owners, customers without interaction for too
long, the shared pool (公海) they can be released to, and claiming them from it.
"""
from __future__ import annotations

import datetime as dt

from flask import g, has_request_context
from flask_babel import gettext as _, ngettext
from sqlalchemy import and_, func, select, update

from app.core.clock import utcnow
from app.core.kept import Kept
from app.core.collab import already_told
from app.core.errors import DomainError, Forbidden
from app.core.notify import notify
from app.core.org import User
from app.core.scope import is_admin, may_assign_to
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.models import Customer, CustomerSettings
from app.modules.customers.service import check_may_manage

DEFAULT_INACTIVE_DAYS = 30
MAX_INACTIVE_DAYS = 3650


# -- settings ----------------------------------------------------------------------------------
def get_settings() -> CustomerSettings:
    """The current settings; the defaults (30 days, no automatic release) until an admin saves.
    Read once per request (a list page asks for every row)."""
    cached = g.get("_customer_settings") if has_request_context() else None
    if cached is not None:
        return cached
    days, auto_release, changed_at = SETTINGS.get()   # kept per process, invalidated through Redis
    row = CustomerSettings(id=1, inactive_days=days, auto_release=auto_release, changed_at=changed_at)
    if has_request_context():
        g._customer_settings = row
    return row


def _load_settings() -> tuple:
    row = db.session.execute(select(CustomerSettings.inactive_days, CustomerSettings.auto_release,
                                    CustomerSettings.changed_at).where(CustomerSettings.id == 1)).first()
    return tuple(row) if row is not None else (DEFAULT_INACTIVE_DAYS, False, None)


SETTINGS = Kept("customers.settings", load=_load_settings, tables={"customer_settings"})


def update_settings(actor, *, inactive_days, auto_release: bool) -> CustomerSettings:
    """Save the customers module's settings (admins only); they apply at once."""
    if actor is not None and not is_admin(actor):
        raise Forbidden("customers.settings_forbidden", _("Only an administrator can change these settings."))
    try:
        days = int(str(inactive_days).strip())
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_INACTIVE_DAYS:
        raise DomainError("customers.bad_inactive_days", _("Please enter a number of days between 1 and 3650."),
                          field="inactive_days")
    with unit_of_work(actor):
        row = db.session.get(CustomerSettings, 1)
        if row is None:
            row = CustomerSettings(id=1)
            db.session.add(row)
        row.inactive_days, row.auto_release, row.changed_at = days, bool(auto_release), utcnow()
    if has_request_context():
        g.pop("_customer_settings", None)
    return row


# -- customers without interaction -------------------------------------------------------------
def inactive_since(days: int | None = None, now: dt.datetime | None = None) -> dt.datetime:
    days = get_settings().inactive_days if days is None else days
    return (now or utcnow()) - dt.timedelta(days=days)


def inactive_clause(days: int | None = None, now: dt.datetime | None = None):
    """Owned customers with no interaction (or, never contacted, no creation) for `days` days
    (default: the setting)."""
    cutoff = inactive_since(days, now)
    return and_(Customer.pooled_at.is_(None), Customer.owner_id.isnot(None),
                func.coalesce(Customer.last_interaction_at, Customer.created_at) < cutoff)


def is_inactive(customer: Customer, days: int | None = None, now: dt.datetime | None = None) -> bool:
    if customer.pooled_at is not None or customer.owner_id is None:
        return False
    return (customer.last_interaction_at or customer.created_at) < inactive_since(days, now)


# -- the shared pool ---------------------------------------------------------------------------
def release_to_pool(actor, customers: list[Customer], now: dt.datetime | None = None) -> str:
    """Put customers without interaction for the configured number of days into the shared
    pool: no owner, visible to every sales user until someone claims them. All or nothing:
    refuses if any of them had an interaction lately or is already in the pool."""
    days = get_settings().inactive_days
    now = now or utcnow()
    with unit_of_work(actor):
        for customer in customers:
            check_may_manage(actor, customer)
            if customer.pooled_at is not None:
                raise DomainError("customers.already_pooled",
                                  _("“%(name)s” is already in the shared pool.", name=customer.name))
            if not is_inactive(customer, days, now):
                raise DomainError("customers.recently_active", _(
                    "“%(name)s” had an interaction in the last %(days)d days and cannot be released to the shared pool.",
                    name=customer.name, days=days))
            customer.owner_id, customer.owner = None, None
            customer.pooled_at = now
            customer.next_follow_up_on = None
    return ngettext("%(num)d customer released to the shared pool.",
                    "%(num)d customers released to the shared pool.", len(customers))


def claim(actor, customers) -> str:
    """Take customers (objects or ids) from the shared pool: the actor becomes their owner (and
    their department the actor's); the history records who claimed them. When two people claim
    the same customer at once, exactly one gets it; the other is told who did. All or nothing:
    when any of them is no longer in the pool, nothing is claimed and the message names each
    such customer with whoever has it now."""
    if actor is None:
        raise Forbidden("customers.claim_forbidden", _("Only a signed-in user can claim customers."))
    ids = list(dict.fromkeys(c if isinstance(c, int) else c.id for c in customers if c is not None))
    if not ids:
        raise DomainError("customers.none_selected", _("Please select at least one customer."))
    with unit_of_work(actor):
        taken = []
        for customer_id in ids:
            # Compare-and-set: the row is locked by this write until commit, and a claim that
            # lost the race finds it already out of the pool.
            free = db.session.execute(
                update(Customer).where(Customer.id == customer_id, Customer.pooled_at.isnot(None))
                .values(pooled_at=Customer.pooled_at).execution_options(synchronize_session=False)).rowcount
            if not free:
                taken.append(customer_id)
        if taken:
            raise DomainError("customers.not_in_pool", _not_in_pool_message(actor, taken, len(ids)))
        for customer_id in ids:
            customer = db.session.execute(select(Customer).where(Customer.id == customer_id)
                                          .execution_options(populate_existing=True)).scalar_one()
            customer.owner = db.session.get(User, actor.id)
            customer.department_id = actor.department_id
            customer.pooled_at = None
    return ngettext("%(num)d customer claimed; you are now its owner.",
                    "%(num)d customers claimed; you are now their owner.", len(ids))


def _claimed_from_pool_by(customer_id: int):
    """(who, when) of the last claim of a customer from the shared pool, or None."""
    from app.core.audit import AuditLog

    entry = db.session.scalar(select(AuditLog).where(AuditLog.table_name == Customer.__tablename__,
                                                     AuditLog.record_id == str(customer_id),
                                                     AuditLog.action == "update")
                              .order_by(AuditLog.id.desc()).limit(1))
    if entry is None:
        return None
    owner, pooled = entry.changes.get("owner_id"), entry.changes.get("pooled_at")
    if not (owner and pooled and owner[0] is None and owner[1] and pooled[0] and pooled[1] is None):
        return None
    return db.session.get(User, owner[1]), entry.at


def _not_in_pool_message(actor, taken: list[int], selected: int) -> str:
    """Which of the chosen customers someone else has, and who. A customer the actor may no
    longer see is named only when it left the pool by a claim (the pool showed it to everyone
    until then); anything else is not found, as for a customer that does not exist."""
    from app.core.scope import can_see
    from app.core.webhooks import local_time

    parts = []
    for customer_id in taken:
        customer = db.session.get(Customer, customer_id)
        claim_by = _claimed_from_pool_by(customer_id) if customer is not None else None
        if customer is not None and claim_by is not None and claim_by[0] is not None:
            parts.append(_("“%(name)s” was already claimed by %(owner)s at %(at)s.",
                           name=customer.name, owner=claim_by[0].display_name, at=local_time(claim_by[1])))
        elif customer is not None and can_see("customers", actor, customer_id):
            holder = customer.owner.display_name if customer.owner is not None else "—"
            parts.append(_("“%(name)s” is not in the shared pool (its owner is %(owner)s).",
                           name=customer.name, owner=holder))
        else:
            parts.append(_("Customer #%(id)d was not found.", id=customer_id))
    if selected > 1:
        parts.append(_("No customer was claimed; refresh the shared pool and choose again."))
    return " ".join(parts)


def release_inactive(now: dt.datetime | None = None, batch: int = 500) -> int:
    """Nightly, when the setting says so: release every customer without interaction for the
    configured days to the shared pool, in batches, recorded in each one's history as done by
    the system. Returns how many were released."""
    settings = get_settings()
    if not settings.auto_release:
        return 0
    now = now or utcnow()
    released = 0
    while True:
        with unit_of_work(None):
            rows = list(db.session.scalars(
                select(Customer).where(inactive_clause(settings.inactive_days, now)).order_by(Customer.id).limit(batch)))
            for customer in rows:
                customer.owner_id, customer.owner = None, None
                customer.pooled_at = now
                customer.next_follow_up_on = None
        released += len(rows)
        if len(rows) < batch:
            return released


# -- transfer ----------------------------------------------------------------------------------
def transfer(actor, customers: list[Customer], new_owner_id, note: str = "") -> str:
    """Hand customers to another owner (their department follows the new owner's), recorded in
    each customer's history; the new owner is notified after commit. The new owner must be an
    active user the actor may assign customers to. All or nothing."""
    owner = db.session.get(User, int(new_owner_id)) if str(new_owner_id or "").isdigit() else None
    if owner is None or not owner.active:
        raise DomainError("customers.no_new_owner", _("Please choose the new owner."), field="owner")
    if not may_assign_to(actor, "customers", owner):
        raise DomainError("customers.owner_out_of_scope",
                          _("You may not assign customers to %(name)s.", name=owner.display_name), field="owner")
    if not customers:
        raise DomainError("customers.none_selected", _("Please select at least one customer."))
    with unit_of_work(actor) as uow:
        moved = []
        for customer in customers:
            check_may_manage(actor, customer)
            if customer.owner_id == owner.id:
                continue
            customer.owner = owner
            customer.department_id = owner.department_id
            customer.pooled_at = None
            moved.append(customer)
        if moved:
            by = actor.display_name if actor is not None else _("System")
            names = "\n".join(f"{c.code}  {c.name}" for c in moved)
            body = names + (f"\n\n{note.strip()}" if (note or "").strip() else "")
            link = f"/customers/show/{moved[0].id}" if len(moved) == 1 else "/customers/list/"
            notify(uow, [owner], ngettext("%(by)s transferred %(num)d customer to you",
                                          "%(by)s transferred %(num)d customers to you", len(moved), by=by),
                   body, link=link)
            # That notice lists every customer: the new owner needs no change notice per customer.
            for customer in moved:
                already_told(uow, "customers", customer.id, [owner.id])
    return ngettext("%(num)d customer transferred to %(name)s.", "%(num)d customers transferred to %(name)s.",
                    len(moved), name=owner.display_name)
