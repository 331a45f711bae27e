"""订单看板: where a card may go from each status column, and the move made by the order's own steps."""
from __future__ import annotations

from flask_babel import gettext as _

from app.core.errors import NotFound
from app.core.scope import can_see
from app.extensions import db
from app.modules.orders.models import (CANCELLED, COMPLETED, CONFIRMED, DRAFT, PARTIAL, PREPARING, RECEIVED, SHIPPED,
                                       SalesOrder)
from app.modules.orders.service import WrongState, complete, confirm, mark_received, prepare, ship


BOARD = (DRAFT, CONFIRMED, PREPARING, PARTIAL, SHIPPED, RECEIVED, COMPLETED, CANCELLED)
# Where a card may go from each column, and the step that takes it there.
BOARD_MOVES = {
    DRAFT: (CONFIRMED, CANCELLED),
    CONFIRMED: (PREPARING, SHIPPED, CANCELLED),
    PREPARING: (SHIPPED, CANCELLED),
    PARTIAL: (SHIPPED,),
    SHIPPED: (RECEIVED,),
    RECEIVED: (COMPLETED,),
}


def board_move(actor, order_id: int, target: str) -> str:
    """A card moved on the board: the step from the order's status to `target`, by the same functions as its
    buttons. Cancelling asks for the reason first ("reason"); any other move is made ("moved") or refused."""
    order = db.session.get(SalesOrder, order_id) if order_id else None
    if order is None or (actor is not None and not can_see("orders", actor, order_id)):
        raise NotFound("orders.no_order", _("The order does not exist or you may not see it."))
    if target not in BOARD_MOVES.get(order.status, ()):
        labels = dict(_status_labels())
        raise WrongState("orders.board_move", _(
            "Order %(code)s cannot go from %(from)s to %(to)s.", code=order.code,
            **{"from": labels.get(order.status, order.status), "to": labels.get(target, target)}))
    if target == CANCELLED:
        return "reason"
    step = {CONFIRMED: confirm, PREPARING: prepare, SHIPPED: ship, RECEIVED: mark_received,
            COMPLETED: complete}[target]
    step(actor, order_id)
    return "moved"


def _status_labels():
    from app.modules.orders.models import STATUS_CHOICES

    return [(value, str(label)) for value, label in STATUS_CHOICES]


