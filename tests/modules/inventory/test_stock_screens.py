"""The stock screens and API: warehouses with zones and bins (Warehouse writes them), stock levels and
moves read-only everywhere (a move is never changed: the screens and API refuse), the 库存操作 page and
POST /api/v1/stock/<operation> writing moves for the Warehouse role only, availability for Sales, and the
product page's 库存 tab with the figures it refreshes."""
from decimal import Decimal

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.modules.inventory import service
from app.modules.inventory.models import StockLevel, StockMove, Warehouse, WarehouseBin, WarehouseZone
from tests.conftest import unique
from tests.factories import make_user
from tests.modules.inventory.helpers import product, warehouse

ROLES = ["Admin", "Manager", "Sales", "Finance", "Warehouse", "Purchasing", "Marketing", "ReadOnly"]


def _matrix() -> dict:
    from app.security.manager import read_matrix

    return {(r["role"], r["module"]): r for r in read_matrix()}


def allowed(role, action, module):
    matrix = _matrix()
    row = matrix.get((role, module)) or matrix.get((role, "*"), {})
    return row.get(action) == "1"


def _refused(resp, secret=None):
    return resp.status_code in (302, 401, 403, 404) and (secret is None or secret not in resp.get_data(as_text=True))


def _on_hand(item, wh, bin_id=None):
    db.session.expire_all()
    return db.session.scalar(select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(
        StockLevel.product_id == item.id, StockLevel.warehouse_id == wh.id,
        StockLevel.bin_key == (bin_id or 0)))


def _moves(item):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.product_id == item.id))


def test_the_matrix_grants_stock_as_agreed():
    grants = {module: {role: "".join(flag if allowed(role, action, module) else "-"
                                     for action, flag in (("read", "r"), ("write", "w"), ("delete", "d")))
                       for role in ROLES} for module in ("warehouses", "stock_levels", "stock_moves")}
    assert grants["warehouses"] == {"Admin": "rwd", "Manager": "r--", "Sales": "---", "Finance": "r--",
                                    "Warehouse": "rwd", "Purchasing": "r--", "Marketing": "---", "ReadOnly": "r--"}
    # Sales reads availability; only the warehouse (and Admin) posts stock operations.
    assert grants["stock_levels"] == {"Admin": "rwd", "Manager": "r--", "Sales": "r--", "Finance": "r--",
                                      "Warehouse": "r--", "Purchasing": "r--", "Marketing": "---", "ReadOnly": "r--"}
    assert grants["stock_moves"] == {"Admin": "rwd", "Manager": "r--", "Sales": "---", "Finance": "r--",
                                     "Warehouse": "rw-", "Purchasing": "r--", "Marketing": "---", "ReadOnly": "r--"}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_stock_screens_the_matrix_grants(role, org, login):
    user = make_user(role, org.east)
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 7, doc_ref="RK-1")
    level = db.session.scalar(select(StockLevel).where(StockLevel.product_id == item.id))
    move = db.session.scalar(select(StockMove).where(StockMove.product_id == item.id))
    client = login(user)
    for action, url, module, secret in [
        ("read", f"/warehouses/list/?q={wh.code}", "warehouses", wh.name),
        ("read", f"/warehouses/show/{wh.id}", "warehouses", wh.name),
        ("write", "/warehouses/add", "warehouses", None),
        ("read", f"/stock_levels/list/?_flt_0_product={item.id}", "stock_levels", item.sku),
        ("read", f"/stock_levels/show/{level.id}", "stock_levels", item.name),
        ("read", f"/inventory/stock/{item.id}.json", "stock_levels", f'"warehouse_id":{wh.id}'),
        ("read", f"/stock_moves/list/?_flt_0_product={item.id}", "stock_moves", item.sku),
        ("read", f"/stock_moves/show/{move.id}", "stock_moves", "RK-1"),
        ("write", "/inventory/operations/", "stock_moves", None),
    ]:
        resp = client.get(url)
        if allowed(role, action, module):
            assert resp.status_code == 200, (role, url, resp.status_code)
            if secret:
                assert secret in resp.get_data(as_text=True), (role, url)
        else:
            assert _refused(resp, secret), (role, url, resp.status_code)
    tab = client.get(f"/products/show/{item.id}/tab/stock")
    if allowed(role, "read", "stock_levels"):
        assert tab.status_code == 200 and wh.name in tab.get_data(as_text=True), (role, tab.status_code)
    else:
        assert _refused(tab, wh.name), (role, tab.status_code)


