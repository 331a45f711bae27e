"""The global search (/search/, the top bar box and Ctrl+K): one query finds customers, contacts
and contracts by code, name or phone, grouped by module, only in modules the user may read and
only among the records of their data scope; the query is text, never a pattern; bad input is
refused in Chinese, never with a 500."""
from __future__ import annotations

import random
import uuid
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from tests.factories import make_customer, make_user
from tests.modules.contracts.helpers import make_contract


@pytest.fixture(scope="module")
def zh(app):
    """zh(msgid, **values): the Simplified Chinese text the app shows; fails when untranslated."""

    def _zh(message, **values) -> str:
        from flask_babel import force_locale, gettext

        with app.test_request_context(), force_locale("zh_CN"):
            text = gettext(message, **values) if isinstance(message, str) else str(message)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), f"no Chinese translation for {message!r}"
        return text

    return _zh


def _token() -> str:
    """A name part no other test's records hold (letters become part of names: lower case)."""
    return "寻" + uuid.uuid4().hex[:6]


def _mobile() -> str:
    return "139" + f"{random.randrange(10**8):08d}"


def _landline() -> str:
    return f"0{random.randint(100, 999)}-{random.randint(2_000_000, 8_999_999)}"


def _contact(actor, customer, name, phone=None):
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact

    return create_contact(actor, Contact(customer_id=customer.id, name=name, phone=phone))


def search(client, q, **more):
    """The JSON answer (status, body) for query `q`, as the dialog asks."""
    resp = client.get(f"/search/?q={quote(q)}", headers={"Accept": "application/json"}, **more)
    return resp.status_code, resp.get_json()


def found(body) -> dict[str, list]:
    """{module: [hit ids]} of a search answer."""
    return {group["module"]: [hit["id"] for hit in group["hits"]] for group in body["groups"]}


@pytest.fixture
def books(org):
    """The same kinds of records for two sales reps of one department: a customer (landline with
    a dash), a contact (mobile) and a contract each, all named with one token."""
    token = _token()
    made = {}
    for key, rep in (("mine", org.east_rep), ("theirs", org.east_rep2)):
        customer = make_customer(rep, name=f"{token}{key}星河科技有限公司", phone=_landline())
        contact = _contact(rep, customer, f"{token}{key}王", _mobile())
        contract = make_contract(rep, customer, title=f"{token}{key}年度采购合同")
        made[key] = SimpleNamespace(customer=customer, contact=contact, contract=contract)
    return SimpleNamespace(token=token, **made)


# -- what is found, and how it is grouped -------------------------------------------------------
def test_one_query_finds_customers_contacts_and_contracts_grouped_by_module(org, login, books, zh):
    status, body = search(login(org.east_rep), books.token + "mine")
    assert status == 200
    assert found(body) == {"customers": [books.mine.customer.id], "contacts": [books.mine.contact.id],
                           "contracts": [books.mine.contract.id]}
    groups = {g["module"]: g for g in body["groups"]}
    assert groups["customers"]["label"] == zh("Customers")
    assert groups["contracts"]["label"] == zh("Contracts")
    assert groups["contacts"]["icon"].startswith("fa-")
    # The parent first: a name found in a customer and its contacts lists the customer first.
    assert [g["module"] for g in body["groups"]][0] in ("customers", "contracts")
    assert [g["module"] for g in body["groups"]].index("customers") < \
        [g["module"] for g in body["groups"]].index("contacts")
    customer = groups["customers"]["hits"][0]
    assert customer["title"] == books.mine.customer.name
    assert customer["code"] == books.mine.customer.code
    assert customer["url"] == f"/customers/show/{books.mine.customer.id}"
    assert books.mine.customer.phone in customer["secondary"]
    contact = groups["contacts"]["hits"][0]
    assert contact["url"] == f"/contacts/show/{books.mine.contact.id}"
    # A contact says whose it is; a contract, with whom.
    assert books.mine.customer.name in contact["secondary"] and books.mine.contact.phone in contact["secondary"]
    assert books.mine.customer.name in groups["contracts"]["hits"][0]["secondary"]
    assert groups["contracts"]["hits"][0]["code"] == books.mine.contract.code


