"""产品对比: two to four products side by side, differences marked, a shareable link, a PDF."""
import io
import re

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.modules.products import service, showcase
from app.modules.products.models import CategoryParameter, Product, ProductCategory
from tests.conftest import unique
from tests.factories import make_user


def _category(parent=None, **params):
    category = service.save_category(ProductCategory(code=unique("C"), name=unique("分类"),
                                                     parent_id=parent.id if parent else None))
    for name, (kind, unit) in params.items():
        db.session.add(CategoryParameter(category_id=category.id, name=name, kind=kind, unit=unit))
    db.session.commit()
    return category


def _product(category, **kw):
    kw.setdefault("sku", unique("SKU"))
    kw.setdefault("name", unique("产品"))
    return service.create_product(None, Product(category_id=category.id, **kw))


@pytest.fixture
def catalogue(ctx):
    appliances = _category(功率=("number", "W"))
    fridges = _category(appliances, 容积=("number", "L"))
    chairs = _category(材质=("text", None))
    a = _product(fridges, brand="海尔", model="BCD-470", list_price="3999", tax_rate="13", unit="台",
                 params={"功率": 120, "容积": 470})
    b = _product(fridges, brand="美的", model="BCD-470", list_price="3599", tax_rate="13", unit="台",
                 params={"功率": 120, "容积": 420})
    c = _product(chairs, brand="永艺", list_price="899", tax_rate="13", unit="把", params={"材质": "网布"})
    return a, b, c


def _rows(comparison):
    return {(row["label"], row["unit"]): row for row in comparison["rows"]}


def test_parameters_are_the_union_over_categories_with_units_and_differences(catalogue):
    a, b, c = catalogue
    rows = _rows(showcase.compare_products([a.id, b.id, c.id]))
    assert rows[("功率", "W")]["cells"] == ["120", "120", "—"]
    assert rows[("容积", "L")]["cells"] == ["470", "420", "—"] and rows[("容积", "L")]["differ"]
    assert rows[("材质", "")]["cells"] == ["—", "—", "网布"]
    two = _rows(showcase.compare_products([a.id, b.id]))
    assert not two[("功率", "W")]["differ"] and two[("容积", "L")]["differ"]
    assert ("材质", "") not in two


@pytest.mark.parametrize("raw", ["", "1", "1,2,3,4,5", "1,x", "1,1"])
def test_fewer_than_two_or_more_than_four_or_unreadable_ids_are_refused(raw):
    with pytest.raises(showcase.BadComparison):
        showcase.parse_ids(raw)


def test_page_shows_side_by_side_and_only_differences(app, catalogue, login):
    a, b, c = catalogue
    client = login(make_user("Sales"))
    resp = client.get(f"/products/compare/?ids={a.id},{b.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and a.name in html and b.name in html
    assert "3,999.00" in html and "海尔" in html and "容积（L）" in html
    diff = client.get(f"/products/compare/?ids={a.id},{b.id}&diff=1").get_data(as_text=True)
    # Without script the stylesheet hides the rows marked the same (here the model, BCD-470 twice).
    assert "zwt-only-diff" in diff and "只看不同" in html
    assert re.search(r'<tr class="zwt-same">\s*<th>型号', diff) and re.search(r'<tr class="zwt-differ">\s*<th>品牌', diff)


def test_bad_requests_get_a_chinese_message_and_no_500(app, catalogue, login):
    a, b, c = catalogue
    client = login(make_user("Sales"))
    for url, status, message in ((f"/products/compare/?ids={a.id}", 400, "请选择 2 至 4 个产品"),
                                 (f"/products/compare/?ids={a.id},{b.id},{c.id},{a.id + 9},{b.id + 9}", 400,
                                  "请选择 2 至 4 个产品"),
                                 ("/products/compare/?ids=a,b", 400, "逗号分隔"),
                                 (f"/products/compare/?ids={a.id},999999999", 404, "以下产品不存在：999999999"),
                                 (f"/products/compare/pdf?ids={a.id}", 400, "请选择 2 至 4 个产品")):
        resp = client.get(url)
        assert resp.status_code == status, url
        assert message in resp.get_data(as_text=True), url


def test_user_without_read_on_products_is_refused(app, catalogue, login):
    a, b, _c = catalogue
    sm = app.appbuilder.sm
    role = sm.find_role("NoProducts") or sm.add_role("NoProducts")
    client = login(make_user("NoProducts"))
    for url in (f"/products/compare/?ids={a.id},{b.id}", f"/products/compare/pdf?ids={a.id},{b.id}"):
        resp = client.get(url)
        assert resp.status_code == 403 and a.name not in resp.get_data(as_text=True)
    assert role is not None
    anonymous = app.test_client().get(f"/products/compare/?ids={a.id},{b.id}")
    assert anonymous.status_code in (302, 401, 403) and a.name not in anonymous.get_data(as_text=True)


def test_comparison_prints_as_pdf_with_chinese_text(app, catalogue, login):
    a, b, _c = catalogue
    client = login(make_user("ReadOnly"))
    resp = client.get(f"/products/compare/pdf?ids={a.id},{b.id}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.data)).pages)
    assert "产品对比" in text and "海尔" in text and "容积" in text


def test_the_compare_tray_collects_products_and_opens_the_comparison(app, catalogue, login):
    from app.modules.products.showcase_views import TRAY, add_to_comparison

    a, b, c = catalogue
    with app.test_request_context("/products/list/"):
        from flask import session

        message = add_to_comparison(None, [a])
        assert "已加入对比（1/4）" in str(message)
        response = add_to_comparison(None, [c])
        assert response.status_code == 302 and response.location == f"/products/compare/?ids={a.id},{c.id}"
        tray = list(session[TRAY])
    client = login(make_user("Sales"))
    with client.session_transaction() as stored:
        stored[TRAY] = tray
    page = client.get("/products/compare/")
    assert page.status_code == 200 and a.name in page.get_data(as_text=True) and c.name in page.get_data(as_text=True)
    assert client.get("/products/compare/clear").status_code == 302
    assert "请选择 2 至 4 个产品" in client.get("/products/compare/").get_data(as_text=True)
