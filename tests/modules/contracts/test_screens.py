"""The generated contract screens: list, search, add/edit/delete with messages next to the
fields, bulk sign and archive, show with History, the contracts tab on a customer's page,
exports and charts."""
import csv
import io
import re
from decimal import Decimal

from flask_babel import force_locale, pgettext
from openpyxl import load_workbook

from app.extensions import db
from app.modules.contracts.models import Contract
from tests.conftest import menu_of, unique
from tests.factories import make_customer, make_user
from tests.modules.contracts.helpers import approved, make_contract


def _field_errors(html: str) -> list[str]:
    """The messages shown next to form fields."""
    return [" ".join(m.split()) for m in re.findall(r'<div class="alert alert-danger">(.*?)</div>', html, re.S)]


def _flashes(client, resp) -> str:
    """The messages flashed by `resp`, read from the page it redirects to."""
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    return " ".join(re.findall(r'class="alert alert-(?:danger|success)[^"]*"[^>]*>(.*?)</div>', html, re.S))


def _form(customer, owner, **overrides):
    data = {"title": unique("页面合同"), "customer": str(customer.id), "amount": "120000.50",
            "standard_terms": "y", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "owner": str(owner.id)}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_add_edit_and_delete_a_draft_through_the_screens(org, login):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    data = _form(customer, org.east_rep, standard_terms=None)  # unticked: non-standard terms
    assert client.post("/contracts/add", data=data).status_code == 302
    contract = db.session.query(Contract).filter_by(title=data["title"]).one()
    pk = contract.id
    assert contract.code.startswith("HT-") and contract.status == "draft"
    assert contract.amount == Decimal("120000.50") and contract.standard_terms is False
    assert contract.department_id == org.east.id

    data.update(amount="130000", standard_terms="y")
    assert client.post(f"/contracts/edit/{contract.id}", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).amount == Decimal("130000.00")

    show = client.get(f"/contracts/show/{contract.id}?tab=history").get_data(as_text=True)
    assert "zwt-history" in show and "120,000.50" in show and "130,000.00" in show
    assert customer.name in show

    manager = login(org.manager)
    assert manager.post(f"/contracts/delete/{pk}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, pk) is None


def test_add_form_keeps_what_was_typed_and_shows_the_message_next_to_the_end_date(org, login):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    data = _form(customer, org.east_rep, starts_on="2026-06-01", ends_on="2026-05-31", notes="质保期三年，需法务确认")
    resp = client.post("/contracts/add", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    with force_locale("zh_CN"):
        from flask_babel import gettext

        expected = gettext("The end date cannot be before the start date.")
    assert expected in _field_errors(html)
    assert data["title"] in html and "质保期三年，需法务确认" in html
    assert db.session.query(Contract).filter_by(title=data["title"]).count() == 0


def test_the_add_form_offers_no_status_and_a_posted_status_is_ignored(org, login):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    assert 'name="status"' not in client.get("/contracts/add").get_data(as_text=True)
    data = _form(customer, org.east_rep, status="approved")
    assert client.post("/contracts/add", data=data).status_code == 302
    assert db.session.query(Contract).filter_by(title=data["title"]).one().status == "draft"


def test_deleting_a_contract_that_is_no_longer_a_draft_is_refused_with_a_message(org, login):
    contract = approved(make_contract(org.east_rep))
    client = login(org.manager)
    resp = client.post(f"/contracts/delete/{contract.id}")
    assert contract.code in _flashes(client, resp)
    db.session.expire_all()
    assert db.session.get(Contract, contract.id) is not None


def test_bulk_actions_sign_approved_contracts_and_archive_signed_ones(org, login):
    a, b = approved(make_contract(org.east_rep)), approved(make_contract(org.east_rep))
    draft = make_contract(org.east_rep)
    client = login(org.east_rep)
    refused = client.post("/contracts/action_post", data={"action": "mark_signed", "rowid": [str(a.id), str(draft.id)]})
    assert draft.code in _flashes(client, refused)
    db.session.expire_all()
    assert db.session.get(Contract, a.id).status == "approved"

    client.post("/contracts/action_post", data={"action": "mark_signed", "rowid": [str(a.id), str(b.id)]})
    db.session.expire_all()
    assert {db.session.get(Contract, pk).status for pk in (a.id, b.id)} == {"signed"}
    client.post("/contracts/action_post", data={"action": "archive", "rowid": [str(a.id)]})
    db.session.expire_all()
    assert db.session.get(Contract, a.id).status == "archived" and db.session.get(Contract, b.id).status == "signed"


def test_list_search_and_status_labels_in_chinese(org, login):
    marker = unique("检索")
    make_contract(org.east_rep, title=f"{marker}设备采购合同")
    make_contract(org.east_rep, title=f"{marker}技术服务合同")
    make_contract(org.east_rep)
    html = login(org.east_rep).get(f"/contracts/list/?_flt_2_title={marker}").get_data(as_text=True)
    assert f"{marker}设备采购合同" in html and f"{marker}技术服务合同" in html
    with force_locale("zh_CN"):
        assert pgettext("contract status", "Draft") == "草稿"
    assert "草稿" in html


def test_customer_page_lists_its_contracts(org, login):
    customer = make_customer(org.east_rep)
    mine = make_contract(org.east_rep, customer=customer, title=unique("本客户合同"))
    other = make_contract(org.east_rep, title=unique("别的客户合同"))
    client = login(org.east_rep)
    assert "ContractView" in client.get(f"/customers/show/{customer.id}").get_data(as_text=True)
    html = client.get(f"/customers/show/{customer.id}/tab/ContractView").get_data(as_text=True)
    assert mine.title in html and other.title not in html


def test_a_customer_with_contracts_cannot_be_deleted_and_says_so(org, login, app, api_token):
    customer = make_customer(org.east_rep)
    contract = make_contract(org.east_rep, customer=customer)
    resp = app.test_client().delete(f"/api/v1/customers/{customer.id}", headers=api_token(org.manager))
    assert resp.status_code == 409 and contract.code in str(resp.get_json()["blockers"])
    db.session.expire_all()
    assert db.session.get(Contract, contract.id) is not None


def test_csv_and_xlsx_export_the_filtered_list_with_chinese_headers_and_amounts_as_numbers(org, login):
    marker = unique("导出")
    customer = make_customer(org.east_rep)
    make_contract(org.east_rep, customer=customer, title=f"{marker}甲", amount="345678.90")
    make_contract(org.east_rep, title=f"{marker}乙", standard_terms=False)
    make_contract(org.east_rep)
    client = login(org.east_rep)
    resp = client.get(f"/contracts/export/csv?_flt_2_title={marker}")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["合同编号", "合同名称", "客户", "合同金额"]
    assert sorted(r[1] for r in rows[1:]) == [f"{marker}乙", f"{marker}甲"]
    assert customer.name in {r[2] for r in rows[1:]}

    sheet = load_workbook(io.BytesIO(client.get(f"/contracts/export/xlsx?_flt_2_title={marker}").data)).active
    values = list(sheet.values)
    assert len(values) == 3
    amount_col = values[0].index("合同金额")
    assert 345678.9 in {row[amount_col] for row in values[1:]}


def test_charts_count_by_status_and_sum_amounts_by_month_in_the_users_scope(org, login):
    marker = unique("图表")
    make_contract(org.east_rep, title=f"{marker}1", amount="100000")
    make_contract(org.east_rep, title=f"{marker}2", amount="25000.50")
    approved(make_contract(org.east_rep, title=f"{marker}3", amount="1000"))
    make_contract(org.south_rep, title=f"{marker}4", amount="999999")  # not the east rep's
    client = login(org.east_rep)
    by_status = client.get(f"/contracts/chart/by_status.json?_flt_2_title={marker}").get_json()
    with force_locale("zh_CN"):
        draft, done = pgettext("contract status", "Draft"), pgettext("contract status", "Approved")
    assert dict(by_status["table"]) == {draft: "2", done: "1"}
    assert by_status["option"]["series"][0]["type"] == "pie"
    by_month = client.get(f"/contracts/chart/amount_by_month.json?_flt_2_title={marker}").get_json()
    assert sum(Decimal(v) for _, v in by_month["table"]) == Decimal("126000.50")
    assert by_month["option"]["series"][0]["type"] == "line"
    page = client.get("/contracts/chart/").get_data(as_text=True)
    assert "/static/vendor/echarts/echarts.min.js" in page


def test_a_signed_contracts_terms_cannot_be_edited_on_the_form(org, login):
    from app.modules.contracts.service import mark_signed

    customer = make_customer(org.east_rep)
    contract = approved(make_contract(org.east_rep, customer=customer, amount="50000"))
    mark_signed(org.east_rep, [contract])
    client = login(org.east_rep)
    resp = client.post(f"/contracts/edit/{contract.id}", data=_form(customer, org.east_rep, title=contract.title,
                                                                   amount="60000", starts_on=None, ends_on=None))
    assert resp.status_code == 200 and _field_errors(resp.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).amount == Decimal("50000.00")


def test_menu_shows_contracts_under_its_own_category(org, login):
    client = login(make_user("Sales", org.east))
    html = client.get("/contracts/list/").get_data(as_text=True)
    assert "合同管理" in html                                           # the breadcrumbs
    group = next(entry for entry in menu_of(client, html) if entry[0] == "menu:contracts")
    assert group[1] == "合同管理" and "/contracts/list/" in [child[3] for child in group[4]]


def test_list_chart_export_and_api_filter_by_amount(org, login, app, api_token):
    marker = unique("金额筛选")
    for amount in ("20000", "500000", "500000.01", "800000"):
        make_contract(org.east_rep, title=f"{marker}{amount}", amount=amount)
    client = login(org.east_rep)
    html = client.get(f"/contracts/list/?_flt_2_title={marker}&_flt_1_amount=500000").get_data(as_text=True)
    assert f"{marker}500000.01" in html and f"{marker}800000" in html
    assert f"{marker}20000<" not in html and f"{marker}500000<" not in html
    chart = client.get(f"/contracts/chart/by_status.json?_flt_2_title={marker}&_flt_1_amount=500000").get_json()
    assert sum(int(v) for _, v in chart["table"]) == 2
    rows = client.get(f"/contracts/export/csv?_flt_2_title={marker}&_flt_0_amount=500000").get_data(as_text=True)
    assert f"{marker}500000," in rows and f"{marker}800000" not in rows
    query = f"(filters:!((col:title,opr:ct,value:'{marker}'),(col:amount,opr:gt,value:'500000')))"
    body = app.test_client().get(f"/api/v1/contracts/?q={query}", headers=api_token(org.east_rep)).get_json()
    assert sorted(r["title"] for r in body["result"]) == [f"{marker}500000.01", f"{marker}800000"]
    refused = client.get(f"/contracts/list/?_flt_1_amount=lots")
    assert refused.status_code == 400 and "“lots”不是范围内的数字" in refused.get_data(as_text=True)


def test_the_customer_is_chosen_by_search_not_from_a_list_of_every_customer(org, login):
    mine = make_customer(org.east_rep)
    other = make_customer(org.east_rep)
    contract = make_contract(org.east_rep, customer=mine)
    client = login(org.east_rep)
    html = client.get("/contracts/add").get_data(as_text=True)
    assert "data-ajax--url" in html and "/contracts/customers/choices.json" in html
    assert other.name not in html
    listing = client.get("/contracts/list/").get_data(as_text=True)
    assert 'data-url="/list-filters/contracts"' in listing            # the panel's settings come when opened
    panel = client.get("/list-filters/contracts").get_data(as_text=True)
    assert "/relation-search/contracts/customer" in panel             # the filter asks as you type
    assert other.name not in listing and other.name not in panel      # a customer without contracts appears nowhere
    edit = client.get(f"/contracts/edit/{contract.id}").get_data(as_text=True)
    assert f'<option value="{mine.id}" selected>{mine.name}（{mine.code}）</option>' in edit
    assert other.name not in edit


def test_customer_search_offers_only_customers_the_user_may_see(org, login):
    marker = unique("华信")
    mine = make_customer(org.east_rep, f"{marker}上海")
    make_customer(org.south_rep, f"{marker}深圳")
    found = login(org.east_rep).get(f"/contracts/customers/choices.json?q={marker}").get_json()
    assert found["results"] == [{"id": mine.id, "text": f"{mine.name}（{mine.code}）"}]
    by_code = login(org.east_rep).get(f"/contracts/customers/choices.json?q={mine.code.lower()}").get_json()
    assert [r["id"] for r in by_code["results"]] == [mine.id]
    assert len(login(org.manager).get(f"/contracts/customers/choices.json?q={marker}").get_json()["results"]) == 2
    wildcard = login(org.east_rep).get(f"/contracts/customers/choices.json?q={marker}%25").get_json()
    assert wildcard["results"] == []  # % is a character to look for, not a wildcard
    refused = login(make_user("Warehouse", org.east)).get(f"/contracts/customers/choices.json?q={marker}")
    assert refused.status_code in (302, 403) and marker not in refused.get_data(as_text=True)


def test_list_filters_by_customer(org, login):
    customer = make_customer(org.east_rep)
    theirs = make_contract(org.east_rep, customer=customer, title=unique("该客户合同"))
    other = make_contract(org.east_rep, title=unique("别家合同"))
    html = login(org.east_rep).get(f"/contracts/list/?_flt_0_customer={customer.id}").get_data(as_text=True)
    assert theirs.title in html and other.title not in html
