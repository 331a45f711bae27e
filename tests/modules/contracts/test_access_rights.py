"""Every generated contract screen and API call, for every shipped role: allowed roles succeed,
refused roles get 403/404 (or the login page) and never the data, and nothing changes. The
expectations come from the readable matrix app/security/access.csv."""
import pytest

from app.extensions import db
from app.modules.contracts.models import Contract
from tests.conftest import unique
from tests.factories import make_customer, make_user
from tests.modules.contracts.helpers import approved, make_contract

ROLES = ["Admin", "Manager", "Sales", "Finance", "Warehouse", "Purchasing", "Marketing", "ReadOnly"]


def _matrix() -> dict:
    # Imported here: the security manager's import needs every model mapped first.
    from app.security.manager import read_matrix

    return {(r["role"], r["module"]): r for r in read_matrix()}


def allowed(role, action, module="contracts"):
    matrix = _matrix()
    row = matrix.get((role, module)) or matrix.get((role, "*"), {})
    return row.get(action) == "1"


def _refused(resp, secret):
    return resp.status_code in (302, 401, 403, 404) and secret not in resp.get_data(as_text=True)


def test_the_matrix_grants_contracts_as_agreed():
    granted = {role: "".join(flag if allowed(role, action) else "-" for action, flag in
                             (("read", "r"), ("write", "w"), ("delete", "d"), ("export", "e"))) for role in ROLES}
    assert granted == {"Admin": "rwde", "Manager": "rwde", "Sales": "rw-e", "Finance": "r--e", "ReadOnly": "r---",
                       "Warehouse": "----", "Purchasing": "----", "Marketing": "----"}
    scopes = {role: _matrix()[(role, "contracts")]["scope"] for role in ("Manager", "Sales", "Finance", "ReadOnly")}
    assert scopes == {"Manager": "department", "Sales": "own", "Finance": "all", "ReadOnly": "all"}


def _records(org, user):
    """A customer and two contracts (a draft and an approved one) owned by `user`, made by an admin."""
    customer = make_customer(user, actor=org.admin)
    draft = make_contract(user, customer=customer, actor=org.admin, title=unique("矩阵合同"))
    signable = approved(make_contract(user, customer=customer, actor=org.admin, title=unique("矩阵待签")))
    return customer, draft, signable


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_contract_screens_the_matrix_grants(role, org, login):
    user = make_user(role, org.east)
    customer, draft, signable = _records(org, user)
    client = login(user)
    screens = [
        ("read", "/contracts/list/"), ("read", f"/contracts/show/{draft.id}"), ("read", "/contracts/chart/"),
        ("read", "/contracts/chart/by_status.json"), ("read", "/contracts/chart/amount_by_month.json"),
        ("write", "/contracts/add"), ("write", f"/contracts/edit/{draft.id}"),
        ("export", "/contracts/export/csv"), ("export", "/contracts/export/xlsx"),
    ]
    for action, url in screens:
        resp = client.get(url)
        if allowed(role, action):
            assert resp.status_code == 200, (role, url, resp.status_code)
            if url.endswith(("/list/", f"/show/{draft.id}", "/export/csv")):
                assert draft.title in resp.get_data(as_text=True), (role, url)
        else:
            assert _refused(resp, draft.title), (role, url, resp.status_code)

    draft_id = draft.id
    client.post("/contracts/action_post", data={"action": "mark_signed", "rowid": [str(signable.id)]})
    client.post(f"/contracts/delete/{draft_id}")
    db.session.expire_all()
    assert db.session.get(Contract, signable.id).status == ("signed" if allowed(role, "write") else "approved"), role
    assert (db.session.get(Contract, draft_id) is None) == allowed(role, "delete"), role


@pytest.mark.parametrize("role", ROLES)
def test_a_customers_page_shows_its_contracts_only_to_roles_that_may_read_contracts(role, org, login):
    user = make_user(role, org.east)
    customer, draft, _signable = _records(org, user)
    client = login(user)
    resp = client.get(f"/customers/show/{customer.id}?tab=ContractView")
    if not allowed(role, "read", "customers"):
        assert _refused(resp, customer.name), role
        return
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and customer.name in html, role
    assert (draft.title in html) == allowed(role, "read"), role
    assert ("ContractView" in html) == allowed(role, "read"), role
    tab = client.get(f"/customers/show/{customer.id}/tab/ContractView")
    assert (tab.status_code == 200 and draft.title in tab.get_data(as_text=True)) == allowed(role, "read"), role


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_contract_api_calls_the_matrix_grants(role, org, app, api_token):
    user = make_user(role, org.east)
    customer, draft, _signable = _records(org, user)
    client, headers = app.test_client(), api_token(user)
    calls = [
        ("read", client.get("/api/v1/contracts/", headers=headers)),
        ("read", client.get(f"/api/v1/contracts/{draft.id}", headers=headers)),
        ("write", client.put(f"/api/v1/contracts/{draft.id}", json={"notes": "矩阵修改"}, headers=headers)),
        ("write", client.post("/api/v1/contracts/", json={"title": unique("矩阵新增"), "customer_id": customer.id,
                                                          "amount": "30000"}, headers=headers)),
    ]
    for action, resp in calls:
        if allowed(role, action):
            assert resp.status_code in (200, 201), (role, action, resp.get_json())
        else:
            assert _refused(resp, draft.title), (role, action, resp.status_code)
    draft_id = draft.id
    db.session.expire_all()
    assert (db.session.get(Contract, draft_id).notes == "矩阵修改") == allowed(role, "write"), role
    resp = client.delete(f"/api/v1/contracts/{draft_id}", headers=headers)
    assert resp.status_code == (200 if allowed(role, "delete") else 403), role
    db.session.expire_all()
    assert (db.session.get(Contract, draft_id) is None) == allowed(role, "delete"), role


def test_anonymous_visitors_are_sent_to_login_and_see_no_contracts(org, app):
    contract = make_contract(org.east_rep)
    client = app.test_client()
    for url in ("/contracts/list/", f"/contracts/show/{contract.id}", "/contracts/export/csv",
                "/contracts/chart/by_status.json", "/api/v1/contracts/"):
        resp = client.get(url)
        assert resp.status_code in (302, 401, 403), url
        assert contract.title not in resp.get_data(as_text=True)
