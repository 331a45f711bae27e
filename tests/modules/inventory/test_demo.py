"""The demo stock: three warehouses with zones and bins, and stock moves that add up to their levels."""
from sqlalchemy import func, select

from app.extensions import db
from app.modules.inventory import seed, service
from app.modules.inventory.count_models import StockCount
from app.modules.inventory.models import StockLevel, StockMove, Warehouse, WarehouseBin
from app.modules.inventory.transfer_models import StockTransfer


def test_demo_stock_adds_up(org):
    assert seed.load_demo(org.admin, {}).startswith("3 warehouses")
    warehouses = db.session.execute(select(Warehouse).where(Warehouse.code.in_(["SH", "BJ", "GZ"]))).scalars().all()
    assert sorted(w.name for w in warehouses) == ["上海总仓", "北京仓", "广州仓"]
    ids = [w.id for w in warehouses]
    assert db.session.scalar(select(func.count()).select_from(WarehouseBin).where(WarehouseBin.warehouse_id.in_(ids))) == 28
    moved = dict(db.session.execute(select(StockMove.product_id, func.sum(StockMove.quantity))
                                    .where(StockMove.warehouse_id.in_(ids)).group_by(StockMove.product_id)).all())
    held = dict(db.session.execute(select(StockLevel.product_id, func.sum(StockLevel.on_hand))
                                   .where(StockLevel.warehouse_id.in_(ids)).group_by(StockLevel.product_id)).all())
    assert moved and moved == held
    first = next(iter(moved))
    assert {row["warehouse"] for row in service.availability(first)} >= {"上海总仓", "北京仓", "广州仓"}
    statuses = sorted(t.status for t in db.session.scalars(select(StockTransfer).where(
        StockTransfer.from_warehouse_id.in_(ids))))
    assert statuses == ["draft", "in_transit"]
    assert [c.status for c in db.session.scalars(select(StockCount).where(StockCount.warehouse_id.in_(ids)))] == \
        ["planned"]
    assert seed.load_demo(org.admin, {}) == "0 warehouses"   # a second run adds nothing
