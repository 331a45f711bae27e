"""虚拟展示 in the browser: the first frame shows before the others have loaded, dragging turns the
product, zoom works — on a desktop and on a 390×844 phone without horizontal scroll. 产品对比: the
comparison page with 只看不同."""
from __future__ import annotations

import io
import re
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _png(shade: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (160, 120), (shade, 120, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def spinning_product(app):
    from app.extensions import db
    from app.modules.products import service, showcase
    from app.modules.products.models import Product
    from tests.factories import make_user

    with app.app_context():
        buyer = make_user("Purchasing")
        tag = uuid.uuid4().hex[:6]
        first = service.create_product(None, Product(sku=f"SPIN-{tag}", name=f"旋转冰箱{tag}", brand="海尔",
                                                     model="BCD-1", list_price="3999"))
        second = service.create_product(None, Product(sku=f"SPIN2-{tag}", name=f"对比冰箱{tag}", brand="美的",
                                                      model="BCD-1", list_price="3599"))
        showcase.replace_spin_frames(buyer, first.id, [(f"f{i:02d}.png", io.BytesIO(_png(i * 10))) for i in range(24)])
        data = SimpleNamespace(username=buyer.username, product_id=first.id, other_id=second.id)
        db.session.remove()
    return data


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_360_view_turns_zooms_and_shows_the_first_frame_at_once(page, spinning_product, size):
    data = spinning_product
    log_in(page, data.username, PASSWORD)
    page.set_viewport_size(SIZES[size])
    held = []
    first_url = {}

    def route_frames(route):
        # The first frame passes; every other waits until the test lets it through.
        if not first_url:
            first_url["url"] = route.request.url
        if route.request.url == first_url["url"] or first_url.get("released"):
            route.continue_()
        else:
            held.append(route)

    page.route(re.compile(r"/attachments/\d+/download\?inline=1$"), route_frames)
    page.goto(f"/products/spin360/{data.product_id}/", wait_until="domcontentloaded")
    spin = page.locator(".zwt-spin")
    frame = page.locator(".zwt-spin-frame")
    expect(spin).to_have_attribute("data-loaded", "1")
    page.wait_for_function("() => document.querySelector('.zwt-spin-frame').naturalWidth > 0")
    assert len(held) >= 1                       # the others are asked for, and still loading
    expect(page.locator(".zwt-spin-progress")).to_contain_text("%")
    # The circle is covered coarsely first: after the first frame, the one half a turn away, then a quarter.
    frames = page.evaluate("JSON.parse(document.querySelector('.zwt-spin').dataset.frames)")
    asked = [route.request.url.split("127.0.0.1")[-1].split(":", 1)[-1] for route in held]
    assert [frames.index(url[url.index("/attachments"):]) for url in asked][:2] == [16, 8]
    first_url["released"] = True
    while held:
        held.pop(0).continue_()
    expect(spin).to_have_attribute("data-loaded", "24")
    expect(page.locator(".zwt-spin-progress")).to_have_text("1 / 24")

    box = page.locator(".zwt-spin-stage").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.8, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=8)
    page.mouse.up()
    assert spin.get_attribute("data-frame") != "0"
    before = frame.get_attribute("src")
    spin.focus()
    page.keyboard.press("ArrowRight")
    assert frame.get_attribute("src") != before

    page.locator(".zwt-spin-in").click()
    assert float(spin.get_attribute("data-zoom")) > 1
    page.locator(".zwt-spin-out").click()
    expect(spin).to_have_attribute("data-zoom", "1.00")
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.wheel(0, -200)
    expect(spin).not_to_have_attribute("data-zoom", "1.00")
    page.locator(".zwt-spin-stage").dblclick()
    expect(spin).to_have_attribute("data-zoom", "1.00")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_compare_page_with_only_differences_and_pdf_link(page, spinning_product):
    data = spinning_product
    log_in(page, data.username, PASSWORD)
    page.set_viewport_size(SIZES["phone"])
    page.goto(f"/products/compare/?ids={data.product_id},{data.other_id}")
    table = page.locator("#zwt-compare")
    expect(table).to_contain_text("海尔")
    expect(table.locator("tr.zwt-same").first).to_be_visible()
    page.locator("#zwt-compare-diff").click()
    expect(page).to_have_url(re.compile(r"diff=1"))
    expect(table.locator("tr.zwt-same").first).to_be_hidden()
    expect(table.locator("tr.zwt-differ").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_product_page_tab_starts_the_viewer(page, spinning_product):
    data = spinning_product
    log_in(page, data.username, PASSWORD)
    page.goto(f"/products/show/{data.product_id}")
    page.locator("#zwt-spin360-tab").click()
    spin = page.locator(".zwt-spin")
    expect(spin).to_have_attribute("data-frame", "0")      # set by the viewer's script once it runs
    expect(page.locator("form.zwt-spin-upload")).to_be_visible()
    page.locator(".zwt-spin-in").click()
    assert float(spin.get_attribute("data-zoom")) > 1
