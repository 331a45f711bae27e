"""Detail pages and forms in a real browser, on a desktop (1440×900) and a phone (390×844): the
header card, the 更多 menu by keyboard, nothing scrolling sideways, amounts typed with
separators, Chinese date pickers and select boxes, and a changed form that asks before it is
left — but not after it was saved."""
from __future__ import annotations

import re
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


@pytest.fixture(scope="module")
def records(app):
    """An active customer of the admin's with two contacts, and a contract of that customer."""
    from app.core.org import User
    from app.extensions import db
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact
    from tests.factories import make_customer
    from tests.modules.contracts.helpers import make_contract

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        customer = make_customer(admin, f"详情页{uuid.uuid4().hex[:6]}精密机械有限公司", status="active",
                                 credit_limit="1234567.8", region="江苏省苏州市",
                                 address="苏州工业园区星湖街328号创意产业园12栋" * 2)
        for name in ("王经理", "李会计"):
            create_contact(admin, Contact(customer_id=customer.id, name=name, phone=None))
        contract = make_contract(admin, customer, amount="98765.40")
        data = SimpleNamespace(customer=SimpleNamespace(id=customer.id, name=customer.name, code=customer.code),
                               contract=SimpleNamespace(id=contract.id, title=contract.title, code=contract.code),
                               owner=admin.display_name)
        db.session.remove()
    return data


