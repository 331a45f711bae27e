"""Stock rules through the service every screen, API and later module calls."""
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, text, update

from app.core.errors import DomainError
from app.extensions import db
from app.modules.inventory import service
from app.modules.inventory.models import StockLevel, StockMove, StockReservation
from tests.modules.inventory.helpers import product, warehouse


def _level(product_id, warehouse_id, bin_id=None):
    db.session.expire_all()
    return db.session.execute(select(StockLevel).where(
        StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id,
        StockLevel.bin_key == (bin_id or 0))).scalar_one()


def _moves(product_id):
    return db.session.execute(select(StockMove).where(StockMove.product_id == product_id)
                              .order_by(StockMove.id)).scalars().all()


def test_receipt_and_shipment_write_moves_and_levels(org):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, "10.5", doc_type="purchase", doc_ref="PO-1", note="到货")
    service.ship(org.admin, item.id, wh.id, Decimal("4"), doc_type="order", doc_ref="SO-1")
    level = _level(item.id, wh.id)
    assert level.on_hand == Decimal("6.5") and level.available == Decimal("6.5")
    moves = _moves(item.id)
    assert [(m.kind, m.quantity, m.doc_ref, m.user_id) for m in moves] == [
        ("receipt", Decimal("10.5"), "PO-1", org.admin.id), ("shipment", Decimal("-4"), "SO-1", org.admin.id)]
    assert moves[0].note == "到货" and moves[0].created_at is not None


def test_shipping_more_than_available_is_refused_and_changes_nothing(org):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 3)
    with pytest.raises(service.InsufficientStock) as err:
        service.ship(org.admin, item.id, wh.id, 4)
    assert err.value.status == 409 and "3" in err.value.message
    assert _level(item.id, wh.id).on_hand == 3 and len(_moves(item.id)) == 1
    with pytest.raises(service.InsufficientStock):
        service.ship(org.admin, product().id, wh.id, 1)   # never received there


@pytest.mark.parametrize("bad", ["0", "-1", "abc", None, "NaN", "Infinity"])
def test_bad_quantities_are_refused(org, bad):
    wh, item = warehouse(), product()
    with pytest.raises(DomainError) as err:
        service.receive(org.admin, item.id, wh.id, bad)
    assert err.value.field == "quantity"
    assert _moves(item.id) == []


def test_inactive_warehouse_and_foreign_bin_are_refused(org):
    item = product()
    with pytest.raises(DomainError):
        service.receive(org.admin, item.id, warehouse(active=False).id, 1)
    wh, (bin_,) = warehouse(bins=1)
    with pytest.raises(DomainError) as err:
        service.receive(org.admin, item.id, warehouse().id, 1, bin_id=bin_.id)
    assert err.value.field == "bin_id"
    assert _moves(item.id) == []


def test_a_warehouse_made_inactive_takes_no_more_moves_for_the_stock_it_holds(org):
    wh, (bin_,) = warehouse(bins=1)
    item = product()
    service.receive(org.admin, item.id, wh.id, 5, bin_id=bin_.id)
    db.session.execute(update(type(wh)).where(type(wh).id == wh.id).values(active=False))
    db.session.commit()
    for step in (service.receive, service.ship):
        with pytest.raises(DomainError) as err:
            step(org.admin, item.id, wh.id, 1, bin_id=bin_.id)
        assert err.value.code == "inventory.inactive_warehouse"
    assert _level(item.id, wh.id, bin_.id).on_hand == 5 and len(_moves(item.id)) == 1


def test_adjustment_and_count_difference_are_signed_moves(org):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 5)
    service.adjust(org.admin, item.id, wh.id, "-2", note="破损")
    service.adjust(org.admin, item.id, wh.id, "1", kind="count", doc_type="count", doc_ref="PD-1")
    assert _level(item.id, wh.id).on_hand == 4
    assert [(m.kind, m.quantity) for m in _moves(item.id)] == [
        ("receipt", 5), ("adjustment", -2), ("count", 1)]
    with pytest.raises(service.InsufficientStock):
        service.adjust(org.admin, item.id, wh.id, "-5")
    assert _level(item.id, wh.id).on_hand == 4


