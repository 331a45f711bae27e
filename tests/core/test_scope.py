"""Data scope is one filter: screens, API, exports, charts, search and bulk actions all honour it."""
import csv
import io

from app.core.scope import ALL, DEPARTMENT, OWN, effective_scope
from app.extensions import db
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.factories import make_customer


def _seed(org):
    marker = unique("范围")
    rows = {
        "east_rep": make_customer(org.east_rep, f"{marker}东甲", industry="it"),
        "east_rep2": make_customer(org.east_rep2, f"{marker}东乙", industry="it"),
        "south_rep": make_customer(org.south_rep, f"{marker}南丙", industry="retail"),
        "finance": make_customer(org.admin, f"{marker}财丁", industry="finance", department_id=org.finance.id),
    }
    return marker, rows


def _names_in_list(client, marker):
    html = client.get(f"/customers/list/?_flt_2_name={marker}&psize_CustomerView=100").get_data(as_text=True)
    return {n for n in ("东甲", "东乙", "南丙", "财丁") if f"{marker}{n}" in html}


def _names_via_api(client, headers, marker):
    body = client.get(f"/api/v1/customers/?q=(filters:!((col:name,opr:ct,value:'{marker}')),page_size:100)",
                      headers=headers).get_json()
    return {r["name"][len(marker):] for r in body["result"]}


def _names_in_export(client, marker):
    text = client.get(f"/customers/export/csv?_flt_2_name={marker}").get_data(as_text=True).lstrip("\ufeff")
    return {row[1][len(marker):] for row in list(csv.reader(io.StringIO(text)))[1:]}


def _chart_total(client, marker):
    table = client.get(f"/customers/chart/by_industry.json?_flt_2_name={marker}").get_json()["table"]
    return sum(int(v) for _, v in table)


def test_roles_grant_own_department_or_all(org):
    assert effective_scope(org.east_rep, "customers") == OWN
    assert effective_scope(org.manager, "customers") == DEPARTMENT
    assert effective_scope(org.finance_user, "customers") == ALL
    assert effective_scope(org.admin, "customers") == ALL


def test_sales_user_sees_only_own_customers_everywhere(org, app, login, api_token):
    marker, rows = _seed(org)
    client = login(org.east_rep)
    assert _names_in_list(client, marker) == {"东甲"}
    assert _names_via_api(app.test_client(), api_token(org.east_rep), marker) == {"东甲"}
    assert _names_in_export(client, marker) == {"东甲"}
    assert _chart_total(client, marker) == 1
    for other in ("east_rep2", "south_rep", "finance"):
        pk = rows[other].id
        assert client.get(f"/customers/show/{pk}").status_code == 404
        assert client.get(f"/customers/edit/{pk}").status_code == 404
        assert client.post(f"/customers/delete/{pk}").status_code in (403, 404)


def test_manager_sees_the_whole_department_subtree_and_nothing_else(org, app, login, api_token):
    marker, _rows = _seed(org)
    assert _names_in_list(login(org.manager), marker) == {"东甲", "东乙", "南丙"}
    assert _names_via_api(app.test_client(), api_token(org.manager), marker) == {"东甲", "东乙", "南丙"}
    assert _chart_total(login(org.manager), marker) == 3


def test_all_scope_sees_every_department(org, login):
    marker, _rows = _seed(org)
    assert _names_in_list(login(org.finance_user), marker) == {"东甲", "东乙", "南丙", "财丁"}


def test_bulk_action_ignores_rows_outside_the_users_scope(org, login):
    _marker, rows = _seed(org)
    mine, theirs = rows["east_rep"], rows["south_rep"]
    login(org.east_rep).post("/customers/action_post", data={"action": "mark_lost", "rowid": [str(mine.id), str(theirs.id)]})
    db.session.expire_all()
    assert db.session.get(Customer, mine.id).status == "lost"
    assert db.session.get(Customer, theirs.id).status != "lost"


def test_contacts_follow_their_customers_scope(org, login, app, api_token):
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact

    marker, rows = _seed(org)
    mine = create_contact(org.east_rep, Contact(customer_id=rows["east_rep"].id, name=f"{marker}我的联系人"))
    theirs = create_contact(org.south_rep, Contact(customer_id=rows["south_rep"].id, name=f"{marker}别人的联系人"))
    html = login(org.east_rep).get(f"/contacts/list/?_flt_2_name={marker}").get_data(as_text=True)
    assert mine.name in html and theirs.name not in html
    resp = app.test_client().get(f"/api/v1/contacts/{theirs.id}", headers=api_token(org.east_rep))
    assert resp.status_code == 404
