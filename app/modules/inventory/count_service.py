"""盘点单's rules.

新建 (planned) → 开始盘点 (counting: the warehouse, zone or bin is frozen — every move into or out of it is
refused until the count ends — and the quantities on hand are taken as expected) → staff enter counted
quantities, on the count's page or by scanning barcodes on a phone → 完成盘点 (counted: every line has a
count) → 提交审批 through the 库存盘点审批 chain → approved: each difference is posted as a count move
(盘点差异) and the places are free again (已过账); rejected: back to counted for a recount, or 已驳回 when the
chain says so (free again). A count not yet submitted can be cancelled (free again).
"""
from __future__ import annotations

import functools
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.numbering import next_number
from app.core.transaction import each_record, unit_of_work
from app.extensions import db
from app.modules.inventory import service
from app.modules.inventory.count_models import (CANCELLED, COUNTED, COUNTING, DOC_TYPE, FROZEN, PLANNED,
                                                StockCount, StockCountLine)
from app.modules.inventory.models import COUNT, StockLevel, Warehouse, WarehouseBin, WarehouseZone
from app.modules.products.models import Product

NUMBERING = "stock_count"


class WrongState(DomainError):
    status = 409


class Frozen(DomainError):
    status = 409


def _id(item, column, relation):
    other = getattr(item, relation, None)
    return other.id if other is not None else getattr(item, column, None)


# -- the freeze ------------------------------------------------------------------------------------------
def _scope(count_or_row):
    """(warehouse_id, zone_id, bin_id) of a count."""
    return count_or_row.warehouse_id, count_or_row.zone_id, count_or_row.bin_id


def _covers(zone_id, bin_id, place_bin_id, place_zone_id) -> bool:
    if zone_id is None and bin_id is None:
        return True                                     # the whole warehouse
    if bin_id is not None:
        return place_bin_id == bin_id
    return place_bin_id is not None and place_zone_id == zone_id


@functools.cache
def _running():
    """The counts running in a warehouse (built once: every stock move asks)."""
    return select(StockCount.id, StockCount.code, StockCount.zone_id, StockCount.bin_id).where(
        StockCount.warehouse_id == bindparam("warehouse_id"), StockCount.status.in_(FROZEN))


def frozen_by(warehouse_id, bin_id) -> StockCount | None:
    """The running count that has frozen this place, if any."""
    counts = db.session.execute(_running(), {"warehouse_id": warehouse_id}).all()
    if not counts:
        return None
    zone_id = db.session.scalar(select(WarehouseBin.zone_id).where(WarehouseBin.id == bin_id)) if bin_id else None
    for count_id, code, count_zone, count_bin in counts:
        if _covers(count_zone, count_bin, bin_id, zone_id):
            return db.session.get(StockCount, count_id)
    return None


def check_frozen(warehouse_id, bin_id, doc_type, doc_ref) -> None:
    """The inventory service's check before every move: refused while a count holds the place (the count's
    own postings pass)."""
    found = frozen_by(warehouse_id, bin_id)
    if found is not None and not (doc_type == DOC_TYPE and doc_ref == found.code):
        raise Frozen("inventory.frozen", _(
            "Stock count %(code)s is under way here; nothing moves in or out until it ends.", code=found.code),
            field="bin" if bin_id else "warehouse_id")


service.register_freeze_check(check_frozen)


# -- the document ------------------------------------------------------------------------------------------
def _check(count: StockCount) -> None:
    errors: dict[str, list[str]] = {}
    warehouse_id = _id(count, "warehouse_id", "warehouse")
    zone_id, bin_id = _id(count, "zone_id", "zone"), _id(count, "bin_id", "bin")
    warehouse = db.session.get(Warehouse, warehouse_id) if warehouse_id else None
    if warehouse is None:
        errors["warehouse"] = [_("Choose a warehouse from the list.")]
    elif not warehouse.active:
        errors["warehouse"] = [_("The warehouse is not active.")]
    else:
        zone = db.session.get(WarehouseZone, zone_id) if zone_id else None
        if zone_id and (zone is None or zone.warehouse_id != warehouse_id):
            errors["zone"] = [_("The zone belongs to another warehouse.")]
        place = db.session.get(WarehouseBin, bin_id) if bin_id else None
        if bin_id and (place is None or place.warehouse_id != warehouse_id):
            errors["bin"] = [_("The bin does not belong to the warehouse.")]
        elif place is not None and zone_id and place.zone_id != zone_id:
            errors["bin"] = [_("The bin is not in the chosen zone.")]
    if errors:
        raise ValidationErrors(errors)
    count.warehouse_id, count.zone_id, count.bin_id = warehouse_id, zone_id, bin_id
    if bin_id:
        count.zone_id = None          # one bin: the bin says it all


def _stored_status(count) -> str:
    if count.id is None:
        return PLANNED
    return db.session.scalar(select(StockCount.status).where(StockCount.id == count.id)) or PLANNED


