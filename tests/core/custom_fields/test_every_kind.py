"""Every kind of custom field through a module's form and its REST API, good and bad values; a
contract's pages hold contract fields; custom fields change nobody's data scope."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select

from app.core.custom_fields import service
from app.core.custom_fields.models import CustomField
from app.extensions import db
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.factories import make_customer

# kind: (extra definition, form text, stored value, API JSON, stored from the API, a bad form text)
KINDS = {
    "text": ({}, " 华东 ", "华东", "华南", "华南", "x" * 201),
    "textarea": ({}, "第一行\r\n第二行", "第一行\n第二行", "多行\n说明", "多行\n说明", "x" * 5001),
    "integer": ({}, "1,200", 1200, 35, 35, "1.5"),
    "decimal": ({}, "¥1,234.50", "1234.5", "99.90", "99.9", "很多"),
    "date": ({}, "2026-03-31", "2026-03-31", "2026-04-01", "2026-04-01", "2026-13-40"),
    "datetime": ({}, "2026-03-31T10:30", "2026-03-31T02:30:00", "2026-04-01T08:00:00+08:00",
                 "2026-04-01T00:00:00", "明天"),
    "choice": ({"choices": "a=重要\nb=一般"}, "b", "b", "重要", "a", "c"),
    "multichoice": ({"choices": "a=重要\nb=一般\nc=观察"}, ["c", "a"], ["a", "c"], ["一般"], ["b"], ["a", "z"]),
    "boolean": ({}, "y", True, False, False, None),
}


@pytest.fixture
def made(org):
    names: list[str] = []
    yield names
    db.session.rollback()
    db.session.execute(delete(CustomField).where(CustomField.name.in_(names)))
    db.session.commit()


def _tag() -> str:
    return re.sub(r"[^a-z0-9]", "", unique("k").lower())[-8:]


def _define(org, made, module="customers", kinds=KINDS):
    tag = _tag()
    names = {}
    for kind, (extra, *_rest) in kinds.items():
        name = f"{kind}_{tag}"
        service.create_field(org.admin, module, name, f"{kind}标签{tag}", kind, **extra)
        made.append(name)
        names[kind] = name
    return names


def _customer_form(org, name, **custom):
    data = {"name": name, "kind": "company", "status": "potential", "credit_limit": "0", "owner": str(org.east_rep.id)}
    data.update({f"custom__{k}": v for k, v in custom.items()})
    return data


def test_every_kind_through_the_add_form(org, login, made):
    names = _define(org, made)
    names["user"] = f"user_{_tag()}"
    service.create_field(org.admin, "customers", names["user"], "跟进人", "user")
    made.append(names["user"])
    rep = login(org.east_rep)
    page = rep.get("/customers/add").get_data(as_text=True)
    assert 'type="datetime-local"' in page and "data-provide=\"datepicker\"" in page and "data-ajax--url" in page

    good = {names[k]: spec[1] for k, spec in KINDS.items()}
    good[names["user"]] = str(org.manager.id)
    name = unique("表单客户")
    assert rep.post("/customers/add", data=_customer_form(org, name, **good)).status_code == 302
    item = db.session.scalars(select(Customer).where(Customer.name == name)).one()
    expected = {names[k]: spec[2] for k, spec in KINDS.items()}
    expected[names["user"]] = org.manager.id
    assert item.custom == expected

    edit = rep.get(f"/customers/edit/{item.id}").get_data(as_text=True)
    number_box = re.search(rf'<input[^>]*name="custom__{names["decimal"]}"[^>]*>', edit).group(0)
    assert 'inputmode="decimal"' in number_box and 'value="1,234.5"' in number_box
    show = rep.get(f"/customers/show/{item.id}").get_data(as_text=True)
    assert "1,234.5" in show and "一般" in show and "重要、观察" in show and "1,200" in show
    assert "2026-03-31 10:30" in show          # stored in UTC, shown in the user's zone

    for kind, spec in KINDS.items():
        if spec[5] is None:
            continue
        bad = dict(good, **{names[kind]: spec[5]})
        other = unique("坏值客户")
        answer = rep.post("/customers/add", data=_customer_form(org, other, **bad))
        assert answer.status_code == 200, kind
        assert f"custom__{names[kind]}-error" in answer.get_data(as_text=True), kind
        assert db.session.scalar(select(Customer.id).where(Customer.name == other)) is None, kind
    bad_user = dict(good, **{names["user"]: "999999999"})
    answer = rep.post("/customers/add", data=_customer_form(org, unique("坏值客户"), **bad_user))
    assert answer.status_code == 200 and f"custom__{names['user']}-error" in answer.get_data(as_text=True)


def test_an_unticked_checkbox_saves_no(org, login, made):
    names = _define(org, made, kinds={"boolean": KINDS["boolean"]})
    rep = login(org.east_rep)
    name = unique("复选客户")
    assert rep.post("/customers/add", data=_customer_form(org, name)).status_code == 302
    item = db.session.scalars(select(Customer).where(Customer.name == name)).one()
    assert item.custom.get(names["boolean"]) in (False, None)


def test_every_kind_through_the_api(org, api_token, app, made):
    names = _define(org, made)
    client = app.test_client()
    headers = api_token(org.east_rep)
    body = {"name": unique("API客户"), "kind": "company", "status": "potential",
            "custom": {names[k]: spec[3] for k, spec in KINDS.items()}}
    created = client.post("/api/v1/customers/", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    expected = {names[k]: spec[4] for k, spec in KINDS.items()}
    db.session.expire_all()
    assert db.session.get(Customer, pk).custom == expected
    assert client.get(f"/api/v1/customers/{pk}", headers=headers).get_json()["result"]["custom"] == expected

    for kind, spec in KINDS.items():
        if spec[5] is None:
            continue
        answer = client.put(f"/api/v1/customers/{pk}", json={"custom": {names[kind]: spec[5]}}, headers=headers)
        assert answer.status_code == 400, (kind, answer.get_json())
        assert re.search(r"[\u4e00-\u9fff]", str(answer.get_json())), answer.get_json()
    for wrong in ({names["boolean"]: "maybe"}, {names["integer"]: True}, {names["choice"]: ["a"]}):
        assert client.put(f"/api/v1/customers/{pk}", json={"custom": wrong}, headers=headers).status_code == 400
    db.session.expire_all()
    assert db.session.get(Customer, pk).custom == expected


def test_a_contract_field_shows_on_contract_pages_only(org, login, made):
    from tests.modules.contracts.helpers import make_contract

    tag = _tag()
    name = f"seal_{tag}"
    service.create_field(org.admin, "contracts", name, f"用印方式{tag}", "choice", choices="e=电子章\np=实体章")
    made.append(name)
    customer = make_customer(org.east_rep)
    contract = make_contract(org.east_rep, customer)
    contract.custom = {name: "p"}
    db.session.commit()
    rep = login(org.east_rep)
    assert "实体章" in rep.get(f"/contracts/show/{contract.id}").get_data(as_text=True)
    assert f"custom__{name}" in rep.get(f"/contracts/edit/{contract.id}").get_data(as_text=True)
    assert f"custom__{name}" not in rep.get("/customers/add").get_data(as_text=True)


def test_custom_fields_change_nobodys_data_scope(org, login, api_token, app, made):
    names = _define(org, made, kinds={"text": KINDS["text"]})
    secret = unique("华东机密")
    theirs = make_customer(org.east_rep)
    theirs.custom = {names["text"]: secret}
    db.session.commit()
    other = login(org.south_rep)
    assert other.get(f"/customers/show/{theirs.id}").status_code in (302, 403, 404)
    assert other.get(f"/customers/edit/{theirs.id}").status_code in (302, 403, 404)
    client = app.test_client()
    headers = api_token(org.south_rep)
    assert client.get(f"/api/v1/customers/{theirs.id}", headers=headers).status_code == 404
    listed = client.get("/api/v1/customers/?q=(page_size:100)", headers=headers).get_data(as_text=True)
    assert secret not in listed
    answer = client.put(f"/api/v1/customers/{theirs.id}", json={"custom": {names["text"]: "改了"}}, headers=headers)
    assert answer.status_code == 404
    db.session.expire_all()
    assert db.session.get(Customer, theirs.id).custom == {names["text"]: secret}
    # The owner and their manager see it.
    assert secret in login(org.manager).get(f"/customers/show/{theirs.id}").get_data(as_text=True)


def test_contacts_have_custom_fields_too(org, login, made):
    from app.modules.customers.models import Contact
    from app.modules.customers.service import create_contact

    tag = _tag()
    name = f"wechat_{tag}"
    service.create_field(org.admin, "contacts", name, f"微信号{tag}", "text", help_text="联系人的微信")
    made.append(name)
    customer = make_customer(org.east_rep)
    contact = create_contact(org.east_rep, Contact(customer_id=customer.id, name=unique("联系人"), custom={name: "wx_123"}))
    rep = login(org.east_rep)
    assert f"custom__{name}" in rep.get(f"/contacts/edit/{contact.id}").get_data(as_text=True)
    show = rep.get(f"/contacts/show/{contact.id}").get_data(as_text=True)
    assert f"微信号{tag}" in show and "wx_123" in show


def test_a_user_field_offers_people_as_the_owner_filter_does(org, login, made, app):
    tag = _tag()
    helper, note = f"helper_{tag}", f"note_{tag}"
    service.create_field(org.admin, "customers", helper, "协助人", "user")
    service.create_field(org.admin, "customers", note, "备注", "text")
    made.extend([helper, note])
    with app.test_request_context():
        from app.core.relation_search import endpoint_url

        url, text_url = endpoint_url("customers", f"custom.{helper}"), endpoint_url("customers", f"custom.{note}")
    manager = login(org.manager)
    found = manager.get(url, query_string={"q": org.east_rep.username}).get_json()
    assert [r["id"] for r in found["results"]] == [org.east_rep.id]
    assert "password" not in str(found)
    assert manager.get(url, query_string={"q": org.finance_user.username}).get_json()["results"] == []
    assert manager.get(text_url, query_string={"q": "x"}).status_code == 404


def test_a_new_record_starts_with_the_fields_defaults(org, login, api_token, app, made):
    tag = _tag()
    level, days = f"lvl_{tag}", f"days_{tag}"
    service.create_field(org.admin, "customers", level, "等级", "choice", choices="a=重要\nb=一般", default="一般")
    service.create_field(org.admin, "customers", days, "账期", "integer", default="30", required=True)
    made.extend([level, days])
    rep = login(org.east_rep)
    page = rep.get("/customers/add").get_data(as_text=True)
    assert re.search(rf'<option[^>]*selected[^>]*value="b"|<option[^>]*value="b"[^>]*selected', page)
    assert re.search(rf'name="custom__{days}"[^>]*value="30"|value="30"[^>]*name="custom__{days}"', page)
    client = app.test_client()
    created = client.post("/api/v1/customers/", json={"name": unique("默认客户"), "kind": "company",
                                                      "status": "potential"}, headers=api_token(org.east_rep))
    assert created.status_code == 201, created.get_json()
    db.session.expire_all()
    assert db.session.get(Customer, created.get_json()["id"]).custom == {level: "b", days: 30}


def test_a_field_made_required_later_does_not_block_other_changes_through_the_api(org, api_token, app, made):
    customer = make_customer(org.east_rep)
    tag = _tag()
    name = f"must_{tag}"
    service.create_field(org.admin, "customers", name, "必填项", "text", required=True)
    made.append(name)
    client = app.test_client()
    headers = api_token(org.east_rep)
    answer = client.put(f"/api/v1/customers/{customer.id}", json={"notes": "只改备注"}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    refused = client.put(f"/api/v1/customers/{customer.id}", json={"custom": {name: ""}}, headers=headers)
    assert refused.status_code == 400 and "必填项" in str(refused.get_json())