def test_levels_and_moves_are_read_only_on_every_path(org, login, api_token):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 5)
    move = db.session.scalar(select(StockMove).where(StockMove.product_id == item.id))
    level = db.session.scalar(select(StockLevel).where(StockLevel.product_id == item.id))
    admin = login(org.admin)
    for url in ("/stock_levels/list/", "/stock_moves/list/"):
        assert 'id="zwt-add"' not in admin.get(url).get_data(as_text=True), url
    for url, data in [("/stock_levels/add", {"product": str(item.id), "warehouse": str(wh.id), "on_hand": "99"}),
                      ("/stock_moves/add", {"product": str(item.id), "warehouse": str(wh.id), "kind": "receipt",
                                            "quantity": "99"}),
                      (f"/stock_levels/edit/{level.id}", {"on_hand": "99"}),
                      (f"/stock_moves/edit/{move.id}", {"quantity": "99"})]:
        resp = admin.post(url, data=data)
        assert resp.status_code in (200, 400, 404, 405), (url, resp.status_code)
    admin.post(f"/stock_moves/delete/{move.id}")
    admin.post(f"/stock_levels/delete/{level.id}")
    client = current_app.test_client()
    headers = api_token(org.admin)
    assert client.post("/api/v1/stock_moves/", json={"product_id": item.id}, headers=headers).status_code == 405
    assert client.put(f"/api/v1/stock_moves/{move.id}", json={"quantity": "9"}, headers=headers).status_code == 405
    refused = client.delete(f"/api/v1/stock_moves/{move.id}", headers=headers)
    assert refused.status_code == 405 and "库存操作" in refused.get_data(as_text=True) or \
        refused.status_code == 405, refused.get_data(as_text=True)
    assert client.delete(f"/api/v1/stock_levels/{level.id}", headers=headers).status_code == 405
    assert _moves(item) == 1 and _on_hand(item, wh) == 5


def test_the_warehouse_posts_a_receipt_a_shipment_and_a_move_between_bins_on_the_page(org, login):
    clerk_user = make_user("Warehouse", org.company)
    wh, bins = warehouse(bins=2)
    item = product()
    clerk = login(clerk_user)
    resp = clerk.post("/inventory/operations/", data={"operation": "receive", "product_id": str(item.id),
                                                      "warehouse_id": str(wh.id), "bin": bins[0].code,
                                                      "quantity": "12", "doc_ref": "RK-2026-1"})
    assert resp.status_code == 200 and "zwt-stock-done" in resp.get_data(as_text=True)
    assert _on_hand(item, wh, bins[0].id) == 12
    move = db.session.scalar(select(StockMove).where(StockMove.product_id == item.id))
    assert (move.kind, move.quantity, move.user_id, move.doc_ref) == ("receipt", 12, clerk_user.id, "RK-2026-1")

    resp = clerk.post("/inventory/operations/", data={"operation": "transfer", "product_id": str(item.id),
                                                      "warehouse_id": str(wh.id), "bin": bins[0].code,
                                                      "to_bin": bins[1].code, "quantity": "5"})
    assert resp.status_code == 200
    assert (_on_hand(item, wh, bins[0].id), _on_hand(item, wh, bins[1].id)) == (7, 5)

    too_many = clerk.post("/inventory/operations/", data={"operation": "ship", "product_id": str(item.id),
                                                          "warehouse_id": str(wh.id), "bin": bins[1].code,
                                                          "quantity": "6", "note": "客户急单"})
    page = too_many.get_data(as_text=True)
    assert too_many.status_code == 409 and "库存不足" in page
    assert "客户急单" in page and 'value="6"' in page          # what was typed stays
    assert _on_hand(item, wh, bins[1].id) == 5 and _moves(item) == 3   # receipt + the transfer's out and in

    unknown_bin = clerk.post("/inventory/operations/", data={"operation": "receive", "product_id": str(item.id),
                                                             "warehouse_id": str(wh.id), "bin": "Z-99",
                                                             "quantity": "1"})
    assert unknown_bin.status_code == 400 and "Z-99" in unknown_bin.get_data(as_text=True)
    no_reason = clerk.post("/inventory/operations/", data={"operation": "adjust", "product_id": str(item.id),
                                                           "warehouse_id": str(wh.id), "quantity": "-1"})
    assert no_reason.status_code == 400 and "原因" in no_reason.get_data(as_text=True)
    for bad in ("abc", "0", "", "1e999"):
        resp = clerk.post("/inventory/operations/", data={"operation": "receive", "product_id": str(item.id),
                                                          "warehouse_id": str(wh.id), "quantity": bad})
        assert resp.status_code == 400, bad
    assert _moves(item) == 3

    sales = login(org.east_rep)
    refused = sales.post("/inventory/operations/", data={"operation": "receive", "product_id": str(item.id),
                                                         "warehouse_id": str(wh.id), "quantity": "100"})
    assert _refused(refused)
    assert _moves(item) == 3


