"""Input that answered 500 answers a 4xx with a Chinese message (or is accepted as meant), on the
REST API and on the screens: times with a zone, ids beyond 64 bits, filter values of the wrong
type, 10,000-deep JSON, NUL characters. Validation messages, FAB's own API messages and the
_info descriptions are Chinese in the zh locale."""
from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.modules.customers.models import Customer, Interaction
from tests.conftest import unique
from tests.factories import make_customer

HUGE = "99999999999999999999"
DEEP = "[" * 10_000 + "]" * 10_000


@pytest.fixture
def api(app, org, api_token):
    client = app.test_client()
    headers = api_token(org.admin)

    class Api:
        def get(self, url):
            return client.get(url, headers=headers)

        def post(self, url, **kwargs):
            return client.post(url, headers=headers, **kwargs)

        def put(self, url, **kwargs):
            return client.put(url, headers=headers, **kwargs)

        def delete(self, url):
            return client.delete(url, headers=headers)

    return Api()


def _message(resp, status=400):
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    return str(resp.get_json()["message"])


@pytest.mark.parametrize("sent, stored", [
    ("2026-01-05T10:00:00Z", dt.datetime(2026, 1, 5, 10, 0)),
    ("2026-01-05T18:00:00+08:00", dt.datetime(2026, 1, 5, 10, 0)),
    ("2026-01-05T10:00:00", dt.datetime(2026, 1, 5, 10, 0)),
])
def test_an_interaction_time_with_a_zone_is_stored_in_utc(api, org, sent, stored):
    customer = make_customer(org.east_rep)
    resp = api.post("/api/v1/interactions/", json={"customer_id": customer.id, "kind": "call", "content": "回访",
                                                     "occurred_at": sent})
    assert resp.status_code == 201, resp.get_json()
    assert db.session.get(Interaction, resp.get_json()["id"]).occurred_at == stored
    # Sent back with its offset, so no client takes it for local time.
    assert resp.get_json()["result"]["occurred_at"] == "2026-01-05T10:00:00+00:00"


def test_a_time_that_is_no_time_is_refused_in_chinese(api, org):
    customer = make_customer(org.east_rep)
    resp = api.post("/api/v1/interactions/", json={"customer_id": customer.id, "kind": "call", "content": "回访",
                                                     "occurred_at": "昨天"})
    assert "不是有效的日期时间" in _message(resp)


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_an_id_beyond_64_bits_is_not_found(api, method):
    kwargs = {"json": {"name": "x"}} if method == "put" else {}
    for module in ("customers", "contacts", "interactions", "contracts", "tags"):
        resp = getattr(api, method)(f"/api/v1/{module}/{HUGE}", **kwargs)
        assert _message(resp, 404) == "未找到", module


def test_ids_beyond_range_in_a_body_or_filter_are_refused(api):
    resp = api.post("/api/v1/contracts/", json={"title": "合同", "customer_id": int(HUGE), "amount": "1.00"})
    assert "customer_id" in resp.get_json()["message"] and resp.status_code == 400
    resp = api.get(f"/api/v1/customers/?q=(filters:!((col:owner,opr:rel_o_m,value:{HUGE})))")
    assert "不是有效的记录编号" in _message(resp)


@pytest.mark.parametrize("q, words", [
    ("(filters:!((col:name,opr:ct,value:!(a,b))))", "“客户名称”的筛选值必须是单个值"),
    ("(filters:!((col:name,opr:ct,value:(a:b))))", "“客户名称”的筛选值必须是单个值"),
    ("(filters:!((col:name,opr:ct,value:5)))", "“客户名称”的筛选值必须是文本"),
    ("(filters:!((col:nosuch,opr:ct,value:a)))", "列表不能按“nosuch”筛选"),
    ("(filters:!((col:name,opr:nosuch,value:a)))", "筛选条件“nosuch”不能用于“客户名称”"),
    ("(filters:!((col:credit_limit,opr:gt,value:abc)))", "“abc”不是范围内的数字"),
    ("(filters:!((col:credit_limit,opr:in,value:7)))", "需要一组值"),
    ("(filters:!((col:created_at,opr:gt,value:someday)))", "“someday”不是有效的日期"),
    ("(filters:!((col:owner,opr:rel_o_m,value:abc)))", "“abc”不是有效的记录编号"),
    ("(page:-1)", "页码“-1”无效"),
    ("(page:abc)", "查询参数 q 无效"),
    ("(order_column:nosuch)", "列表不能按“nosuch”排序"),
    ("((((", "查询参数 q 既不是有效的 Rison"),
])
def test_a_list_query_of_the_wrong_shape_is_refused_in_chinese(api, q, words):
    assert words in _message(api.get(f"/api/v1/customers/?q={q}"))


