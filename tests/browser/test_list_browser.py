"""A module's list in a real browser, on a desktop (1440×900) and a phone (390×844, 375×667):
the search box, the quick filter chips, the column chooser, the sticky header, row actions,
phone cards and the empty state."""
from __future__ import annotations

import random
import re
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 375, "height": 667}


@pytest.fixture(scope="module")
def team(app):
    """A sales rep with a dozen customers in three statuses, and one who has none yet."""
    from app.extensions import db
    from tests.factories import make_customer, make_user

    token = uuid.uuid4().hex[:6]
    phones = random.randrange(10**6)
    with app.app_context():
        rep, newcomer = make_user("Sales"), make_user("Sales")
        statuses = ["active"] * 6 + ["potential"] * 4 + ["dormant"] * 2
        made = [make_customer(rep, f"{token}列表{i:02d}号有限公司", status=status, industry="it",
                              region="江苏省苏州市工业园区星湖街328号创意产业园", phone=f"139{phones:06d}{i:02d}")
                for i, status in enumerate(statuses)]
        data = SimpleNamespace(
            token=token, phones=phones,
            rep=SimpleNamespace(username=rep.username),
            newcomer=SimpleNamespace(username=newcomer.username),
            customers=[SimpleNamespace(id=c.id, name=c.name, code=c.code, status=c.status) for c in made],
        )
        db.session.remove()
    return data


def _rows(page):
    return page.locator("table.zwt-list-table > tbody > tr")


def _open_list(page, team, size=DESKTOP, query=""):
    page.set_viewport_size(size)
    log_in(page, team.rep.username, PASSWORD)
    page.goto("/customers/list/" + query)
    expect(page.locator("#zwt-list")).to_be_visible()


def test_the_search_box_filters_the_list(page, team, zh, shot):
    _open_list(page, team)
    box = page.locator("#zwt-list-q")
    expect(box).to_have_attribute("placeholder", re.compile(zh("Customer name")))
    box.fill(f"{team.token}列表07")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    expect(_rows(page)).to_have_count(1)
    expect(_rows(page).first).to_contain_text(team.customers[7].name)
    expect(page.locator(".zwt-count")).to_have_text(re.compile(r":\s*1\s*$"))
    expect(box).to_have_value(f"{team.token}列表07")
    # A phone number by its digits, a code from its start.
    box.fill(f"{team.phones:06d}03")
    box.press("Enter")
    expect(_rows(page)).to_have_count(1)
    box.fill(team.customers[11].code.lower())
    box.press("Enter")
    expect(_rows(page).first).to_contain_text(team.customers[11].name)
    shot("searched")


def test_a_status_chip_narrows_the_list_and_a_second_click_removes_it(page, team, zh):
    _open_list(page, team, query=f"?q={team.token}")
    chip = page.locator("#zwt-chip-status-potential")
    expect(chip).to_have_text(re.compile(zh("Potential")))
    chip.click()
    expect(page).to_have_url(re.compile(r"status=potential"))
    expect(_rows(page)).to_have_count(4)
    expect(chip).to_have_attribute("aria-current", "true")
    expect(chip).to_have_class(re.compile("zwt-chip-on"))
    for row in _rows(page).all():
        expect(row.locator(".zwt-tag")).to_have_text(zh("Potential"))
    # The chips combine: this week's potential customers are the same four.
    page.locator("#zwt-chip-period-week").click()
    expect(page).to_have_url(re.compile(r"period=week"))
    expect(_rows(page)).to_have_count(4)
    page.locator("#zwt-chip-status-potential").click()
    expect(page).not_to_have_url(re.compile(r"status="))
    expect(_rows(page)).to_have_count(len(team.customers))
    page.locator("#zwt-clear-filters").click()
    expect(page).to_have_url(re.compile(r"/customers/list/$"))
    expect(page.locator("#zwt-clear-filters")).to_have_count(0)


def test_the_advanced_filters_are_one_click_away_and_keep_the_search(page, team):
    _open_list(page, team, query=f"?q={team.token}")
    panel = page.locator("#accordion1_href")
    expect(panel).to_be_hidden()
    page.locator("#zwt-advanced-toggle").click()
    expect(panel).to_be_visible()
    page.wait_for_load_state("networkidle")     # the panel's settings, fetched as it opens, however busy the server
    form = page.locator("#filter_form")
    form.locator("button.dropdown-toggle").click()
    form.locator("a.filter[name=name]").click()
    form.locator("table.filters input.filter_val").fill(f"{team.token}列表1")   # name starts with
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"q={team.token}"))
    expect(_rows(page)).to_have_count(2)                      # 列表10号, 列表11号
    expect(page.locator("#accordion1_href")).to_be_visible()   # open while it narrows the list


