"""The catalogue's generated screens and API for every shipped role: the catalogue is company-wide,
Purchasing and Admin write it, the other roles read it; refused users get 403/404 (or the login page),
never the data, and nothing changes."""
import re
from decimal import Decimal

import pytest

from app.extensions import db
from app.modules.products import service
from app.modules.products.models import CategoryParameter, PriceList, PriceListItem, Product, ProductCategory
from tests.conftest import unique
from tests.factories import make_user

ROLES = ["Admin", "Manager", "Sales", "Finance", "Warehouse", "Purchasing", "Marketing", "ReadOnly"]


def _matrix() -> dict:
    from app.security.manager import read_matrix

    return {(r["role"], r["module"]): r for r in read_matrix()}


def allowed(role, action, module="products"):
    matrix = _matrix()
    row = matrix.get((role, module)) or matrix.get((role, "*"), {})
    return row.get(action) == "1"


def _refused(resp, secret):
    return resp.status_code in (302, 401, 403, 404) and secret not in resp.get_data(as_text=True)


def _stored(pk):
    db.session.expire_all()
    return db.session.get(Product, pk)


def _tree():
    parent = service.save_category(ProductCategory(code=unique("BG"), name=unique("办公设备")))
    child = service.save_category(ProductCategory(code=unique("DY"), name=unique("打印机"), parent_id=parent.id))
    db.session.add_all([
        CategoryParameter(category_id=parent.id, name="颜色", kind="choice", choices=["黑色", "白色"], required=True),
        CategoryParameter(category_id=child.id, name="功率", kind="number", unit="W"),
    ])
    db.session.commit()
    return parent, child


def test_the_matrix_grants_the_catalogue_as_agreed():
    for module in ("products", "product_categories", "price_lists"):
        granted = {role: "".join(flag if allowed(role, action, module) else "-" for action, flag in
                                 (("read", "r"), ("write", "w"), ("delete", "d"))) for role in ROLES}
        assert granted == {"Admin": "rwd", "Purchasing": "rwd", "Manager": "r--", "Sales": "r--",
                           "Finance": "r--", "Warehouse": "r--", "Marketing": "r--", "ReadOnly": "r--"}, module
        assert {_matrix()[(r, module)]["scope"] for r in ROLES if r != "Admin"} == {"all"}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_catalogue_screens_the_matrix_grants(role, org, login):
    user = make_user(role, org.east)
    _parent, child = _tree()
    product = service.create_product(None, Product(sku=unique("SKU"), name=unique("激光打印机"), category_id=child.id,
                                                   list_price="1999", params={"颜色": "黑色"}))
    client = login(user)
    for action, url, module in [
        ("read", "/products/list/", "products"), ("read", f"/products/show/{product.id}", "products"),
        ("read", "/products/chart/by_status.json", "products"), ("read", "/product_categories/list/", "product_categories"),
        ("read", "/price_lists/list/", "price_lists"),
        ("write", "/products/add", "products"), ("write", f"/products/edit/{product.id}", "products"),
        ("write", "/product_categories/add", "product_categories"), ("write", "/price_lists/add", "price_lists"),
        ("export", "/products/export/csv", "products"),
    ]:
        resp = client.get(url)
        if allowed(role, action, module):
            assert resp.status_code == 200, (role, url, resp.status_code)
            if url.endswith(("/list/", f"/show/{product.id}")) and module == "products":
                assert product.name in resp.get_data(as_text=True), (role, url)
        else:
            assert _refused(resp, product.name), (role, url, resp.status_code)

    name = unique("新品")
    client.post("/products/add", data={"sku": unique("N"), "name": name, "status": "draft"})
    assert (db.session.query(Product).filter_by(name=name).count() == 1) == allowed(role, "write"), role
    client.post("/products/action_post", data={"action": "retire", "rowid": [str(product.id)]})
    assert (_stored(product.id).status == "discontinued") == allowed(role, "write"), role
    client.post(f"/products/delete/{product.id}")
    assert (_stored(product.id) is None) == allowed(role, "delete"), role


