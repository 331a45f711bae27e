"""A customer belongs to its owner's department unless someone chooses another, whichever way it
is added (form, API, import), so the owner's manager sees it; contracts follow the same rule."""
from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.factories import make_customer
from tests.modules.customers.test_import import ZH_HEADERS, _csv, _token, _upload


def _by_name(name) -> Customer:
    db.session.expire_all()
    return db.session.scalars(select(Customer).where(Customer.name == name)).one()


def _manager_sees(login, org, customer) -> bool:
    return login(org.manager).get(f"/customers/show/{customer.id}").status_code == 200


def test_a_customer_added_on_the_form_without_a_department_gets_the_owners(org, login):
    name = unique("表单客户")
    resp = login(org.east_rep).post("/customers/add", data={
        "name": name, "kind": "company", "status": "potential", "credit_limit": "0",
        "owner": str(org.east_rep.id), "department": "__None"})
    assert resp.status_code == 302
    customer = _by_name(name)
    assert customer.department_id == org.east.id
    assert _manager_sees(login, org, customer)


def test_a_customer_added_on_the_form_for_another_owner_gets_that_owners_department(org, login):
    name = unique("代建客户")
    resp = login(org.manager).post("/customers/add", data={
        "name": name, "kind": "company", "status": "potential", "credit_limit": "0",
        "owner": str(org.south_rep.id), "department": "__None"})
    assert resp.status_code == 302
    assert _by_name(name).department_id == org.south.id


def test_a_department_chosen_on_the_form_is_kept(org, login):
    name = unique("指定部门")
    login(org.manager).post("/customers/add", data={
        "name": name, "kind": "company", "status": "potential", "credit_limit": "0",
        "owner": str(org.east_rep.id), "department": str(org.sales.id)})
    assert _by_name(name).department_id == org.sales.id


def test_a_customer_added_through_the_api_gets_the_owners_department(org, login, api_token):
    name = unique("接口客户")
    resp = current_app.test_client().post("/api/v1/customers/", headers=api_token(org.east_rep),
                                          json={"name": name, "kind": "company"})
    assert resp.status_code == 201, resp.get_json()
    customer = _by_name(name)
    assert customer.department_id == org.east.id
    assert _manager_sees(login, org, customer)


def test_a_customer_imported_gets_the_owners_department(org, login):
    name = unique("导入客户")
    client = login(org.east_rep)
    html = _upload(client, _csv(ZH_HEADERS, [[name, "", "", "", "", "", "", "", ""]]), "x.csv").get_data(as_text=True)
    assert client.post(f"/customers/import/{_token(html)}/commit").status_code == 302
    customer = _by_name(name)
    assert customer.department_id == org.east.id
    assert _manager_sees(login, org, customer)


def test_changing_the_owner_through_the_api_moves_the_department_with_it(org, login, api_token):
    customer = make_customer(org.east_rep)
    resp = current_app.test_client().put(f"/api/v1/customers/{customer.id}", headers=api_token(org.manager),
                                         json={"owner_id": org.south_rep.id})
    assert resp.status_code == 200, resp.get_json()
    assert _by_name(customer.name).department_id == org.south.id


def test_changing_the_owner_on_the_form_moves_the_department_unless_another_was_chosen(org, login):
    moved, kept = make_customer(org.east_rep), make_customer(org.east_rep)
    client = login(org.manager)
    for customer, department in ((moved, org.east.id), (kept, org.sales.id)):
        resp = client.post(f"/customers/edit/{customer.id}", data={
            "name": customer.name, "kind": "company", "status": "potential", "credit_limit": "0",
            "owner": str(org.south_rep.id), "department": str(department)})
        assert resp.status_code == 302
    assert _by_name(moved.name).department_id == org.south.id
    assert _by_name(kept.name).department_id == org.sales.id
