"""调拨单's rules. A draft names where from and where to and its lines; 发出 (send) writes one move out per
line and puts the quantities in transit, all lines or none (a shortage on any line refuses the whole
transfer, naming the product); 到货 (arrive) writes the moves in at the destination. Between two bins of one
warehouse there is nothing in transit: sending finishes the transfer at once (已完成). Only a draft is
edited, deleted or cancelled.
"""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from app.core.clock import utcnow
from app.core.errors import DomainError, ValidationErrors
from app.core.numbering import next_number
from app.core.transaction import each_record, unit_of_work
from app.extensions import db
from app.modules.inventory import service
from app.modules.inventory.models import Warehouse, WarehouseBin
from app.modules.inventory.transfer_models import (ARRIVED, CANCELLED, DOC_TYPE, DONE, DRAFT, IN_TRANSIT,
                                                   StockTransfer, StockTransferLine)

NUMBERING = "stock_transfer"


class WrongState(DomainError):
    status = 409


def _id(item, column, relation):
    other = getattr(item, relation, None)
    return other.id if other is not None else getattr(item, column, None)


def _check(transfer: StockTransfer) -> None:
    errors: dict[str, list[str]] = {}
    source, target = _id(transfer, "from_warehouse_id", "from_warehouse"), _id(transfer, "to_warehouse_id",
                                                                               "to_warehouse")
    source_bin, target_bin = _id(transfer, "from_bin_id", "from_bin"), _id(transfer, "to_bin_id", "to_bin")
    for field, wid in (("from_warehouse", source), ("to_warehouse", target)):
        warehouse = db.session.get(Warehouse, wid) if wid else None
        if warehouse is None:
            errors[field] = [_("Choose a warehouse from the list.")]
        elif not warehouse.active:
            errors[field] = [_("The warehouse is not active.")]
    for field, wid, bid in (("from_bin", source, source_bin), ("to_bin", target, target_bin)):
        if bid:
            found = db.session.get(WarehouseBin, bid)
            if found is None or found.warehouse_id != wid:
                errors[field] = [_("The bin does not belong to the warehouse.")]
    if not errors and (source, source_bin) == (target, target_bin):
        errors["to_warehouse"] = [_("Source and destination are the same.")]
    if errors:
        raise ValidationErrors(errors)
    transfer.from_warehouse_id, transfer.to_warehouse_id = source, target
    transfer.from_bin_id, transfer.to_bin_id = source_bin, target_bin


def _stored_status(transfer: StockTransfer) -> str:
    if transfer.id is None:
        return DRAFT
    from sqlalchemy import select

    return db.session.scalar(select(StockTransfer.status).where(StockTransfer.id == transfer.id)) or DRAFT


def _draft_only(transfer: StockTransfer, deleting: bool = False) -> None:
    if _stored_status(transfer) != DRAFT:
        message = (_("Transfer %(code)s has been sent; it can no longer be deleted.", code=transfer.code) if deleting
                   else _("Transfer %(code)s has been sent; it can no longer be changed.", code=transfer.code))
        raise WrongState("inventory.transfer_not_draft", message)


def create(actor, transfer: StockTransfer) -> StockTransfer:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _check(transfer)
        transfer.status = DRAFT
        transfer.code = next_number(NUMBERING)
        transfer.created_by_id = getattr(actor, "id", actor)
        db.session.add(transfer)
    return transfer


def update(actor, transfer: StockTransfer) -> StockTransfer:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _draft_only(transfer)
            _check(transfer)
            transfer.status = DRAFT
    return transfer


def delete(actor, transfer: StockTransfer) -> None:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _draft_only(transfer, deleting=True)
        db.session.delete(transfer)


def _quantity(value) -> Decimal:
    return service._qty(value)