def create(actor, count: StockCount) -> StockCount:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _check(count)
        count.status = PLANNED
        count.code = next_number(NUMBERING)
        if count.owner_id is None and count.owner is None:
            count.owner_id = getattr(actor, "id", actor)
        db.session.add(count)
    return count


def update(actor, count: StockCount) -> StockCount:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            if _stored_status(count) != PLANNED:
                raise WrongState("inventory.count_started", _(
                    "Stock count %(code)s has started; where it counts can no longer change.", code=count.code))
            _check(count)
            count.status = PLANNED
    return count


def delete(actor, count: StockCount) -> None:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            if _stored_status(count) != PLANNED:
                raise WrongState("inventory.count_not_planned", _(
                    "Stock count %(code)s has started; cancel it instead of deleting it.", code=count.code))
        db.session.delete(count)


def _locked(count_id: int) -> StockCount:
    found = db.session.execute(select(StockCount).where(StockCount.id == count_id).with_for_update()).scalar()
    if found is None:
        raise NotFound("inventory.no_count", _("The stock count does not exist."))
    return found


def _wrong(count: StockCount, message: str):
    raise WrongState("inventory.count_state", message % {"code": count.code})


def start(actor, count_id: int) -> StockCount:
    """开始盘点: freeze the places and take what is on hand as expected, one line per product and bin."""
    with unit_of_work(actor):
        count = _locked(count_id)
        if count.status != PLANNED:
            _wrong(count, _("Stock count %(code)s has already started."))
        for other in db.session.scalars(select(StockCount).where(
                StockCount.warehouse_id == count.warehouse_id, StockCount.status.in_(FROZEN),
                StockCount.id != count.id)):
            if _overlap(count, other):
                raise Frozen("inventory.count_overlap", _(
                    "Stock count %(other)s is already counting these places.", other=other.code))
        # The warehouse's row, locked: a move that would make a new stock level there (or record any move in it)
        # waits for this count to take its lines, then sees its places frozen.
        db.session.execute(select(Warehouse.id).where(Warehouse.id == count.warehouse_id).with_for_update())
        levels = select(StockLevel).where(StockLevel.warehouse_id == count.warehouse_id)
        if count.bin_id is not None:
            levels = levels.where(StockLevel.bin_id == count.bin_id)
        elif count.zone_id is not None:
            levels = levels.where(StockLevel.bin_id.in_(select(WarehouseBin.id).where(
                WarehouseBin.zone_id == count.zone_id)))
        # Locking the levels makes a move under way finish first (its figure is then the one expected);
        # a move after this commits sees the count and is refused.
        for level in db.session.scalars(levels.order_by(StockLevel.id).with_for_update()):
            if level.on_hand == 0 and level.reserved == 0:
                continue
            db.session.add(StockCountLine(count_id=count.id, product_id=level.product_id, bin_id=level.bin_id,
                                          bin_key=level.bin_key, expected=level.on_hand))
        count.status = COUNTING
        count.started_at = utcnow()
    return count


def _overlap(a: StockCount, b: StockCount) -> bool:
    if a.warehouse_id != b.warehouse_id:
        return False
    whole_a, whole_b = a.zone_id is None and a.bin_id is None, b.zone_id is None and b.bin_id is None
    if whole_a or whole_b:
        return True
    if a.bin_id is not None and b.bin_id is not None:
        return a.bin_id == b.bin_id
    if a.zone_id is not None and b.zone_id is not None:
        return a.zone_id == b.zone_id
    bin_id, zone_id = (a.bin_id, b.zone_id) if a.bin_id is not None else (b.bin_id, a.zone_id)
    return db.session.scalar(select(WarehouseBin.zone_id).where(WarehouseBin.id == bin_id)) == zone_id


def _quantity(value, field="quantity") -> Decimal:
    try:
        qty = Decimal(str(value).strip()).quantize(service.PLACES)
    except Exception:
        raise ValidationErrors({field: [_("Enter a quantity as a number.")]}) from None
    if not qty.is_finite() or qty < 0:
        raise ValidationErrors({field: [_("A counted quantity is zero or more.")]})
    return qty


def find_product(code: str) -> Product | None:
    """A product by what a scanner or a person types: its barcode, else its SKU."""
    code = (code or "").strip()
    if not code:
        return None
    return (db.session.scalar(select(Product).where(Product.barcode == code).limit(1))
            or db.session.scalar(select(Product).where(Product.sku == code).limit(1)))