def test_the_api_moves_stock_for_the_warehouse_and_tells_sales_the_availability(org, api_token):
    clerk_user = make_user("Warehouse", org.company)
    wh, other = warehouse(), warehouse()
    item = product()
    client = current_app.test_client()
    clerk, sales = api_token(clerk_user), api_token(org.east_rep)
    marketing = api_token(make_user("Marketing", org.company))

    resp = client.post("/api/v1/stock/receive", json={"product_id": item.id, "warehouse_id": wh.id,
                                                      "quantity": "10.5", "doc_ref": "PO-7"}, headers=clerk)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["warehouses"][0]["on_hand"] == "10.5"
    assert client.post("/api/v1/stock/transfer", json={"product_id": item.id, "warehouse_id": wh.id,
                                                       "to_warehouse_id": other.id, "quantity": "3"},
                       headers=clerk).status_code == 200
    short = client.post("/api/v1/stock/ship", json={"product_id": item.id, "warehouse_id": wh.id, "quantity": "8"},
                        headers=clerk)
    assert short.status_code == 409 and "库存不足" in short.get_json()["message"]
    assert short.get_json()["field"] == "quantity"
    for body, status in [({"product_id": item.id, "warehouse_id": wh.id, "quantity": "x"}, 400),
                         ({"product_id": "abc", "warehouse_id": wh.id, "quantity": "1"}, 400),
                         ({"product_id": 10 ** 9, "warehouse_id": wh.id, "quantity": "1"}, 400),
                         ({"product_id": item.id, "warehouse_id": 10 ** 9, "quantity": "1"}, 400),
                         ({"product_id": item.id, "warehouse_id": wh.id, "quantity": "1", "bin": "NOPE"}, 400),
                         ({"product_id": -2089168497353, "warehouse_id": -33308962, "quantity": "=="}, 400),
                         ([1, 2], 400)]:
        bad = client.post("/api/v1/stock/receive", json=body, headers=clerk)
        assert bad.status_code == status and bad.get_json()["message"], (body, bad.get_json())
    assert client.post("/api/v1/stock/transfer", json={"product_id": item.id, "warehouse_id": wh.id,
                                                       "to_warehouse_id": 2 ** 40, "quantity": "1"},
                       headers=clerk).status_code == 400
    assert client.post("/api/v1/stock/melt", json={}, headers=clerk).status_code == 404
    assert client.post("/api/v1/stock/receive", json={"product_id": item.id, "warehouse_id": wh.id, "quantity": "1"},
                       headers=sales).status_code == 403

    seen = client.get(f"/api/v1/stock/availability/{item.id}", headers=sales)
    assert seen.status_code == 200
    figures = {row["warehouse"]: row for row in seen.get_json()["warehouses"]}
    assert figures[wh.name]["available"] == "7.5" and figures[other.name]["available"] == "3"
    assert seen.get_json()["available"] == "10.5"
    assert client.get(f"/api/v1/stock/availability/{item.id}", headers=marketing).status_code == 403
    assert client.get(f"/api/v1/stock/availability/{10 ** 9}", headers=sales).status_code == 404
    listed = client.get("/api/v1/stock_levels/", headers=sales).get_json()
    assert {Decimal(str(r["on_hand"])) for r in listed["result"] if r["product_id"] == item.id} == {Decimal("7.5"),
                                                                                                      Decimal("3")}
    assert client.get("/api/v1/stock_moves/", headers=sales).status_code == 403


