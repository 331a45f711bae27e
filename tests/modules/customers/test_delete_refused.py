"""A delete refused because other records still refer to the record says what blocks it (how
many of what, with links) and what may be done instead, on the screen and in the API (409);
nothing is deleted."""
import re

from flask import current_app

from app.extensions import db
from app.modules.contracts.models import Contract
from app.modules.customers.models import Customer
from tests.factories import make_customer
from tests.modules.contracts.helpers import make_contract
from tests.modules.contracts.test_approval import SHIPPED_CHAIN


def _submitted(contract):
    from app.workflow import engine, publishing

    publishing.publish(None, SHIPPED_CHAIN.read_text(encoding="utf-8"))
    engine.submit(contract.owner, "contracts", contract.id)
    db.session.expire_all()
    return db.session.get(Contract, contract.id)


def _flash(client, resp) -> str:
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    return " ".join(re.findall(r'class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', html, re.S))


def test_deleting_a_customer_with_contracts_names_them_with_links_and_offers_alternatives(org, login):
    customer = make_customer(org.east_rep)
    first, second = make_contract(org.east_rep, customer), make_contract(org.east_rep, customer)
    _submitted(second)
    client = login(org.admin)
    message = _flash(client, client.post(f"/customers/delete/{customer.id}"))
    assert "数据引用的记录不存在" not in message and "conflicts with another record" not in message
    assert customer.name in message
    assert "2 个合同" in message and "1 个审批" in message, message
    assert f'href="/contracts/show/{first.id}"' in message and f'href="/contracts/show/{second.id}"' in message
    assert f'href="/contracts/list/?_flt_0_customer={customer.id}"' in message
    assert f'href="/customer_bulk/transfer?ids={customer.id}"' in message and "标记为流失" in message
    assert db.session.get(Customer, customer.id) is not None


def test_the_api_answers_409_naming_the_blockers(org, api_token):
    customer = make_customer(org.east_rep)
    contract = make_contract(org.east_rep, customer)
    resp = current_app.test_client().delete(f"/api/v1/customers/{customer.id}", headers=api_token(org.admin))
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["error"] == "customers.in_use" and "1 个合同" in body["message"] and "<a" not in body["message"]
    assert body["blockers"][0]["count"] == 1
    assert body["blockers"][0]["records"] == [{"name": str(contract), "link": f"/contracts/show/{contract.id}"}]
    assert {a["link"] for a in body["alternatives"]} >= {f"/customer_bulk/transfer?ids={customer.id}"}
    assert db.session.get(Customer, customer.id) is not None


def test_links_lead_only_to_contracts_the_user_may_see(org, login):
    customer = make_customer(org.east_rep)
    theirs = make_contract(org.admin, customer, department_id=org.finance.id)
    client = login(org.manager)
    message = _flash(client, client.post(f"/customers/delete/{customer.id}"))
    assert "1 个合同" in message and f"/contracts/show/{theirs.id}" not in message


def test_a_customer_without_references_is_deleted(org, login):
    customer_id = make_customer(org.east_rep).id
    client = login(org.admin)
    assert client.post(f"/customers/delete/{customer_id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer_id) is None


def test_deleting_a_contract_that_went_into_approval_names_its_approvals(org, api_token, login):
    contract = _submitted(make_contract(org.east_rep))
    resp = current_app.test_client().delete(f"/api/v1/contracts/{contract.id}", headers=api_token(org.admin))
    assert resp.status_code == 409 and "1 个审批" in resp.get_json()["message"]
    client = login(org.admin)
    message = _flash(client, client.post(f"/contracts/delete/{contract.id}"))
    assert f'href="/contracts/show/{contract.id}#zwt-tab-approval"' in message
    assert db.session.get(Contract, contract.id) is not None


def test_deleting_a_department_still_used_names_users_and_customers(org, login):
    from app.core.org import Department
    from tests.factories import make_department, make_user

    team = make_department("临时组", org.sales)
    rep = make_user("Sales", team)
    customer = make_customer(rep)
    resp = current_app.test_client().delete(f"/api/v1/departments/{team.id}",
                                            headers=_admin_token(org))
    assert resp.status_code in (400, 409)
    message = resp.get_json()["message"]
    assert "用户" in message, message
    rep.department_id = org.east.id
    db.session.commit()
    resp = current_app.test_client().delete(f"/api/v1/departments/{team.id}", headers=_admin_token(org))
    assert resp.status_code == 409, resp.get_json()
    assert "1 个客户" in resp.get_json()["message"]
    assert db.session.get(Department, team.id) is not None and customer.department_id == team.id


def _admin_token(org):
    client = current_app.test_client()
    resp = client.post("/api/v1/security/login", json={"username": org.admin.username, "password": "Passw0rd!",
                                                       "provider": "db"})
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}