def test_codes_match_exactly_or_by_their_start_whatever_the_case(org, login, books):
    client = login(org.east_rep)
    code = books.mine.customer.code            # KH-2026-00042
    _, body = search(client, code.lower())
    assert found(body)["customers"][0] == books.mine.customer.id
    _, body = search(client, "  " + code + "  ")
    assert found(body)["customers"] == [books.mine.customer.id]
    contract_code = books.mine.contract.code
    _, body = search(client, contract_code[:-1].lower())
    assert books.mine.contract.id in found(body).get("contracts", [])
    # The middle of a code is no code search.
    _, body = search(client, code[3:])
    assert books.mine.customer.id not in found(body).get("customers", [])


def test_phones_match_by_their_digits_from_the_start_or_anywhere(org, login, books):
    client = login(org.east_rep)
    landline = books.mine.customer.phone        # 0571-2345678
    digits = landline.replace("-", "")
    for typed in (digits, landline, digits[:5], f"{digits[:4]} {digits[4:8]}", digits[-6:]):
        _, body = search(client, typed)
        assert books.mine.customer.id in found(body).get("customers", []), typed
    mobile = books.mine.contact.phone           # 139xxxxxxxx
    for typed in (mobile, f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}", f"{mobile[:3]}-{mobile[3:]}", mobile[-5:],
                  "+86 " + mobile):
        _, body = search(client, typed)
        assert books.mine.contact.id in found(body).get("contacts", []), typed
    # Two digits are no phone search (any number holds them): two of its digits that its name and
    # e-mail do not hold.
    contact = books.mine.contact
    words = f"{contact.name} {contact.email or ''} {books.token}"
    two = next(mobile[i:i + 2] for i in range(len(mobile) - 1) if mobile[i:i + 2] not in words)
    _, body = search(client, two)
    assert books.mine.contact.id not in found(body).get("contacts", [])


def test_at_most_five_hits_per_module_and_a_link_to_the_whole_list(org, login):
    token = _token()
    made = [make_customer(org.east_rep, name=f"{token}分号{i}有限公司", phone=_landline()) for i in range(7)]
    status, body = search(login(org.east_rep), token)
    assert status == 200
    group = next(g for g in body["groups"] if g["module"] == "customers")
    assert len(group["hits"]) == 5 and set(h["id"] for h in group["hits"]) <= {c.id for c in made}
    assert group["more"] is True
    assert group["more_url"] == f"/customers/list/?q={quote(token)}"
    status, body = search(login(org.east_rep), token + "分号3")
    group = next(g for g in body["groups"] if g["module"] == "customers")
    assert [h["id"] for h in group["hits"]] == [made[3].id] and group["more"] is False


def test_percent_and_underscore_are_no_wildcards(org, login):
    token = _token()
    percent = make_customer(org.east_rep, name=f"{token}100%纯利", phone=_landline())
    plain = make_customer(org.east_rep, name=f"{token}1000纯利", phone=_landline())
    underscore = make_customer(org.east_rep, name=f"{token}a_b贸易", phone=_landline())
    letter = make_customer(org.east_rep, name=f"{token}axb贸易", phone=_landline())
    client = login(org.east_rep)
    _, body = search(client, "100%纯")
    assert percent.id in found(body)["customers"] and plain.id not in found(body)["customers"]
    _, body = search(client, "a_b贸")
    assert underscore.id in found(body)["customers"] and letter.id not in found(body)["customers"]
    _, body = search(client, token + "%")
    assert found(body) == {}


def test_a_single_character_searches_no_names_and_says_so(org, login, books, zh):
    for typed in ("寻", books.mine.customer.code[0], books.mine.customer.code[0].lower()):
        status, body = search(login(org.east_rep), typed)
        assert status == 200 and body["groups"] == [], typed
        assert body["hint"] == zh("Type at least two characters to search names.")


