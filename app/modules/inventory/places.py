"""Warehouses, their zones (分区) and bins (货位): the rules the generated screens and the API call.

A warehouse's code is unique; a zone's and a bin's code are unique within their warehouse, and a bin's
zone is one of its own warehouse's. A place that holds stock (or ever moved it) is not deleted: it is
made inactive instead. Stock levels and moves are written only by the stock service
(app.modules.inventory.service): their screens and API read them.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.inventory.models import StockLevel, StockMove, Warehouse, WarehouseBin, WarehouseZone


class PlaceInUse(DomainError):
    status = 409


class WrittenByMovesOnly(DomainError):
    status = 405


def _linked(item, **pairs):
    """Forms set relationships, the API sets ids: the rules read the ids."""
    for column, relation in pairs.items():
        other = getattr(item, relation, None)
        if other is not None and getattr(item, column, None) is None:
            setattr(item, column, other.id)
    return item


def _code(item, errors, label_missing):
    item.code = (item.code or "").strip()
    if not item.code:
        errors["code"] = [label_missing]


def _taken(model, item, **same) -> bool:
    query = select(func.count()).select_from(model).where(model.code == item.code)
    for column, value in same.items():
        query = query.where(getattr(model, column) == value)
    if item.id is not None:
        query = query.where(model.id != item.id)
    return bool(db.session.scalar(query))


def check_warehouse(item: Warehouse) -> None:
    errors: dict[str, list[str]] = {}
    _code(item, errors, _("Enter the warehouse code."))
    item.name = (item.name or "").strip()
    if not item.name:
        errors["name"] = [_("Enter the warehouse name.")]
    if item.code and _taken(Warehouse, item):
        errors["code"] = [_("Another warehouse has the code %(code)s.", code=item.code)]
    item.active = True if item.active is None else bool(item.active)
    if errors:
        raise ValidationErrors(errors)


def check_zone(item: WarehouseZone) -> None:
    _linked(item, warehouse_id="warehouse")
    errors: dict[str, list[str]] = {}
    _code(item, errors, _("Enter the zone code."))
    item.name = (item.name or "").strip() or item.code
    if item.warehouse_id is None or db.session.get(Warehouse, item.warehouse_id) is None:
        errors["warehouse"] = [_("Choose a warehouse from the list.")]
    elif item.code and _taken(WarehouseZone, item, warehouse_id=item.warehouse_id):
        errors["code"] = [_("The warehouse already has a zone %(code)s.", code=item.code)]
    if errors:
        raise ValidationErrors(errors)


def check_bin(item: WarehouseBin) -> None:
    _linked(item, warehouse_id="warehouse", zone_id="zone")
    errors: dict[str, list[str]] = {}
    _code(item, errors, _("Enter the bin code."))
    if item.warehouse_id is None or db.session.get(Warehouse, item.warehouse_id) is None:
        errors["warehouse"] = [_("Choose a warehouse from the list.")]
    else:
        if item.code and _taken(WarehouseBin, item, warehouse_id=item.warehouse_id):
            errors["code"] = [_("The warehouse already has a bin %(code)s.", code=item.code)]
        zone = db.session.get(WarehouseZone, item.zone_id) if item.zone_id else None
        if item.zone_id and (zone is None or zone.warehouse_id != item.warehouse_id):
            errors["zone"] = [_("The zone belongs to another warehouse.")]
    item.active = True if item.active is None else bool(item.active)
    if errors:
        raise ValidationErrors(errors)


def _saved(check, item):
    try:
        with db.session.no_autoflush:
            check(item)
    except DomainError:
        db.session.rollback()
        raise
    db.session.add(item)
    db.session.commit()
    return item


def _holds_stock(**where) -> bool:
    levels = select(func.count()).select_from(StockLevel).filter_by(**where)
    moves = select(StockMove.id).filter_by(**where).limit(1)
    return bool(db.session.scalar(levels)) or db.session.scalar(moves) is not None


def _deleted(item, used: bool, message: str) -> None:
    from app.core.references import refuse_if_referenced

    if used:
        db.session.rollback()
        raise PlaceInUse("inventory.place_in_use", message)
    with db.session.no_autoflush:
        refuse_if_referenced(None, item)
    db.session.delete(item)
    db.session.commit()


class warehouses:
    create = update = staticmethod(lambda actor, item: _saved(check_warehouse, item))

    @staticmethod
    def delete(actor, item) -> None:
        _deleted(item, _holds_stock(warehouse_id=item.id), _(
            "%(name)s has stock or stock moves and is kept; make it inactive instead.", name=item.name))


class warehouse_zones:
    create = update = staticmethod(lambda actor, item: _saved(check_zone, item))

    @staticmethod
    def delete(actor, item) -> None:
        bins = db.session.scalar(select(func.count()).select_from(WarehouseBin)
                                 .where(WarehouseBin.zone_id == item.id))
        _deleted(item, bool(bins), _("The zone %(name)s still has bins; move or delete them first.", name=item.name))


class warehouse_bins:
    create = update = staticmethod(lambda actor, item: _saved(check_bin, item))

    @staticmethod
    def delete(actor, item) -> None:
        _deleted(item, _holds_stock(bin_id=item.id), _(
            "The bin %(code)s has stock or stock moves and is kept; make it inactive instead.", code=item.code))


def _written_by_moves_only(*_args, **_kw):
    raise WrittenByMovesOnly("inventory.read_only", _(
        "Stock changes only through a receipt, shipment, transfer, adjustment or stock count."))


class read_only:
    """Stock levels and moves: read here, written by the stock service."""
    create = update = delete = staticmethod(_written_by_moves_only)


def bin_by_code(warehouse_id: int, code: str | None) -> int | None:
    """The id of the warehouse's active bin with this code (as typed or scanned); None for no code."""
    code = (code or "").strip()
    if not code:
        return None
    found = db.session.execute(select(WarehouseBin.id, WarehouseBin.active).where(
        WarehouseBin.warehouse_id == warehouse_id, WarehouseBin.code == code)).first()
    if found is None:
        raise DomainError("inventory.bad_bin", _("The warehouse has no bin %(code)s.", code=code), field="bin")
    if not found.active:
        raise DomainError("inventory.inactive_bin", _("The bin %(code)s is not active.", code=code), field="bin")
    return found.id
