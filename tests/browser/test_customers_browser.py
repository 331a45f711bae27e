"""The customer screens in a real browser: add, search, show, history, edit, duplicate names,
charts, CSV export, language switch and data scope."""
from __future__ import annotations

import csv
import random
import re
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import ADMIN, choose, log_in, new_context
from tests.factories import PASSWORD


def _mobile() -> str:
    return "139" + f"{random.randrange(10**8):08d}"


def _name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}有限公司"


@pytest.fixture(scope="module")
def people(app):
    """Two sales reps (own data scope) with customers of their own, a customer of the admin, a
    sales rep without customers to hand new ones to, and a sales rep who adds their first."""
    from app.core.org import User
    from app.extensions import db
    from tests.factories import make_customer, make_user

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        rep, other_rep, assignee, newcomer = (make_user("Sales"), make_user("Sales"), make_user("Sales"),
                                              make_user("Sales"))
        mine = [make_customer(rep, _name("苏州自有甲"), industry="it"),
                make_customer(rep, _name("苏州自有乙"), industry="retail")]
        theirs = make_customer(other_rep, _name("杭州他人"), industry="it")
        admins = make_customer(admin, _name("上海管理员"), industry="it")
        data = SimpleNamespace(
            rep=SimpleNamespace(id=rep.id, username=rep.username, display_name=rep.display_name),
            assignee=SimpleNamespace(id=assignee.id, username=assignee.username, display_name=assignee.display_name),
            newcomer=SimpleNamespace(id=newcomer.id, username=newcomer.username, display_name=newcomer.display_name),
            admin=SimpleNamespace(id=admin.id, username=admin.username, display_name=admin.display_name),
            mine=[SimpleNamespace(id=c.id, name=c.name, code=c.code) for c in mine],
            theirs=SimpleNamespace(id=theirs.id, name=theirs.name, code=theirs.code),
            admins=SimpleNamespace(id=admins.id, name=admins.name, code=admins.code),
        )
        db.session.remove()
    return data


def _count_customers(app, name: str | None = None) -> int:
    from app.extensions import db
    from app.modules.customers.models import Customer

    stmt = select(func.count()).select_from(Customer)
    if name is not None:
        stmt = stmt.where(Customer.name == name)
    with app.app_context():
        try:
            return db.session.scalar(stmt)
        finally:
            db.session.remove()


def _list_rows(page):
    return page.locator("div.table-responsive table > tbody > tr")


def _search_by_name(page, name: str) -> None:
    """Open the search panel, add a "customer name" filter, type `name` and search."""
    page.locator("a.accordion-toggle").click()
    form = page.locator("#filter_form")
    form.locator("button.dropdown-toggle").click()
    form.locator("a.filter[name=name]").click()
    value = form.locator("table.filters input.filter_val")
    expect(value).to_be_visible()
    value.fill(name)
    form.locator("button[type=submit]").click()


def _save(page) -> None:
    page.locator("#model_form button[type=submit]").click()


