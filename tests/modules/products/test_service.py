"""Catalogue rules, through the service functions every screen, API and import calls."""
import datetime as dt
from decimal import Decimal

import pytest

from app.core.errors import NotFound, ValidationErrors
from app.extensions import db
from app.modules.products import service
from app.modules.products.models import CategoryParameter, PriceList, PriceListItem, Product, ProductCategory
from tests.conftest import unique


def _category(parent=None, **params):
    category = service.save_category(ProductCategory(code=unique("C"), name=unique("分类"),
                                                     parent_id=parent.id if parent else None))
    for name, (kind, extra) in params.items():
        db.session.add(CategoryParameter(category_id=category.id, name=name, kind=kind, **extra))
    db.session.commit()
    return category


def _product(category=None, **kw):
    kw.setdefault("sku", unique("SKU"))
    kw.setdefault("name", unique("产品"))
    return service.create_product(None, Product(category_id=category.id if category else None, **kw))


def test_sku_is_unique_and_required(ctx):
    first = _product()
    with pytest.raises(ValidationErrors) as err:
        _product(sku=first.sku)
    assert "sku" in err.value.errors
    db.session.rollback()
    with pytest.raises(ValidationErrors) as err:
        service.create_product(None, Product(sku="  ", name=""))
    assert set(err.value.errors) == {"sku", "name"}


def test_barcode_is_unique_only_when_present(ctx):
    code = unique("69")
    _product(barcode=code)
    _product(barcode="")
    _product(barcode=None)
    with pytest.raises(ValidationErrors) as err:
        _product(barcode=code)
    assert list(err.value.errors) == ["barcode"]


def test_money_is_decimal_and_negative_or_unreadable_refused(ctx):
    product = _product(list_price="1299.5", cost=Decimal("800"), tax_rate="13")
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert product.list_price == Decimal("1299.50") and isinstance(product.list_price, Decimal)
    with pytest.raises(ValidationErrors) as err:
        _product(list_price="-1", cost="lots", tax_rate="130")
    assert set(err.value.errors) == {"list_price", "cost", "tax_rate"}


def test_parameters_are_typed_inherited_and_checked_by_name(ctx):
    top = _category(功率=("number", {"unit": "W", "required": True}))
    sub = _category(top, 材质=("choice", {"choices": ["铝合金", "不锈钢"]}), 尺寸=("text", {}))
    product = _product(sub, params={"功率": " 1500 ", "材质": "铝合金", "尺寸": "30×40cm"})
    assert product.params == {"功率": "1500", "材质": "铝合金", "尺寸": "30×40cm"}
    with pytest.raises(ValidationErrors) as err:
        _product(sub, params={"功率": "很大", "材质": "木头", "颜色": "红"})
    assert set(err.value.errors) == {"params.功率", "params.材质", "params.颜色"}
    with pytest.raises(ValidationErrors) as err:
        _product(sub, params={})
    assert list(err.value.errors) == ["params.功率"]


def test_category_cannot_be_moved_under_itself_or_its_children(ctx):
    top = _category()
    mid = _category(top)
    leaf = _category(mid)
    for new_parent in (top, leaf):
        top.parent_id = new_parent.id
        with pytest.raises(ValidationErrors) as err:
            service.save_category(top)
        assert "parent" in err.value.errors
        db.session.rollback()
    assert set(service.descendants(top.id)) == {top.id, mid.id, leaf.id}


def test_price_validity_cannot_overlap_and_price_on_a_day(ctx):
    product = _product()
    plist = PriceList(name=unique("经销价"))
    db.session.add(plist)
    db.session.commit()

    def item(price, start, end):
        return service.save_price(PriceListItem(price_list_id=plist.id, product_id=product.id, price=price,
                                                valid_from=start, valid_to=end))

    item("100", dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    item("110", dt.date(2026, 7, 1), None)
    for start, end in ((dt.date(2026, 6, 30), dt.date(2026, 6, 30)), (None, dt.date(2026, 1, 1)),
                       (dt.date(2030, 1, 1), None)):
        with pytest.raises(ValidationErrors) as err:
            item("90", start, end)
        assert "valid_from" in err.value.errors
        db.session.rollback()
    item("80", None, dt.date(2025, 12, 31))
    assert service.price_on(product.id, plist.id, dt.date(2025, 5, 1)) == Decimal("80.00")
    assert service.price_on(product.id, plist.id, dt.date(2026, 3, 1)) == Decimal("100.00")
    assert service.price_on(product.id, plist.id, dt.date(2027, 1, 1)) == Decimal("110.00")
    with pytest.raises(ValidationErrors) as err:
        item("5", dt.date(2031, 2, 1), dt.date(2031, 1, 1))
    assert "valid_to" in err.value.errors


def test_retire_and_unknown_product(ctx):
    product = _product(status="on_sale")
    assert service.retire_product(None, product.id).status == "discontinued"
    with pytest.raises(NotFound):
        service.retire_product(None, 10 ** 9)


def test_field_messages_are_in_chinese(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("zh_CN"):
        with pytest.raises(ValidationErrors) as err:
            service.create_product(None, Product(sku="", name=unique("产品")))
        assert err.value.errors["sku"] == ["请填写SKU。"]
        db.session.rollback()


def test_parameters_that_are_not_names_with_values_are_refused_with_a_message(org, api_token):
    from flask import current_app

    resp = current_app.test_client().post("/api/v1/products/", json={
        "sku": "PARAMS-TEXT", "name": "参数是文字", "status": "on_sale", "params": "trigger"},
        headers=api_token(org.admin))
    assert resp.status_code == 400 and "参数" in str(resp.get_json())
