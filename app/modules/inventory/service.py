"""Stock changes. Every change writes a stock move and updates its level in the caller's transaction with
one conditional UPDATE, so two shipments of the last units never both succeed and no update is lost.

Signatures used by orders and purchasing:
    receive(actor, product_id, warehouse_id, qty, bin_id=None, doc_type=None, doc_ref=None, note=None)
    ship(actor, product_id, warehouse_id, qty, bin_id=None, doc_type=None, doc_ref=None, note=None)
    adjust(actor, product_id, warehouse_id, delta, bin_id=None, ..., kind="adjustment" or "count")
    transfer(actor, product_id, from_wh, to_wh, qty, from_bin=None, to_bin=None, ...)
    reserve(actor, doc_type, doc_ref, product_id, warehouse_id, qty, bin_id=None)
    release(actor, doc_type, doc_ref)  /  fulfil(actor, doc_type, doc_ref)
    availability(product_id) -> [{warehouse_id, warehouse, on_hand, reserved, available, in_transit}]
Each commits unless commit=False is passed.
"""
from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.modules.inventory.models import (ADJUSTMENT, COUNT, PLACES_MOVED, RECEIPT, SHIPMENT, TRANSFER_IN, TRANSFER_OUT,
                                          StockLevel, StockMove, StockReservation, Warehouse, WarehouseBin)

PLACES = Decimal("0.0001")


class InsufficientStock(DomainError):
    status = 409


def _qty(value, field="quantity", allow_negative=False) -> Decimal:
    try:
        qty = Decimal(str(value)).quantize(PLACES)
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError("inventory.bad_quantity", _("Enter a quantity as a number."), field=field)
    if not qty.is_finite() or (qty <= 0 and not allow_negative) or qty == 0:
        raise DomainError("inventory.bad_quantity", _("The quantity must be greater than zero."), field=field)
    return qty


def _actor_id(actor):
    return getattr(actor, "id", actor)


def _place(warehouse_id, bin_id):
    warehouse = db.session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound("inventory.no_warehouse", _("The warehouse does not exist."), field="warehouse_id")
    if not warehouse.active:
        raise DomainError("inventory.inactive_warehouse", _("The warehouse is not active."), field="warehouse_id")
    if bin_id is not None:
        bin_ = db.session.get(WarehouseBin, bin_id)
        if bin_ is None or bin_.warehouse_id != warehouse_id:
            raise DomainError("inventory.bad_bin", _("The bin does not belong to the warehouse."), field="bin_id")


def _level_id(product_id, warehouse_id, bin_id, create=True):
    key = bin_id or 0
    where = and_(StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id,
                 StockLevel.bin_key == key)
    found = db.session.execute(select(StockLevel.id).where(where)).scalar()
    if found is not None or not create:
        return found
    try:
        with db.session.begin_nested():
            db.session.execute(insert(StockLevel).values(
                product_id=product_id, warehouse_id=warehouse_id, bin_id=bin_id, bin_key=key,
                on_hand=0, reserved=0, in_transit=0, updated_at=utcnow()))
    except IntegrityError:
        pass  # made at the same moment by another move
    return db.session.execute(select(StockLevel.id).where(where)).scalar_one()


_freeze_checks: list = []


def register_freeze_check(fn) -> None:
    """fn(warehouse_id, bin_id, doc_type, doc_ref) raises DomainError when the place may not move now (a stock
    count has frozen it). Called after the level's row is updated (and so locked), so a count that froze the
    place meanwhile is seen."""
    if fn not in _freeze_checks:
        _freeze_checks.append(fn)


def _move(kind, product_id, warehouse_id, bin_id, qty, actor, doc_type, doc_ref, note):
    for check in _freeze_checks:
        try:
            check(warehouse_id, bin_id, doc_type, doc_ref)
        except DomainError:
            db.session.rollback()
            raise
    db.session.info.setdefault(PLACES_MOVED, set()).add((product_id, warehouse_id))
    db.session.execute(_statements()["move"], {
        "m_kind": kind, "m_product_id": product_id, "m_warehouse_id": warehouse_id, "m_bin_id": bin_id,
        "m_quantity": qty, "m_doc_type": doc_type, "m_doc_ref": None if doc_ref is None else str(doc_ref),
        "m_user_id": _actor_id(actor), "m_note": note, "m_created_at": utcnow()})