# -- scope and permissions ------------------------------------------------------------------------
def test_sales_user_never_sees_another_owners_customer_contact_or_contract(org, login, books):
    theirs = books.theirs
    client = login(org.east_rep)
    for typed in (books.token + "theirs", theirs.customer.name, theirs.customer.code, theirs.customer.code.lower(),
                  theirs.customer.phone, theirs.customer.phone.replace("-", ""), theirs.contact.name,
                  theirs.contact.phone, theirs.contact.phone[:7], theirs.contact.phone[-6:], theirs.contract.code,
                  theirs.contract.title, books.token):
        status, body = search(client, typed)
        assert status == 200
        ids = found(body)
        assert theirs.customer.id not in ids.get("customers", []), typed
        assert theirs.contact.id not in ids.get("contacts", []), typed
        assert theirs.contract.id not in ids.get("contracts", []), typed
    # Their own owner, and the manager of the department (scope department), do see them.
    for viewer in (org.east_rep2, org.manager):
        _, body = search(login(viewer), books.token + "theirs")
        assert found(body) == {"customers": [theirs.customer.id], "contacts": [theirs.contact.id],
                               "contracts": [theirs.contract.id]}


def test_a_user_without_read_on_contracts_gets_no_contracts_group(org, login):
    clerk = make_user("Warehouse", org.company)        # reads customers (own scope), not contracts
    token = _token()
    customer = make_customer(clerk, name=f"{token}仓储客户有限公司", phone=_landline())
    make_contract(org.admin, customer, title=f"{token}仓储年度合同")
    status, body = search(login(clerk), token)
    assert status == 200
    assert found(body) == {"customers": [customer.id]}
    status, body = search(login(org.admin), token)
    assert set(found(body)) == {"customers", "contracts"}


def test_a_module_joins_the_search_by_declaring_global_search_columns(org, login, monkeypatch, zh):
    from app.core.registry import registry
    from app.core.transaction import unit_of_work
    from app.extensions import db
    from app.modules.customers.models import Tag

    tags = registry.get("tags")
    assert not tags.global_search
    name = _token()[:6] + "标"
    with unit_of_work(org.admin):
        tag = Tag(name=name, colour="info")
        db.session.add(tag)
    _, body = search(login(org.admin), name)
    assert "tags" not in found(body)
    monkeypatch.setattr(tags, "global_search", ["name"])
    _, body = search(login(org.admin), name)
    assert found(body)["tags"] == [tag.id]
    assert next(g for g in body["groups"] if g["module"] == "tags")["label"] == zh("Tags")
    # Tags are set up by administrators: a sales user may not read them, so finds none.
    _, body = search(login(org.east_rep), name)
    assert "tags" not in found(body)


def test_signed_out_visitors_are_sent_to_sign_in(app):
    client = app.test_client()
    status, body = search(client, "客户")
    assert status == 401 and "登录" in body["message"]
    resp = client.get("/search/?q=" + quote("客户"))
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# -- refused input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["", "   ", "x" * 101, "科技\x00"])
def test_empty_too_long_or_nul_queries_are_refused_in_chinese(org, login, typed):
    client = login(org.east_rep)
    status, body = search(client, typed)
    assert status == 400
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    resp = client.get(f"/search/?format=json&q={quote(typed)}")
    assert resp.status_code == 400
    # The frame refuses a NUL character in any address before the search sees it (as a page).
    assert "\x00" in typed or resp.get_json()["message"] == body["message"]


@pytest.mark.parametrize("typed", ["'; DROP TABLE customer; --", "\\", "\\%", "100%", "_", "😀😀", "KH-", "--",
                                   "+", "0", "x" * 100, "(){}[]", "%_%_", "科技' OR '1'='1"])
def test_odd_queries_answer_never_500(org, login, typed):
    client = login(org.east_rep)
    status, body = search(client, typed)
    assert status == 200, body
    assert isinstance(body["groups"], list)
    assert client.get(f"/search/?q={quote(typed)}").status_code == 200


