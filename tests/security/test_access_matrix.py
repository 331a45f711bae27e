"""Every generated screen and API endpoint of a module, for every shipped role: allowed roles
succeed, refused roles get 403/404 (or the login page) and never the data. The expectations
come from the readable matrix app/security/access.csv."""
import pytest

from app.security.manager import read_matrix
from tests.factories import make_customer, make_user

MATRIX = {(r["role"], r["module"]): r for r in read_matrix()}
ROLES = ["Manager", "Sales", "Finance", "Warehouse", "Purchasing", "Marketing", "ReadOnly"]


def allowed(role, action, module="customers"):
    return MATRIX.get((role, module), {}).get(action) == "1"


def _screens(customer, contact):
    """(action, method, url, form data) for each generated customers/contacts screen."""
    return [
        ("read", "get", "/customers/list/", None),
        ("read", "get", f"/customers/show/{customer.id}", None),
        ("read", "get", "/customers/chart/", None),
        ("read", "get", "/customers/chart/by_industry.json", None),
        ("read", "get", "/contacts/list/", None),
        ("read", "get", f"/contacts/show/{contact.id}", None),
        ("write", "get", "/customers/add", None),
        ("write", "get", f"/customers/edit/{customer.id}", None),
        ("write", "post", "/customers/action_post", {"action": "mark_lost", "rowid": [str(customer.id)]}),
        ("write", "get", "/contacts/add", None),
        ("export", "get", "/customers/export/csv", None),
        ("export", "get", "/customers/export/xlsx", None),
        ("export", "get", "/contacts/export/csv", None),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_screens_the_matrix_grants(role, org, login):
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact

    user = make_user(role, org.east)
    customer = make_customer(user, industry="it", actor=org.admin)
    contact = create_contact(org.admin, Contact(customer_id=customer.id, name="矩阵联系人"))
    client = login(user)
    for action, method, url, data in _screens(customer, contact):
        resp = getattr(client, method)(url, data=data)
        if allowed(role, action):
            assert resp.status_code in (200, 302), (role, url, resp.status_code)
            if method == "get" and url.endswith("/list/"):
                assert customer.name in resp.get_data(as_text=True) or "矩阵联系人" in resp.get_data(as_text=True)
        else:
            assert resp.status_code in (302, 403, 404), (role, url, resp.status_code)
            assert customer.name not in resp.get_data(as_text=True), (role, url)
    delete = client.post(f"/customers/delete/{customer.id}")
    if allowed(role, "delete"):
        assert delete.status_code == 302
    else:
        assert delete.status_code in (302, 403, 404)
        from app.extensions import db
        from app.modules.customers.models import Customer

        db.session.expire_all()
        assert db.session.get(Customer, customer.id) is not None, role


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_api_calls_the_matrix_grants(role, org, app, api_token):
    user = make_user(role, org.east)
    customer = make_customer(user, actor=org.admin)
    client = app.test_client()
    headers = api_token(user)
    calls = [
        ("read", client.get("/api/v1/customers/", headers=headers)),
        ("read", client.get(f"/api/v1/customers/{customer.id}", headers=headers)),
        ("write", client.put(f"/api/v1/customers/{customer.id}", json={"notes": "改"}, headers=headers)),
        ("write", client.post("/api/v1/customers/", json={"name": f"{customer.name}新", "kind": "company"}, headers=headers)),
    ]
    for action, resp in calls:
        if allowed(role, action):
            assert resp.status_code in (200, 201), (role, action, resp.get_json())
        else:
            assert resp.status_code in (401, 403, 404), (role, action, resp.status_code)
            assert customer.name not in resp.get_data(as_text=True)
    resp = client.delete(f"/api/v1/customers/{customer.id}", headers=headers)
    assert resp.status_code == (200 if allowed(role, "delete") else 403), role


def test_anonymous_visitors_are_sent_to_login_and_see_no_data(org, app):
    customer = make_customer(org.east_rep)
    client = app.test_client()
    for url in ("/customers/list/", f"/customers/show/{customer.id}", "/customers/export/csv",
                "/customers/chart/by_industry.json", "/notifications/"):
        resp = client.get(url)
        assert resp.status_code in (302, 401, 403), url
        assert customer.name not in resp.get_data(as_text=True)
