"""A record's detail page as its reader sees it: a header card with the name, code, status (or
the approval lifecycle), owner and key figures; the main action as the one primary button and
the rest under 更多, only what the reader may do; the fields as a description list in titled
sections, empty ones as "—", amounts with ¥; tabs with counts."""
from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

from app.core.detail import money
from app.extensions import db
from tests.factories import make_customer
from tests.modules.contracts.helpers import approved, make_contract


def _page(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def _between(html: str, start: str, end: str) -> str:
    part = html[html.index(start):]
    return part[:part.index(end)]


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _header(html: str) -> str:
    return _between(html, 'class="zwt-card zwt-detail-head"', "</section>")


def _record_bar(html: str) -> str:
    return _between(html, 'id="zwt-record-bar"', 'id="zwt-show-tabs"') if 'id="zwt-record-bar"' in html else ""


def _field(html: str, name: str) -> str:
    """The text of one field of the description list."""
    found = re.search(rf'data-field="{re.escape(name)}">\s*<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>', html, re.S)
    assert found, f"no field {name}"
    return _text(found.group(2))


def test_the_header_card_shows_name_code_status_owner_and_key_figures(org, login):
    customer = make_customer(org.east_rep, status="active", credit_limit="1234567.8")
    html = _page(login(org.east_rep), f"/customers/show/{customer.id}")
    head = _header(html)
    title = _text(_between(head, '<h1', "</h1>"))
    assert customer.name in title and "活跃" in title
    assert 'class="zwt-tag zwt-tag-success"' in head                   # active is green
    meta = _text(_between(head, 'class="zwt-detail-meta"', "</dl>"))
    assert f"客户编号 {customer.code}" in meta
    assert f"负责人 {org.east_rep.display_name}" in meta
    figures = _between(head, 'id="zwt-key-figures"', "</dl>")
    labels = [_text(label) for label in re.findall(r'<dt class="zwt-figure-label">(.*?)</dt>', figures, re.S)]
    assert labels == ["客户等级", "信用额度", "近12个月回款", "未回款金额"]
    credit = re.search(r'data-field="credit_limit">.*?<dd class="([^"]*)">(.*?)</dd>', figures, re.S)
    assert "zwt-num" in credit.group(1) and _text(credit.group(2)) == "¥1,234,567.80"


def test_a_sales_user_without_delete_sees_no_delete_and_the_first_action_is_the_main_one(org, login):
    customer = make_customer(org.east_rep)
    bar = _record_bar(_page(login(org.east_rep), f"/customers/show/{customer.id}"))
    assert bar and 'id="zwt-delete"' not in bar and "删除" not in _text(bar)
    primary = re.findall(r'class="btn btn-primary"[^>]*>(.*?)</(?:button|summary|a)>', bar, re.S)
    assert [_text(p) for p in primary] == ["添加标签"]          # the first action the module declares
    assert 'id="zwt-edit"' in bar and 'class="btn btn-default" id="zwt-edit"' in bar
    menu = _between(bar, 'id="zwt-actions-menu"', "</ul>")
    assert 'id="zwt-action-transfer"' in menu and 'id="zwt-action-mark_lost"' in menu
    assert 'id="zwt-action-tag"' not in menu                    # the main action is not repeated


def test_a_manager_sees_delete_with_its_confirmation_in_the_page(org, login):
    customer = make_customer(org.east_rep)
    bar = _record_bar(_page(login(org.manager), f"/customers/show/{customer.id}"))
    delete = _between(bar, 'id="zwt-delete"', "</details>")
    assert "删除" in _text(delete) and 'name="csrf_token"' in delete
    assert f'action="/customers/delete/{customer.id}"' in delete


def test_a_finance_user_reading_sees_no_edit_and_only_printing(org, login):
    customer = make_customer(org.east_rep)
    html = _page(login(org.finance_user), f"/customers/show/{customer.id}")
    assert customer.name in _header(html)
    assert 'id="zwt-edit"' not in html and "编辑" not in _text(_header(html))
    bar = _record_bar(html)
    assert re.findall(r'id="zwt-action-(\w+)"', bar) == ["print"]
    assert 'class="btn btn-default"><i class="fa fa-fw fa-print"' in bar   # a plain button, not the main one


def test_a_record_without_actions_offers_edit_as_the_main_button(org, login):
    contract = make_contract(org.east_rep)          # a draft: no action applies, editing does
    bar = _record_bar(_page(login(org.east_rep), f"/contracts/show/{contract.id}"))
    assert 'class="btn btn-primary" id="zwt-edit"' in bar      # printing never takes the main place
    assert 'id="zwt-actions-more"' not in bar        # only 打印 left: a plain button, no 更多
    assert 'id="zwt-action-print"' in bar


def test_fields_are_a_description_list_in_titled_sections_with_dashes_for_empty_values(org, login):
    customer = make_customer(org.east_rep, credit_limit="88000.5", phone=None, notes="第一行\n第二行")
    html = _page(login(org.east_rep), f"/customers/show/{customer.id}")
    home = _between(html, 'id="Home"', 'id="History"')
    titles = [_text(t) for t in re.findall(r'class="zwt-desc-title"[^>]*>(.*?)</(?:h2|summary)>', home, re.S)]
    assert titles == ["基本信息", "联系方式", "等级与跟进", "信用与归属", "备注"]
    assert _field(home, "phone") == "—"
    assert _field(home, "credit_limit") == "¥88,000.50"
    assert re.search(r'data-field="credit_limit">\s*<dt>.*?</dt>\s*<dd class="zwt-num">', home, re.S)
    assert re.search(r'class="zwt-desc-item zwt-desc-wide" data-field="notes"', home)   # long text: full width
    assert "第一行\n第二行" in home


def test_an_empty_folded_section_stays_folded_and_a_filled_one_opens(org, login):
    client = login(org.east_rep)
    empty = _page(client, f"/customers/show/{make_customer(org.east_rep).id}")
    filled = _page(client, f"/customers/show/{make_customer(org.east_rep, notes='要开发票').id}")
    assert re.search(r'<details class="zwt-desc-section"[^>]*>\s*<summary class="zwt-desc-title">备注', empty)
    assert not re.search(r'<details class="zwt-desc-section"', filled)


def test_tabs_carry_counts(org, login):
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact

    customer = make_customer(org.east_rep)
    for name in ("联系人甲", "联系人乙"):
        create_contact(org.east_rep, Contact(customer_id=customer.id, name=name))
    html = _page(login(org.east_rep), f"/customers/show/{customer.id}")
    tabs = _between(html, 'id="zwt-show-tabs"', "</ul>")
    contact_tab = re.search(r'<a href="\?tab=ContactView"[^>]*>(.*?)</a>', tabs, re.S).group(1)
    assert _text(contact_tab) == "联系人 2"
    history = re.search(r'id="zwt-history-tab">(.*?)</a>', tabs, re.S).group(1)
    assert _text(history) == "变更记录 1"


def _steps(html: str) -> list[tuple[str, str]]:
    steps = _between(html, 'id="zwt-lifecycle"', "</ol>")
    return [(state, _text(label)) for state, label in
            re.findall(r'class="zwt-step zwt-step-(\w+)".*?<span class="zwt-step-label">(.*?)</span>', steps, re.S)]


def test_a_document_with_an_approval_chain_shows_its_lifecycle(org, login):
    client = login(org.east_rep)
    draft = make_contract(org.east_rep)
    steps = _steps(_page(client, f"/contracts/show/{draft.id}"))
    assert steps == [("current", "草稿"), ("wait", "审批中"), ("wait", "已审批"), ("wait", "签署中"), ("wait", "已签订"),
                     ("wait", "即将到期"), ("wait", "已到期"), ("wait", "已归档")]
    done = approved(make_contract(org.east_rep))
    steps = _steps(_page(client, f"/contracts/show/{done.id}"))
    assert [s for s, _label in steps] == ["done", "done", "current", "wait", "wait", "wait", "wait", "wait"]


def test_a_rejected_document_shows_the_rejection_in_red_on_its_road(org, login):
    from app.core.transaction import unit_of_work

    contract = make_contract(org.east_rep)
    with unit_of_work(None):
        contract.status = "rejected"
    html = _page(login(org.east_rep), f"/contracts/show/{contract.id}")
    assert _steps(html) == [("done", "草稿"), ("done", "审批中"), ("error", "已驳回")]   # its road ends there
    assert 'class="zwt-tag zwt-tag-error"' in _header(html)


def test_key_figures_of_a_contract_are_its_amount_and_dates(org, login):
    contract = make_contract(org.east_rep, amount="120000.5")
    db.session.expire_all()
    html = _page(login(org.east_rep), f"/contracts/show/{contract.id}")
    figures = _text(_between(_header(html), 'id="zwt-key-figures"', "</dl>"))
    assert "合同金额 ¥120,000.50 签订日期 — 结束日期 —" in figures


def test_money_is_shown_with_yuan_sign_separators_and_two_decimals():
    assert money(Decimal("1234567.8")) == "¥1,234,567.80"
    assert money(Decimal("-1234")) == "-¥1,234.00"
    assert money(Decimal("0.005")) == "¥0.01"                  # half up, never half even
    assert money(None) == ""


def test_related_records_link_to_their_own_page_for_those_who_may_read_them(org, login):
    contract = make_contract(org.east_rep)
    html = _page(login(org.east_rep), f"/contracts/show/{contract.id}")
    customer = re.search(r'data-field="customer">\s*<dt>.*?</dt>\s*<dd[^>]*>(.*?)</dd>', html, re.S).group(1)
    assert f'<a href="/customers/show/{contract.customer_id}">' in customer
    owner = re.search(r'data-field="owner">\s*<dt>.*?</dt>\s*<dd[^>]*>(.*?)</dd>', html, re.S).group(1)
    assert "<a " not in owner                                   # users have no module page
    department = re.search(r'data-key="department"><dt>.*?</dt><dd>(.*?)</dd>', html, re.S).group(1)
    assert "<a " not in department                              # Sales may not read departments
