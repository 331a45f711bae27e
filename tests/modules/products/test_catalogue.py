"""The catalogue finished: parameters in the product form, images with a main one, import and export
with parameters, the 产品目录 cards and their filters, and the cost kept from Sales everywhere."""
import csv
import io
import re

from app.extensions import db
from app.modules.products import exchange, images, service
from app.modules.products.models import CategoryParameter, PriceList, PriceListItem, Product, ProductCategory
from tests.conftest import unique
from tests.factories import make_user


def _tree():
    parent = service.save_category(ProductCategory(code=unique("BG"), name=unique("办公设备")))
    child = service.save_category(ProductCategory(code=unique("DY"), name=unique("打印机"), parent_id=parent.id))
    colour = CategoryParameter(category_id=parent.id, name="颜色", kind="choice", choices=["黑色", "白色"],
                               required=True, key=True)
    power = CategoryParameter(category_id=child.id, name="功率", kind="number", unit="W", key=True)
    db.session.add_all([colour, power, CategoryParameter(category_id=child.id, name="接口", kind="text")])
    db.session.commit()
    return parent, child, colour, power


def _product(child, **fields):
    fields.setdefault("params", {"颜色": "黑色"})
    return service.create_product(None, Product(sku=unique("SKU"), name=fields.pop("name", unique("打印机")),
                                                category_id=child.id, status=fields.pop("status", "on_sale"),
                                                **fields))


def _png(colour=(200, 30, 30)) -> io.BytesIO:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    out.seek(0)
    return out