def _no_sideways_scroll(page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"


def _customers(app, name: str) -> list:
    from app.extensions import db
    from app.modules.customers.models import Customer

    with app.app_context():
        try:
            return list(db.session.scalars(select(Customer).filter_by(name=name)))
        finally:
            db.session.remove()


@pytest.mark.parametrize("size", SIZES)
def test_the_header_card_shows_the_record_and_nothing_scrolls_sideways(as_admin, records, size, shot, zh):
    page = as_admin
    page.set_viewport_size(size)
    page.goto(f"/customers/show/{records.customer.id}")
    head = page.locator(".zwt-detail-head")
    expect(head.locator("h1")).to_contain_text(records.customer.name)
    expect(head.locator("h1 .zwt-tag-success")).to_have_text(zh("Active"))
    expect(head.locator(".zwt-detail-meta")).to_contain_text(records.customer.code)
    expect(head.locator(".zwt-detail-meta")).to_contain_text(records.owner)
    expect(head.locator("#zwt-key-figures [data-field=credit_limit] dd")).to_have_text("¥1,234,567.80")
    expect(page.locator("#zwt-record-bar .btn-primary").first).to_be_visible()
    expect(page.locator("a[data-zwt-tab='ContactView'] .zwt-tab-badge")).to_have_text("2")
    _no_sideways_scroll(page)
    shot(f"customer-{size['width']}")

    page.locator("a[data-zwt-tab='ContactView']").click()        # a table in a tab scrolls in its own box
    expect(page.locator("#ContactView")).to_contain_text("王经理")
    _no_sideways_scroll(page)

    page.goto(f"/contracts/show/{records.contract.id}")
    expect(page.locator(".zwt-detail-head h1")).to_contain_text(records.contract.title)
    expect(page.locator("#zwt-lifecycle .zwt-step-current")).to_contain_text("草稿")
    expect(page.locator("#zwt-key-figures [data-field=amount] dd")).to_have_text("¥98,765.40")
    _no_sideways_scroll(page)
    shot(f"contract-{size['width']}")
    if size is PHONE:
        # One column on a phone: the second field sits under the first.
        first, second = (page.locator("#Home .zwt-desc-item").nth(i).bounding_box() for i in (0, 1))
        assert second["y"] > first["y"] and abs(second["x"] - first["x"]) < 2
    else:
        first, second = (page.locator("#Home .zwt-desc-item").nth(i).bounding_box() for i in (0, 1))
        assert abs(second["y"] - first["y"]) < 2 and second["x"] > first["x"]


@pytest.mark.parametrize("size", SIZES)
def test_the_more_menu_opens_and_is_walked_with_the_keyboard(as_admin, records, size, shot):
    page = as_admin
    page.set_viewport_size(size)
    page.goto(f"/customers/show/{records.customer.id}")
    toggle = page.locator("#zwt-actions-more")
    menu = page.locator("#zwt-actions-menu")
    expect(menu).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    items = menu.locator(".zwt-menu-item")
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_be_focused()
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"]
    _no_sideways_scroll(page)
    shot(f"menu-{size['width']}")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()

    # An action that asks first asks inside the menu, and Escape takes the question back.
    page.keyboard.press("ArrowDown")
    lost = menu.locator("#zwt-action-mark_lost")
    lost.locator("summary").click()
    expect(lost.locator("form button[type=submit]")).to_be_visible()
    page.keyboard.press("Escape")
    expect(lost.locator("form button[type=submit]")).to_be_hidden()


@pytest.mark.parametrize("size", SIZES)
def test_forms_are_in_sections_in_two_columns_on_a_desktop_and_one_on_a_phone(as_admin, records, size, shot):
    page = as_admin
    page.set_viewport_size(size)
    for url in ("/customers/add", f"/customers/edit/{records.customer.id}", "/contracts/add",
                f"/contracts/edit/{records.contract.id}"):
        page.goto(url)
        expect(page.locator("#model_form .zwt-form-section").first).to_be_visible()
        first, second = (page.locator("#model_form .zwt-form-field").nth(i).bounding_box() for i in (0, 1))
        if size is PHONE:
            assert second["y"] > first["y"], url
        else:
            assert abs(second["y"] - first["y"]) < 2 and second["x"] > first["x"], url
        _no_sideways_scroll(page)
        # The save bar stays in view at the bottom of the screen.
        bar = page.locator("#zwt-savebar").bounding_box()
        assert bar["y"] + bar["height"] <= size["height"] + 1, url
    shot(f"contract-edit-{size['width']}")


def test_amounts_are_typed_with_separators_and_saved_exactly(as_admin, app):
    page = as_admin
    name = f"金额输入{uuid.uuid4().hex[:6]}有限公司"
    page.goto("/customers/add")
    page.locator("#name").fill(name)
    amount = page.locator("#credit_limit")
    amount.fill("")
    amount.press_sequentially("1234567.8")
    expect(amount).to_have_value("1,234,567.8")          # separators while typing
    amount.press("Tab")
    expect(amount).to_have_value("1,234,567.80")         # two decimals after
    page.locator("#zwt-save").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert [c.credit_limit for c in _customers(app, name)] == [Decimal("1234567.80")]


def test_an_amount_that_is_no_amount_is_refused_next_to_its_field(as_admin, app, zh):
    page = as_admin
    name = f"金额有误{uuid.uuid4().hex[:6]}有限公司"
    page.goto("/customers/add")
    page.locator("#name").fill(name)
    page.locator("#credit_limit").fill("一千")
    page.locator("#zwt-save").click()
    field = page.locator("#model_form .zwt-form-field", has=page.locator("#credit_limit"))
    expect(field).to_contain_text(zh("Enter an amount, for example 1,234.50"))
    expect(page.locator("#credit_limit")).to_have_attribute("aria-invalid", "true")
    color = page.evaluate("getComputedStyle(document.querySelector('#credit_limit')).borderTopColor")
    danger = page.evaluate("getComputedStyle(document.querySelector('.zwt-form-field-error .alert')).color")
    assert color == danger
    assert _customers(app, name) == []


def test_leaving_a_changed_form_asks_first_and_saving_does_not(as_admin, app, zh):
    page = as_admin
    dialogs = []

    def answer(dialog):
        dialogs.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", answer)
    page.goto("/customers/add")
    page.locator("#zwt-cancel").click()                    # nothing typed yet: leaves without asking
    page.wait_for_load_state()
    assert dialogs == [] and "/customers/add" not in page.url

    page.goto("/customers/add")
    name = f"离开提示{uuid.uuid4().hex[:6]}有限公司"
    page.locator("#name").click()
    page.keyboard.type(name)
    page.locator("#zwt-cancel").click()
    expect(page).to_have_url(re.compile(r"/customers/add"))
    assert dialogs == [("confirm", zh("You have changes that are not saved. Leave this page and lose them?"))]

    page.locator("#zwt-save").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert len(dialogs) == 1                               # saving leaves without a question
    assert len(_customers(app, name)) == 1


def test_closing_a_changed_edit_form_asks_before_unload(as_admin, records):
    page = as_admin
    page.goto(f"/customers/edit/{records.customer.id}")
    page.locator("#region").click()
    page.keyboard.type("新")
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    dialog = asked.value
    assert dialog.type == "beforeunload"
    dialog.accept()


def test_date_pickers_and_select_boxes_speak_chinese(as_admin):
    page = as_admin
    page.goto("/customers/add")
    page.locator("#cooperating_since").click()
    picker = page.locator(".datepicker-days").first
    expect(picker).to_be_visible()
    expect(picker.locator("th.datepicker-switch")).to_contain_text("年")
    expect(picker.locator("thead tr").last).to_contain_text("一")
    page.keyboard.press("Escape")
    page.locator("#select2-industry-container").click()
    page.locator(".select2-container--open .select2-search__field").fill("没有这个行业")
    expect(page.locator(".select2-results__option")).to_have_text("未找到结果")


@pytest.fixture(scope="module")
def every_module(app, records):
    """(name, add URL, show URL or None, edit URL or None) of every generated module with screens."""
    from app.core.registry import registry
    from app.extensions import db

    found = []
    with app.app_context():
        try:
            for name, spec in sorted(registry.specs.items()):
                if name not in registry.views:
                    continue
                first = db.session.scalars(select(spec.model).limit(1)).first()
                pk = first.id if first is not None else None
                found.append((name, f"/{name}/add" if spec.add_columns else None,
                              f"/{name}/show/{pk}" if pk else None,
                              f"/{name}/edit/{pk}" if pk and spec.edit_columns else None))
        finally:
            db.session.remove()
    return found


@pytest.mark.parametrize("size", [PHONE, {"width": 375, "height": 667}], ids=["390", "375"])
def test_every_modules_detail_and_forms_fit_a_phone(as_admin, every_module, size):
    page = as_admin
    page.set_viewport_size(size)
    problems, seen = [], 0
    for name, *urls in every_module:
        for url in filter(None, urls):
            response = page.goto(url)
            if response.status in (403, 404):       # a record the module keeps out of its own screens
                continue
            assert response.status == 200, url
            seen += 1
            widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if widths[0] > widths[1]:
                problems.append(f"{url}: {widths}")
    assert seen >= 10 and not problems, problems