def test_the_column_chooser_is_remembered_across_pages(page, team, zh):
    _open_list(page, team)
    head = page.locator("table.zwt-list-table thead")
    expect(head).to_contain_text(zh("Region"))
    page.locator("#zwt-columns > button").click()
    menu = page.locator("#zwt-columns form")
    expect(menu).to_be_visible()
    expect(menu.locator("input[value=name]")).to_be_disabled()   # the name opens the record
    menu.locator("input[value=region]").uncheck()
    menu.locator("input[value=industry]").uncheck()
    page.locator("#zwt-columns-save").click()
    expect(head).not_to_contain_text(zh("Region"))
    expect(head).not_to_contain_text(zh("Industry"))
    page.reload()
    expect(head).not_to_contain_text(zh("Region"))
    expect(head).to_contain_text(zh("Customer name"))
    page.goto("/customers/list/?status=active")
    expect(head).not_to_contain_text(zh("Industry"))
    page.locator("#zwt-columns > button").click()
    page.locator("#zwt-columns-reset").click()
    expect(page).to_have_url(re.compile(r"status=active"))
    expect(head).to_contain_text(zh("Region"))


def test_the_header_stays_under_the_top_bar_while_the_page_scrolls(page, team):
    _open_list(page, team, size={"width": 1440, "height": 500}, query=f"?q={team.token}")
    header = page.locator("table.zwt-list-table thead th").nth(1)
    top_bar = page.locator(".zwt-topbar").bounding_box()["height"]
    page.mouse.wheel(0, 600)
    page.wait_for_function("() => window.scrollY > 300")
    box = header.bounding_box()
    assert abs(box["y"] - top_bar) <= 1, (box, top_bar)