@pytest.mark.parametrize("role", ["Purchasing", "Sales", "ReadOnly"])
def test_the_api_reads_for_every_role_and_writes_only_for_purchasing(role, org, app, api_token):
    user = make_user(role, org.east)
    _parent, child = _tree()
    product = service.create_product(None, Product(sku=unique("SKU"), name=unique("喷墨打印机"), category_id=child.id,
                                                   params={"颜色": "白色", "功率": "35"}))
    client, headers = app.test_client(), api_token(user)
    got = client.get(f"/api/v1/products/{product.id}", headers=headers)
    assert got.status_code == 200 and got.get_json()["result"]["params"] == {"颜色": "白色", "功率": "35"}
    sku = unique("API")
    resp = client.post("/api/v1/products/", json={"sku": sku, "name": "接口产品", "category_id": child.id,
                                                  "list_price": "88.5", "params": {"颜色": "黑色", "功率": "1.5"}},
                       headers=headers)
    made = db.session.query(Product).filter_by(sku=sku).one_or_none()
    if role == "Purchasing":
        assert resp.status_code == 201, resp.get_json()
        assert made.list_price == Decimal("88.50") and made.params == {"颜色": "黑色", "功率": "1.5"}
    else:
        assert resp.status_code in (401, 403) and made is None
    resp = client.put(f"/api/v1/products/{product.id}", json={"name": "改名"}, headers=headers)
    assert (_stored(product.id).name == "改名") == (role == "Purchasing"), resp.status_code
    resp = client.delete(f"/api/v1/products/{product.id}", headers=headers)
    assert (_stored(product.id) is None) == (role == "Purchasing"), resp.status_code


def test_bad_parameters_get_400_with_chinese_field_messages_and_save_nothing(org, app, api_token):
    _parent, child = _tree()
    client, headers = app.test_client(), api_token(org.admin)
    sku = unique("BAD")
    resp = client.post("/api/v1/products/", json={"sku": sku, "name": "坏参数", "category_id": child.id,
                                                  "params": {"功率": "很大"}}, headers=headers)
    assert resp.status_code == 400, resp.get_json()
    messages = resp.get_json()["message"]
    assert messages["params.功率"] == ["功率必须是数字。"] and messages["params.颜色"] == ["请填写颜色。"]
    assert db.session.query(Product).filter_by(sku=sku).count() == 0


def test_a_product_in_a_price_list_is_not_deleted_but_may_be_discontinued(org, app, api_token):
    product = service.create_product(None, Product(sku=unique("SKU"), name=unique("碎纸机")))
    price_list = PriceList(name=unique("经销价"))
    db.session.add(price_list)
    db.session.commit()
    service.save_price(PriceListItem(price_list_id=price_list.id, product_id=product.id, price="99"))
    client, headers = app.test_client(), api_token(org.admin)
    resp = client.delete(f"/api/v1/products/{product.id}", headers=headers)
    assert resp.status_code == 409 and _stored(product.id) is not None
    service.retire_product(None, product.id)
    assert _stored(product.id).status == "discontinued"


def test_the_list_filters_by_a_category_with_its_sub_categories(org, app, api_token):
    parent, child = _tree()
    inside = service.create_product(None, Product(sku=unique("IN"), name=unique("子类产品"), category_id=child.id,
                                                  params={"颜色": "白色"}))
    outside = service.create_product(None, Product(sku=unique("OUT"), name=unique("别类产品")))
    client, headers = app.test_client(), api_token(org.admin)
    listed = client.get(f"/api/v1/products/?q=(filters:!((col:category,opr:in_tree,value:'{parent.id}')),"
                        "page_size:100)", headers=headers).get_json()
    names = {row["name"] for row in listed["result"]}
    assert inside.name in names and outside.name not in names


def test_the_category_list_shows_each_category_with_its_parents(org, login):
    parent, child = _tree()
    page = login(org.admin).get(f"/product_categories/list/?_flt_0_code={child.code}").get_data(as_text=True)
    assert f"{parent.name} / {child.name}" in page


