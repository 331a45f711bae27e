"""The global search in a real browser: Ctrl+K (or "/", the top bar box, the phone button) opens
an accessible dialog from any page; typing shows the user's records grouped by module; arrows
and Enter open one; Esc closes; focus stays in the dialog; a sales user never sees another's
customer; on a phone the dialog fills the screen."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SHOTS, STEP_SHOTS, log_in, new_context
from tests.factories import PASSWORD


@pytest.fixture(scope="module")
def people(app):
    """Two sales reps, each with a customer (and a contact) named with one token."""
    from app.extensions import db
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact
    from tests.factories import make_customer, make_user

    token = "寻" + uuid.uuid4().hex[:6]
    with app.app_context():
        rep, other = make_user("Sales"), make_user("Sales")
        mine = make_customer(rep, name=f"{token}星河科技有限公司")
        second = make_customer(rep, name=f"{token}星河贸易有限公司")
        create_contact(rep, Contact(customer_id=mine.id, name=f"{token}王经理", phone="13955501234"))
        theirs = make_customer(other, name=f"{token}他人科技有限公司")
        data = SimpleNamespace(token=token, rep=rep.username, other=other.username,
                               mine=SimpleNamespace(id=mine.id, name=mine.name, code=mine.code),
                               second=SimpleNamespace(id=second.id, name=second.name),
                               theirs=SimpleNamespace(id=theirs.id, name=theirs.name, code=theirs.code))
        db.session.remove()
    return data


def _dialog(page):
    return page.locator("#zwt-search-dialog")


def _options(page):
    return page.locator("#zwt-search-results [role=option]")


def test_ctrl_k_finds_my_customer_arrows_and_enter_open_it_esc_closes(page, people, zh, shot):
    log_in(page, people.rep, PASSWORD)
    page.goto("/contracts/list/")
    page.keyboard.press("Control+k")
    dialog = _dialog(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("role", "dialog")
    expect(dialog).to_have_attribute("aria-modal", "true")
    assert page.locator("#" + dialog.get_attribute("aria-labelledby")).inner_text().strip() == zh("Global search")
    field = page.locator("#zwt-search-dialog-input")
    expect(field).to_be_focused()
    field.type(people.token)
    customers = page.locator('#zwt-search-results [role=group][data-module="customers"]')
    expect(customers).to_contain_text(zh("Customers"))
    expect(customers.locator("[role=option]", has_text=people.mine.name)).to_be_visible()
    expect(page.locator('#zwt-search-results [role=group][data-module="contacts"]')).to_contain_text(people.token)
    expect(page.locator("#zwt-search-results")).not_to_contain_text(people.theirs.name)
    shot("results")
    # The first hit is highlighted; the arrows move through the hits and wrap around.
    options = _options(page)
    count = options.count()
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowUp")
    expect(options.nth(count - 1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id"))
    target = page.locator(f'#zwt-search-results [role=option][href="/customers/show/{people.mine.id}"]')
    index = [options.nth(i).get_attribute("id") for i in range(count)].index(target.get_attribute("id"))
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    expect(target).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/show/{people.mine.id}")
    # Esc closes the dialog and gives the focus back.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Control+k")
    expect(dialog).to_be_visible()
    expect(field).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_keys_typed_right_after_ctrl_k_are_not_lost(page, people):
    log_in(page, people.rep, PASSWORD)
    page.keyboard.press("Control+k")
    page.keyboard.type(people.mine.code.lower())         # before the dialog has arrived
    expect(page.locator("#zwt-search-dialog-input")).to_have_value(people.mine.code.lower())
    expect(page.locator(f'#zwt-search-results [href="/customers/show/{people.mine.id}"]')).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/show/{people.mine.id}")


def test_sales_user_does_not_see_another_reps_customer(page, people):
    log_in(page, people.rep, PASSWORD)
    page.keyboard.press("Control+k")
    field = page.locator("#zwt-search-dialog-input")
    for typed in (people.theirs.name, people.theirs.code):
        field.fill(typed)
        expect(page.locator("#zwt-search-status")).not_to_be_empty()
        expect(page.locator("#zwt-search-results")).not_to_contain_text(people.theirs.name)
    field.fill(people.token)
    expect(page.locator(f'#zwt-search-results [href="/customers/show/{people.mine.id}"]')).to_be_visible()
    expect(page.locator("#zwt-search-results")).not_to_contain_text(people.theirs.name)


def test_slash_and_the_top_bar_box_open_it_focus_stays_inside(page, people):
    log_in(page, people.rep, PASSWORD)
    page.goto("/customers/list/")
    dialog = _dialog(page)
    box = page.locator("#zwt-global-search-input")
    page.keyboard.press("/")
    expect(dialog).to_be_visible()
    # In a text field "/" is typed, not a shortcut.
    page.keyboard.type("a/b")
    expect(page.locator("#zwt-search-dialog-input")).to_have_value("a/b")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # Typing into the top bar box carries on in the dialog.
    box.click()
    expect(dialog).to_be_visible()
    field = page.locator("#zwt-search-dialog-input")
    expect(field).to_be_focused()
    page.keyboard.type(people.token + "星河")
    expect(page.locator(f'#zwt-search-results [href="/customers/show/{people.second.id}"]')).to_be_visible()
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('zwt-search-dialog').contains(document.activeElement)")
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.getElementById('zwt-search-dialog').contains(document.activeElement)")
    # The first hit is chosen as soon as the hits arrive: Enter opens it.
    field.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/show/*")


def test_without_script_the_top_bar_box_opens_the_results_page(browser, live_server, people, zh):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    log_in(page, people.rep, PASSWORD)
    box = page.locator("#zwt-global-search-input")
    box.fill(people.token)
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    expect(page.locator("h1")).to_contain_text(zh("Global search"))
    expect(page.locator('.zwt-search-group[data-module="customers"]')).to_contain_text(people.mine.name)
    expect(page.locator("#zwt-search-page-results")).not_to_contain_text(people.theirs.name)
    page.locator(f'a[href="/customers/show/{people.mine.id}"]').click()
    page.wait_for_url(f"**/customers/show/{people.mine.id}")
    context.close()


def test_on_a_phone_the_dialog_fills_the_screen(browser, live_server, people, request):
    context, watch = new_context(browser, live_server)
    page = context.new_page()
    log_in(page, people.rep, PASSWORD)
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto("/customers/list/")
    page.locator("#zwt-search-open").click()
    dialog = _dialog(page)
    expect(dialog).to_be_visible()
    page.locator("#zwt-search-dialog-input").type(people.token)
    expect(page.locator(f'#zwt-search-results [href="/customers/show/{people.mine.id}"]')).to_be_visible()
    panel = page.locator(".zwt-search-panel").bounding_box()
    assert panel["x"] == 0 and panel["width"] == 375 and panel["height"] == 667
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if STEP_SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{request.node.name.removeprefix('test_')}-phone.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    context.close()
    assert not watch.problems(), "\n".join(watch.problems())


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_open_dialog_with_hits_has_no_serious_accessibility_problems(browser, live_server, people, theme):
    from axe_playwright_python.sync_playwright import Axe

    context, watch = new_context(browser, live_server)
    context.add_cookies([{"name": "zwt_theme", "value": theme, "url": live_server}])
    page = context.new_page()
    log_in(page, people.rep, PASSWORD)
    page.goto("/customers/list/")
    page.keyboard.press("Control+k")
    page.locator("#zwt-search-dialog-input").type(people.token)
    expect(page.locator(f'#zwt-search-results [href="/customers/show/{people.mine.id}"]')).to_be_visible()
    page.keyboard.press("ArrowDown")
    results = Axe().run(page, context="#zwt-search-dialog")
    serious = [f"[{v['impact']}] {v['id']}: {v['help']} — " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    context.close()
    assert not serious, "\n".join(serious)
    assert not watch.problems(), "\n".join(watch.problems())