def test_a_negative_page_is_refused_on_every_database(api, org):
    make_customer(org.east_rep)
    assert "页码" in _message(api.get("/api/v1/customers/?q=(page:-2,page_size:10)"))
    assert "页码" in _message(api.get("/api/v1/security/users/_info?q=(add_columns:(roles:(page:-1)))"))


def test_json_nested_ten_thousand_deep_is_refused(api):
    for url in ("/api/v1/customers/", "/api/v1/comments/", "/api/v1/security/login"):
        resp = api.post(url, data=DEEP, content_type="application/json")
        assert "JSON 嵌套层级过深" in _message(resp), url


def test_nul_characters_are_refused_in_filters_texts_and_comments(api, org):
    before = db.session.query(Customer).count()
    assert "空字符" in _message(api.get("/api/v1/customers/?q=(filters:!((col:name,opr:ct,value:'a%00b')))"))
    assert "空字符" in _message(api.post("/api/v1/customers/", json={"name": "零\x00字符", "kind": "company"}))
    customer = make_customer(org.east_rep)
    assert "空字符" in _message(api.put(f"/api/v1/customers/{customer.id}", json={"notes": "备注\x00"}))
    assert "空字符" in _message(api.post("/api/v1/comments/", json={"spec": "customers", "record": customer.id,
                                                                   "body": "评论\x00"}))
    db.session.expire_all()
    assert db.session.query(Customer).count() == before + 1
    assert db.session.get(Customer, customer.id).notes is None


def test_validation_messages_are_chinese(api):
    resp = api.post("/api/v1/customers/", json={"name": 5, "kind": "robot", "credit_limit": "lots",
                                                "owner_id": "me", "cooperating_since": "someday"})
    message = resp.get_json()["message"]
    assert resp.status_code == 400
    assert message["name"] == ["不是有效的文本。"]
    assert message["kind"] == ["必须是以下之一：company, person。"]
    assert message["credit_limit"] == ["不是有效的数字。"]
    assert message["owner_id"] == ["不是有效的整数。"]
    assert message["cooperating_since"] == ["不是有效的日期（例如 2026-01-05）。"]
    resp = api.post("/api/v1/customers/", json={"name": unique("大额"), "kind": "company",
                                                "credit_limit": "1" + "0" * 20})
    assert resp.get_json()["message"]["credit_limit"] == ["金额超出范围。"]


def test_fab_api_messages_are_chinese_and_its_mistakes_no_500(api):
    assert "已存在相同值的记录" in _message(api.post("/api/v1/security/roles/", json={"name": "Admin"}), 422)
    assert _message(api.put("/api/v1/security/users/424242", json={"first_name": "x"}), 404) == "未找到"
    assert _message(api.get("/api/v1/security/roles/?q=(order_column:nosuch)")) == "列表不能按“nosuch”排序。"
    resp = api.post("/api/v1/security/api_keys/", json={"name": unique("key"), "expires_on": "2099-01-01T00:00:00Z"})
    assert resp.status_code == 201, resp.get_json()


def test_info_describes_fields_in_chinese_without_the_catalogue_header(api):
    info = api.get("/api/v1/customers/_info").get_json()
    fields = {f["name"]: f for f in info["add_columns"]}
    assert fields["name"]["label"] == "客户名称"
    assert fields["credit_limit"]["description"] == "单位：元，保留两位小数。"
    assert "可选值：company, person" in fields["kind"]["validate"]
    assert fields["name"]["validate"] == ["最多 200 个字符"]
    assert all("Project-Id-Version" not in f["description"] for f in info["add_columns"])


def test_screens_refuse_nul_characters_in_forms(org, login):
    client = login(org.east_rep)
    before = db.session.query(Customer).count()
    resp = client.post("/customers/add", data={"name": "表单\x00客户", "kind": "company", "status": "potential"})
    assert resp.status_code == 400 and "空字符" in resp.get_data(as_text=True)
    assert db.session.query(Customer).count() == before


def test_a_body_that_is_no_json_is_refused_in_chinese(api):
    resp = api.post("/api/v1/security/roles/", data="{not json", content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["message"] == "请求内容不是有效的 JSON。"


def test_a_list_query_is_checked_against_its_schema_without_checking_the_schema_each_time(api, monkeypatch):
    """FAB's @rison checks `q` with jsonschema; the checked validator of each schema is kept, and a
    bad query is refused as before, every time."""
    import jsonschema

    checked = []
    plain = jsonschema.Draft202012Validator.check_schema
    monkeypatch.setattr(jsonschema.Draft202012Validator, "check_schema",
                        classmethod(lambda cls, schema, **kw: checked.append(1) or plain(schema, **kw)))
    for _ in range(3):
        assert "查询参数 q 无效" in _message(api.get("/api/v1/customers/?q=(page:abc)"))
        assert api.get("/api/v1/customers/?q=(page:0,page_size:5)").status_code == 200
    assert len(checked) <= 1
