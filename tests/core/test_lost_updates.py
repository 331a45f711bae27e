"""No lost updates: an edit carries the version of the record it started from. A save started
before someone else's saved change is refused — with who changed what — and gives the form back
with their change and the user's own typing; saving that again writes only what the user
changed. The same on the API (version / If-Match, 409) and for bulk actions on the list."""
from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser

import pytest

from app.extensions import db
from app.modules.customers.models import Customer
from tests.factories import make_customer


class EditForm(HTMLParser):
    """The values the edit form (#model_form) would submit as the browser shows it."""

    def __init__(self, html: str):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._in_form = False
        self._select = None
        self._textarea = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._in_form = a.get("id") == "model_form"
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.values.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            # Browsers drop the line break that follows <textarea>.
            start = not self.values[self._textarea][0]
            self.values[self._textarea][0] += data.removeprefix("\r\n").removeprefix("\n") if start else data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _open(client, customer):
    resp = client.get(f"/customers/edit/{customer.id}")
    assert resp.status_code == 200
    return EditForm(resp.get_data(as_text=True)).values


def _save(client, customer, values, **changes):
    data = {**values, **{k: [v] for k, v in changes.items()}}
    return client.post(f"/customers/edit/{customer.id}", data=data)


def _fresh(customer):
    db.session.expire_all()
    return db.session.get(Customer, customer.id)


@pytest.fixture
def customer(org):
    return make_customer(org.east_rep, address="上海市旧地址1号", phone=_phone())


def _phone() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


def test_a_save_started_before_someone_elses_saved_change_is_refused_and_says_who_changed_what(
        org, login, customer):
    lina, zhangwei = login(org.east_rep), login(org.manager)
    customer_phone, new_phone = customer.phone, _phone()
    his = _open(zhangwei, customer)            # zhangwei opens the form first
    hers = _open(lina, customer)
    assert _save(lina, customer, hers, address="北京市新地址2号").status_code == 302

    refused = _save(zhangwei, customer, his, phone=new_phone)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert org.east_rep.display_name in page and "地址" in page
    assert "上海市旧地址1号" in page and "北京市新地址2号" in page
    assert "您的修改未保存" in page or "未保存" in page
    stored = _fresh(customer)
    assert stored.address == "北京市新地址2号" and stored.phone == customer_phone

    # The form came back with her address and his typing, at the current version.
    again = EditForm(page).values
    assert again["address"] == ["北京市新地址2号"] and again["phone"] == [new_phone]
    assert again["zwt_version"] != his["zwt_version"]
    assert zhangwei.post(f"/customers/edit/{customer.id}", data=again).status_code == 302
    stored = _fresh(customer)
    assert stored.address == "北京市新地址2号" and stored.phone == new_phone


def test_a_save_writes_only_the_fields_the_user_changed(org, login, customer):
    """The history of the save holds the one field she changed, nothing else of the form."""
    lina = login(org.east_rep)
    form = _open(lina, customer)
    assert _save(lina, customer, form, notes="新的备注").status_code == 302
    stored = _fresh(customer)
    assert stored.notes == "新的备注" and stored.address == "上海市旧地址1号"
    history_rows = [e for e in _history(customer) if e.action == "update"]
    assert history_rows[0].changes.keys() == {"notes"}


def _history(customer):
    from app.core.audit import history_of

    return history_of(_fresh(customer))


def test_saving_twice_from_the_same_page_is_refused_the_second_time(org, login, customer):
    lina = login(org.east_rep)
    form = _open(lina, customer)
    assert _save(lina, customer, form, address="第一次").status_code == 302
    assert _save(lina, customer, form, address="第二次").status_code == 409
    assert _fresh(customer).address == "第一次"


def test_a_refused_save_keeps_the_users_typing_when_a_field_overlaps(org, login, customer):
    lina, zhangwei = login(org.east_rep), login(org.manager)
    his, hers = _open(zhangwei, customer), _open(lina, customer)
    _save(lina, customer, hers, address="她写的地址")
    refused = _save(zhangwei, customer, his, address="他写的地址")
    assert refused.status_code == 409
    assert EditForm(refused.get_data(as_text=True)).values["address"] == ["他写的地址"]
    assert _fresh(customer).address == "她写的地址"