def save_line(actor, line: StockTransferLine) -> StockTransferLine:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            transfer = line.transfer or db.session.get(StockTransfer, line.transfer_id or 0)
            if transfer is None:
                raise ValidationErrors({"transfer": [_("Choose a transfer from the list.")]})
            _draft_only(transfer)
            product_id = _id(line, "product_id", "product")
            if not product_id:
                raise ValidationErrors({"product": [_("Choose a product from the list.")]})
            try:
                line.quantity = _quantity(line.quantity)
            except DomainError as error:
                raise ValidationErrors({"quantity": [error.message]}) from error
            line.transfer_id, line.product_id = transfer.id, product_id
        db.session.add(line)
    return line


def delete_line(actor, line: StockTransferLine) -> None:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _draft_only(line.transfer)
        db.session.delete(line)


def _locked(transfer_id: int) -> StockTransfer:
    from sqlalchemy import select

    found = db.session.execute(select(StockTransfer).where(StockTransfer.id == transfer_id)
                               .with_for_update()).scalar()
    if found is None:
        raise DomainError("inventory.no_transfer", _("The transfer does not exist."))
    return found


def send(actor, transfer_id: int) -> StockTransfer:
    """发出: every line leaves the source (in transit to another warehouse), or none does."""
    with unit_of_work(actor):
        transfer = _locked(transfer_id)
        if transfer.status != DRAFT:
            raise WrongState("inventory.transfer_sent", _("Transfer %(code)s has already been sent.",
                                                          code=transfer.code))
        if not transfer.lines:
            raise DomainError("inventory.transfer_empty", _("Add the products to transfer first."))
        same_warehouse = transfer.from_warehouse_id == transfer.to_warehouse_id
        for line in transfer.lines:
            try:
                if same_warehouse:
                    service.transfer(actor, line.product_id, transfer.from_warehouse_id, transfer.to_warehouse_id,
                                     line.quantity, transfer.from_bin_id, transfer.to_bin_id, DOC_TYPE,
                                     transfer.code, commit=False)
                else:
                    service.send(actor, line.product_id, transfer.from_warehouse_id, line.quantity,
                                 transfer.from_bin_id, DOC_TYPE, transfer.code, commit=False)
            except service.InsufficientStock as error:
                raise service.InsufficientStock(error.code, _("%(product)s: %(message)s", product=line.product,
                                                              message=error.message), field="quantity") from error
        transfer.status = DONE if same_warehouse else IN_TRANSIT
        transfer.sent_at = utcnow()
        if same_warehouse:
            transfer.arrived_at = transfer.sent_at
    return transfer


def arrive(actor, transfer_id: int) -> StockTransfer:
    """到货: every line goes from in transit into the destination."""
    with unit_of_work(actor):
        transfer = _locked(transfer_id)
        if transfer.status != IN_TRANSIT:
            raise WrongState("inventory.transfer_not_in_transit",
                             _("Transfer %(code)s is not in transit.", code=transfer.code))
        for line in transfer.lines:
            service.arrive(actor, line.product_id, transfer.from_warehouse_id, transfer.to_warehouse_id,
                           line.quantity, transfer.from_bin_id, transfer.to_bin_id, DOC_TYPE, transfer.code,
                           commit=False)
        transfer.status = ARRIVED
        transfer.arrived_at = utcnow()
    return transfer


def cancel(actor, transfer_id: int) -> StockTransfer:
    with unit_of_work(actor):
        transfer = _locked(transfer_id)
        if transfer.status != DRAFT:
            raise WrongState("inventory.transfer_not_draft_cancel",
                             _("Transfer %(code)s has been sent; only a draft can be cancelled.", code=transfer.code))
        transfer.status = CANCELLED
    return transfer


# -- the list actions (several transfers at once, each on its own) -------------------------------------
def send_action(actor, items):
    each_record(actor, items, send)


def arrive_action(actor, items):
    each_record(actor, items, arrive)


def cancel_action(actor, items):
    each_record(actor, items, cancel)


class transfers:
    create = staticmethod(create)
    update = staticmethod(update)
    delete = staticmethod(delete)


class transfer_lines:
    create = update = staticmethod(save_line)
    delete = staticmethod(delete_line)
