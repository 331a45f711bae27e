"""Every module's list: the search box, the quick filter chips, the column chooser, cells as
people read them, the row actions a user may take, and the empty states."""
from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask_babel import force_locale, gettext

from app.core import list_cells, listing
from app.core.spec import QuickFilter
from tests.conftest import unique
from tests.factories import make_customer, make_user


def _zh(app, message, **values) -> str:
    with app.test_request_context(), force_locale("zh_CN"):
        return gettext(message, **values)


def _names(html: str, made: dict) -> set:
    return {key for key, name in made.items() if name in html}


def _list(client, query: str) -> str:
    resp = client.get(f"/customers/list/?psize_CustomerView=100&{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:400]
    return resp.get_data(as_text=True)


def _rows(html: str) -> str:
    table = html.index("zwt-list-table")
    return html[html.index("<tbody>", table):html.index("</tbody>", table)]


def _view(app, name: str):
    from app.core.registry import registry

    return next(v for v in app.appbuilder.baseviews if type(v).__name__ == registry.views[name].__name__)


_phones = itertools.count(1)   # each fixture's phone is its own: the phone is checked for duplicates


@pytest.fixture
def people(org):
    """Customers of two sales reps of the same department with look-alike names."""
    token = unique("lst")
    mine = {
        "huaxin": make_customer(org.east_rep, f"{token}上海华信精密", phone=f"021-5550{next(_phones):04d}",
                                status="active"),
        "percent": make_customer(org.east_rep, f"{token}利润100%公司", status="potential"),
        "underscore": make_customer(org.east_rep, f"{token}a_b贸易", status="potential"),
        "plain": make_customer(org.east_rep, f"{token}普通ab客户", status="dormant"),
    }
    theirs = make_customer(org.east_rep2, f"{token}上海华信机电", status="active")
    return token, mine, theirs


# -- the search box ---------------------------------------------------------------------------------
def test_search_finds_a_name_by_any_part_a_code_from_its_start_and_a_phone_by_its_digits(org, login, people):
    token, mine, _theirs = people
    made = {key: c.name for key, c in mine.items()}
    client = login(org.east_rep)
    assert _names(_list(client, f"q={token}华信"), made) == set()           # words apart: no match
    assert _names(_list(client, "q=华信精密"), made) >= {"huaxin"}
    assert _names(_list(client, f"q={token.upper()}普通AB"), made) == {"plain"}    # case does not matter
    code = mine["plain"].code
    assert _names(_list(client, f"q={code.lower()}"), made) == {"plain"}
    assert _names(_list(client, f"q={code[:-1]}"), made) >= {"plain"}
    digits = mine["huaxin"].phone.replace("-", "")
    assert _names(_list(client, f"q={digits[3:]}"), made) == {"huaxin"}      # digits anywhere, dash left out
    assert _names(_list(client, f"q={mine['huaxin'].phone}"), made) == {"huaxin"}


def test_a_chinese_or_digit_search_is_a_plain_like_and_finds_what_a_case_blind_search_finds(app, org, login, people):
    """Chinese characters and digits have no case: such a term is matched with LIKE (ILIKE lower-cases every row's
    text first, four times the cost), and finds the names whatever the case of their other letters; a term with
    letters stays case-blind."""
    from sqlalchemy import select

    from app.core import global_search
    from app.core.registry import registry
    from app.extensions import db

    assert global_search.caseless("华信精密") and global_search.caseless("华信2026")
    assert not any(global_search.caseless(term) for term in ("华信A", "ab", "华 信", "İ", "\u0307", "Ⅻ"))
    token, mine, _theirs = people
    made = {key: c.name for key, c in mine.items()}
    upper = make_customer(org.east_rep, f"{token}普通AB华信客户")
    db.session.commit()
    made["upper"] = upper.name
    client = login(org.east_rep)
    assert _names(_list(client, "q=华信"), made) >= {"huaxin", "upper"}
    assert _names(_list(client, f"q={token}普通"), made) == {"plain", "upper"}
    assert _names(_list(client, "q=ab华信"), made) == {"upper"}            # letters: case-blind still
    spec = registry.get("customers")
    dialect = db.engine.dialect.name
    for term, plain in (("华信", True), ("ab华信", False)):
        sql = str(select(spec.model.id).where(listing.search_condition(spec, term, dialect)).compile(db.engine))
        assert (" ILIKE " in sql or "lower(customer.name)" in sql) is not plain, sql


def test_percent_and_underscore_in_the_search_box_match_themselves(org, login, people):
    token, mine, _theirs = people
    made = {key: c.name for key, c in mine.items()}
    client = login(org.east_rep)
    assert _names(_list(client, "q=100%25"), made) == {"percent"}
    assert _names(_list(client, f"q={token}%25"), made) == set()
    assert _names(_list(client, "q=a_b"), made) >= {"underscore"}
    assert "plain" not in _names(_list(client, f"q={token}_"), made)


def test_a_sales_users_search_never_returns_another_owners_customers(org, login, people):
    token, mine, theirs = people
    html = _list(login(org.east_rep), f"q={token}上海华信")
    assert mine["huaxin"].name in html and theirs.name not in html
    assert theirs.name not in _list(login(org.east_rep), f"q={theirs.code}")
    admin = _list(login(org.admin), f"q={token}上海华信")
    assert mine["huaxin"].name in admin and theirs.name in admin


def test_the_search_narrows_exports_and_charts_too(org, login, people):
    token, mine, theirs = people
    client = login(org.admin)
    csv = client.get(f"/customers/export/csv?q={token}上海华信").get_data(as_text=True)
    assert mine["huaxin"].name in csv and theirs.name in csv and mine["plain"].name not in csv
    chart = client.get(f"/customers/chart/by_industry.json?q={token}上海华信")
    assert chart.status_code == 200
    assert sum(int(v) for _label, v in chart.get_json()["table"]) == 2
    page = _list(client, f"q={token}")
    assert f'href="/customers/export/csv?psize_CustomerView=100&amp;q={token}"' in page
    assert f'href="/customers/chart/?psize_CustomerView=100&amp;q={token}"' in page


def test_the_search_goes_with_the_advanced_filters(org, login, people):
    token, mine, _theirs = people
    made = {key: c.name for key, c in mine.items()}
    client = login(org.east_rep)
    assert _names(_list(client, f"q={token}&_flt_3_status=potential"), made) == {"percent", "underscore"}
    html = _list(client, f"q={token}&_flt_3_status=potential")
    form = html[html.index('id="filter_form"'):html.index("</form>", html.index('id="filter_form"'))]
    assert f'name="q" value="{token}"' in form        # applying the panel keeps the search


@pytest.mark.parametrize("query, words", [
    ("q=" + "长" * 101, "最多 100 个字符"),
    ("status=nosuch", "不是此列表的状态"),
    ("period=decade", "不是此列表可用的时间范围"),
    ("mine=yes", "只显示您自己的记录"),
])
def test_list_arguments_no_list_can_take_are_refused_in_chinese(org, login, query, words):
    client = login(org.admin)
    for url in (f"/customers/list/?{query}", f"/customers/export/csv?{query}"):
        resp = client.get(url)
        assert resp.status_code == 400
        assert words in resp.get_data(as_text=True)
    assert client.get(f"/customers/chart/by_industry.json?{query}").status_code == 400


def test_mine_is_refused_where_rows_have_no_owner_of_their_own(org, login):
    resp = login(org.admin).get("/contacts/list/?mine=1")
    assert resp.status_code == 400 and "只显示您自己的记录" in resp.get_data(as_text=True)


def test_the_search_is_an_index_lookup_on_postgresql(app, ctx):
    """With sequential scans disabled, a plan that still scans the customer table means some
    part of the search has no index to serve it."""
    from app.core.registry import registry
    from app.extensions import db
    from app.modules.customers.models import Customer
    from sqlalchemy import select, text

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    spec = registry.get("customers")
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    for term in ("华信", "kh-2026-0001", "13912345678", "021-5550"):
        stmt = select(Customer.id).where(listing.search_condition(spec, term, "postgresql"))
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        plan = "\n".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql)))
        assert "Seq Scan on customer" not in plan, plan
    db.session.rollback()


