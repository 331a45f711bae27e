"""The customers REST API at /api/v1/customers/: CRUD through the same service rules, 400 with
field messages on bad input, 404 for unknown records, nothing for records out of scope."""
from app.extensions import db
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.factories import make_customer


def test_create_read_update_delete(org, app, api_token):
    client = app.test_client()
    headers = api_token(org.manager)
    name = unique("接口客户")
    resp = client.post("/api/v1/customers/", json={"name": name, "kind": "company", "status": "active",
                                                  "credit_limit": "2500.005", "owner_id": org.east_rep.id}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    got = client.get(f"/api/v1/customers/{pk}", headers=headers).get_json()["result"]
    assert got["code"].startswith("KH-") and got["credit_limit"] == "2500.01" and got["department_id"] == org.east.id

    resp = client.put(f"/api/v1/customers/{pk}", json={"status": "dormant"}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["result"]["status"] == "dormant"

    listed = client.get(f"/api/v1/customers/?q=(filters:!((col:name,opr:ct,value:'{name}')))", headers=headers).get_json()
    assert [r["name"] for r in listed["result"]] == [name]

    assert client.delete(f"/api/v1/customers/{pk}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/customers/{pk}", headers=headers).status_code == 404


def test_bad_payloads_get_400_with_field_messages_and_write_nothing(org, app, api_token):
    client = app.test_client()
    headers = api_token(org.east_rep)
    before = db.session.query(Customer).count()
    resp = client.post("/api/v1/customers/", json={"name": "", "kind": "robot", "credit_limit": "lots"}, headers=headers)
    assert resp.status_code == 400
    assert {"kind", "credit_limit"} <= set(resp.get_json()["message"])

    resp = client.post("/api/v1/customers/", json={"name": unique("坏电话"), "kind": "company", "phone": "123"}, headers=headers)
    assert resp.status_code == 400 and "phone" in resp.get_json()["message"]

    for body in ("{not json", "[1, 2]", "null", '"text"'):
        resp = client.post("/api/v1/customers/", data=body, headers={**headers, "Content-Type": "application/json"})
        assert resp.status_code == 400, body
    resp = client.post("/api/v1/customers/", json={"name": unique("x"), "owner_id": "abc", "kind": "company"}, headers=headers)
    assert resp.status_code == 400
    assert db.session.query(Customer).count() == before


def test_duplicate_name_is_a_400_naming_the_field(org, app, api_token):
    existing = make_customer(org.east_rep)
    resp = app.test_client().post("/api/v1/customers/", json={"name": existing.name, "kind": "company"},
                                  headers=api_token(org.east_rep))
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"] == "customers.invalid" and existing.code in body["message"]["name"][0]


def test_unknown_record_is_404_and_out_of_scope_record_reveals_nothing(org, app, api_token):
    theirs = make_customer(org.south_rep)
    client = app.test_client()
    headers = api_token(org.east_rep)
    assert client.get("/api/v1/customers/99999999", headers=headers).status_code == 404
    for method in ("get", "put", "delete"):
        resp = getattr(client, method)(f"/api/v1/customers/{theirs.id}", headers=headers,
                                       **({"json": {"status": "lost"}} if method == "put" else {}))
        assert resp.status_code in (403, 404), method
        assert theirs.name not in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, theirs.id).status != "lost"


def test_without_a_token_the_api_refuses(app):
    assert app.test_client().get("/api/v1/customers/").status_code == 401


def test_openapi_spec_describes_the_module(org, app, api_token):
    spec = app.test_client().get("/api/v1/_openapi", headers=api_token(org.admin)).get_json()
    paths = spec["paths"]
    assert "/api/v1/customers/" in paths and "/api/v1/contacts/" in paths
    assert {"get", "post"} <= set(paths["/api/v1/customers/"])
    assert {"get", "put", "delete"} <= set(paths["/api/v1/customers/{pk}"])


def test_references_to_missing_records_are_a_400_not_a_500(org, app, api_token):
    headers = api_token(org.admin)
    client = app.test_client()
    resp = client.post("/api/v1/customers/", json={"name": unique("无负责人"), "kind": "company", "owner_id": 99999999}, headers=headers)
    assert resp.status_code == 400
    resp = client.post("/api/v1/customers/", json={"name": unique("无部门"), "kind": "company", "department_id": 99999999}, headers=headers)
    assert resp.status_code == 400
    resp = client.post("/api/v1/contacts/", json={"name": "无客户", "customer_id": 99999999}, headers=headers)
    assert resp.status_code == 400


def test_unfiltered_list_counts_every_visible_customer(org, app, api_token):
    from sqlalchemy import func, select

    make_customer(org.east_rep)
    total = db.session.scalar(select(func.count()).select_from(Customer))
    body = app.test_client().get("/api/v1/customers/", headers=api_token(org.admin)).get_json()
    assert body["count"] == min(total, 1001)


def test_contains_search_finds_two_character_chinese_terms_anywhere_in_the_name(org, app, api_token):
    marker = unique("m")
    make_customer(org.east_rep, f"上海华信精密{marker}")
    make_customer(org.east_rep, f"华X信{marker}")
    make_customer(org.east_rep, f"{marker}深圳华信")
    query = f"(filters:!((col:name,opr:ct,value:'华信'),(col:name,opr:ct,value:'{marker}')))"
    body = app.test_client().get(f"/api/v1/customers/?q={query}", headers=api_token(org.east_rep)).get_json()
    assert sorted(r["name"] for r in body["result"]) == sorted([f"上海华信精密{marker}", f"{marker}深圳华信"])


def test_a_sales_user_cannot_hand_a_customer_to_someone_else_through_the_api(org, app, api_token):
    customer = make_customer(org.east_rep)
    resp = app.test_client().put(f"/api/v1/customers/{customer.id}", json={"owner_id": org.south_rep.id},
                                 headers=api_token(org.east_rep))
    assert resp.status_code == 400
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).owner_id == org.east_rep.id


def test_a_manager_may_reassign_within_the_department_through_the_api(org, app, api_token):
    customer = make_customer(org.east_rep)
    resp = app.test_client().put(f"/api/v1/customers/{customer.id}", json={"owner_id": org.south_rep.id},
                                 headers=api_token(org.manager))
    assert resp.status_code == 200, resp.get_json()
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).owner_id == org.south_rep.id
