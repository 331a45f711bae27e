"""Exports are files people open in Excel: CSV says what it is exactly once, and text a user typed
that looks like a formula (a customer named =HYPERLINK(...)) arrives as text, never as a formula,
in CSV and XLSX alike, while amounts stay numbers."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from app.extensions import db
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.factories import make_customer

FORMULAS = ['=HYPERLINK("http://evil.example/","点我")', "+1+2", "-3+4", "@SUM(A1:A9)"]


@pytest.fixture
def hostile(org):
    token = unique("fx")
    customers = [make_customer(org.east_rep, name=f"{formula}{token}") for formula in FORMULAS]
    tabbed = make_customer(org.east_rep, name=f"制表符{token}", address="\t=1+1")
    returned = make_customer(org.east_rep, name=f"回车{token}", address="\r=1+1")
    db.session.execute(update(Customer).where(Customer.id == customers[0].id).values(paid_12m=-1234.5))
    db.session.commit()
    return token, customers, tabbed, returned


def _query(token):
    return f"?_flt_2_name={token}&_oc_CustomerView=name&_od_CustomerView=asc"


def test_csv_exports_say_text_csv_utf8_exactly_once(org, login):
    make_customer(org.east_rep)
    client = login(org.admin)
    for url in ("/customers/export/csv", "/contracts/export/csv", "/customers/import/template.csv"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["Content-Type"] == "text/csv; charset=utf-8", url


def test_text_that_looks_like_a_formula_is_text_in_csv(org, login, hostile):
    token, customers, tabbed, returned = hostile
    resp = login(org.admin).get("/customers/export/csv" + _query(token))
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    name, address, paid = header.index("客户名称"), header.index("地址"), header.index("近12个月回款")
    by_name = {row[name]: row for row in rows[1:]}
    for formula in FORMULAS:
        assert f"'{formula}{token}" in by_name, by_name.keys()
    assert by_name[f"'{FORMULAS[0]}{token}"][paid] == "-1234.50"      # an amount stays a number
    assert by_name[f"制表符{token}"][address] == "'\t=1+1"
    assert by_name[f"回车{token}"][address] == "'\r=1+1"
    assert all(not row[name].startswith(("=", "+", "-", "@")) for row in rows[1:])


def test_text_that_looks_like_a_formula_is_text_in_xlsx(org, login, hostile):
    token, customers, tabbed, returned = hostile
    resp = login(org.admin).get("/customers/export/xlsx" + _query(token))
    sheet = load_workbook(io.BytesIO(resp.data)).active
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    name, address, paid = header.index("客户名称"), header.index("地址"), header.index("近12个月回款")
    cells = {row[name].value: row for row in rows[1:]}
    for formula in FORMULAS:
        cell = cells[f"'{formula}{token}"][name]
        assert cell.data_type == "s"
    amount = cells[f"'{FORMULAS[0]}{token}"][paid]
    assert amount.data_type == "n" and amount.value == -1234.5
    assert cells[f"制表符{token}"][address].value == "'\t=1+1"
    assert not any(c.data_type == "f" for row in rows for c in row)


def test_analysis_exports_neutralise_labels_too(org, login, hostile):
    token, customers, *_ = hostile
    region = f"=cmd|' /C calc'!A0{token}"
    db.session.execute(update(Customer).where(Customer.id == customers[1].id).values(region=region))
    db.session.commit()
    client = login(org.admin)
    rows = list(csv.reader(io.StringIO(client.get("/customer_analysis/region.csv").get_data(as_text=True))))
    assert [f"'{region}", "1"] in rows
    sheet = load_workbook(io.BytesIO(client.get("/customer_analysis/region.xlsx").data)).active
    assert [f"'{region}", 1] in [[c.value for c in row] for row in sheet.iter_rows()]


def test_the_roles_matrix_export_neutralises_role_names(org, login, app):
    from app.security.matrix import export_csv

    sm = app.appbuilder.sm
    role = sm.add_role(f"=1+2{unique('r')}")
    sm.add_permission_role(role, sm.find_permission_view_menu("can_read", "customers"))
    try:
        text = export_csv()
        assert f"'{role.name}," in text and f"\n{role.name}," not in text
    finally:
        db.session.delete(db.session.merge(role))
        db.session.commit()
