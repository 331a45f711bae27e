"""The contracts REST API at /api/v1/contracts/: CRUD through the same service rules, 400 with
field messages on bad input, 403 for what the role may not do, 404 for unknown records and
for records out of the user's data scope."""
from decimal import Decimal

from app.extensions import db
from app.modules.contracts.models import Contract
from tests.conftest import unique
from tests.factories import make_customer
from tests.modules.contracts.helpers import approved, make_contract


def _stored(pk):
    db.session.expire_all()
    return db.session.get(Contract, pk)


def test_create_read_update_list_and_delete_a_draft(org, app, api_token):
    client, headers = app.test_client(), api_token(org.manager)
    customer = make_customer(org.east_rep)
    title = unique("接口合同")
    resp = client.post("/api/v1/contracts/", json={
        "title": title, "customer_id": customer.id, "amount": "250000.005", "standard_terms": False,
        "starts_on": "2026-01-01", "ends_on": "2026-12-31", "owner_id": org.east_rep.id}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    got = client.get(f"/api/v1/contracts/{pk}", headers=headers).get_json()["result"]
    assert got["code"].startswith("HT-") and got["status"] == "draft" and got["amount"] == "250000.01"
    assert got["customer"]["name"] == customer.name and got["department_id"] == org.east.id
    assert got["standard_terms"] is False and got["ends_on"] == "2026-12-31"

    resp = client.put(f"/api/v1/contracts/{pk}", json={"notes": "按季度开票"}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["result"]["notes"] == "按季度开票"

    listed = client.get(f"/api/v1/contracts/?q=(filters:!((col:title,opr:ct,value:'{title}')))", headers=headers).get_json()
    assert [r["title"] for r in listed["result"]] == [title]

    assert client.delete(f"/api/v1/contracts/{pk}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/contracts/{pk}", headers=headers).status_code == 404


def test_bad_payloads_get_400_with_field_messages_and_write_nothing(org, app, api_token):
    client, headers = app.test_client(), api_token(org.east_rep)
    customer = make_customer(org.east_rep)
    before = db.session.query(Contract).count()
    resp = client.post("/api/v1/contracts/", json={"title": "", "customer_id": customer.id, "amount": "lots"},
                       headers=headers)
    assert resp.status_code == 400 and "amount" in resp.get_json()["message"]

    resp = client.post("/api/v1/contracts/", json={"title": " ", "customer_id": customer.id}, headers=headers)
    assert resp.status_code == 400 and "amount" in resp.get_json()["message"]

    resp = client.post("/api/v1/contracts/", json={"title": " ", "customer_id": customer.id, "amount": "1"},
                       headers=headers)
    assert resp.status_code == 400 and list(resp.get_json()["message"]) == ["title"]

    resp = client.post("/api/v1/contracts/", json={"title": unique("倒签"), "customer_id": customer.id, "amount": "1",
                                                   "starts_on": "2026-05-01", "ends_on": "2026-04-30"}, headers=headers)
    assert resp.status_code == 400 and list(resp.get_json()["message"]) == ["ends_on"]

    resp = client.post("/api/v1/contracts/", json={"title": unique("负数"), "customer_id": customer.id, "amount": "-5"},
                       headers=headers)
    assert resp.status_code == 400 and "amount" in resp.get_json()["message"]

    for body in ("{not json", "[1, 2]", "null"):
        resp = client.post("/api/v1/contracts/", data=body, headers={**headers, "Content-Type": "application/json"})
        assert resp.status_code == 400, body
    resp = client.post("/api/v1/contracts/", json={"title": unique("x"), "customer_id": "abc", "amount": "1"},
                       headers=headers)
    assert resp.status_code == 400
    assert db.session.query(Contract).count() == before


def test_the_status_cannot_be_written_through_the_api(org, app, api_token):
    client, headers = app.test_client(), api_token(org.manager)
    customer = make_customer(org.east_rep)
    resp = client.post("/api/v1/contracts/", json={"title": unique("自批"), "customer_id": customer.id, "amount": "1",
                                                   "status": "approved"}, headers=headers)
    assert resp.status_code == 400
    assert db.session.query(Contract).filter_by(customer_id=customer.id).count() == 0

    contract = make_contract(org.east_rep, customer=customer)
    resp = client.put(f"/api/v1/contracts/{contract.id}", json={"status": "approved"}, headers=headers)
    assert resp.status_code == 400
    assert _stored(contract.id).status == "draft"


def test_a_contract_with_a_customer_out_of_scope_is_a_400_that_reveals_nothing(org, app, api_token):
    theirs = make_customer(org.south_rep)
    resp = app.test_client().post("/api/v1/contracts/", json={
        "title": unique("越权"), "customer_id": theirs.id, "amount": "1000"}, headers=api_token(org.east_rep))
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"] == "contracts.no_customer" and "customer" in body["message"]
    assert theirs.name not in resp.get_data(as_text=True)
    missing = app.test_client().post("/api/v1/contracts/", json={
        "title": unique("无客户"), "customer_id": 99999999, "amount": "1000"}, headers=api_token(org.east_rep))
    assert missing.status_code == 400 and missing.get_json()["message"] == body["message"]


def test_changing_the_owner_to_someone_out_of_reach_is_refused(org, app, api_token):
    contract = make_contract(org.east_rep)
    resp = app.test_client().put(f"/api/v1/contracts/{contract.id}", json={"owner_id": org.south_rep.id},
                                 headers=api_token(org.east_rep))
    assert resp.status_code == 400 and "owner" in resp.get_json()["message"]
    assert _stored(contract.id).owner_id == org.east_rep.id


def test_only_drafts_can_be_deleted_through_the_api(org, app, api_token):
    contract = approved(make_contract(org.east_rep))
    resp = app.test_client().delete(f"/api/v1/contracts/{contract.id}", headers=api_token(org.manager))
    assert resp.status_code == 400 and resp.get_json()["error"] == "contracts.not_draft"
    assert _stored(contract.id) is not None


def test_unknown_record_is_404_and_out_of_scope_record_reveals_nothing(org, app, api_token):
    theirs = make_contract(org.south_rep, amount="77777")
    client, headers = app.test_client(), api_token(org.east_rep)
    assert client.get("/api/v1/contracts/99999999", headers=headers).status_code == 404
    for method in ("get", "put", "delete"):
        resp = getattr(client, method)(f"/api/v1/contracts/{theirs.id}", headers=headers,
                                       **({"json": {"notes": "改"}} if method == "put" else {}))
        assert resp.status_code in (403, 404), method
        assert theirs.title not in resp.get_data(as_text=True)
    stored = _stored(theirs.id)
    assert stored is not None and stored.notes is None


def test_roles_without_write_or_delete_get_403_and_nothing_changes(org, app, api_token):
    contract = make_contract(org.east_rep)
    customer = make_customer(org.admin)
    client = app.test_client()
    readonly = api_token(org.readonly)
    assert client.get(f"/api/v1/contracts/{contract.id}", headers=readonly).status_code == 200
    assert client.put(f"/api/v1/contracts/{contract.id}", json={"notes": "只读"}, headers=readonly).status_code == 403
    assert client.post("/api/v1/contracts/", json={"title": unique("只读"), "customer_id": customer.id, "amount": "1"},
                       headers=readonly).status_code == 403
    sales = api_token(org.east_rep)
    assert client.delete(f"/api/v1/contracts/{contract.id}", headers=sales).status_code == 403
    stored = _stored(contract.id)
    assert stored is not None and stored.notes is None


def test_without_a_token_the_api_refuses(app):
    assert app.test_client().get("/api/v1/contracts/").status_code == 401


def test_openapi_spec_describes_the_module(org, app, api_token):
    paths = app.test_client().get("/api/v1/_openapi", headers=api_token(org.admin)).get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/contracts/"])
    assert {"get", "put", "delete"} <= set(paths["/api/v1/contracts/{pk}"])


def test_money_leaves_the_api_as_a_two_decimal_string(org, app, api_token):
    contract = make_contract(org.east_rep, amount="20000")
    got = app.test_client().get(f"/api/v1/contracts/{contract.id}", headers=api_token(org.east_rep)).get_json()
    assert got["result"]["amount"] == "20000.00"
    assert _stored(contract.id).amount == Decimal("20000.00")