def record(actor, count_id: int, code: str, quantity, bin_code: str | None = None, add: bool = False) -> dict:
    """A counted quantity for the product with this barcode or SKU (in the bin with this code when the count
    has bins): set, or added to what was counted (a scan counts one more). A product found that was not
    expected gets a line of its own (expected 0)."""
    with unit_of_work(actor):
        count = _locked(count_id)
        if count.status != COUNTING:
            _wrong(count, _("Stock count %(code)s is not counting now."))
        product = find_product(code)
        if product is None:
            raise ValidationErrors({"code": [_("No product has the barcode or SKU %(code)s.", code=code)]})
        bin_id = _bin(count, bin_code)
        qty = _quantity(quantity)
        line = db.session.scalar(select(StockCountLine).where(
            StockCountLine.count_id == count.id, StockCountLine.product_id == product.id,
            StockCountLine.bin_key == (bin_id or 0)))
        if line is None:
            line = StockCountLine(count_id=count.id, product_id=product.id, bin_id=bin_id, bin_key=bin_id or 0,
                                  expected=Decimal(0))
            db.session.add(line)
        line.counted = (line.counted or Decimal(0)) + qty if add else qty
        line.counted_by_id = getattr(actor, "id", actor)
        line.counted_at = utcnow()
        db.session.flush()
        result = {"product": product.name, "sku": product.sku, "bin": bin_code or "", "counted": line.counted,
                  "line_id": line.id}
    result.update(progress(count_id))
    return result


def _bin(count: StockCount, bin_code: str | None) -> int | None:
    code = (bin_code or "").strip()
    if count.bin_id is not None:
        return count.bin_id
    if not code:
        if count.zone_id is not None:
            raise ValidationErrors({"bin": [_("Enter or scan the bin of the product.")]})
        return None
    place = db.session.scalar(select(WarehouseBin).where(WarehouseBin.warehouse_id == count.warehouse_id,
                                                         WarehouseBin.code == code))
    if place is None:
        raise ValidationErrors({"bin": [_("The warehouse has no bin %(code)s.", code=code)]})
    if count.zone_id is not None and place.zone_id != count.zone_id:
        raise ValidationErrors({"bin": [_("The bin %(code)s is not in the zone being counted.", code=code)]})
    return place.id


def progress(count_id: int) -> dict:
    from sqlalchemy import func

    total, done = db.session.execute(select(func.count(), func.count(StockCountLine.counted)).where(
        StockCountLine.count_id == count_id)).one()
    return {"lines": total, "counted_lines": done}


def finish(actor, count_id: int) -> StockCount:
    """完成盘点: every line has a count; then it can be submitted for approval."""
    with unit_of_work(actor):
        count = _locked(count_id)
        if count.status != COUNTING:
            _wrong(count, _("Stock count %(code)s is not counting now."))
        missing = sum(1 for line in count.lines if line.counted is None)
        if missing:
            raise DomainError("inventory.count_missing", _(
                "%(n)d lines have no count yet; count them (0 when nothing is there) before finishing.", n=missing))
        count.status = COUNTED
    return count


def recount(actor, count_id: int) -> StockCount:
    with unit_of_work(actor):
        count = _locked(count_id)
        if count.status != COUNTED:
            _wrong(count, _("Only a finished count can be counted again before it is submitted."))
        count.status = COUNTING
    return count


def cancel(actor, count_id: int) -> StockCount:
    with unit_of_work(actor):
        count = _locked(count_id)
        if count.status not in (PLANNED, COUNTING, COUNTED):
            _wrong(count, _("Stock count %(code)s is in approval or ended; it can no longer be cancelled."))
        count.status = CANCELLED
    return count


def post(actor, count: StockCount) -> None:
    """On approval (in the approval's own transaction): each difference becomes a count move."""
    for line in count.lines:
        difference = line.difference
        if difference:
            service.adjust(actor, line.product_id, count.warehouse_id, difference, line.bin_id, doc_type=DOC_TYPE,
                           doc_ref=count.code, note=_("Stock count %(code)s", code=count.code), kind=COUNT,
                           commit=False)
    count.posted_at = utcnow()


def update_line(actor, line: StockCountLine) -> StockCountLine:
    """The count's page: a counted quantity typed on a line."""
    with unit_of_work(actor):
        with db.session.no_autoflush:
            status = db.session.scalar(select(StockCount.status).where(StockCount.id == line.count_id))
            if status != COUNTING:
                raise WrongState("inventory.count_state", _("This stock count is not counting now."))
            if line.counted is not None:
                line.counted = _quantity(line.counted, "counted")
            line.counted_by_id = getattr(actor, "id", actor)
            line.counted_at = utcnow()
    return line


def _refuse_line_change(actor, line):
    raise WrongState("inventory.count_lines", _("The lines of a count are taken from stock when it starts; "
                                                "scan or type a product to add one."))


# -- list actions ------------------------------------------------------------------------------------------
def start_action(actor, items):
    each_record(actor, items, start)


def finish_action(actor, items):
    each_record(actor, items, finish)


def recount_action(actor, items):
    each_record(actor, items, recount)


def cancel_action(actor, items):
    each_record(actor, items, cancel)


class counts:
    create = staticmethod(create)
    update = staticmethod(update)
    delete = staticmethod(delete)


class count_lines:
    create = staticmethod(_refuse_line_change)
    update = staticmethod(update_line)
    delete = staticmethod(_refuse_line_change)