@functools.cache
def _statements() -> dict:
    """The statements of every receipt and shipment, built once (building one costs more than running it)."""
    names = ("kind", "product_id", "warehouse_id", "bin_id", "quantity", "doc_type", "doc_ref", "user_id", "note",
             "created_at")
    active = select(Warehouse.id).where(Warehouse.id == bindparam("p_warehouse_id"),
                                        Warehouse.active.is_(True)).exists()
    place = (StockLevel.product_id == bindparam("p_product_id"),
             StockLevel.warehouse_id == bindparam("p_warehouse_id"), StockLevel.bin_key == bindparam("p_bin_key"),
             active)
    qty = bindparam("qty", type_=StockLevel.on_hand.type)
    return {
        "move": insert(StockMove).values({name: bindparam("m_" + name) for name in names}),
        "receive": update(StockLevel).where(*place).values(on_hand=StockLevel.on_hand + qty,
                                                           updated_at=bindparam("now")).returning(StockLevel.id),
        "ship": update(StockLevel).where(*place, StockLevel.on_hand - StockLevel.reserved >= qty)
        .values(on_hand=StockLevel.on_hand - qty, updated_at=bindparam("now")).returning(StockLevel.id),
    }


def _add(level_id, qty, in_transit=Decimal(0)):
    db.session.execute(update(StockLevel).where(StockLevel.id == level_id).values(
        on_hand=StockLevel.on_hand + qty, in_transit=StockLevel.in_transit + in_transit, updated_at=utcnow()))


def _take(level_id, qty, in_transit=Decimal(0)):
    """Takes qty off the available quantity, or refuses; one statement, so concurrent takes queue on the row."""
    done = db.session.execute(update(StockLevel).where(
        StockLevel.id == level_id, StockLevel.on_hand - StockLevel.reserved >= qty).values(
        on_hand=StockLevel.on_hand - qty, in_transit=StockLevel.in_transit + in_transit,
        updated_at=utcnow())).rowcount
    if done != 1:
        _refuse(level_id, qty)


def _refuse(level_id, qty):
    available = Decimal(0)
    if level_id is not None:
        row = db.session.execute(select(StockLevel.on_hand - StockLevel.reserved)
                                 .where(StockLevel.id == level_id)).scalar()
        available = row or Decimal(0)
    db.session.rollback()
    raise InsufficientStock("inventory.insufficient", _(
        "Not enough stock: %(available)s available, %(wanted)s asked for.",
        available=_fmt(available), wanted=_fmt(qty)), field="quantity")


def _fmt(value) -> str:
    return format(Decimal(value).normalize(), "f")


def _finish(commit):
    if commit:
        db.session.commit()


def _at_once(kind, product_id, warehouse_id, bin_id, qty):
    """The usual case in one statement: the level of this place exists (so its bin is the warehouse's), the
    warehouse is active and (shipping) enough is available — updated, its id returned. None when the caller must
    find out why not, step by step."""
    return db.session.execute(_statements()[kind], {
        "p_product_id": product_id, "p_warehouse_id": warehouse_id, "p_bin_key": bin_id or 0, "qty": qty,
        "now": utcnow()}).scalar()


def receive(actor, product_id, warehouse_id, qty, bin_id=None, doc_type=None, doc_ref=None, note=None,
            commit=True):
    qty = _qty(qty)
    if _at_once("receive", product_id, warehouse_id, bin_id, qty) is None:
        _place(warehouse_id, bin_id)
        _add(_level_id(product_id, warehouse_id, bin_id), qty)
    _move(RECEIPT, product_id, warehouse_id, bin_id, qty, actor, doc_type, doc_ref, note)
    _finish(commit)


def ship(actor, product_id, warehouse_id, qty, bin_id=None, doc_type=None, doc_ref=None, note=None,
         commit=True):
    qty = _qty(qty)
    if _at_once("ship", product_id, warehouse_id, bin_id, qty) is None:
        _place(warehouse_id, bin_id)
        level_id = _level_id(product_id, warehouse_id, bin_id, create=False)
        if level_id is None:
            _refuse(None, qty)
        _take(level_id, qty)
    _move(SHIPMENT, product_id, warehouse_id, bin_id, -qty, actor, doc_type, doc_ref, note)
    _finish(commit)


