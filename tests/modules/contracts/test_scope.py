"""Contracts have their own data scope (owner and department), not their customer's: screens,
API, exports, charts, search and bulk actions all honour it."""
import csv
import io

from app.core.scope import ALL, DEPARTMENT, OWN, effective_scope
from app.extensions import db
from app.modules.contracts.models import Contract
from tests.conftest import unique
from tests.factories import make_customer
from tests.modules.contracts.helpers import approved, make_contract

NAMES = ("东甲", "东乙", "南丙", "财丁")


def _seed(org):
    marker = unique("合同范围")
    shared = make_customer(org.east_rep)  # one customer, contracts with different owners
    rows = {
        "东甲": make_contract(org.east_rep, customer=shared, title=f"{marker}东甲", amount="1000"),
        "东乙": make_contract(org.east_rep2, customer=shared, actor=org.manager, title=f"{marker}东乙", amount="2000"),
        "南丙": make_contract(org.south_rep, title=f"{marker}南丙", amount="4000"),
        "财丁": make_contract(org.admin, title=f"{marker}财丁", amount="8000", department_id=org.finance.id),
    }
    return marker, rows


def _in_list(client, marker):
    html = client.get(f"/contracts/list/?_flt_2_title={marker}&psize_ContractView=100").get_data(as_text=True)
    return {n for n in NAMES if f"{marker}{n}" in html}


def _via_api(client, headers, marker):
    body = client.get(f"/api/v1/contracts/?q=(filters:!((col:title,opr:ct,value:'{marker}')),page_size:100)",
                      headers=headers).get_json()
    return {r["title"][len(marker):] for r in body["result"]}


def _in_export(client, marker):
    text = client.get(f"/contracts/export/csv?_flt_2_title={marker}").get_data(as_text=True).lstrip("\ufeff")
    return {row[1][len(marker):] for row in list(csv.reader(io.StringIO(text)))[1:]}


def _charted_amount(client, marker):
    table = client.get(f"/contracts/chart/amount_by_month.json?_flt_2_title={marker}").get_json()["table"]
    return sum(float(v) for _, v in table)


def test_roles_grant_own_department_or_all_on_contracts(org):
    assert effective_scope(org.east_rep, "contracts") == OWN
    assert effective_scope(org.manager, "contracts") == DEPARTMENT
    assert effective_scope(org.finance_user, "contracts") == ALL
    assert effective_scope(org.readonly, "contracts") == ALL


def test_sales_user_sees_only_own_contracts_everywhere_even_with_a_shared_customer(org, app, login, api_token):
    marker, rows = _seed(org)
    client = login(org.east_rep)
    assert _in_list(client, marker) == {"东甲"}
    assert _via_api(app.test_client(), api_token(org.east_rep), marker) == {"东甲"}
    assert _in_export(client, marker) == {"东甲"}
    assert _charted_amount(client, marker) == 1000
    for other in ("东乙", "南丙", "财丁"):
        pk = rows[other].id
        assert client.get(f"/contracts/show/{pk}").status_code == 404
        assert client.get(f"/contracts/edit/{pk}").status_code == 404
        assert client.post(f"/contracts/delete/{pk}").status_code in (403, 404)
    db.session.expire_all()
    assert db.session.query(Contract).filter(Contract.title.like(f"{marker}%")).count() == 4


def test_a_contract_is_visible_to_its_owner_without_the_customer(org, login):
    marker, rows = _seed(org)
    client = login(org.east_rep2)
    assert _in_list(client, marker) == {"东乙"}
    assert client.get(f"/contracts/show/{rows['东乙'].id}").status_code == 200
    assert client.get(f"/customers/show/{rows['东乙'].customer_id}").status_code == 404


def test_customer_page_lists_only_the_contracts_in_the_users_scope(org, login):
    marker, rows = _seed(org)
    html = login(org.east_rep).get(f"/customers/show/{rows['东甲'].customer_id}/tab/ContractView").get_data(as_text=True)
    assert f"{marker}东甲" in html and f"{marker}东乙" not in html
    html = login(org.manager).get(f"/customers/show/{rows['东甲'].customer_id}?tab=ContractView").get_data(as_text=True)
    assert f"{marker}东甲" in html and f"{marker}东乙" in html


def test_manager_sees_the_whole_department_subtree_and_nothing_else(org, app, login, api_token):
    marker, _rows = _seed(org)
    client = login(org.manager)
    assert _in_list(client, marker) == {"东甲", "东乙", "南丙"}
    assert _via_api(app.test_client(), api_token(org.manager), marker) == {"东甲", "东乙", "南丙"}
    assert _in_export(client, marker) == {"东甲", "东乙", "南丙"}
    assert _charted_amount(client, marker) == 7000


def test_finance_and_read_only_see_every_department(org, login):
    marker, _rows = _seed(org)
    assert _in_list(login(org.finance_user), marker) == set(NAMES)
    assert _charted_amount(login(org.finance_user), marker) == 15000
    assert _in_list(login(org.readonly), marker) == set(NAMES)


def test_bulk_action_ignores_contracts_outside_the_users_scope(org, login):
    mine, theirs = approved(make_contract(org.east_rep)), approved(make_contract(org.south_rep))
    login(org.east_rep).post("/contracts/action_post", data={"action": "mark_signed",
                                                             "rowid": [str(mine.id), str(theirs.id)]})
    db.session.expire_all()
    assert db.session.get(Contract, mine.id).status == "signed"
    assert db.session.get(Contract, theirs.id).status == "approved"
