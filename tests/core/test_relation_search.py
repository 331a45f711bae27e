"""The relation filters of a list's advanced panel (owner, customer, department) ask a
search-as-you-type endpoint: at most 20 choices, only what the user may see, refused to whoever
may not read the list, and a list page never carries a whole table's choices."""
from __future__ import annotations

import json
import re

from flask import current_app

from app.core import relation_search
from tests.conftest import unique
from tests.factories import make_customer, make_user


def _search(client, module: str, column: str, q: str = ""):
    return client.get(f"/relation-search/{module}/{column}", query_string={"q": q})


def _ids(resp) -> set:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return {row["id"] for row in resp.get_json()["results"]}


def test_owner_choices_follow_the_users_scope(app, org, login):
    own = _ids(_search(login(org.east_rep), "customers", "owner"))
    assert own == {org.east_rep.id}                                  # own scope: only oneself
    department = _ids(_search(login(org.manager), "customers", "owner"))
    assert {org.east_rep.id, org.east_rep2.id, org.south_rep.id, org.manager.id} <= department
    assert org.finance_user.id not in department                     # outside the sales subtree
    everyone = _search(login(org.admin), "customers", "owner", org.finance_user.username)
    assert _ids(everyone) == {org.finance_user.id}                   # all: anyone, by name


def test_department_choices_follow_the_users_scope(app, org, login):
    found = _ids(_search(login(org.manager), "customers", "department"))
    assert {org.sales.id, org.east.id, org.south.id} <= found
    assert org.finance.id not in found and org.company.id not in found
    assert _ids(_search(login(org.east_rep), "customers", "department")) == {org.east.id}


def test_customer_choices_are_the_customers_the_user_sees_at_most_twenty(app, org, login):
    token = unique("关联")
    mine = [make_customer(org.east_rep, name=f"{token}{i:02d}") for i in range(23)]
    theirs = make_customer(org.south_rep, name=f"{token}他")
    from app.extensions import db

    db.session.commit()
    resp = _search(login(org.east_rep), "contracts", "customer", token)
    body = resp.get_json()
    assert len(body["results"]) == relation_search.LIMIT == 20 and body["more"] is True
    assert _ids(resp) <= {c.id for c in mine}
    assert theirs.id not in _ids(_search(login(org.east_rep), "contracts", "customer", f"{token}他"))
    assert _ids(_search(login(org.manager), "contracts", "customer", f"{token}他")) == {theirs.id}


def test_refused_without_read_and_bad_input_is_a_chinese_400(app, org, login):
    sm = current_app.appbuilder.sm
    role = sm.add_role(unique("无权"))
    nobody = make_user(role.name, org.east)
    from app.extensions import db

    db.session.commit()
    assert _search(login(nobody), "customers", "owner").status_code == 403
    client = login(org.east_rep)
    long = _search(client, "customers", "owner", "长" * 101)
    assert long.status_code == 400 and re.search(r"[\u4e00-\u9fff]", long.get_json()["error"])
    assert _search(client, "customers", "name").status_code == 404            # not a relation
    assert _search(client, "nosuchmodule", "owner").status_code == 404
    assert app.test_client().get("/relation-search/customers/owner").status_code in (401, 302)


def test_a_list_page_carries_no_table_of_choices_and_no_inline_filter_script(app, org, login, monkeypatch):
    for _ in range(3):
        make_user("Sales", org.finance)
    client = login(org.admin)
    from flask_appbuilder.forms import DynamicForm

    built, refresh = [], DynamicForm.refresh.__func__
    monkeypatch.setattr(DynamicForm, "refresh", classmethod(lambda cls, *a, **k: built.append(cls) or refresh(cls, *a, **k)))
    html = client.get("/customers/list/").get_data(as_text=True)
    assert built == []                                     # no filter active: the search form is not built
    client.get("/customers/list/", query_string={"_flt_0_owner": org.east_rep.id})
    assert built                                           # the panel is drawn with an active filter
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, re.S)
    assert not any("AdminFilters" in body for _attrs, body in scripts)
    # No filter active: the panel's settings are not on the page, only where to fetch them.
    assert not re.search(r'<script type="application/json" id="zwt-filter-config"', html)
    url = re.search(r'<div hidden id="zwt-filter-config" data-url="([^"]+)"', html).group(1)
    assert url == "/list-filters/customers"
    assert 'class="filter"' not in html                    # the 添加筛选条件 menu comes with the settings
    resp = client.get(url)
    assert resp.status_code == 200 and resp.headers["Cache-Control"].startswith("private")
    config = resp.get_json()
    owner = config["fields"]["owner"]
    assert "zwt-relation-filter" in owner and "/relation-search/customers/owner" in owner
    assert "<option" not in owner                        # nothing chosen: no choices carried
    assert org.finance_user.username not in resp.get_data(as_text=True)
    assert config["active"] == [] and config["labels"]["owner"] == "负责人"
    assert config["columns"][:2] == ["code", "name"] and "owner" in config["columns"]   # the menu's order
    assert config["filters"]["name"] and 'name="name"' in config["fields"]["name"]