def adjust(actor, product_id, warehouse_id, delta, bin_id=None, doc_type=None, doc_ref=None, note=None,
           kind=ADJUSTMENT, commit=True):
    """A signed correction (kind "adjustment" or "count" for a count difference)."""
    if kind not in (ADJUSTMENT, COUNT):
        raise DomainError("inventory.bad_kind", _("This kind of move is not an adjustment."), field="kind")
    delta = _qty(delta, field="delta", allow_negative=True)
    _place(warehouse_id, bin_id)
    level_id = _level_id(product_id, warehouse_id, bin_id, create=delta > 0)
    if delta > 0:
        _add(level_id, delta)
    elif level_id is None:
        _refuse(None, -delta)
    else:
        _take(level_id, -delta)
    _move(kind, product_id, warehouse_id, bin_id, delta, actor, doc_type, doc_ref, note)
    _finish(commit)


def send(actor, product_id, warehouse_id, qty, bin_id=None, doc_type=None, doc_ref=None, note=None,
         commit=True):
    """The move out of a transfer: the quantity leaves on hand and shows as in transit at the source."""
    qty = _qty(qty)
    _place(warehouse_id, bin_id)
    level_id = _level_id(product_id, warehouse_id, bin_id, create=False)
    if level_id is None:
        _refuse(None, qty)
    _take(level_id, qty, in_transit=qty)
    _move(TRANSFER_OUT, product_id, warehouse_id, bin_id, -qty, actor, doc_type, doc_ref, note)
    _finish(commit)


def arrive(actor, product_id, from_warehouse_id, to_warehouse_id, qty, from_bin=None, to_bin=None,
           doc_type=None, doc_ref=None, note=None, commit=True):
    """The move in of a transfer: in transit at the source goes down, on hand at the destination up."""
    qty = _qty(qty)
    _place(to_warehouse_id, to_bin)
    source = _level_id(product_id, from_warehouse_id, from_bin, create=False)
    done = db.session.execute(update(StockLevel).where(StockLevel.id == source, StockLevel.in_transit >= qty)
                              .values(in_transit=StockLevel.in_transit - qty)).rowcount if source else 0
    if done != 1:
        db.session.rollback()
        raise InsufficientStock("inventory.not_in_transit",
                                _("More is received than is in transit."), field="quantity")
    _add(_level_id(product_id, to_warehouse_id, to_bin), qty)
    _move(TRANSFER_IN, product_id, to_warehouse_id, to_bin, qty, actor, doc_type, doc_ref, note)
    _finish(commit)


def transfer(actor, product_id, from_warehouse_id, to_warehouse_id, qty, from_bin=None, to_bin=None,
             doc_type=None, doc_ref=None, note=None, commit=True):
    """A transfer sent and received at once (e.g. between two bins of one warehouse)."""
    if (from_warehouse_id, from_bin) == (to_warehouse_id, to_bin):
        raise DomainError("inventory.same_place", _("Source and destination are the same."), field="to_bin")
    send(actor, product_id, from_warehouse_id, qty, from_bin, doc_type, doc_ref, note, commit=False)
    arrive(actor, product_id, from_warehouse_id, to_warehouse_id, qty, from_bin, to_bin, doc_type, doc_ref, note,
           commit=False)
    _finish(commit)


def reserve(actor, doc_type, doc_ref, product_id, warehouse_id, qty, bin_id=None, commit=True):
    """Holds qty of the available quantity for a document; refused when not enough is available."""
    qty = _qty(qty)
    _place(warehouse_id, bin_id)
    level_id = _level_id(product_id, warehouse_id, bin_id, create=False)
    done = db.session.execute(update(StockLevel).where(
        StockLevel.id == level_id, StockLevel.on_hand - StockLevel.reserved >= qty).values(
        reserved=StockLevel.reserved + qty)).rowcount if level_id else 0
    if done != 1:
        _refuse(level_id, qty)
    doc_ref = str(doc_ref)
    held = db.session.execute(select(StockReservation).where(
        StockReservation.doc_type == doc_type, StockReservation.doc_ref == doc_ref,
        StockReservation.level_id == level_id)).scalar()
    if held:
        held.quantity = held.quantity + qty
    else:
        db.session.add(StockReservation(level_id=level_id, doc_type=doc_type, doc_ref=doc_ref, quantity=qty,
                                        user_id=_actor_id(actor)))
    _finish(commit)


