"""The add and edit forms of every module: amounts typed as clerks write them (¥, thousands
separators, full-width digits) are read as exact Decimals rounded half up; anything else comes
back to the field with a Chinese message and nothing is saved. The form is drawn in the
module's sections, with required marks and help under the fields."""
from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest

from app.core import forms
from app.core.registry import registry
from app.extensions import db
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.factories import make_customer
from tests.modules.contracts.helpers import make_contract


@pytest.mark.parametrize("typed, amount", [
    ("1234567.80", "1234567.80"), ("1,234,567.8", "1234567.80"), ("¥1,234.5", "1234.50"), ("￥１，２３４．５", "1234.50"),
    (" 88 000.5 ", "88000.50"), ("-3,000", "-3000.00"), ("¥-12", "-12.00"), ("0", "0.00"), (".5", "0.50"),
    ("2.005", "2.01"), ("2.0049", "2.00"), ("1,000元", "1000.00"), ("12.", "12.00"),
])
def test_amounts_are_read_with_or_without_separators_and_yuan_sign(typed, amount):
    value = forms.parse_amount(typed)
    assert isinstance(value, Decimal) and value == Decimal(amount) and str(value) == amount


@pytest.mark.parametrize("typed", ["abc", "1,23", "12,34,567", "1.2.3", "¥", "1e5", "--5", "12 元 5", "NaN", "Infinity"])
def test_what_is_no_amount_is_refused(typed):
    with pytest.raises(ValueError):
        forms.parse_amount(typed)


def test_an_empty_amount_is_none():
    assert forms.parse_amount("") is None and forms.parse_amount("  ") is None and forms.parse_amount(None) is None


def test_amounts_are_shown_with_separators_and_two_decimals():
    assert forms.format_amount(Decimal("1234567.8")) == "1,234,567.80"
    assert forms.format_amount(0) == "0.00"
    assert forms.format_amount(None) == ""


def _form_data(**fields) -> dict:
    data = {"name": unique("金额客户"), "kind": "company", "status": "active", "credit_limit": "0"}
    data.update(fields)
    return data


def _field_errors(html: str, name: str) -> list[str]:
    block = re.search(rf'data-field="{name}">(.*?)(?=<div class="zwt-form-field[ "]|</section>)', html, re.S).group(1)
    return [" ".join(unescape(m).split()) for m in re.findall(r'<div class="alert alert-danger">(.*?)</div>', block, re.S)]


@pytest.mark.parametrize("typed, stored", [("¥1,234,567.80", "1234567.80"), ("1234567.805", "1234567.81"),
                                           ("8,800", "8800.00")])