# -- chips --------------------------------------------------------------------------------------------
def test_status_chips_filter_and_an_active_chip_removes_itself(app, org, login, people):
    token, mine, _theirs = people
    made = {key: c.name for key, c in mine.items()}
    client = login(org.east_rep)
    html = _list(client, f"q={token}&status=potential")
    assert _names(html, made) == {"percent", "underscore"}
    chip = re.search(r'<a class="zwt-chip zwt-chip-on" id="zwt-chip-status-potential" href="([^"]+)"', html)
    assert chip, "the active status chip is highlighted"
    args = dict(parse_qsl(urlsplit(chip.group(1).replace("&amp;", "&")).query))
    assert args == {"q": token, "psize_CustomerView": "100"}             # clicking it again removes it
    other = re.search(r'id="zwt-chip-status-active" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert dict(parse_qsl(urlsplit(other).query))["status"] == "active"  # one status at a time
    assert 'zwt-tag-processing' in html and 'zwt-dot-processing' in html
    assert 'id="zwt-clear-filters"' in html


def test_mine_shows_the_users_own_rows(org, login):
    own = make_customer(org.manager, unique("经理自有"))
    team = make_customer(org.east_rep, unique("组员"))
    html = _list(login(org.manager), "mine=1")
    assert own.name in html and team.name not in html
    assert team.name in _list(login(org.manager), f"q={team.name}")


def test_period_ranges_follow_the_calendar():
    assert listing.period_range("week", dt.date(2026, 12, 3)) == (dt.date(2026, 11, 30), dt.date(2026, 12, 7))
    assert listing.period_range("month", dt.date(2026, 12, 31)) == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    assert listing.period_range("quarter", dt.date(2026, 11, 2)) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert listing.period_range("quarter", dt.date(2026, 2, 28)) == (dt.date(2026, 1, 1), dt.date(2026, 4, 1))


def test_date_chips_narrow_the_list_to_this_week_month_and_quarter(org, login, ctx):
    from app.extensions import db

    fresh = make_customer(org.east_rep, unique("本周新建"))
    old = make_customer(org.east_rep, unique("去年建的"))
    old.created_at = dt.datetime.utcnow() - dt.timedelta(days=400)
    db.session.commit()
    client = login(org.east_rep)
    for period in ("week", "month", "quarter"):
        html = _list(client, f"period={period}")
        assert fresh.name in html and old.name not in html
        assert f'id="zwt-chip-period-{period}"' in html


def test_quick_filter_chips_build_fab_filter_arguments(app, org, monkeypatch):
    view = _view(app, "customers")
    vip = QuickFilter("vip", "VIP", {"_flt_0_tags": "3"})
    monkeypatch.setattr(view.spec, "quick_filters", [vip])
    with app.test_request_context("/customers/list/?q=abc&page_CustomerView=2"):
        chip = next(c for c in listing.chips(view) if c.key == "quick-vip")
        assert not chip.active
        assert dict(parse_qsl(urlsplit(chip.href).query)) == {"q": "abc", "_flt_0_tags": "3"}
    with app.test_request_context("/customers/list/?q=abc&_flt_0_tags=3"):
        chip = next(c for c in listing.chips(view) if c.key == "quick-vip")
        assert chip.active and dict(parse_qsl(urlsplit(chip.href).query)) == {"q": "abc"}
        assert not listing.advanced_active(view)      # the chip's own argument is no advanced filter
    with app.test_request_context("/customers/list/?_flt_0_tags=3&_flt_2_name=x"):
        assert listing.advanced_active(view)


def test_the_advanced_panel_is_open_only_while_an_advanced_filter_narrows_the_list(org, login):
    client = login(org.admin)
    opened = 'id="accordion1_href" class="panel-collapse collapse in"'
    assert opened not in _list(client, "status=active&q=x")
    assert opened in _list(client, "_flt_2_name=abc")


# -- the column chooser -------------------------------------------------------------------------------
def _header(html: str) -> list[str]:
    head = html[html.index("<thead>"):html.index("</thead>")]
    return re.findall(r'<th class="([^"]*)"', head)


def test_chosen_columns_are_saved_per_user_and_drawn_by_the_server(app, org, login, people):
    client = login(org.east_rep)
    full = len(_header(_list(client, "")))
    resp = client.post("/customers/columns", data={"columns": ["code", "status"],
                                                   "next": "/customers/list/?q=x"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/customers/list/?q=x")
    html = _list(client, "")
    shown = html[html.index("<thead>"):html.index("</thead>")]
    labels = {c: _zh(app, l) for c, l in (("code", "Customer code"), ("name", "Customer name"),
                                           ("status", "Status"), ("region", "Region"))}
    assert labels["code"] in shown and labels["status"] in shown
    assert labels["name"] in shown                     # the name always shows: it opens the record
    assert labels["region"] not in shown
    assert len(_header(html)) == 3 + 2                 # the chosen, the checkboxes, the operations
    # Another user keeps the full list.
    assert len(_header(_list(login(org.east_rep2), ""))) == full
    client.post("/customers/columns", data={"reset": "1"})
    assert len(_header(_list(client, ""))) == full


def test_phone_cards_keep_their_fields_when_the_table_hides_them(org, login, people):
    client = login(org.east_rep)
    client.post("/customers/columns", data={"columns": ["code"]})
    html = _list(client, "")
    style = re.search(r"<style>(.*?)</style>\s*<table [^>]*id=\"zwt-lt\"", html, re.S).group(1)
    desktop, _narrow, phone = re.split(r"@media \(", style)[1:]
    # The owner is not a shown column but a field of the phone card: hidden on a desktop, a
    # labelled line on the card.
    owner = re.search(r'#zwt-lt td:nth-child\((\d+)\)::before\{content:"负责人"\}', phone).group(1)
    hidden = re.search(r"([^{}]*)\{display:none\}", desktop).group(1).split(",")
    assert f"#zwt-lt td:nth-child({owner})" in hidden and int(owner) > 3   # after checkbox, code, name
    assert '#zwt-lt td:nth-child(2)::before{content:"客户编号"}' in phone
    assert "#zwt-lt td:nth-child(3)::before" not in phone                  # the name is the card's heading
    # Cells carry no classes or labels of their own: the table's one <style> places them.
    cells = re.findall(r"<td[^>]*>", _rows(html))
    assert cells and not [c for c in cells if "class=" in c or "data-label=" in c]
    client.post("/customers/columns", data={"reset": "1"})


def test_the_column_chooser_refuses_bad_input_and_users_who_may_not_read_the_list(app, org, login):
    rep = login(org.east_rep)
    resp = rep.post("/customers/columns", data={"columns": ["code", "password"]})
    assert resp.status_code == 400 and "列表没有“password”这一列" in resp.get_data(as_text=True)
    refused = rep.post("/tags/columns", data={"columns": ["name"]})
    assert refused.status_code == 403
    assert _zh(app, "You do not have permission to do this.") in refused.get_data(as_text=True)
    assert app.test_client().post("/customers/columns", data={"columns": ["code"]}).status_code in (302, 401, 403)
    away = rep.post("/customers/columns", data={"reset": "1", "next": "//evil.example/customers/list/"})
    assert away.headers["Location"].endswith("/customers/list/")


# -- cells, row actions, empty states -------------------------------------------------------------------
def test_amounts_and_times_read_as_people_write_them(app):
    assert list_cells.money(Decimal("1234567.8")) == "¥1,234,567.80"
    assert list_cells.money(Decimal("-12")) == "-¥12.00"
    now = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.timezone.utc)
    with app.test_request_context(), force_locale("zh_CN"):
        assert list_cells.short_time(dt.datetime(2026, 12, 4, 2, 7), now) == "12月4日 10:07"
        assert list_cells.short_time(dt.datetime(2025, 8, 4, 2, 7), now) == "2025年8月4日"
        assert list_cells.short_time(dt.date(2026, 3, 9), now) == "3月9日"
    with app.test_request_context(), force_locale("en"):
        assert list_cells.short_time(dt.datetime(2026, 12, 4, 2, 7), now) == "Dec 4, 10:07"
        assert list_cells.short_time(dt.datetime(2025, 8, 4, 2, 7), now) == "Aug 4, 2025"


def test_cells_show_money_statuses_and_times(org, login, ctx):
    from app.extensions import db

    customer = make_customer(org.east_rep, unique("格式"), credit_limit="1234567.80", status="active")
    customer.created_at = dt.datetime(2025, 8, 4, 2, 7)
    db.session.commit()
    html = _list(login(org.east_rep), f"q={customer.name}")
    row = _rows(html)
    assert '<span class="zwt-tag zwt-tag-success">' in row
    # The full time is in `datetime`; js/list.js shows it on hover.
    assert '<time datetime="2025-08-04T10:07">2025年8月4日</time>' in row       # the reader's time (Shanghai)


def test_an_amount_cell_is_right_aligned_in_yuan(app):
    from app.modules.contracts.models import Contract

    view = _view(app, "contracts")
    with app.test_request_context(), force_locale("zh_CN"):
        cell = list_cells.cell(view, Contract(amount=Decimal("1234567.8"), title="合同"), "amount")
        assert str(cell.html) == "¥1,234,567.80" and "zwt-num" in cell.classes
        assert list_cells.cell(view, Contract(amount=None), "amount").html == ""


def test_rows_offer_only_what_the_user_may_do(org, login, ctx):
    from app.extensions import db

    own = make_customer(org.east_rep, unique("自有"))
    pooled = make_customer(org.east_rep, unique("公海"))
    pooled.owner_id, pooled.pooled_at = None, dt.datetime.utcnow()
    db.session.commit()

    def row(client, customer):
        """(the row's HTML, the names of its ⋯ menu's items, the list's menu template)"""
        html = _list(client, f"q={customer.name}")
        body = _rows(html)
        # A row lists its items, by their place in the template, where they differ from the list's
        # (the template's data-items, by name).
        found = re.search(rf'<tr><td>(?:(?!</tr>).)*id="r{customer.id}".*?</tr>', body, re.S)
        menu = re.search(r'<span class="zwt-row-menu"([^>]*)>', found.group(0)) if found else None
        template = re.search(r'<template class="zwt-row-menu-items" data-items="([^"]*)" data-post="/customers/action/'
                             r'__name__/__zwt_pk__">(.*?)</template>', html, re.S)
        own = re.search(r'data-items="([^"]*)"', menu.group(1)) if menu else None
        every = re.findall(r'<li data-item="(\w+)">', template.group(2)) if template else []
        names = " ".join(every[int(n)] for n in own.group(1).split()) if own else \
            (template.group(1) if menu and template else "")
        return body, set(names.split()), template.group(2) if template else ""

    rep = login(org.east_rep)
    mine, items, template = row(rep, own)
    assert f'href="/customers/edit/{own.id}"' in mine and f'/customers/show/{own.id}' in mine
    assert "show" in items and 'href="/customers/show/__zwt_pk__"' in template
    assert "delete" not in items and "/customers/delete/" not in template   # Sales may not delete
    assert "claim" not in items                                             # not in the pool
    assert 'data-zwt-post="claim"' in template                              # … though Sales may claim
    try:
        pool, pool_items, _template = row(rep, pooled)
    finally:   # every sales user sees the pool: leave it as other tests expect it
        pooled.owner_id, pooled.pooled_at = org.east_rep.id, None
        db.session.commit()
    assert "claim" in pool_items
    assert f'/customers/edit/{pooled.id}' not in pool                  # claim it first
    admin, admin_items, admin_template = row(login(org.admin), own)
    assert "delete" in admin_items and 'data-zwt-post="/customers/delete/__zwt_pk__"' in admin_template
    reader, reader_items, reader_template = row(login(org.readonly), own)
    assert "/customers/edit/" not in reader and reader_items == {"show", "print"}   # printing needs reading only
    assert re.findall(r'data-zwt-post="(\w+)"', reader_template) == ["print"] and f'/customers/show/{own.id}' in reader


def test_each_rows_checkbox_and_menu_are_named_after_the_row(org, login):
    customer = make_customer(org.east_rep, unique("命名行"))
    html = _list(login(org.east_rep), f"q={customer.name}")
    body = _rows(html)
    # The words are said once per list; each row points at them and at its own name cell.
    assert re.search(r'<span hidden id="rsel">选择</span><span hidden id="rmore">更多操作</span>', html)
    name_cell = re.search(rf'<td id="(r{customer.id})"><a [^>]*>([^<]*)</a>', body)
    assert name_cell and name_cell.group(2) == customer.name
    # The checkbox and ⋯ button are drawn by js/list.js, named from the table's prefix and the
    # name cell's id ("rsel r<key>", "rmore r<key>"), which also gives them the row's key.
    assert re.search(r'<table [^>]*id="zwt-lt" data-rid="r">', html)
    row = re.search(rf'<tr><td></td><td>[^<]*</td><td id="r{customer.id}">(?:(?!</tr>).)*</tr>', body, re.S)
    assert row and re.search(r'<span class="zwt-row-menu"( data-items="[\d ]+")?></span>', row.group(0))
    # A related list on a detail page draws its own checkboxes (it arrives after the page's scripts).
    assert "aria-label=" not in body                     # no per-row copy of the words
    # One version for the page's rows instead of one input per row.
    assert len(re.findall(r'name="zwt_version', html)) == 1


def test_an_empty_list_says_what_to_do(app, org, login):
    newcomer = login(make_user("Sales", org.east))
    html = newcomer.get("/contracts/list/").get_data(as_text=True)      # nothing of theirs yet
    empty = html[html.index('id="zwt-empty"'):]
    assert _zh(app, "No %(things)s yet", things=_zh(app, "Contracts")) in empty
    assert 'id="zwt-empty-add"' in empty and 'id="zwt-empty-clear"' not in empty
    assert 'id="zwt-empty-import"' in empty                            # or import them (writers)
    searched = _list(newcomer, "q=没有这个客户" + unique())
    assert _zh(app, "No records match") in searched and 'id="zwt-empty-clear"' in searched
    assert 'id="zwt-import"' in searched                               # customers do, for writers
    reader = _list(login(make_user("ReadOnly", org.company)), "q=没有这个客户" + unique())
    assert 'id="zwt-add"' not in reader and 'id="zwt-import"' not in reader


def test_related_tables_on_a_detail_page_use_the_same_rows(app, org, login):
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact

    customer = make_customer(org.east_rep, unique("带联系人"))
    contact = create_contact(org.east_rep, Contact(customer_id=customer.id, name=unique("联系人")))
    html = login(org.east_rep).get(f"/customers/show/{customer.id}?tab=ContactView").get_data(as_text=True)
    assert contact.name in html and "zwt-related-list" in html
    assert f'href="/contacts/show/{contact.id}"' in html
    related = html[html.index('id="ContactView"'):]
    related = related[:related.index("</table>")]
    assert 'content:"%s"' % _zh(app, "Phone") in related
    assert 'content:"%s"' % _zh(app, "Customer") not in related      # the page is the customer's
