"""The generated customer screens: list, search, filters, sorting, paging, add/edit/delete,
bulk actions, show with History, exports and charts."""
import csv
import io
import re

from openpyxl import load_workbook

from app.extensions import db
from flask_babel import force_locale, gettext

from app.modules.customers.models import INDUSTRY_CHOICES, Customer
from tests.conftest import unique
from tests.factories import make_customer


def _field_errors(html: str) -> list[str]:
    """The messages shown next to form fields."""
    return [" ".join(m.split()) for m in re.findall(r'<div class="alert alert-danger">(.*?)</div>', html, re.S)]


def test_list_shows_only_matching_rows_when_searching_by_name(org, login):
    marker = unique("检索")
    make_customer(org.east_rep, f"{marker}一号")
    make_customer(org.east_rep, f"{marker}二号")
    make_customer(org.east_rep)
    client = login(org.admin)
    html = client.get(f"/customers/list/?_flt_2_name={marker}").get_data(as_text=True)
    assert html.count(marker) >= 2
    assert f"{marker}一号" in html and f"{marker}二号" in html
    assert re.search(r"Record Count</strong>:?\s*</?\w*>?\s*2\b|记录数.*?\b2\b", html, re.S) or "2" in html


def test_list_is_sortable_and_paginated(org, login):
    marker = unique("排序")
    for i in range(3):
        make_customer(org.east_rep, f"{marker}-{i}")
    client = login(org.admin)
    asc = client.get(f"/customers/list/?_flt_2_name={marker}&_oc_CustomerView=name&_od_CustomerView=asc").get_data(as_text=True)
    desc = client.get(f"/customers/list/?_flt_2_name={marker}&_oc_CustomerView=name&_od_CustomerView=desc").get_data(as_text=True)
    assert asc.index(f"{marker}-0") < asc.index(f"{marker}-2")
    assert desc.index(f"{marker}-2") < desc.index(f"{marker}-0")
    page2 = client.get(f"/customers/list/?_flt_2_name={marker}&_oc_CustomerView=name&_od_CustomerView=asc&psize_CustomerView=2&page_CustomerView=1").get_data(as_text=True)
    assert f"{marker}-2" in page2 and f"{marker}-0" not in page2


def test_count_is_capped_for_large_lists(org, login, app):
    spec_cap = app.config["LIST_COUNT_CAP"]
    from app.core.registry import registry

    spec = registry.get("customers")
    old, spec.count_cap = spec.count_cap, 3
    try:
        marker = unique("计数")
        for i in range(5):
            make_customer(org.east_rep, f"{marker}{i}")
        html = login(org.admin).get(f"/customers/list/?_flt_2_name={marker}").get_data(as_text=True)
        with force_locale("zh_CN"):
            assert gettext("more than %(n)s", n="3") in html
    finally:
        spec.count_cap = old
    assert spec_cap == 1000


def test_add_form_shows_field_message_and_keeps_what_was_typed(org, login):
    existing = make_customer(org.east_rep)
    client = login(org.east_rep)
    resp = client.post("/customers/add", data={
        "name": existing.name, "kind": "company", "status": "potential", "credit_limit": "5000",
        "owner": str(org.east_rep.id), "address": "上海市浦东新区张江路88号", "phone": "0211234",
    })
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    errors = _field_errors(html)
    assert any(existing.code in e for e in errors), errors
    assert any("phone" in e.lower() or "电话" in e for e in errors), errors
    assert "上海市浦东新区张江路88号" in html  # nothing the clerk typed is lost
    assert db.session.query(Customer).filter_by(address="上海市浦东新区张江路88号").count() == 0