def test_add_search_show_history_and_edit_a_customer(page, people, shot, zh, app):
    name = _name("南京浏览器")
    page.goto("/customers/list/")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator("form[name=login] [type=submit]")).to_have_value(zh("Sign In"))
    page.fill("#username", ADMIN[0])
    page.fill("#password", ADMIN[1])
    page.locator("form[name=login] [type=submit]").click()
    expect(page.locator("#zwt-notifications")).to_be_visible()

    page.goto("/customers/list/")
    expect(page.locator(".zwt-page-title")).to_have_text(zh("Customers"))
    page.locator("a[href^='/customers/add']").first.click()
    expect(page.locator("#model_form")).to_be_visible()
    page.fill("#name", name)
    page.select_option("#kind", "person")
    page.select_option("#status", "active")
    page.fill("#credit_limit", "12345.6")
    choose(page, "owner", people.assignee.username, people.assignee.display_name)
    expect(page.locator("#select2-owner-container")).to_have_attribute("title", people.assignee.display_name)
    shot("add-form")
    _save(page)
    expect(page.locator(".alert-success")).to_be_visible()
    assert _count_customers(app, name) == 1

    page.goto("/customers/list/")
    _search_by_name(page, name)
    rows = _list_rows(page)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(name)
    expect(rows.first).to_contain_text(zh("Active"))          # the status column, as a label
    expect(rows.first).to_contain_text(zh("Active"))
    expect(rows.first).to_contain_text(people.assignee.display_name)
    shot("search-result")

    rows.first.locator("td[id] > a").click()          # the name opens the record
    detail = page.locator("#Home")
    expect(detail).to_contain_text(name)
    expect(detail).to_contain_text("12,345.60")
    expect(detail).to_contain_text(people.assignee.display_name)
    show_url = page.url

    page.locator("#zwt-history-tab").click()
    history = page.locator("#History table.zwt-history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text(zh("Created"))
    expect(history.first).to_contain_text(name)
    shot("history-created")

    page.goto(show_url.replace("/show/", "/edit/"))
    expect(page.locator("#credit_limit")).to_have_value("12,345.60")   # amounts read with separators
    page.fill("#credit_limit", "80000")
    _save(page)
    expect(page.locator(".alert-success")).to_be_visible()

    page.goto(show_url)
    expect(page.locator("#Home")).to_contain_text("80,000.00")
    page.locator("#zwt-history-tab").click()
    expect(history).to_have_count(2)
    change = page.locator("#History tr", has=page.locator(".zwt-old"))
    expect(change).to_have_count(1)
    expect(change).to_contain_text(zh("Updated"))
    expect(change).to_contain_text(zh("Credit limit"))
    expect(change.locator(".zwt-old")).to_have_text("12,345.60")
    expect(change.locator(".zwt-new")).to_have_text("80,000.00")
    shot("history-updated")


def test_duplicate_name_is_shown_at_the_field_and_keeps_what_was_typed(as_admin, people, shot, zh, app):
    page = as_admin
    existing = people.admins
    phone = _mobile()
    page.goto("/customers/add")
    page.fill("#name", existing.name)
    page.select_option("#kind", "person")
    page.select_option("#industry", "logistics")
    page.fill("#region", "江苏省")
    page.fill("#phone", phone)
    page.select_option("#status", "dormant")
    page.fill("#credit_limit", "6600.5")
    choose(page, "owner", people.assignee.username, people.assignee.display_name)
    page.fill("#notes", "展会上认识的，下周回访")
    _save(page)

    name_cell = page.locator("#model_form .zwt-form-field", has=page.locator("#name"))
    expect(name_cell).to_contain_text(
        zh("A customer named “%(name)s” already exists (%(code)s). Please do not enter it twice.",
           name=existing.name, code=existing.code))
    shot("duplicate")
    expect(page.locator("#name")).to_have_value(existing.name)
    expect(page.locator("#kind")).to_have_value("person")
    expect(page.locator("#industry")).to_have_value("logistics")
    expect(page.locator("#region")).to_have_value("江苏省")
    expect(page.locator("#phone")).to_have_value(phone)
    expect(page.locator("#status")).to_have_value("dormant")
    expect(page.locator("#credit_limit")).to_have_value("6,600.50")   # formatted as it was typed
    expect(page.locator("#owner")).to_have_value(str(people.assignee.id))
    expect(page.locator("#notes")).to_have_value("展会上认识的，下周回访")
    assert _count_customers(app, existing.name) == 1


def _wait_for_charts(page) -> None:
    """Wait until every chart has drawn or failed; fail on a failed one."""
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('[data-chart-url]')).every(
                 el => el.getAttribute('data-rendered') === '1' || el.hasAttribute('data-error'))""")
    errors = page.locator("[data-chart-url][data-error]")
    assert errors.count() == 0, [e.get_attribute("data-error") for e in errors.all()]


def test_chart_page_draws_every_chart(as_admin, people, shot, zh):
    from app.core.registry import registry

    page = as_admin
    page.goto("/customers/list/")
    page.locator(".zwt-toolbar a[href^='/customers/chart/']").click()
    charts = page.locator("[data-chart-url]")
    expect(charts).to_have_count(len(registry.get("customers").charts))
    _wait_for_charts(page)
    for chart in charts.all():
        expect(chart).to_have_attribute("data-rendered", "1")
        expect(chart.locator("canvas")).not_to_have_count(0)
        assert chart.bounding_box()["height"] > 100
    expect(page.locator("#table-by_industry tbody tr").filter(has_text=zh("IT & software"))).to_have_count(1)
    expect(page.locator("#table-by_month tbody tr")).not_to_have_count(0)
    shot("charts")


def test_customers_added_without_industry_are_labelled_in_the_chart(as_admin, people, zh):
    page = as_admin
    page.goto("/customers/add")
    page.fill("#name", _name("未填行业"))
    expect(page.locator("#industry")).to_have_value("")
    choose(page, "owner", people.admin.username, people.admin.display_name)
    _save(page)
    expect(page.locator(".alert-success")).to_be_visible()

    page.goto("/customers/chart/")
    _wait_for_charts(page)
    labels = page.locator("#table-by_industry tbody tr td:first-child")
    expect(labels).not_to_have_count(0)
    assert all(text.strip() for text in labels.all_text_contents()), labels.all_text_contents()
    expect(labels.filter(has_text=zh("(none)"))).to_have_count(1)


def test_export_csv_has_the_chinese_column_headers(as_admin, people, zh):
    from app.core.registry import registry

    spec = registry.get("customers")
    expected = [zh(spec.label_columns[c]) for c in spec.export_columns]
    page = as_admin
    page.goto("/customers/list/")
    with page.expect_download() as info:
        page.locator("a.zwt-export[href*='/export/csv']").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == expected
    names = {row[spec.export_columns.index("name")] for row in rows[1:]}
    assert {people.admins.name, people.theirs.name, *(c.name for c in people.mine)} <= names


def _choose_language(page, locale: str) -> None:
    """Open the navbar's language menu and click the language's name (at its text: the menu
    toggle's tooltip covers the middle of the item)."""
    menu = page.locator("#zwt-locale-menu")
    menu.locator("a.dropdown-toggle").click()
    item = menu.locator(f"a[data-locale={locale}]")
    expect(item).to_be_visible()
    item.click(position={"x": 24, "y": 10})


def test_language_switch_from_the_navbar(as_admin, zh, en, shot):
    page = as_admin
    page.goto("/customers/list/")
    toggle = page.locator("#zwt-locale-menu a.dropdown-toggle")
    navbar = page.locator("#zwt-sidebar")
    expect(toggle).to_contain_text("简体中文")
    expect(navbar).to_contain_text(zh("Customers"))
    expect(navbar).to_contain_text(zh("Security"))

    _choose_language(page, "en")
    expect(toggle).to_contain_text("English")
    expect(navbar).to_contain_text(en("Customers"))
    expect(navbar).to_contain_text(en("Security"))
    expect(navbar).not_to_contain_text(zh("Customers"))
    expect(page.locator("table thead")).to_contain_text(en("Customer name"))
    shot("english")

    _choose_language(page, "zh_CN")
    expect(toggle).to_contain_text("简体中文")
    expect(navbar).to_contain_text(zh("Customers"))
    expect(navbar).to_contain_text(zh("Security"))
    expect(navbar).not_to_contain_text(en("Security"))
    expect(page.locator("table thead")).to_contain_text(zh("Customer name"))


def test_sales_rep_sees_only_own_customers(page, people, shot):
    log_in(page, people.rep.username, PASSWORD)
    page.goto("/customers/list/")
    rows = _list_rows(page)
    expect(rows).to_have_count(len(people.mine))
    for customer in people.mine:
        expect(rows.filter(has_text=customer.name)).to_have_count(1)
    expect(page.locator(".zwt-count")).to_have_text(re.compile(rf":\s*{len(people.mine)}\s*$"))
    content = page.content()
    assert people.theirs.name not in content and people.admins.name not in content
    shot("own-list")

    response = page.goto(f"/customers/show/{people.theirs.id}")
    assert response.status == 404
    assert people.theirs.name not in page.content()
    assert people.theirs.code not in page.content()
    shot("other-show")
    response = page.goto(f"/customers/edit/{people.theirs.id}")
    assert response.status == 404
    assert people.theirs.name not in page.content()

    response = page.goto(f"/customers/show/{people.mine[0].id}")
    assert response.status == 200
    expect(page.locator("#Home")).to_contain_text(people.mine[0].name)


def test_sales_rep_adds_a_customer_with_only_a_name_and_owns_it(page, people, zh):
    log_in(page, people.newcomer.username, PASSWORD)
    name = _name("新人首单")
    page.goto("/customers/add")
    expect(page.locator("#owner")).to_have_value(str(people.newcomer.id))
    page.fill("#name", name)
    _save(page)
    expect(page.locator(".alert-success")).to_be_visible()
    page.goto("/customers/list/")
    rows = _list_rows(page)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(name)
    expect(rows.first).to_contain_text(people.newcomer.display_name)


def test_record_count_of_the_unfiltered_list_counts_every_customer(as_admin, people, app):
    from app.core.registry import registry

    cap = registry.get("customers").count_cap
    total = _count_customers(app)
    page = as_admin
    page.goto("/customers/list/")
    shown = page.locator(".zwt-count")
    if total <= cap:
        expect(shown).to_have_text(re.compile(rf":\s*{total}\s*$"))
    else:
        expect(shown).to_contain_text(f"{cap:,}")


def test_page_watch_notices_foreign_requests_and_script_errors(browser, live_server):
    context, watch = new_context(browser, live_server)
    context.route("http://cdn.example.invalid/**", lambda route: route.abort())
    page = context.new_page()
    page.goto("/login/")
    assert watch.problems() == []
    with page.expect_event("requestfailed"):
        page.evaluate("() => { const s = document.createElement('script');"
                      " s.src = 'http://cdn.example.invalid/echarts.min.js'; document.head.appendChild(s); }")
    with page.expect_event("pageerror"):
        page.evaluate("() => { setTimeout(() => { throw new Error('boom'); }, 0); }")
    context.close()
    assert watch.foreign == ["GET http://cdn.example.invalid/echarts.min.js"]
    assert len(watch.script_errors) == 1 and "boom" in watch.script_errors[0]
