"""The user administration chooses a user's manager and department, and filters the users list and the login
history, by search-as-you-type (/user-choices/<kind>): no page carries a select of every user, only
administrators may search, and what is chosen is saved."""
from __future__ import annotations

import json
import re

from flask import current_app
from sqlalchemy import select

from app.core.org import User
from app.extensions import db
from tests.conftest import unique
from tests.factories import make_user

CJK = re.compile(r"[\u4e00-\u9fff]")


def _choices(client, kind: str, q: str = ""):
    return client.get(f"/user-choices/{kind}", query_string={"q": q})


def _ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return [row["id"] for row in resp.get_json()["results"]]


def test_the_user_forms_and_filters_carry_no_select_of_every_user(app, org, login):
    admin = login(org.admin)
    for path in ("/users/add", f"/users/edit/{org.east_rep.id}"):
        html = admin.get(path).get_data(as_text=True)
        assert 'data-ajax--url="/user-choices/users"' in html and 'data-ajax--url="/user-choices/departments"' in html
        # another person of the organisation is no option of the page: only the edited user's current choice is
        assert f">{org.finance_user}<" not in html
    edit = admin.get(f"/users/edit/{org.east_rep.id}").get_data(as_text=True)
    for name, chosen in (("manager", org.manager.id), ("department", org.east.id)):
        select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', edit, re.S).group(1)
        assert re.findall(r'<option value="(\d*)"', select) == [str(chosen)]
    listed = admin.get("/users/list/").get_data(as_text=True)
    config = json.loads(re.search(r'id="zwt-filter-config"[^>]*>(.*?)</script>', listed, re.S).group(1))
    assert 'data-url="/user-choices/users"' in config["fields"]["manager"]
    assert "<option" not in config["fields"]["manager"] and "<option" not in config["fields"]["department"]
    history = admin.get("/login_history/list/").get_data(as_text=True)
    config = json.loads(re.search(r'id="zwt-filter-config"[^>]*>(.*?)</script>', history, re.S).group(1))
    assert 'data-url="/user-choices/users"' in config["fields"]["user"] and "<option" not in config["fields"]["user"]


def test_administrators_find_people_and_departments_by_part_of_the_name(app, org, login):
    admin = login(org.admin)
    assert _ids(_choices(admin, "users", org.finance_user.username)) == [org.finance_user.id]
    assert _ids(_choices(admin, "departments", org.finance.name)) == [org.finance.id]
    assert _ids(_choices(admin, "departments", org.finance.code)) == [org.finance.id]
    token = unique("多人")
    for _ in range(21):
        make_user("Sales", org.east).first_name = token
    db.session.commit()
    many = _choices(admin, "users", token)
    assert len(_ids(many)) == 20 and many.get_json()["more"] is True
    assert _ids(_choices(admin, "users", unique("无此人"))) == []


def test_only_administrators_may_search_and_bad_requests_get_a_chinese_message(app, org, login):
    refused = _choices(login(org.east_rep), "users")
    assert refused.status_code == 403 and CJK.search(refused.get_json()["error"])
    assert _choices(login(org.manager), "departments").status_code == 403
    assert _choices(app.test_client(), "users").status_code in (401, 302)
    admin = login(org.admin)
    missing = _choices(admin, "roles")
    assert missing.status_code == 404 and CJK.search(missing.get_json()["error"])
    long = _choices(admin, "users", "王" * 101)
    assert long.status_code == 400 and CJK.search(long.get_json()["error"])
    assert _choices(admin, "users", "a\x00b").status_code == 400


def test_a_user_is_added_and_moved_with_the_manager_and_department_chosen(app, org, login):
    admin = login(org.admin)
    role = current_app.appbuilder.sm.find_role("Sales")
    name = unique("new")
    resp = admin.post("/users/add", data={
        "first_name": "新", "last_name": "员工", "username": name, "email": f"{name}@example.com", "active": "y",
        "roles": [str(role.id)], "department": str(org.east.id), "manager": str(org.manager.id), "mobile": "",
        "password": "Lu7-zhou-Qiao", "conf_password": "Lu7-zhou-Qiao"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == name))
    assert (user.department_id, user.manager_id) == (org.east.id, org.manager.id)
    resp = admin.post(f"/users/edit/{user.id}", data={
        "first_name": "新", "last_name": "员工", "username": name, "email": f"{name}@example.com", "active": "y",
        "roles": [str(role.id)], "department": str(org.south.id), "manager": "", "mobile": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.department_id, user.manager_id) == (org.south.id, None)
    # the users list filtered by a manager: their reports, and the chosen manager is the filter's only option
    listed = admin.get("/users/list/", query_string={"_flt_0_manager": org.manager.id}).get_data(as_text=True)
    assert org.east_rep.username in listed and org.finance_user.username not in listed
    config = json.loads(re.search(r'id="zwt-filter-config"[^>]*>(.*?)</script>', listed, re.S).group(1))
    assert re.findall(r'<option value="(\d+)">', config["fields"]["manager"]) == [str(org.manager.id)]