def test_add_edit_and_delete_through_the_screens(org, login):
    client = login(org.east_rep)
    name = unique("页面新增")
    resp = client.post("/customers/add", data={"name": name, "kind": "company", "status": "active",
                                               "credit_limit": "88000.5", "owner": str(org.east_rep.id)})
    assert resp.status_code == 302
    customer = db.session.query(Customer).filter_by(name=name).one()
    customer_id = customer.id
    assert customer.code.startswith("KH-") and str(customer.credit_limit) == "88000.50"

    resp = client.post(f"/customers/edit/{customer.id}", data={"name": name, "kind": "company", "status": "dormant",
                                                             "credit_limit": "90000", "owner": str(org.east_rep.id)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).status == "dormant"

    show = client.get(f"/customers/show/{customer.id}?tab=history").get_data(as_text=True)
    assert "zwt-history" in show and "88,000.50" in show and "90,000.00" in show

    manager = login(org.manager)
    assert manager.post(f"/customers/delete/{customer.id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer_id) is None


def test_bulk_action_marks_selected_customers_lost(org, login):
    a, b = make_customer(org.east_rep), make_customer(org.east_rep)
    client = login(org.east_rep)
    resp = client.post("/customers/action_post", data={"action": "mark_lost", "rowid": [str(a.id), str(b.id)]})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, a.id).status == "lost" and db.session.get(Customer, b.id).status == "lost"


def test_csv_and_xlsx_export_the_filtered_list_with_chinese_headers(org, login):
    marker = unique("导出")
    make_customer(org.east_rep, f"{marker}甲", credit_limit="12345.60")
    make_customer(org.east_rep, f"{marker}乙")
    make_customer(org.east_rep)
    client = login(org.admin)
    resp = client.get(f"/customers/export/csv?_flt_2_name={marker}")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["客户编号", "客户名称"]
    assert sorted(r[1] for r in rows[1:]) == [f"{marker}乙", f"{marker}甲"]

    resp = client.get(f"/customers/export/xlsx?_flt_2_name={marker}")
    sheet = load_workbook(io.BytesIO(resp.data)).active
    values = list(sheet.values)
    assert values[0][1] == "客户名称" and len(values) == 3
    limit_col = values[0].index("信用额度") + 1
    money = [sheet.cell(row=r, column=limit_col) for r in (2, 3)]
    assert any(c.value == 12345.6 and c.number_format == "#,##0.00" for c in money)


def test_chart_data_is_aggregated_in_sql_and_honours_filters(org, login):
    marker = unique("图表")
    for industry in ("it", "it", "retail"):
        make_customer(org.east_rep, f"{marker}{unique()}", industry=industry)
    client = login(org.admin)
    data = client.get(f"/customers/chart/by_industry.json?_flt_2_name={marker}").get_json()
    with force_locale("zh_CN"):
        labels = {code: str(label) for code, label in INDUSTRY_CHOICES}
    assert dict(data["table"]) == {labels["it"]: "2", labels["retail"]: "1"}
    assert data["option"]["series"][0]["type"] == "pie"
    months = client.get(f"/customers/chart/by_month.json?_flt_2_name={marker}").get_json()
    assert sum(int(v) for _, v in months["table"]) == 3

    page = client.get("/customers/chart/").get_data(as_text=True)
    assert "/static/vendor/echarts/echarts.min.js" in page
    assert "http://" not in page.replace("http://localhost", "") and "https://" not in page


def test_show_page_lists_contacts_and_history(org, login):
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact

    customer = make_customer(org.east_rep)
    create_contact(org.east_rep, Contact(customer_id=customer.id, name="联系人王五", phone="13700000001"))
    client = login(org.east_rep)
    html = client.get(f"/customers/show/{customer.id}").get_data(as_text=True)
    assert "zwt-history-tab" in html
    assert "联系人王五" in client.get(f"/customers/show/{customer.id}/tab/ContactView").get_data(as_text=True)
    assert "联系人王五" in client.get(f"/customers/show/{customer.id}?tab=ContactView").get_data(as_text=True)


def test_search_panel_stays_open_while_a_filter_is_active(org, login):
    client = login(org.east_rep)
    assert 'id="accordion1_href" class="panel-collapse collapse in"' not in client.get("/customers/list/").get_data(as_text=True)
    filtered = client.get("/customers/list/?_flt_2_name=abc").get_data(as_text=True)
    assert 'id="accordion1_href" class="panel-collapse collapse in"' in filtered


def test_name_search_on_the_list_finds_two_character_terms_anywhere(org, login):
    marker = unique("m")
    make_customer(org.east_rep, f"上海华信精密{marker}")
    make_customer(org.east_rep, f"华X信{marker}")
    html = login(org.east_rep).get(f"/customers/list/?_flt_2_name=华信&_flt_2_name={marker}").get_data(as_text=True)
    assert f"上海华信精密{marker}" in html and f"华X信{marker}" not in html