def test_background_updates_of_derived_fields_do_not_make_a_form_stale(org, login, customer):
    lina = login(org.east_rep)
    form = _open(lina, customer)
    with db.session.begin_nested():
        db.session.execute(Customer.__table__.update().where(Customer.id == customer.id).values(paid_12m=99))
    db.session.commit()
    assert _save(lina, customer, form, address="照常保存").status_code == 302


def test_the_api_sends_the_version_and_refuses_a_stale_change_with_409(app, org, api_token, login, customer):
    client, headers = app.test_client(), api_token(org.manager)
    old_phone, new_phone = customer.phone, _phone()
    got = client.get(f"/api/v1/customers/{customer.id}", headers=headers)
    version = got.get_json()["version"]
    assert got.headers["ETag"] == f'"{version}"'

    lina = login(org.east_rep)
    _save(lina, customer, _open(lina, customer), address="北京市新地址2号")

    stale = client.put(f"/api/v1/customers/{customer.id}", json={"phone": new_phone, "version": version},
                       headers=headers)
    assert stale.status_code == 409
    body = stale.get_json()
    assert "北京市新地址2号" in body["message"] and org.east_rep.display_name in body["message"]
    assert body["version"] > version
    assert _fresh(customer).phone == old_phone

    by_header = client.put(f"/api/v1/customers/{customer.id}", json={"phone": new_phone},
                           headers={**headers, "If-Match": f'"{version}"'})
    assert by_header.status_code == 409

    current = client.put(f"/api/v1/customers/{customer.id}", json={"phone": new_phone},
                         headers={**headers, "If-Match": f'"{body["version"]}"'})
    assert current.status_code == 200 and current.get_json()["version"] > body["version"]
    assert _fresh(customer).address == "北京市新地址2号" and _fresh(customer).phone == new_phone


def test_an_api_change_without_a_version_writes_only_the_fields_sent(app, org, api_token, login, customer):
    lina, new_phone = login(org.east_rep), _phone()
    _save(lina, customer, _open(lina, customer), address="她的新地址")
    resp = app.test_client().put(f"/api/v1/customers/{customer.id}", json={"phone": new_phone},
                                 headers=api_token(org.manager))
    assert resp.status_code == 200
    stored = _fresh(customer)
    assert stored.address == "她的新地址" and stored.phone == new_phone
    assert app.test_client().put(f"/api/v1/customers/{customer.id}", json={"version": "abc"},
                                 headers=api_token(org.manager)).status_code == 400


def test_a_bulk_action_on_rows_changed_since_the_list_was_shown_is_refused(org, login, customer):
    lina, zhangwei = login(org.east_rep), login(org.manager)
    listing = zhangwei.get(f"/customers/list/?_flt_2_name={customer.name}").get_data(as_text=True)
    shown = re.search(r'form="action_form" name="zwt_version" value="(\d+)"', listing).group(1)   # the page's mark
    _save(lina, customer, _open(lina, customer), address="列表之后改的地址")

    resp = zhangwei.post("/customers/action_post", data={"action": "mark_lost", "rowid": [str(customer.id)],
                                                         "zwt_version": shown})
    assert resp.status_code == 302
    assert _fresh(customer).status != "lost"
    page = zhangwei.get(resp.headers["Location"]).get_data(as_text=True)
    assert "列表之后改的地址" in page and "没有执行" in page

    fresh = re.search(r'form="action_form" name="zwt_version" value="(\d+)"',
                      zhangwei.get(f"/customers/list/?_flt_2_name={customer.name}").get_data(as_text=True)).group(1)
    zhangwei.post("/customers/action_post", data={"action": "mark_lost", "rowid": [str(customer.id)],
                                                  "zwt_version": fresh})
    assert _fresh(customer).status == "lost"


def test_the_api_description_documents_the_version(app, org, api_token):
    spec = app.test_client().get("/api/v1/_openapi", headers=api_token(org.admin)).get_json()
    assert spec["components"]["schemas"]["CustomerApi.put"]["properties"]["version"]["type"] == "integer"
    answers = spec["paths"]["/api/v1/customers/{pk}"]["put"]["responses"]
    assert "409" in answers
    shown = spec["paths"]["/api/v1/customers/{pk}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "version" in shown["properties"]