# -- the page without script --------------------------------------------------------------------------
def test_the_results_page_works_without_script(org, login, books, zh):
    client = login(org.east_rep)
    resp = client.get(f"/search/?q={quote(books.token)}")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert zh("Global search") in html
    assert f'value="{books.token}"' in html
    assert f'href="/customers/show/{books.mine.customer.id}"' in html
    assert f'href="/contacts/show/{books.mine.contact.id}"' in html
    assert f'href="/contracts/show/{books.mine.contract.id}"' in html
    assert books.theirs.customer.name not in html
    assert html.index('data-module="customers"') < html.index('data-module="contacts"')
    empty = client.get("/search/?q=" + quote(books.token + "无此记录")).get_data(as_text=True)
    assert 'id="zwt-search-page-empty"' in empty
    start = client.get("/search/")
    assert start.status_code == 200 and 'id="zwt-search-page-input"' in start.get_data(as_text=True)
    refused = client.get("/search/?q=" + "x" * 101)
    assert refused.status_code == 400
    assert zh("The search text is too long: at most %(n)d characters.", n=100) in refused.get_data(as_text=True)


def test_the_dialog_markup_is_served_for_pages_without_it(org, login, zh):
    resp = login(org.east_rep).get("/search/dialog")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for needle in ('id="zwt-search-dialog"', 'role="dialog"', 'aria-modal="true"',
                   'aria-labelledby="zwt-search-dialog-title"', 'id="zwt-search-dialog-input"', 'role="listbox"'):
        assert needle in html
    assert zh("Global search") in html


# -- PostgreSQL: a slow module costs its hits, not the answer ---------------------------------------------
def test_a_module_that_runs_out_of_time_is_marked_incomplete(org, login, books, monkeypatch, app):
    from sqlalchemy import func, select

    from app.core import global_search
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the statement timeout is PostgreSQL's")
    real = global_search.module_statement

    def slow_contacts(spec, user, query, postgres):
        stmt = real(spec, user, query, postgres)
        if spec.name == "contacts":
            stmt = stmt.where(select(func.pg_sleep(2)).scalar_subquery().isnot(None))
        return stmt

    monkeypatch.setattr(global_search, "module_statement", slow_contacts)
    monkeypatch.setattr(global_search, "BUDGET_MS", 100)
    status, body = search(login(org.east_rep), books.token + "mine")
    assert status == 200
    groups = {g["module"]: g for g in body["groups"]}
    assert groups["contacts"]["partial"] is True and groups["contacts"]["hits"] == []
    assert [h["id"] for h in groups["customers"]["hits"]] == [books.mine.customer.id]
    assert [h["id"] for h in groups["contracts"]["hits"]] == [books.mine.contract.id]


def test_a_cancelled_statement_after_the_modules_still_answers(org, login, books, monkeypatch, app):
    from sqlalchemy import func, select

    from app.core import global_search
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the statement timeout is PostgreSQL's")
    real = global_search._TimeLimit.restore

    def slow_restore(limit):
        # On a busy server setting the limit back may itself outlast the limit.
        limit.session.execute(select(func.pg_sleep(1)))
        real(limit)

    monkeypatch.setattr(global_search._TimeLimit, "restore", slow_restore)
    status, body = search(login(org.east_rep), books.token + "mine")
    assert status == 200
    assert found(body) == {"customers": [books.mine.customer.id], "contacts": [books.mine.contact.id],
                           "contracts": [books.mine.contract.id]}


def test_the_page_and_the_dialog_read_in_chinese(org, login, books):
    from tests.test_language import ALLOWED, english, visible_texts

    client = login(org.east_rep)
    for path in ("/search/", f"/search/?q={quote(books.token)}", "/search/?q=" + quote(books.token + "无此记录"),
                 "/search/?q=" + "x" * 101, "/search/dialog"):
        html = client.get(path).get_data(as_text=True)
        words = english(visible_texts(html), ALLOWED | {"x"})
        assert not words, (path, words)
