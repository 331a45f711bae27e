"""Demo stock: 上海总仓, 北京仓 and 广州仓 with zones and bins, receipts, shipments, reservations of the demo
products (a few products of its own when the catalogue has none yet), a transfer in transit and one drafted,
and a stock count planned."""
from __future__ import annotations

import random
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.modules.inventory import service
from app.modules.inventory.models import StockLevel, StockMove, Warehouse, WarehouseBin, WarehouseZone
from app.modules.products.models import Product

WAREHOUSES = [("SH", "上海总仓", "上海市浦东新区张江路88号", ["A", "B", "C"]),
              ("BJ", "北京仓", "北京市大兴区物流园12号", ["A", "B"]),
              ("GZ", "广州仓", "广州市白云区空港物流园6号", ["A", "B"])]
ZONE_NAMES = {"A": "成品区", "B": "配件区", "C": "退货区"}
OWN_PRODUCTS = [("DEMO-INV-001", "激光打印机 P200", "台"), ("DEMO-INV-002", "A4 复印纸 80g", "箱"),
                ("DEMO-INV-003", "硒鼓 T-30", "个"), ("DEMO-INV-004", "碎纸机 S8", "台"),
                ("DEMO-INV-005", "办公椅 C1", "把")]


def _products(rng):
    ids = db.session.execute(select(Product.id).order_by(Product.id).limit(40)).scalars().all()
    if ids:
        return ids
    for sku, name, unit in OWN_PRODUCTS:
        db.session.add(Product(sku=sku, name=name, unit=unit, status="on_sale", params={},
                               list_price=Decimal(rng.randrange(50, 3000))))
    db.session.commit()
    return db.session.execute(select(Product.id).order_by(Product.id)).scalars().all()


def load_demo(admin, staff: dict, seed: int = 2026) -> str:
    if db.session.scalar(select(func.count()).select_from(Warehouse).where(Warehouse.code == WAREHOUSES[0][0])):
        return "0 warehouses"
    rng = random.Random(seed)
    keeper = staff.get("chenjing")
    places = {}
    for code, name, address, zones in WAREHOUSES:
        wh = Warehouse(code=code, name=name, address=address, active=True,
                       manager_id=keeper.id if keeper else None)
        db.session.add(wh)
        db.session.flush()
        bins = []
        for zone_code in zones:
            zone = WarehouseZone(warehouse_id=wh.id, code=zone_code, name=ZONE_NAMES[zone_code])
            db.session.add(zone)
            db.session.flush()
            for row in range(1, 5):
                bin_ = WarehouseBin(warehouse_id=wh.id, zone_id=zone.id, code=f"{zone_code}-{row:02d}")
                db.session.add(bin_)
                bins.append(bin_)
        db.session.flush()
        places[code] = (wh.id, [b.id for b in bins])
    db.session.commit()
    products, moves = _products(rng), 0
    for number, product_id in enumerate(products, 1):
        for code, (wh_id, bins) in places.items():
            bin_id = rng.choice(bins)
            qty = Decimal(rng.randrange(20, 200))
            service.receive(keeper, product_id, wh_id, qty, bin_id=bin_id, doc_type="purchase",
                            doc_ref=f"PO-2026-{number:04d}", note="采购入库")
            shipped = Decimal(rng.randrange(0, int(qty) // 2))
            moves += 1
            if shipped:
                service.ship(keeper, product_id, wh_id, shipped, bin_id=bin_id, doc_type="order",
                             doc_ref=f"SO-2026-{number:04d}{code}", note="销售出库")
                moves += 1
            if rng.random() < 0.3:
                service.reserve(keeper, "order", f"SO-2026-{number:04d}R{code}", product_id, wh_id, 1, bin_id=bin_id)
    moves += _demo_documents(keeper, places, products)
    from app.modules.inventory import safety

    lines = safety.load_demo_lines(admin)
    return f"3 warehouses, {moves} stock moves, {lines}"


def _demo_documents(keeper, places, products) -> int:
    """A transfer from 上海总仓 to 北京仓 in transit, another drafted, and a count of 广州仓's 配件区 planned."""
    from app.modules.inventory import count_service, transfer_service
    from app.modules.inventory.count_models import StockCount
    from app.modules.inventory.transfer_models import StockTransfer, StockTransferLine

    sh_id, _sh_bins = places["SH"]
    bj_id, _bj_bins = places["BJ"]
    level = db.session.execute(select(StockLevel.product_id, StockLevel.bin_id).where(
        StockLevel.warehouse_id == sh_id, StockLevel.on_hand - StockLevel.reserved >= 10)
        .order_by(StockLevel.id).limit(1)).first()
    moves = 0
    if level is not None:
        sent = transfer_service.create(keeper, StockTransfer(from_warehouse_id=sh_id, from_bin_id=level.bin_id,
                                                             to_warehouse_id=bj_id, note="北京仓补货"))
        transfer_service.save_line(keeper, StockTransferLine(transfer_id=sent.id, product_id=level.product_id,
                                                             quantity=Decimal(5)))
        transfer_service.send(keeper, sent.id)
        moves += 1
    draft = transfer_service.create(keeper, StockTransfer(from_warehouse_id=bj_id, to_warehouse_id=places["GZ"][0],
                                                          note="广州展会备货"))
    for product_id in products[:2]:
        transfer_service.save_line(keeper, StockTransferLine(transfer_id=draft.id, product_id=product_id,
                                                             quantity=Decimal(2)))
    zone_id = db.session.scalar(select(WarehouseZone.id).where(WarehouseZone.warehouse_id == places["GZ"][0],
                                                               WarehouseZone.code == "B"))
    count_service.create(keeper, StockCount(warehouse_id=places["GZ"][0], zone_id=zone_id, note="月末盘点"))
    return moves
