"""A contract belongs to its owner's department unless someone chooses another, on the form and
through the API, and a department left as it was follows a new owner."""
from flask import current_app

from app.extensions import db
from app.modules.contracts.models import Contract
from tests.conftest import unique
from tests.factories import make_customer
from tests.modules.contracts.helpers import make_contract


def _fresh(contract_id) -> Contract:
    db.session.expire_all()
    return db.session.get(Contract, contract_id)


def test_a_contract_added_on_the_form_for_another_owner_gets_that_owners_department(org, login):
    customer = make_customer(org.south_rep)
    title = unique("代签合同")
    client = login(org.manager)
    resp = client.post("/contracts/add", data={
        "title": title, "customer": str(customer.id), "amount": "1000", "standard_terms": "y",
        "owner": str(org.south_rep.id), "department": "__None"})
    assert resp.status_code == 302
    contract = db.session.query(Contract).filter_by(title=title).one()
    assert contract.department_id == org.south.id


def test_changing_a_contracts_owner_moves_its_department_on_the_form_and_the_api(org, login, api_token):
    on_form, by_api = make_contract(org.east_rep), make_contract(org.east_rep)
    resp = login(org.manager).post(f"/contracts/edit/{on_form.id}", data={
        "title": on_form.title, "customer": str(on_form.customer_id), "amount": "50000", "standard_terms": "y",
        "owner": str(org.south_rep.id), "department": str(org.east.id)})
    assert resp.status_code == 302
    assert _fresh(on_form.id).department_id == org.south.id
    resp = current_app.test_client().put(f"/api/v1/contracts/{by_api.id}", headers=api_token(org.manager),
                                         json={"owner_id": org.south_rep.id})
    assert resp.status_code == 200, resp.get_json()
    assert _fresh(by_api.id).department_id == org.south.id
    assert login(org.south_rep).get(f"/contracts/show/{by_api.id}").status_code == 200