def test_the_list_does_not_move_once_drawn(page, team):
    """No layout shift: what the server draws (columns, chips, an open filter panel) stays put."""
    page.set_viewport_size(DESKTOP)
    log_in(page, team.rep.username, PASSWORD)
    page.add_init_script("""window.__shift = 0; new PerformanceObserver(list => { for (const e of list.getEntries())
        { if (!e.hadRecentInput) { window.__shift += e.value; } } }).observe({type: 'layout-shift', buffered: true});""")
    page.goto(f"/customers/list/?_flt_2_name={team.token}&status=active")
    expect(page.locator("#filter_form table.filters tr")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__shift") < 0.01


def test_row_actions_sit_under_edit_and_a_menu(page, team, zh):
    _open_list(page, team, query=f"?q={team.token}")
    row = _rows(page).first
    expect(row.locator("td").last).to_contain_text(zh("Edit"))
    expect(row.locator("td:last-child > a[href*='/edit/']")).to_have_attribute("href", re.compile(r"/customers/edit/\d+"))
    row.locator(".zwt-row-more").click()
    menu = row.locator(".zwt-row-menu .dropdown-menu")
    expect(menu).to_be_visible()
    expect(menu.locator("a.zwt-row-show")).to_have_text(zh("View"))
    expect(menu.locator(".zwt-row-delete")).to_have_count(0)            # sales users do not delete
    menu.locator("a.zwt-row-show").click()
    expect(page).to_have_url(re.compile(r"/customers/show/\d+"))


def test_deleting_from_the_row_menu_asks_first(as_admin, app, zh):
    from app.core.org import User
    from app.extensions import db
    from sqlalchemy import select
    from tests.factories import make_customer

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        doomed = make_customer(admin, f"待删除{uuid.uuid4().hex[:6]}")
        name = doomed.name
        db.session.remove()
    page = as_admin
    page.set_viewport_size(DESKTOP)
    page.goto(f"/customers/list/?q={name}")
    row = _rows(page).first
    row.locator(".zwt-row-more").click()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    row.locator(".zwt-row-delete").click()
    expect(_rows(page)).to_have_count(1)
    assert asked and name in asked[0]
    row.locator(".zwt-row-more").click()
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator(".zwt-row-delete").click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.goto(f"/customers/list/?q={name}")
    expect(page.locator("#zwt-empty")).to_be_visible()


def _column_cell(page, row, label: str):
    """The row's cell under the heading `label` (desktop cells carry no label of their own)."""
    index = page.locator("table.zwt-list-table thead th").evaluate_all(
        "(ths, label) => ths.findIndex(th => th.textContent.trim() === label)", label)
    assert index >= 0, label
    return row.locator("td").nth(index)


@pytest.mark.parametrize("size", [PHONE, SMALL_PHONE], ids=["390", "375"])
def test_on_a_phone_rows_are_cards_and_nothing_scrolls_sideways(page, team, zh, shot, size):
    _open_list(page, team, size=size, query=f"?q={team.token}")
    expect(page.locator("table.zwt-list-table thead")).to_be_hidden()
    card = _rows(page).first
    expect(card.locator("td[id] > a")).to_be_visible()                    # the name, the card's heading
    expect(card.locator("td > .zwt-tag")).to_be_visible()
    code = card.locator("td", has_text=re.compile(r"^KH-"))
    expect(code).to_be_visible()
    label = code.evaluate("el => getComputedStyle(el, '::before').content")
    assert zh("Customer code") in label
    region = _column_cell(page, card, zh("Region"))
    expect(region).to_have_text(re.compile(r"\S"))
    expect(region).to_be_hidden()                                         # not a card field
    expect(card.locator("td:last-child > a[href*='/edit/']")).to_be_visible()
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"]
    expect(page.locator("#zwt-list-q")).to_be_visible()
    search = page.locator("#zwt-list-q").bounding_box()
    assert search["width"] >= size["width"] - 80                          # the search box spans the width
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    card.locator(".zwt-row-more").click()
    expect(card.locator("a.zwt-row-show")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(f"phone-{size['width']}")


def test_an_empty_list_says_what_to_do(page, team, zh):
    page.set_viewport_size(DESKTOP)
    log_in(page, team.rep.username, PASSWORD)
    page.goto("/customers/list/?q=没有这样的客户")
    empty = page.locator("#zwt-empty")
    expect(empty).to_contain_text(zh("No records match"))
    page.locator("#zwt-empty-clear").click()
    expect(page).to_have_url(re.compile(r"/customers/list/$"))
    expect(_rows(page).filter(has_text=team.token)).to_have_count(len(team.customers))
    page.goto("/contracts/list/")
    expect(page.locator("#zwt-empty")).to_contain_text(zh("No %(things)s yet", things=zh("Contracts")))
    page.locator("#zwt-empty-add").click()
    expect(page).to_have_url(re.compile(r"/contracts/add"))


def test_a_desktop_list_keeps_to_the_page_width(page, team, zh, shot):
    """Long values (a full address) wrap inside their cells instead of widening the page."""
    _open_list(page, team, query=f"?q={team.token}")
    for width in (1440, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        region = _column_cell(page, _rows(page).first, zh("Region"))
        assert region.bounding_box()["width"] < 300
    page.set_viewport_size(DESKTOP)
    page.reload()
    shot("customers-desktop")
    page.set_viewport_size(PHONE)
    page.reload()
    shot("customers-phone")


def test_a_list_is_saved_as_a_view_made_the_default_and_opened_again(page, team, zh, shot):
    """The newcomer saves "potential customers of the team" from the 视图 menu as their default;
    the list then opens with it, and 全部记录 shows everything again."""
    page.set_viewport_size(DESKTOP)
    log_in(page, team.newcomer.username, PASSWORD)
    page.goto(f"/customers/list/?q={team.token}&status=potential")
    page.locator("#zwt-views-toggle").click()
    name = f"潜在{team.token}"
    page.locator("#zwt-view-name").fill(name)
    page.locator(".zwt-views-save input[name=default]").check()
    page.locator("#zwt-view-save").click()
    expect(page).to_have_url(re.compile(r"[?&]view=\d+"))
    expect(page.locator("#zwt-views-toggle")).to_contain_text(name)
    page.goto("/customers/list/")                               # the default view opens the list
    expect(page).to_have_url(re.compile(r"status=potential"))
    expect(page.locator("#zwt-list-q")).to_have_value(team.token)
    page.locator("#zwt-views-toggle").click()
    page.locator("#zwt-view-plain").click()
    expect(page).to_have_url(re.compile(r"[?&]view=0$"))
    expect(page.locator("#zwt-list-q")).to_have_value("")
    shot("saved-view")
    # Deleting asks first; declining keeps the view.
    page.locator("#zwt-views-toggle").click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator(".zwt-view-delete").first.click()
    page.reload()
    expect(page.locator(".zwt-views-list")).to_contain_text(name)
    # Accepting deletes it, and the list no longer opens with it.
    page.locator("#zwt-views-toggle").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".zwt-view-delete").first.click()
    expect(page.locator(".zwt-messages")).to_contain_text(zh("The view is deleted."))
    expect(page.locator(".zwt-views-list")).not_to_contain_text(name)
    page.goto("/customers/list/")
    expect(page).to_have_url(re.compile(r"/customers/list/$"))