def test_a_customer_saved_with_a_typed_amount_keeps_the_exact_decimal(org, login, typed, stored):
    data = _form_data(credit_limit=typed, owner=str(org.east_rep.id))
    resp = login(org.east_rep).post("/customers/add", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    saved = db.session.query(Customer).filter_by(name=data["name"]).one()
    assert saved.credit_limit == Decimal(stored)


@pytest.mark.parametrize("typed, message", [("12,34", "请输入金额，例如 1,234.50"), ("一千", "请输入金额，例如 1,234.50"),
                                            ("99,999,999,999,999,999", "金额超出范围")])
def test_a_bad_amount_comes_back_to_its_field_in_chinese_and_nothing_is_saved(org, login, typed, message):
    data = _form_data(credit_limit=typed, owner=str(org.east_rep.id), address="上海市徐汇区漕溪北路1号")
    resp = login(org.east_rep).post("/customers/add", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    errors = _field_errors(html, "credit_limit")
    assert errors and message in errors[0], errors
    assert f'value="{typed}"' in html                     # what was typed stays in the box
    assert "上海市徐汇区漕溪北路1号" in html
    assert 'data-zwt-unsaved="true"' in html              # leaving it still asks first
    assert db.session.query(Customer).filter_by(name=data["name"]).count() == 0


def test_an_amount_is_required_where_the_column_is(org, login):
    data = _form_data(credit_limit="", owner=str(org.east_rep.id))
    html = login(org.east_rep).post("/customers/add", data=data).get_data(as_text=True)
    assert _field_errors(html, "credit_limit")
    assert db.session.query(Customer).filter_by(name=data["name"]).count() == 0


def test_the_edit_form_shows_the_amount_with_separators_and_a_save_of_it_unchanged_writes_nothing_else(org, login):
    from app.core.audit import history_of

    customer = make_customer(org.east_rep, credit_limit="1234567.8")
    client = login(org.east_rep)
    html = client.get(f"/customers/edit/{customer.id}").get_data(as_text=True)
    box = re.search(r'<input[^>]*id="credit_limit"[^>]*>', html).group(0)
    assert 'value="1,234,567.80"' in box and 'inputmode="decimal"' in box and "data-zwt-money" in box
    assert '<span class="input-group-addon" aria-hidden="true">¥</span>' in html
    version = re.search(r'name="zwt_version"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="zwt_version"', html)
    assert version, "the edit form carries the version it started from"
    data = {"name": customer.name, "kind": "company", "status": customer.status, "credit_limit": "1,234,567.80",
            "owner": str(org.east_rep.id), "notes": "只改备注", "zwt_version": version.group(1)}
    assert client.post(f"/customers/edit/{customer.id}", data=data).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Customer, customer.id)
    assert stored.credit_limit == Decimal("1234567.80") and stored.notes == "只改备注"
    update = [entry for entry in history_of(stored) if entry.action == "update"][-1]
    assert "credit_limit" not in update.changes


def _sections(html: str) -> list[str]:
    return [" ".join(t.split()) for t in re.findall(r'class="zwt-form-section-title"[^>]*>(.*?)</h2>', html, re.S)]


def test_the_form_is_drawn_in_the_modules_sections_with_every_field(org, login):
    html = login(org.east_rep).get("/customers/add").get_data(as_text=True)
    assert _sections(html) == ["基本信息", "联系方式", "等级与跟进", "信用与归属", "备注"]
    spec = registry.get("customers")
    names = set(re.findall(r'data-field="(\w+)"', html))
    assert names == set(spec.add_columns)
    assert html.count('<form id="model_form"') == 1 and html.count('type="submit"') == 1


def test_required_fields_are_marked_and_help_sits_under_its_field(org, login):
    html = login(org.east_rep).get("/contracts/add").get_data(as_text=True)

    def block(name):
        return re.search(rf'data-field="{name}">(.*?)(?=<div class="zwt-form-field[ "]|</section>)', html, re.S).group(1)

    for name in ("title", "customer", "amount", "owner"):
        assert 'class="zwt-required-mark"' in block(name), name
    for name in ("notes", "signed_on", "department", "standard_terms"):
        assert 'class="zwt-required-mark"' not in block(name), name
    amount = block("amount")
    assert 'id="amount-help"' in amount and "单位：元" in unescape(amount)
    assert 'aria-describedby="amount-help"' in amount


def test_sections_keep_only_the_forms_columns_and_put_the_rest_last(app):
    from flask_babel import force_locale

    spec = registry.get("contracts")
    sections = forms.fieldsets(spec, ["title", "amount", "notes", "owner", "extra"])
    with app.test_request_context(), force_locale("zh_CN"):
        shown = [(str(t), o["fields"]) for t, o in sections]
    assert shown == [
        ("基本信息", ["title", "amount"]), ("归属", ["owner"]), ("备注", ["notes"]), ("其他", ["extra"])]
    assert sections[0][1]["required"] == ["title", "amount"]


def test_a_module_without_sections_gets_one_untitled_section():
    spec = registry.get("tags")
    spec_sections, spec.form_fieldsets = spec.form_fieldsets, []
    try:
        assert forms.fieldsets(spec, ["name", "colour"]) == [(None, {"fields": ["name", "colour"], "required": ["name"]})]
    finally:
        spec.form_fieldsets = spec_sections


def test_the_contract_amount_is_read_the_same_way(org, login):
    contract = make_contract(org.east_rep)
    client = login(org.east_rep)
    html = client.get(f"/contracts/edit/{contract.id}").get_data(as_text=True)
    version = re.search(r'value="([^"]+)"[^>]*name="zwt_version"|name="zwt_version"[^>]*value="([^"]+)"', html)
    data = {"title": contract.title, "customer": str(contract.customer_id), "amount": "￥130,000.5",
            "standard_terms": "y", "owner": str(org.east_rep.id), "zwt_version": version.group(1) or version.group(2)}
    assert client.post(f"/contracts/edit/{contract.id}", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(contract), contract.id).amount == Decimal("130000.50")


def test_times_are_shown_and_typed_in_the_users_zone_and_stored_in_utc(org, login):
    import datetime as dt

    from app.modules.customers.models import Interaction

    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    html = client.get("/interactions/add").get_data(as_text=True)
    box = re.search(r'<input[^>]*id="occurred_at"[^>]*>', html).group(0)
    assert 'type="datetime-local"' in box
    shown = re.search(r'value="([^"]*)"', box).group(1)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", shown), shown      # now, to the minute, local
    subject = unique("本地时间")
    resp = client.post("/interactions/add", data={"customer": str(customer.id), "kind": "call", "subject": subject,
                                                   "occurred_at": "2026-01-05T10:30"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    item = db.session.query(Interaction).filter_by(subject=subject).one()
    assert item.occurred_at == dt.datetime(2026, 1, 5, 2, 30)             # 10:30 in Shanghai
    html = client.get(f"/interactions/edit/{item.id}").get_data(as_text=True)
    assert 'value="2026-01-05T10:30"' in html


def test_dates_are_picked_in_chinese_boxes_and_a_bad_one_is_refused_in_chinese(org, login):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    html = client.get("/contracts/add").get_data(as_text=True)
    assert html.count('class="input-group date appbuilder_date"') == 3 and 'id="datepicker"' not in html
    data = {"title": unique("日期合同"), "customer": str(customer.id), "amount": "100", "owner": str(org.east_rep.id),
            "signed_on": "2026/02/30"}
    html = client.post("/contracts/add", data=data).get_data(as_text=True)
    assert _field_errors(html, "signed_on") == ["请输入日期，例如 2026-01-05"]
    assert 'value="2026/02/30"' in html
