"""Every generated screen and API endpoint of a module, for every shipped role: allowed roles
succeed, refused roles get 403/404 (or the login page) and never the data. The expectations
come from the readable matrix app/security/access.csv."""
import pytest

from app.security.manager import read_matrix
from tests.conftest import unique
from tests.factories import make_customer, make_department, make_user

MATRIX = {(r["role"], r["module"]): r for r in read_matrix()}
ROLES = ["Manager", "Sales", "Finance", "Warehouse", "Purchasing", "Marketing", "ReadOnly"]


def allowed(role, action, module="customers"):
    row = MATRIX.get((role, module)) or MATRIX.get((role, "*"), {})
    return row.get(action) == "1"


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


def _refused(resp, secret):
    return resp.status_code in (302, 401, 403, 404) and secret not in resp.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_contacts_api_calls_the_matrix_grants(role, org, app, api_token):
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact

    user = make_user(role, org.east)
    customer = make_customer(user, actor=org.admin)
    contact = create_contact(org.admin, Contact(customer_id=customer.id, name=unique("接口联系人")))
    client, headers = app.test_client(), api_token(user)
    calls = [
        ("read", client.get("/api/v1/contacts/", headers=headers)),
        ("read", client.get(f"/api/v1/contacts/{contact.id}", headers=headers)),
        ("write", client.put(f"/api/v1/contacts/{contact.id}", json={"title": "经理"}, headers=headers)),
        ("write", client.post("/api/v1/contacts/", json={"customer_id": customer.id, "name": unique("新联系人")},
                              headers=headers)),
    ]
    for action, resp in calls:
        if allowed(role, action):
            assert resp.status_code in (200, 201), (role, action, resp.get_json())
        else:
            assert _refused(resp, contact.name), (role, action, resp.status_code)
    resp = client.delete(f"/api/v1/contacts/{contact.id}", headers=headers)
    assert resp.status_code == (200 if allowed(role, "delete") else 403), role


def _system_records(org):
    """A department and a numbering rule of this test's own, so writes touch nothing shared."""
    from app.core.numbering import NumberingRule
    from app.core.system import numbering_service

    dept = make_department(unique("矩阵部门"), org.company)
    rule = numbering_service.create(None, NumberingRule(code=unique("rule"), name=unique("矩阵规则"),
                                                        pattern="JZ-{seq:04d}", reset="never"))
    return dept, rule


@pytest.mark.parametrize("role", ["Admin", *ROLES])
@pytest.mark.parametrize("module", ["departments", "numbering_rules"])
def test_each_role_gets_exactly_the_system_screens_the_matrix_grants(module, role, org, login):
    dept, rule = _system_records(org)
    record, secret = (dept, dept.name) if module == "departments" else (rule, rule.name)
    client = login(make_user(role, org.east))
    screens = [
        ("read", f"/{module}/list/?_flt_0_name={secret}"), ("read", f"/{module}/show/{record.id}"),
        ("write", f"/{module}/add"), ("write", f"/{module}/edit/{record.id}"),
        ("export", f"/{module}/export/csv"),
    ]
    for action, url in screens:
        resp = client.get(url)
        if allowed(role, action, module):
            assert resp.status_code == 200, (role, url, resp.status_code)
            if action == "read":
                assert secret in resp.get_data(as_text=True), (role, url)
        else:
            assert _refused(resp, secret), (role, url, resp.status_code)


@pytest.mark.parametrize("role", ["Admin", *ROLES])
@pytest.mark.parametrize("module", ["departments", "numbering_rules"])
def test_each_role_gets_exactly_the_system_api_calls_the_matrix_grants(module, role, org, app, api_token):
    from app.core.numbering import NumberingRule
    from app.core.org import Department
    from app.extensions import db

    dept, rule = _system_records(org)
    record, secret = (dept, dept.name) if module == "departments" else (rule, rule.name)
    record_id = record.id
    user = make_user(role, org.east)
    client, headers = app.test_client(), api_token(user)
    calls = [
        ("read", client.get(f"/api/v1/{module}/", headers=headers)),
        ("read", client.get(f"/api/v1/{module}/{record_id}", headers=headers)),
        ("write", client.put(f"/api/v1/{module}/{record_id}", json={"name": f"{secret}改"}, headers=headers)),
    ]
    if module == "departments":
        new = {"name": unique("接口部门"), "parent_id": org.company.id}
        calls.append(("write", client.post(f"/api/v1/{module}/", json=new, headers=headers)))
    for action, resp in calls:
        if allowed(role, action, module):
            assert resp.status_code in (200, 201), (role, module, action, resp.get_json())
        else:
            assert _refused(resp, secret), (role, module, action, resp.status_code)
    resp = client.delete(f"/api/v1/{module}/{record_id}", headers=headers)
    db.session.expire_all()
    still_there = db.session.get(Department if module == "departments" else NumberingRule, record_id) is not None
    if not allowed(role, "delete", module):
        assert resp.status_code == 403 and still_there, (role, module)
    elif module == "departments":
        assert resp.status_code == 200 and not still_there, role
    else:
        # Numbering rules are never deleted, whoever asks: the service explains why.
        assert resp.status_code == 400 and still_there, role