def test_the_add_form_refuses_a_product_missing_a_required_parameter_in_chinese(org, login):
    _parent, child = _tree()
    sku = unique("FORM")
    resp = login(org.admin).post("/products/add", data={"sku": sku, "name": "缺参数", "category": str(child.id),
                                                        "status": "draft", "list_price": "10"})
    assert resp.status_code in (200, 409) and "请填写颜色。" in resp.get_data(as_text=True)
    assert db.session.query(Product).filter_by(sku=sku).count() == 0


def test_a_products_page_and_a_price_lists_page_show_its_prices(org, login):
    product = service.create_product(None, Product(sku=unique("SKU"), name=unique("投影仪")))
    price_list = PriceList(name=unique("零售价"))
    db.session.add(price_list)
    db.session.commit()
    service.save_price(PriceListItem(price_list_id=price_list.id, product_id=product.id, price="4321.5"))
    client = login(org.admin)
    for page_url in (f"/products/show/{product.id}", f"/price_lists/show/{price_list.id}"):
        tab = re.search(r'/show/\d+/tab/PriceListItem\w*', client.get(page_url).get_data(as_text=True)).group(0)
        url = page_url.split("/show/")[0] + tab
        page = client.get(url).get_data(as_text=True)
        assert "4,321.50" in page or "4321.50" in page, url


def test_a_categorys_page_lists_its_parameters_and_the_chart_counts_by_category(org, login):
    parent, child = _tree()
    # More products than any other test puts in one category: the chart shows the largest groups.
    for _ in range(12):
        service.create_product(None, Product(sku=unique("CH"), name=unique("图表产品"), category_id=child.id,
                                             params={"颜色": "黑色"}))
    client = login(org.admin)
    page = client.get(f"/product_categories/show/{parent.id}").get_data(as_text=True)
    tab = re.search(r"/show/\d+/tab/CategoryParameter\w*", page).group(0)
    assert "颜色" in client.get(f"/product_categories{tab}").get_data(as_text=True)
    chart = client.get("/products/chart/by_category.json")
    assert chart.status_code == 200 and [f"{parent.name} / {child.name}", "12"] in chart.get_json()["table"]


def test_purchasing_adds_a_choice_parameter_from_the_form_and_an_empty_choice_list_is_refused(org, login):
    parent, _child = _tree()
    client = login(make_user("Purchasing", org.east))
    assert client.get("/category_parameters/add").status_code == 200
    name = unique("材质")
    client.post("/category_parameters/add", data={"category": str(parent.id), "name": name, "kind": "choice",
                                                  "choices": "实木，钢制、塑料", "sort_order": "0"})
    made = db.session.query(CategoryParameter).filter_by(name=name).one()
    assert made.choices == ["实木", "钢制", "塑料"]
    empty = unique("尺寸")
    resp = client.post("/category_parameters/add", data={"category": str(parent.id), "name": empty, "kind": "choice",
                                                         "choices": "", "sort_order": "0"})
    assert "请列出可选值，用逗号分隔。" in resp.get_data(as_text=True)
    assert db.session.query(CategoryParameter).filter_by(name=empty).count() == 0


def test_an_overlapping_price_is_refused_from_the_form_and_the_api_and_nothing_is_saved(org, login, app, api_token):
    product = service.create_product(None, Product(sku=unique("SKU"), name=unique("白板")))
    price_list = PriceList(name=unique("经销价"))
    db.session.add(price_list)
    db.session.commit()
    service.save_price(PriceListItem(price_list_id=price_list.id, product_id=product.id, price="100",
                                     valid_from=None, valid_to=None))
    resp = login(org.admin).post("/price_list_items/add", data={
        "price_list": str(price_list.id), "product": str(product.id), "price": "90", "valid_from": "2026-01-01"})
    assert "已有与该期间重叠的价格" in resp.get_data(as_text=True)
    resp = app.test_client().post("/api/v1/price_list_items/", json={
        "price_list_id": price_list.id, "product_id": product.id, "price": "90"}, headers=api_token(org.admin))
    assert resp.status_code == 400
    assert db.session.query(PriceListItem).filter_by(product_id=product.id).count() == 1
