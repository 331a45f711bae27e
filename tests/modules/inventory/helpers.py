"""Warehouses, bins and products for the inventory tests."""
from app.extensions import db
from app.modules.inventory.models import Warehouse, WarehouseBin, WarehouseZone
from app.modules.products.models import Product
from tests.conftest import unique


def warehouse(bins=0, active=True):
    wh = Warehouse(code=unique("WH"), name=unique("仓库"), active=active)
    db.session.add(wh)
    db.session.flush()
    made = []
    if bins:
        zone = WarehouseZone(warehouse_id=wh.id, code="A", name="A区")
        db.session.add(zone)
        db.session.flush()
        for i in range(bins):
            made.append(WarehouseBin(warehouse_id=wh.id, zone_id=zone.id, code=f"A-{i + 1:02d}"))
        db.session.add_all(made)
    db.session.commit()
    return (wh, made) if bins else wh


def product():
    item = Product(sku=unique("SKU"), name=unique("产品"), status="on_sale", params={})
    db.session.add(item)
    db.session.commit()
    return item