def test_the_panels_settings_are_refused_to_whoever_may_not_read_the_list(app, org, login):
    sm = current_app.appbuilder.sm
    role = sm.add_role(unique("无权"))
    nobody = make_user(role.name, org.east)
    from app.extensions import db

    db.session.commit()
    refused = login(nobody).get("/list-filters/customers")
    assert refused.status_code == 403 and re.search(r"[\u4e00-\u9fff]", refused.get_json()["error"])
    missing = login(org.east_rep).get("/list-filters/nosuchmodule")
    assert missing.status_code == 404 and re.search(r"[\u4e00-\u9fff]", missing.get_json()["error"])
    assert app.test_client().get("/list-filters/customers").status_code in (401, 302)


def test_an_active_relation_filter_keeps_only_its_chosen_row(app, org, login):
    client = login(org.admin)
    html = client.get("/customers/list/", query_string={"_flt_0_owner": org.east_rep.id}).get_data(as_text=True)
    config = json.loads(re.search(r'id="zwt-filter-config"[^>]*>(.*?)</script>', html, re.S).group(1))
    options = re.findall(r'<option value="(\d+)">', config["fields"]["owner"])
    assert options == [str(org.east_rep.id)]


def test_a_sales_user_chooses_among_every_tag_by_name(app, org, login):
    from app.extensions import db
    from app.modules.customers.models import Tag

    token = unique("标签")
    tag = Tag(name=f"{token}重点")
    db.session.add(tag)
    db.session.commit()
    found = _search(login(org.east_rep), "customers", "tags", token)
    assert _ids(found) == {tag.id}


def test_add_and_edit_forms_choose_people_and_departments_by_search_not_from_every_row(app, org, login):
    """The owner and department of a form carry only the current choice; the choices come from the relation search
    in the user's scope (also for a form's relation that no list filter offers: a supplier's owner)."""
    from tests.factories import make_customer

    make_user("Sales", org.finance)
    manager = login(org.manager)
    html = manager.get("/customers/add").get_data(as_text=True)
    owner = re.search(r'<select[^>]*name="owner"[^>]*>(.*?)</select>', html, re.S)
    assert owner and 'data-ajax--url="/relation-search/customers/owner"' in owner.group(0)
    assert re.findall(r'<option value="(\d+)" selected>', owner.group(1)) == [str(org.manager.id)]   # who adds it
    department = re.search(r'<select[^>]*name="department"[^>]*>(.*?)</select>', html, re.S)
    assert department and "/relation-search/customers/department" in department.group(0)
    assert org.finance_user.username not in html and org.finance.name not in html
    customer = make_customer(org.east_rep)
    edit = login(org.east_rep).get(f"/customers/edit/{customer.id}").get_data(as_text=True)
    chosen = re.search(r'<select[^>]*name="owner"[^>]*>(.*?)</select>', edit, re.S).group(1)
    assert re.findall(r'<option value="(\d+)" selected>', chosen) == [str(org.east_rep.id)]
    # A form's relation no filter offers is searchable too, in scope; a made-up one is not.
    buyer = make_user("Purchasing", org.company)
    assert _ids(_search(login(buyer), "suppliers", "owner", buyer.username)) == {buyer.id}
    assert _ids(_search(login(org.admin), "suppliers", "owner", buyer.username)) == {buyer.id}
    assert _search(login(org.admin), "customers", "planet").status_code == 404
    # The form posts the chosen key.
    resp = manager.post(f"/customers/edit/{customer.id}", data={
        "name": customer.name, "kind": customer.kind, "status": customer.status, "owner": str(org.east_rep2.id),
        "credit_limit": "1000.00"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    from app.extensions import db
    from app.modules.customers.models import Customer
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).owner_id == org.east_rep2.id