def test_moves_are_never_changed_or_deleted(org):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 5)
    move = _moves(item.id)[0]
    move.quantity = Decimal("50")
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(_moves(item.id)[0])
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    # Not even a statement written straight to the database.
    for statement in (update(StockMove).where(StockMove.product_id == item.id).values(quantity=50),
                      delete(StockMove).where(StockMove.product_id == item.id)):
        with pytest.raises(Exception, match="never changed or deleted"):
            db.session.execute(statement)
        db.session.rollback()
    assert [m.quantity for m in _moves(item.id)] == [5]


def test_transfer_between_warehouses_passes_through_in_transit(org):
    (source, (bin_a, bin_b)), target, item = warehouse(bins=2), warehouse(), product()
    service.receive(org.admin, item.id, source.id, 10, bin_id=bin_a.id)
    service.send(org.admin, item.id, source.id, 4, bin_id=bin_a.id, doc_type="transfer", doc_ref="DB-1")
    level = _level(item.id, source.id, bin_a.id)
    assert (level.on_hand, level.in_transit) == (6, 4)
    by_warehouse = {row["warehouse_id"]: row for row in service.availability(item.id)}
    assert by_warehouse[source.id]["in_transit"] == 4 and target.id not in by_warehouse
    with pytest.raises(service.InsufficientStock):
        service.arrive(org.admin, item.id, source.id, target.id, 5, from_bin=bin_a.id)
    service.arrive(org.admin, item.id, source.id, target.id, 4, from_bin=bin_a.id, doc_type="transfer",
                   doc_ref="DB-1")
    assert _level(item.id, source.id, bin_a.id).in_transit == 0 and _level(item.id, target.id).on_hand == 4
    service.transfer(org.admin, item.id, source.id, source.id, 2, from_bin=bin_a.id, to_bin=bin_b.id)
    assert (_level(item.id, source.id, bin_a.id).on_hand, _level(item.id, source.id, bin_b.id).on_hand) == (4, 2)
    assert [m.kind for m in _moves(item.id)] == ["receipt", "transfer_out", "transfer_in", "transfer_out",
                                                 "transfer_in"]
    with pytest.raises(DomainError):
        service.transfer(org.admin, item.id, source.id, source.id, 1, from_bin=bin_a.id, to_bin=bin_a.id)


def test_reservations_hold_available_and_are_released_or_fulfilled(org):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 10)
    service.reserve(org.admin, "order", 1, item.id, wh.id, 6)
    service.reserve(org.admin, "order", 2, item.id, wh.id, 3)
    level = _level(item.id, wh.id)
    assert (level.on_hand, level.reserved, level.available) == (10, 9, 1)
    with pytest.raises(service.InsufficientStock):
        service.reserve(org.admin, "order", 3, item.id, wh.id, 2)
    with pytest.raises(service.InsufficientStock):
        service.ship(org.admin, item.id, wh.id, 2)          # reserved units are not shipped to others
    assert service.fulfil(org.admin, "order", 1) == 6
    assert service.release(org.admin, "order", 2) == 3
    level = _level(item.id, wh.id)
    assert (level.on_hand, level.reserved) == (4, 0)
    assert db.session.execute(select(StockReservation).where(StockReservation.level_id == level.id)).all() == []
    assert [(m.kind, m.quantity, m.doc_ref) for m in _moves(item.id)][-1] == ("shipment", -6, "1")
    assert service.release(org.admin, "order", 2) == 0      # nothing held any more


def test_database_refuses_negative_levels(org):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 1)
    with pytest.raises(Exception):
        db.session.execute(text("UPDATE stock_level SET on_hand = -1 WHERE product_id = :p"), {"p": item.id})
        db.session.flush()
    db.session.rollback()
    assert _level(item.id, wh.id).on_hand == 1
