"""A form posted without its security token is refused in the user's language, and changes nothing."""
from __future__ import annotations

from app.modules.customers.models import Customer
from app.extensions import db
from tests.factories import make_customer


def test_a_form_without_its_token_is_refused_in_chinese_and_changes_nothing(app, org, login):
    customer = make_customer(org.east_rep, name="令牌测试客户")
    client = login(org.east_rep)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        resp = client.post(f"/customers/edit/{customer.id}", data={"name": "被改掉的名字"})
        json_resp = client.post(f"/customers/edit/{customer.id}", data={"name": "被改掉的名字"},
                                headers={"Accept": "application/json"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "表单已过期" in html and "CSRF" not in html
    assert json_resp.status_code == 400 and json_resp.get_json()["message"] == "表单已过期。"
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "令牌测试客户"