def _held(doc_type, doc_ref):
    return db.session.execute(select(StockReservation).where(
        StockReservation.doc_type == doc_type, StockReservation.doc_ref == str(doc_ref))
        .order_by(StockReservation.id).with_for_update()).scalars().all()


def release(actor, doc_type, doc_ref, commit=True) -> Decimal:
    """Gives back everything a document holds (an order cancelled). Returns the quantity released."""
    total = Decimal(0)
    for held in _held(doc_type, doc_ref):
        db.session.execute(update(StockLevel).where(StockLevel.id == held.level_id)
                           .values(reserved=StockLevel.reserved - held.quantity))
        total += held.quantity
        db.session.delete(held)
    _finish(commit)
    return total


def fulfil(actor, doc_type, doc_ref, note=None, commit=True) -> Decimal:
    """Ships what a document holds: each reservation becomes a shipment move. Returns the quantity shipped."""
    total = Decimal(0)
    for held in _held(doc_type, doc_ref):
        level = db.session.get(StockLevel, held.level_id)
        db.session.execute(update(StockLevel).where(StockLevel.id == held.level_id).values(
            reserved=StockLevel.reserved - held.quantity, on_hand=StockLevel.on_hand - held.quantity,
            updated_at=utcnow()))
        _move(SHIPMENT, level.product_id, level.warehouse_id, level.bin_id, -held.quantity, actor, doc_type,
              doc_ref, note)
        total += held.quantity
        db.session.delete(held)
    _finish(commit)
    return total


def fulfil_part(actor, doc_type, doc_ref, product_id, qty, note=None, commit=True) -> Decimal:
    """Ships `qty` of one product of what a document holds (a partial shipment), from its reservations in order.
    Refuses, shipping nothing, when the document holds less of it."""
    qty = _qty(qty)
    held = [h for h in _held(doc_type, doc_ref) if db.session.get(StockLevel, h.level_id).product_id == product_id]
    holding = sum((h.quantity for h in held), Decimal(0))
    if holding < qty:
        raise InsufficientStock("inventory.not_reserved", _(
            "Only %(held)s of it is reserved for %(doc)s; %(wanted)s cannot ship.", held=_fmt(holding),
            doc=doc_ref, wanted=_fmt(qty)), field="quantity")
    remaining = qty
    for reservation in held:
        if remaining <= 0:
            break
        take = min(remaining, reservation.quantity)
        level = db.session.get(StockLevel, reservation.level_id)
        db.session.execute(update(StockLevel).where(StockLevel.id == reservation.level_id).values(
            reserved=StockLevel.reserved - take, on_hand=StockLevel.on_hand - take, updated_at=utcnow()))
        _move(SHIPMENT, level.product_id, level.warehouse_id, level.bin_id, -take, actor, doc_type, doc_ref, note)
        if take == reservation.quantity:
            db.session.delete(reservation)
        else:
            reservation.quantity = reservation.quantity - take
        remaining -= take
    _finish(commit)
    return qty


def availability(product_id) -> list[dict]:
    """A product's stock per active warehouse: on hand, reserved, available and in transit."""
    rows = db.session.execute(
        select(Warehouse.id, Warehouse.name, func.sum(StockLevel.on_hand), func.sum(StockLevel.reserved),
               func.sum(StockLevel.in_transit))
        .join(StockLevel, StockLevel.warehouse_id == Warehouse.id)
        .where(StockLevel.product_id == product_id, Warehouse.active.is_(True))
        .group_by(Warehouse.id, Warehouse.name).order_by(Warehouse.name)).all()
    return [{"warehouse_id": wid, "warehouse": name, "on_hand": on_hand, "reserved": reserved,
             "available": on_hand - reserved, "in_transit": in_transit}
            for wid, name, on_hand, reserved, in_transit in rows]


def refuse_change(*_args, **_kw):
    raise DomainError("inventory.moves_immutable",
                      _("Stock moves are never changed or deleted; record a correction as a new move."))


@event.listens_for(StockMove, "before_update")
@event.listens_for(StockMove, "before_delete")
def _moves_are_never_changed(_mapper, _connection, _target):
    refuse_change()
