"""收货入库 (goods receipts): the goods of an ordered purchase order arrive, partly or all at once. For each order
line the accepted quantity goes into the order's warehouse (a bin may be named) as a stock move, and a rejected
quantity is recorded with its reason. A line never takes more than it has left to receive, plus the admin's
tolerance (PURCHASE_RECEIPT_TOLERANCE per cent); receipts of one order queue on its row lock, so two clerks
receiving the last units at once cannot both take them. The order becomes 部分入库 or 已入库."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _

from app.core.clock import company_today
from app.core.errors import ValidationErrors
from app.core.numbering import next_number
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.inventory.api import WarehouseBin, stock
from app.modules.purchasing.order_models import ORDERED, PARTIAL, RECEIVED, PurchaseOrderLine
from app.modules.purchasing.order_service import WrongState, _locked
from app.modules.purchasing.receipt_models import GoodsReceipt, GoodsReceiptLine

NUMBERING = "goods_receipt"
DOC_TYPE = "purchase_receipt"
UNIT = Decimal("0.0001")


def _quantity(raw, field, errors) -> Decimal:
    if raw in (None, ""):
        return Decimal(0)
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or value < 0 or value > Decimal("999999999999"):
        errors[field] = [_("Enter a quantity of 0 or more.")]
        return Decimal(0)
    return value.quantize(UNIT, ROUND_HALF_UP)


def plain(value) -> str:
    """A quantity as people write it: 10, 2.5."""
    return format(Decimal(value or 0).normalize(), "f")


def left_to_receive(line: PurchaseOrderLine) -> Decimal:
    return max(Decimal(line.quantity) - Decimal(line.received or 0), Decimal(0))


def _stars(raw, field, errors) -> int | None:
    if raw in (None, ""):
        return None
    value = str(raw).strip()
    if value not in ("1", "2", "3", "4", "5"):
        errors[field] = [_("Rate from 1 to 5 stars.")]
        return None
    return int(value)


def receive(actor, order_id: int, lines: dict, note: str | None = None, quality=None, service=None) -> GoodsReceipt:
    """lines: {order line id: {"accepted": q, "rejected": q, "reason": text, "bin_id": id}}; quality and service:
    the buyer's 1–5 stars for this delivery (optional), which the supplier's rating of the month counts. Errors
    are keyed "<field>_<order line id>" (e.g. accepted_12) so the form marks the row; nothing is written on any
    error."""
    from app.modules.purchasing import ratings

    tolerance = Decimal(str(current_app.config.get("PURCHASE_RECEIPT_TOLERANCE", 0) or 0))
    with unit_of_work(actor) as uow:
        order = _locked(order_id)
        if actor is not None and not can_see("purchase_orders", actor, order.id):
            raise ValidationErrors({"order": [_("Choose a purchase order from the list.")]})
        if order.status not in (ORDERED, PARTIAL):
            raise WrongState("purchasing.not_receivable", _(
                "Purchase order %(code)s is not placed with the supplier or is finished; nothing can be received "
                "on it.", code=order.code))
        if order.warehouse_id is None:
            raise ValidationErrors({"warehouse": [_("Set the receiving warehouse on the purchase order first.")]})
        order_lines = {line.id: line for line in db.session.query(PurchaseOrderLine)
                       .filter(PurchaseOrderLine.order_id == order.id).with_for_update()}
        errors: dict[str, list[str]] = {}
        quality, service = _stars(quality, "quality_rating", errors), _stars(service, "service_rating", errors)
        taken = []
        for key, values in (lines or {}).items():
            line = order_lines.get(int(key)) if str(key).isdigit() else None
            if line is None:
                errors["lines"] = [_("A line is not on this purchase order.")]
                continue
            accepted = _quantity(values.get("accepted"), f"accepted_{line.id}", errors)
            rejected = _quantity(values.get("rejected"), f"rejected_{line.id}", errors)
            reason = (values.get("reason") or "").strip()[:255]
            if rejected > 0 and not reason:
                errors[f"reason_{line.id}"] = [_("Say why the goods are rejected.")]
            allowed = (left_to_receive(line) * (100 + tolerance) / 100).quantize(UNIT, ROUND_HALF_UP)
            if accepted > allowed:
                errors[f"accepted_{line.id}"] = [_("At most %(n)s are left to receive on this line.",
                                                   n=plain(allowed))]
            bin_id = values.get("bin_id") or None
            if bin_id is not None:
                bin_ = db.session.get(WarehouseBin, int(bin_id)) if str(bin_id).isdigit() else None
                if bin_ is None or bin_.warehouse_id != order.warehouse_id:
                    errors[f"bin_{line.id}"] = [_("The bin does not belong to the warehouse.")]
                    bin_id = None
                else:
                    bin_id = bin_.id
            if accepted or rejected:
                taken.append((line, accepted, rejected, reason or None, bin_id))
        if not taken and not errors:
            errors["lines"] = [_("Enter what arrived on at least one line.")]
        if errors:
            raise ValidationErrors(errors)
        receipt = GoodsReceipt(code=next_number(NUMBERING), order_id=order.id, warehouse_id=order.warehouse_id,
                               received_on=company_today(), received_by_id=getattr(actor, "id", None),
                               note=(note or "").strip()[:255] or None, quality_rating=quality,
                               service_rating=service)
        db.session.add(receipt)
        db.session.flush()
        for line, accepted, rejected, reason, bin_id in taken:
            db.session.add(GoodsReceiptLine(receipt_id=receipt.id, order_line_id=line.id, product_id=line.product_id,
                                            accepted=accepted, rejected=rejected, reject_reason=reason,
                                            bin_id=bin_id))
            if accepted:
                line.received = Decimal(line.received or 0) + accepted
                stock.receive(actor, line.product_id, order.warehouse_id, accepted, bin_id=bin_id,
                              doc_type=DOC_TYPE, doc_ref=receipt.code, note=order.code, commit=False)
        order.status = RECEIVED if all(left_to_receive(line) == 0 for line in order_lines.values()) else PARTIAL
        db.session.flush()
        ratings.compute(ratings.period_of(receipt.received_on), [order.supplier_id])
        if order.owner_id != getattr(actor, "id", None):          # the buyer hears of it, on the phone too
            from app.core.notify import notify

            notify(uow, [order.owner], _("Purchase order %(code)s: goods received (%(receipt)s)", code=order.code,
                                         receipt=receipt.code),
                   _("Fully received.") if order.status == RECEIVED else _("Partly received; the rest is awaited."),
                   f"/purchase_orders/show/{order.id}", mail=False)
    return receipt
