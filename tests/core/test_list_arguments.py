"""List addresses a user may bookmark, share or mistype — a column the list cannot be sorted by,
a page or page size that is no number, a negative page — answer 400 in Chinese with a link to
the same list with its default settings, never 500. Valid ones keep working."""
from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.factories import make_customer


@pytest.fixture
def admin_client(org, login):
    return login(org.admin)


def _refused(resp, *words):
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400, body[:500]
    for word in words:
        assert word in body, body[:2000]
    assert "按默认设置打开" in body
    return body


@pytest.mark.parametrize("column", ["nosuch", "owner.password", "owner.nosuch", "tags", "__class__"])
def test_a_list_sorted_by_a_column_it_does_not_offer_is_refused_in_chinese(admin_client, column):
    resp = admin_client.get(f"/customers/list/?_oc_CustomerView={column}&_od_CustomerView=asc")
    _refused(resp, "列表不能按", "排序")


def test_a_refused_sort_links_to_the_same_list_without_it(admin_client):
    body = _refused(admin_client.get("/customers/list/?_oc_CustomerView=nosuch&_flt_0_name=abc"))
    assert 'href="/customers/list/?_flt_0_name=abc"' in body


@pytest.mark.parametrize("query, words", [
    ("page_CustomerView=abc", ["页码“abc”无效"]),
    ("page_CustomerView=-1", ["页码“-1”无效"]),
    ("page_CustomerView=99999999999", ["页码"]),
    ("psize_CustomerView=abc", ["每页条数“abc”无效"]),
    ("psize_CustomerView=-5", ["每页条数“-5”无效"]),
    ("psize_CustomerView=0", ["每页条数“0”无效"]),
    ("psize_CustomerView=100000000", ["每页条数“100000000”无效", "1 到 100 条"]),
    ("_oc_CustomerView=name&_od_CustomerView=sideways", ["排序方向“sideways”无效"]),
])
def test_a_page_or_page_size_that_is_no_valid_number_is_refused_in_chinese(admin_client, query, words):
    _refused(admin_client.get(f"/customers/list/?{query}"), *words)


def test_a_negative_page_is_refused_on_every_database(admin_client, org):
    """PostgreSQL refuses a negative OFFSET: this was a 500 there."""
    make_customer(org.east_rep)
    _refused(admin_client.get("/customers/list/?page_CustomerView=-3&psize_CustomerView=25"), "页码“-3”无效")


def test_the_same_arguments_are_refused_on_exports_and_tabs(admin_client, org):
    customer = make_customer(org.east_rep)
    _refused(admin_client.get("/customers/export/csv?_oc_CustomerView=owner.password"), "列表不能按")
    _refused(admin_client.get(f"/customers/show/{customer.id}?page_ContactView=abc"), "页码“abc”无效")
    _refused(admin_client.get("/contracts/list/?psize_ContractView=x"), "每页条数“x”无效")


def test_a_filter_number_the_column_does_not_have_is_refused(admin_client):
    # FAB looks the filter up by position: a position past the column's filters was an IndexError.
    _refused(admin_client.get("/customers/list/?_flt_9_credit_limit=5"), "列表不能这样按“信用额度”筛选")


@pytest.mark.parametrize("query, words", [
    ("_flt_2_credit_limit=abc", ["“abc”不是范围内的数字", "信用额度"]),
    ("_flt_2_credit_limit=1e40", ["不是范围内的数字"]),
    ("_flt_2_credit_limit=NaN", ["不是范围内的数字"]),
    ("_flt_0_owner=abc", ["“abc”不是有效的记录编号", "负责人"]),
    ("_flt_0_owner=99999999999999999999", ["不是有效的记录编号"]),
    ("_flt_0_created_at=notadate", ["“notadate”不是有效的日期"]),
])
def test_a_filter_value_of_the_wrong_type_is_refused_in_chinese(admin_client, query, words):
    _refused(admin_client.get(f"/customers/list/?{query}"), *words)


def test_a_nul_character_in_a_list_filter_is_refused(admin_client):
    resp = admin_client.get("/customers/list/?_flt_0_name=%00")
    assert resp.status_code == 400
    assert "空字符" in resp.get_data(as_text=True)


def test_valid_list_arguments_still_work(admin_client, org):
    token = unique("sort")
    first = make_customer(org.east_rep, name=f"Alpha {token}")
    second = make_customer(org.east_rep, name=f"Zulu {token}")
    resp = admin_client.get(f"/customers/list/?_oc_CustomerView=name&_od_CustomerView=desc&_flt_2_name={token}"
                            "&psize_CustomerView=50&page_CustomerView=0&_flt_2_credit_limit=")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert body.index(second.name) < body.index(first.name)
    assert admin_client.get("/customers/list/?page_CustomerView=1&psize_CustomerView=100").status_code == 200
    assert admin_client.get(f"/customers/show/{first.id}?page_ContactView=0&psize_ContactView=25").status_code == 200


def test_a_record_address_with_an_id_beyond_the_database_range_is_not_found(admin_client):
    for url in ("/customers/show/99999999999999999999", "/customers/edit/99999999999999999999",
                "/customers/show/abc", "/users/show/99999999999999999999"):
        assert admin_client.get(url).status_code == 404, url