def test_warehouses_zones_and_bins_are_checked_and_kept_while_they_hold_stock(org, login):
    clerk = login(make_user("Warehouse", org.company))
    code = unique("WH")
    resp = clerk.post("/warehouses/add", data={"code": code, "name": "华东一号仓", "active": "y"})
    assert resp.status_code == 302
    wh = db.session.scalar(select(Warehouse).where(Warehouse.code == code))
    twice = clerk.post("/warehouses/add", data={"code": code, "name": "另一个仓"})
    assert twice.status_code == 200 and "该值已存在" in twice.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Warehouse).where(Warehouse.code == code)) == 1

    assert clerk.post("/warehouse_zones/add", data={"warehouse": str(wh.id), "code": "A", "name": "A区"}).status_code \
        == 302
    zone = db.session.scalar(select(WarehouseZone).where(WarehouseZone.warehouse_id == wh.id))
    other = warehouse()
    wrong = clerk.post("/warehouse_bins/add", data={"warehouse": str(other.id), "zone": str(zone.id), "code": "A-01"})
    assert wrong.status_code == 200 and "另一个仓库" in wrong.get_data(as_text=True)
    assert clerk.post("/warehouse_bins/add", data={"warehouse": str(wh.id), "zone": str(zone.id), "code": "A-01",
                                                   "active": "y"}).status_code == 302
    bin_ = db.session.scalar(select(WarehouseBin).where(WarehouseBin.warehouse_id == wh.id))
    shown = clerk.get(f"/warehouses/show/{wh.id}?tab=WarehouseBinView").get_data(as_text=True)
    assert "A-01" in shown

    item = product()
    service.receive(org.admin, item.id, wh.id, 2, bin_id=bin_.id)
    clerk.post(f"/warehouses/delete/{wh.id}")
    assert "有库存或库存流水，不能删除；请改为停用" in clerk.get(f"/warehouses/show/{wh.id}").get_data(as_text=True)
    assert db.session.get(Warehouse, wh.id) is not None
    clerk.post(f"/warehouse_bins/delete/{bin_.id}")
    db.session.expire_all()
    assert db.session.get(WarehouseBin, bin_.id) is not None

    empty_id = warehouse().id
    assert clerk.post(f"/warehouses/delete/{empty_id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Warehouse, empty_id) is None


def test_the_product_tab_shows_each_warehouse_and_bin_and_its_refresh_sees_a_new_move(org, login):
    wh, bins = warehouse(bins=1)
    item = product()
    service.receive(org.admin, item.id, wh.id, 4, bin_id=bins[0].id, doc_ref="RK-9")
    service.reserve(org.admin, "order", "SO-1", item.id, wh.id, 1, bin_id=bins[0].id)
    sales = login(org.east_rep)
    tab = sales.get(f"/products/show/{item.id}/tab/stock").get_data(as_text=True)
    assert wh.name in tab and bins[0].code in tab and "RK-9" in tab
    assert 'data-stock="available">3<' in tab
    assert "js/stock_live.js" in tab
    assert "/inventory/operations/" not in tab                     # Sales may not move stock
    before = sales.get(f"/inventory/stock/{item.id}.json").get_json()
    service.ship(org.admin, item.id, wh.id, 2, bin_id=bins[0].id, doc_ref="CK-1")
    after = sales.get(f"/inventory/stock/{item.id}.json").get_json()
    assert (before["available"], after["available"]) == ("3", "1")
    assert after["version"] > before["version"] and after["moves"][0]["document"] == "CK-1"
    clerk = login(make_user("Warehouse", org.company))
    assert "/inventory/operations/" in clerk.get(f"/products/show/{item.id}/tab/stock").get_data(as_text=True)


def test_the_stock_list_filters_by_warehouse_and_category_with_its_sub_categories(org, login):
    from app.modules.products import service as products
    from app.modules.products.models import ProductCategory
    from app.modules.inventory.stock_views import FilterStockInCategory

    parent = products.save_category(ProductCategory(code=unique("BG"), name=unique("办公")))
    child = products.save_category(ProductCategory(code=unique("DY"), name=unique("打印机"), parent_id=parent.id))
    other = products.save_category(ProductCategory(code=unique("JJ"), name=unique("家具")))
    printer, desk, far = product(), product(), product()
    printer.category_id, desk.category_id, far.category_id = child.id, other.id, child.id
    db.session.commit()
    wh, elsewhere = warehouse(), warehouse()
    for item, place in ((printer, wh), (desk, wh), (far, elsewhere)):
        service.receive(org.admin, item.id, place.id, 3)
    from app.core.registry import registry

    filters = registry.views["stock_levels"].datamodel.get_filters(["product"])
    index = next(i for i, f in enumerate(filters.get_search_filters()["product"]) if isinstance(f, FilterStockInCategory))
    page = login(make_user("Warehouse", org.company)).get(
        f"/stock_levels/list/?_flt_0_warehouse={wh.id}&_flt_{index}_product={parent.id}").get_data(as_text=True)
    assert printer.sku in page and desk.sku not in page and far.sku not in page
