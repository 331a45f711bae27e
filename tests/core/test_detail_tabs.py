"""A detail page draws its header, its Detail tab and every tab's count; each other tab's content
comes when it is opened: from /<module>/show/<pk>/tab/<key> (what the page's script fetches), or
the page itself with ?tab=<key> (a link without script, a bookmark, a reload)."""
from __future__ import annotations

import re
from html import unescape

import pytest

from app.extensions import db
from tests.factories import make_customer, unique
from tests.modules.contracts.helpers import make_contract


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _tab_link(html: str, key: str) -> str:
    return re.search(r'<a href="\?tab=%s"[^>]*data-zwt-tab="%s"[^>]*>(.*?)</a>' % (key, key), html, re.S).group(1)


def _pane(html: str, pane_id: str) -> str:
    start = html.index(f'id="{pane_id}"')
    start = html.index(">", start) + 1
    end = html.find('class="tab-pane', start)
    return html[start:end if end >= 0 else len(html)]


@pytest.fixture
def customer_with_rows(org):
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact

    customer = make_customer(org.east_rep, name=unique("标签页客户"))
    contacts = [unique("联系人") for _ in range(3)]
    for name in contacts:
        create_contact(org.east_rep, Contact(customer_id=customer.id, name=name))
    contracts = [make_contract(org.east_rep, customer) for _ in range(2)]
    db.session.commit()
    return customer, contacts, [c.code for c in contracts]


def test_the_page_shows_every_tabs_count_but_not_its_rows(org, login, customer_with_rows):
    customer, contacts, codes = customer_with_rows
    html = login(org.east_rep).get(f"/customers/show/{customer.id}").get_data(as_text=True)
    assert _text(_tab_link(html, "ContactView")) == "联系人 3"
    assert _text(_tab_link(html, "ContractView")) == "合同 2"
    assert _text(_tab_link(html, "history")).startswith("变更记录 ")
    # The rows are not drawn with the page: its Detail tab is.
    assert not any(name in html for name in contacts) and not any(code in html for code in codes)
    assert re.search(r'<li class="active"><a href="\?tab=detail"', html)
    assert f'data-src="/customers/show/{customer.id}/tab/ContactView"' in html


def test_each_tabs_fragment_holds_its_rows(org, login, customer_with_rows):
    customer, contacts, codes = customer_with_rows
    client = login(org.east_rep)
    base = f"/customers/show/{customer.id}/tab"
    contacts_tab = client.get(f"{base}/ContactView")
    assert contacts_tab.status_code == 200 and contacts_tab.mimetype == "text/html"
    body = contacts_tab.get_data(as_text=True)
    assert all(name in body for name in contacts) and "<html" not in body
    assert all(code in client.get(f"{base}/ContractView").get_data(as_text=True) for code in codes)
    assert 'id="zwt-timeline"' in client.get(f"{base}/timeline").get_data(as_text=True)
    assert "zwt-history" in client.get(f"{base}/history").get_data(as_text=True)
    assert client.get(f"{base}/comments").status_code == 200
    assert client.get(f"{base}/nothing").status_code == 404


def test_without_script_the_tab_named_in_the_address_is_drawn(org, login, customer_with_rows):
    customer, contacts, codes = customer_with_rows
    client = login(org.east_rep)
    html = client.get(f"/customers/show/{customer.id}?tab=ContactView").get_data(as_text=True)
    assert all(name in _pane(html, "ContactView") for name in contacts)
    assert re.search(r'<li class="active"><a href="\?tab=ContactView"', html)
    assert not any(code in html for code in codes)
    history = client.get(f"/customers/show/{customer.id}?tab=history").get_data(as_text=True)
    assert "zwt-history" in _pane(history, "History")
    # A related list's own page link (its page argument) reloads the page on that tab.
    paged = client.get(f"/customers/show/{customer.id}?page_ContactView=0").get_data(as_text=True)
    assert all(name in _pane(paged, "ContactView") for name in contacts)


def test_a_record_out_of_scope_is_refused_on_its_tabs_as_on_its_page(org, login, customer_with_rows):
    customer, _contacts, _codes = customer_with_rows
    other = login(org.east_rep2)
    assert other.get(f"/customers/show/{customer.id}").status_code == 404
    for key in ("ContactView", "timeline", "comments", "history"):
        assert other.get(f"/customers/show/{customer.id}/tab/{key}").status_code == 404, key
