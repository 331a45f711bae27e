"""产品目录 on a 390×844 phone: two cards a row without horizontal scroll, the main image on the card,
filtering by a parameter value, and a card opening the product page."""
from __future__ import annotations

import io
import re
import uuid

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD


def _png() -> io.BytesIO:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 90), (40, 120, 200)).save(out, "PNG")
    out.seek(0)
    return out


def test_the_catalogue_on_a_phone(app, page):
    from app.extensions import db
    from app.modules.products import images, service
    from app.modules.products.models import CategoryParameter, Product, ProductCategory
    from tests.factories import make_user

    with app.app_context():
        buyer = make_user("Purchasing")
        tag = uuid.uuid4().hex[:6]
        category = service.save_category(ProductCategory(code=f"CAT-{tag}", name=f"打印机{tag}"))
        colour = CategoryParameter(category_id=category.id, name="颜色", kind="choice", choices=["黑白", "彩色"],
                                   key=True)
        db.session.add(colour)
        db.session.commit()
        made = [service.create_product(None, Product(sku=f"CAT-{tag}-{i}", name=f"目录打印机{tag}-{i}",
                                                     category_id=category.id, status="on_sale", list_price="1999",
                                                     params={"颜色": "彩色" if i == 0 else "黑白"}))
                for i in range(3)]
        images.add_images(buyer, made[0].id, [("front.png", _png())])
        ids = [p.id for p in made]
        username, category_id, colour_id = buyer.username, category.id, colour.id
        db.session.remove()

    log_in(page, username, PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/products/catalogue/?category={category_id}")
    cards = page.locator(".zwt-cat-card")
    expect(cards).to_have_count(3)
    boxes = [cards.nth(i).bounding_box() for i in range(3)]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[2]["y"] > boxes[0]["y"]   # two a row
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    card = page.locator(f".zwt-cat-card[data-product='{ids[0]}']")
    expect(card.locator("img.zwt-cat-img")).to_be_visible()
    page.wait_for_function(f"() => document.querySelector(\".zwt-cat-card[data-product='{ids[0]}'] img\").naturalWidth > 0")
    expect(card).to_contain_text("颜色：彩色")
    page.locator(f"input[name='p{colour_id}'][value='彩色']").check()
    page.locator(".zwt-cat-filters button[type=submit]").click()
    expect(cards).to_have_count(1)
    card.locator("a.zwt-cat-open").click()
    expect(page).to_have_url(re.compile(rf"/products/show/{ids[0]}$"))