# -- the form's parameters ----------------------------------------------------------------------
def test_the_form_shows_the_categorys_parameters_typed_and_saves_valid_ones(org, login):
    _parent, child, _colour, _power = _tree()
    client = login(org.admin)
    fields = client.get(f"/products/catalogue/parameter-fields?category_id={child.id}").get_data(as_text=True)
    assert 'name="param__颜色"' in fields and "<select" in fields and "required" in fields
    assert 'name="param__功率"' in fields and ">W<" in fields and 'name="param__接口"' in fields
    sku = unique("F")
    resp = client.post("/products/add", data={"sku": sku, "name": "表单打印机", "category": str(child.id),
                                              "status": "on_sale", "param__颜色": "白色", "param__功率": "35.5",
                                              "param__接口": "USB"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    product = db.session.query(Product).filter_by(sku=sku).one()
    assert product.params == {"颜色": "白色", "功率": "35.5", "接口": "USB"}
    page = client.get(f"/products/show/{product.id}").get_data(as_text=True)
    assert 'data-zwt-tab="parameters"' in page and ">参数<" in page
    tab = client.get(f"/products/show/{product.id}/tab/parameters").get_data(as_text=True)
    assert "35.5 W" in tab and "USB" in tab and "白色" in tab
    edit = client.get(f"/products/edit/{product.id}").get_data(as_text=True)
    assert 'value="35.5"' in edit
    version = re.search(r'name="zwt_version"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="zwt_version"', edit)
    form = {"sku": sku, "name": "表单打印机", "category": str(child.id), "status": "on_sale", "param__颜色": "白色",
            "param__功率": "40", "param__接口": "USB"}
    if version:
        form["zwt_version"] = version.group(1) or version.group(2)
    assert client.post(f"/products/edit/{product.id}", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, product.id).params == {"颜色": "白色", "功率": "40", "接口": "USB"}


def test_the_form_refuses_bad_parameters_with_chinese_messages_and_saves_nothing(org, login):
    _parent, child, _colour, _power = _tree()
    client = login(org.admin)
    sku = unique("F")
    for params, message in [({"param__功率": "很大", "param__颜色": "黑色"}, "功率必须是数字。"),
                            ({"param__颜色": "红色"}, "颜色只能是以下之一"),
                            ({"param__功率": "10"}, "请填写颜色。")]:
        resp = client.post("/products/add", data={"sku": sku, "name": "坏参数", "category": str(child.id),
                                                  "status": "on_sale", **params})
        assert resp.status_code == 200 and message in resp.get_data(as_text=True), message
    assert db.session.query(Product).filter_by(sku=sku).count() == 0


def test_a_bad_status_through_the_api_is_a_400(org, app, api_token):
    client, headers = app.test_client(), api_token(org.admin)
    sku = unique("ST")
    resp = client.post("/api/v1/products/", json={"sku": sku, "name": "状态", "status": "sold_out"}, headers=headers)
    assert 400 <= resp.status_code < 500
    assert db.session.query(Product).filter_by(sku=sku).count() == 0


# -- images -------------------------------------------------------------------------------------
def test_the_first_image_is_main_until_another_is_chosen(org, login):
    _parent, child, _colour, _power = _tree()
    product = _product(child)
    client = login(org.admin)
    resp = client.post(f"/products/catalogue/{product.id}/images", content_type="multipart/form-data",
                       data={"images": [(_png(), "front.png"), (_png((0, 90, 200)), "side.png")]})
    assert resp.status_code == 302
    gallery = images.product_images(org.admin, product.id)
    assert [a.file_name for a in gallery] == ["front.png", "side.png"]
    db.session.expire_all()
    assert db.session.get(Product, product.id).main_image_id == gallery[0].id
    client.post(f"/products/catalogue/{product.id}/main-image/{gallery[1].id}")
    db.session.expire_all()
    assert db.session.get(Product, product.id).main_image_id == gallery[1].id
    page = client.get(f"/products/show/{product.id}/tab/images").get_data(as_text=True)
    assert "side.png" in page and "设为主图" in page
    assert images.main_images_for([db.session.get(Product, product.id)])[product.id][0] == gallery[1].id
    # Not an image: refused, nothing stored.
    client.post(f"/products/catalogue/{product.id}/images", content_type="multipart/form-data",
                data={"images": [(io.BytesIO(b"plain text"), "notes.png")]})
    assert len(images.product_images(org.admin, product.id)) == 2


def test_a_reader_cannot_choose_the_main_image(org, login):
    _parent, child, _colour, _power = _tree()
    product = _product(child)
    images.add_images(org.admin, product.id, [("a.png", _png()), ("b.png", _png((1, 2, 3)))])
    second = images.product_images(org.admin, product.id)[1]
    login(make_user("Sales", org.east)).post(f"/products/catalogue/{product.id}/main-image/{second.id}")
    db.session.expire_all()
    assert db.session.get(Product, product.id).main_image_id != second.id


# -- import and export --------------------------------------------------------------------------
def _csv(rows) -> io.BytesIO:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8"))


def test_export_and_import_round_trip_with_parameters(org, login):
    _parent, child, _colour, _power = _tree()
    product = _product(child, params={"颜色": "白色", "功率": "1200"}, cost="88.00")
    client = login(org.admin)
    body = client.get(f"/products/catalogue/export?format=csv&category={child.id}").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    header = rows[0]
    assert "参数:功率" in header and "参数:颜色" in header and "成本价" in header
    mine = next(r for r in rows if r[0] == product.sku)
    assert mine[header.index("参数:功率")] == "1200" and mine[header.index("分类编码")] == child.code
    mine[header.index("参数:功率")] = "1500"
    new_sku = unique("NEW")
    added = list(mine)
    added[0], added[header.index("条码")] = new_sku, ""
    resp = client.post("/products/catalogue/import", content_type="multipart/form-data",
                       data={"file": (_csv([header, mine, added]), "catalogue.csv")})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:800]
    db.session.expire_all()
    assert db.session.get(Product, product.id).params == {"颜色": "白色", "功率": "1500"}
    assert db.session.query(Product).filter_by(sku=new_sku).one().params == {"颜色": "白色", "功率": "1500"}


def test_a_bad_import_row_changes_nothing(org, login):
    _parent, child, _colour, _power = _tree()
    product = _product(child, params={"颜色": "白色", "功率": "1200"})
    header = ["SKU", "产品名称", "分类编码", "参数:颜色", "参数:功率"]
    good, new_sku = [product.sku, "改过的名字", child.code, "黑色", "10"], unique("NEW")
    bad = [new_sku, "新产品", child.code, "紫色", "很大"]
    client = login(org.admin)
    resp = client.post("/products/catalogue/import", content_type="multipart/form-data",
                       data={"file": (_csv([header, good, bad]), "catalogue.csv")})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "第 3 行" in text and "功率必须是数字" in text
    db.session.expire_all()
    kept = db.session.get(Product, product.id)
    assert kept.name != "改过的名字" and kept.params == {"颜色": "白色", "功率": "1200"}
    assert db.session.query(Product).filter_by(sku=new_sku).count() == 0


# -- the catalogue --------------------------------------------------------------------------------
def test_the_catalogue_filters_by_category_tree_and_parameter_values(org, login):
    parent, child, colour, power = _tree()
    other = service.save_category(ProductCategory(code=unique("JJ"), name=unique("家具")))
    black = _product(child, name=unique("黑打印机"), params={"颜色": "黑色", "功率": "800"}, list_price="999")
    white = _product(child, name=unique("白打印机"), params={"颜色": "白色", "功率": "1500"})
    chair = service.create_product(None, Product(sku=unique("C"), name=unique("椅子"), category_id=other.id,
                                                 status="on_sale"))
    draft = _product(child, name=unique("草稿"), status="draft")
    client = login(make_user("Sales", org.east))
    page = client.get(f"/products/catalogue/?category={parent.id}").get_data(as_text=True)
    assert black.name in page and white.name in page and chair.name not in page and draft.name not in page
    assert "¥999.00" in page and "功率：800 W" in page and f'/products/show/{black.id}' in page
    page = client.get(f"/products/catalogue/?category={child.id}&p{colour.id}=白色").get_data(as_text=True)
    assert white.name in page and black.name not in page
    page = client.get(f"/products/catalogue/?category={child.id}&p{power.id}_min=1000").get_data(as_text=True)
    assert white.name in page and black.name not in page
    page = client.get(f"/products/catalogue/?category={child.id}&p{power.id}_max=1000&q=黑").get_data(as_text=True)
    assert black.name in page and white.name not in page
    price_list = PriceList(name=unique("经销价"))
    db.session.add(price_list)
    db.session.commit()
    service.save_price(PriceListItem(price_list_id=price_list.id, product_id=black.id, price="777"))
    page = client.get(f"/products/catalogue/?category={child.id}&price_list={price_list.id}").get_data(as_text=True)
    assert "¥777.00" in page
    resp = client.post(f"/products/catalogue/compare/{black.id}")
    assert resp.status_code == 302


def test_a_role_without_products_read_is_refused_the_catalogue(org, login, app):
    from flask import current_app

    sm = current_app.appbuilder.sm
    role = sm.find_role("NoProducts") or sm.add_role("NoProducts")
    user = make_user("ReadOnly", org.east)
    user.roles = [role]
    db.session.commit()
    _parent, child, _colour, _power = _tree()
    secret = _product(child, name=unique("机密产品"))
    resp = login(user).get("/products/catalogue/")
    assert resp.status_code in (302, 403) and secret.name not in resp.get_data(as_text=True)


# -- cost -----------------------------------------------------------------------------------------
def test_cost_is_hidden_from_sales_on_the_page_the_api_and_the_exports(org, app, login, api_token):
    _parent, child, _colour, _power = _tree()
    product = _product(child, cost="4321.00", list_price="9999")
    service.update_product(org.admin, product.id, cost="5555")
    for role, sees in (("Sales", False), ("Purchasing", True)):
        user = make_user(role, org.east)
        client = login(user)
        page = client.get(f"/products/show/{product.id}").get_data(as_text=True)
        assert ("5,555.00" in page) == sees, role
        export = client.get("/products/catalogue/export?format=csv").get_data().decode("utf-8-sig")
        assert ("5555.00" in export) == sees and ("成本价" in export.splitlines()[0]) == sees, role
        assert "5555.00" not in client.get("/products/export/csv").get_data().decode("utf-8-sig")
        headers = api_token(user)
        one = app.test_client().get(f"/api/v1/products/{product.id}", headers=headers).get_json()["result"]
        assert ("cost" in one) == sees, role
        many = app.test_client().get("/api/v1/products/", headers=headers).get_json()["result"]
        assert all(("cost" in row) == sees for row in many), role


def test_export_needs_the_export_permission_and_import_the_write_permission(org, login):
    _parent, child, _colour, _power = _tree()
    product = _product(child, params={"颜色": "白色"})
    reader = login(make_user("ReadOnly", org.east))
    resp = reader.get("/products/catalogue/export?format=csv")
    assert resp.status_code in (302, 403) and product.sku not in resp.get_data().decode("utf-8", "replace")
    sales = login(make_user("Sales", org.east))
    assert product.sku in sales.get("/products/catalogue/export?format=csv").get_data().decode("utf-8-sig")
    header, row = ["SKU", "产品名称", "分类编码", "参数:颜色"], [product.sku, "销售改名", child.code, "黑色"]
    resp = sales.post("/products/catalogue/import", content_type="multipart/form-data",
                      data={"file": (_csv([header, row]), "catalogue.csv")})
    assert resp.status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(Product, product.id).name != "销售改名"
