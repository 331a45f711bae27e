"""Quotes (报价) and 报价对比: a quote is checked in Chinese field by field; the comparison shows the quotes valid
today of suppliers not suspended, what the asked quantity costs (bought at least at each quote's minimum, in
yuan at the configured rates), and marks the best by the buyer's rule."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.core.errors import ValidationErrors
from app.extensions import db
from app.modules.purchasing import quotes, service
from app.modules.purchasing.models import SupplierQuote
from tests.factories import make_user
from tests.modules.inventory.helpers import product
from tests.modules.purchasing.helpers import quote, supplier


@pytest.fixture
def buyer(org):
    return make_user("Purchasing", org.company)


def test_a_quote_is_checked_field_by_field(buyer):
    mine, item = supplier(buyer), product()
    today = dt.date.today()
    for fields, field in (({"price": "-1"}, "price"), ({"price": "abc"}, "price"), ({"min_quantity": "0"},
                          "min_quantity"), ({"lead_days": "-3"}, "lead_days"), ({"currency": "XYZ"}, "currency"),
                          ({"valid_to": today - dt.timedelta(days=5)}, "valid_to")):
        values = {"supplier_id": mine.id, "product_id": item.id, "price": "10", "valid_from": today, **fields}
        with pytest.raises(ValidationErrors) as refused:
            service.save_quote(buyer, SupplierQuote(**values))
        assert field in refused.value.errors
        db.session.rollback()
    service.suspend(buyer, [mine])
    with pytest.raises(ValidationErrors) as refused:
        quote(buyer, mine, item, "10")
    assert "停用" in refused.value.errors["supplier"][0] or mine.name in refused.value.errors["supplier"][0]
    db.session.rollback()


def test_the_comparison_ranks_by_the_buyers_rule(buyer, app):
    item = product()
    cheap_slow = quote(buyer, supplier(buyer), item, "100.00", lead_days=20)
    dear_fast = quote(buyer, supplier(buyer), item, "120.00", lead_days=2)
    bulk = quote(buyer, supplier(buyer), item, "90.00", lead_days=5, min_quantity="50")   # cheap only in bulk
    quote(buyer, supplier(buyer), item, "1.00", valid_to=dt.date.today() - dt.timedelta(days=1))      # expired
    gone = supplier(buyer)
    quote(buyer, gone, item, "2.00")
    service.suspend(buyer, [gone])
    dollars = quote(buyer, supplier(buyer), item, "11.00", lead_days=30, currency="USD")

    offers = quotes.compare(buyer, item.id, Decimal("10"), "cheapest")
    ids = [o.quote.id for o in offers]
    assert ids[:3] == [cheap_slow.id, dear_fast.id, bulk.id] and ids[-1] == dollars.id and len(ids) == 4
    assert offers[0].best and not offers[1].best and offers[0].cost == Decimal("1000.00")
    assert offers[2].buy_quantity == 50 and offers[2].cost == Decimal("4500.00")
    assert offers[-1].cost is None                                # no rate for US dollars: shown, not ranked
    fastest = quotes.compare(buyer, item.id, Decimal("10"), "fastest")
    assert fastest[0].quote.id == dear_fast.id and fastest[0].best
    app.config["PURCHASE_EXCHANGE_RATES"] = {"USD": "7.10"}
    try:
        converted = quotes.compare(buyer, item.id, Decimal("100"), "cheapest")
        assert converted[0].quote.id == dollars.id and converted[0].cost == Decimal("7810.00")   # 11 × 100 × 7.10
    finally:
        app.config.pop("PURCHASE_EXCHANGE_RATES")
    assert quotes.compare(buyer, item.id, Decimal("100"), "bulk")[0].quote.id == bulk.id   # unknown rule: cheapest


def test_the_comparison_page_and_the_products_quotes_tab(org, login, buyer):
    item = product()
    best = quote(buyer, supplier(buyer), item, "80.00", lead_days=3)
    quote(buyer, supplier(buyer), item, "95.00", lead_days=1)
    client = login(buyer)
    page = client.get(f"/supplier_quotes_compare/?product={item.id}&quantity=2&rule=cheapest")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "报价对比" in text and best.supplier.name in text and "¥160.00" in text
    assert text.index("zwt-best") < text.index(best.supplier.name) + 400
    assert client.get(f"/supplier_quotes_compare/?product={item.id}&quantity=-1").status_code == 400
    assert client.get("/supplier_quotes_compare/?product=999999999").status_code == 404
    tab = client.get(f"/products/show/{item.id}?tab=quotes").get_data(as_text=True)
    assert best.supplier.name in tab
    assert login(org.east_rep).get(f"/supplier_quotes_compare/?product={item.id}").status_code in (302, 403)
