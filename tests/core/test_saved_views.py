"""Saved views (视图) of a list: a user keeps the list's search, filters, sort, page size and
columns under a name, opens them again, makes one the default; an admin shares one with roles.
Views of others are not theirs to open or change; bad input is refused in Chinese and saves
nothing; a view naming a filter the list no longer has opens without it, with a notice."""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

from flask import current_app

from tests.conftest import unique
from tests.factories import make_customer, make_user


def _save(client, query: str, name: str, default=False, columns=None, module="customers"):
    data = {"name": name, "query": query}
    if default:
        data["default"] = "1"
    if columns is not None:
        data["columns"] = columns
    return client.post(f"/saved-views/{module}/save", data=data)


def _views(module="customers"):
    from app.core.saved_views import SavedView
    from app.extensions import db

    db.session.expire_all()
    return db.session.query(SavedView).filter_by(module=module).all()


def _view_id(resp) -> int:
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return int(dict(parse_qsl(urlsplit(resp.headers["Location"]).query))["view"])


def test_a_saved_view_opens_the_list_as_it_was_with_its_columns(app, org, login):
    client = login(org.east_rep)
    token = unique("视图")
    mine = make_customer(org.east_rep, f"{token}甲", status="active")
    make_customer(org.east_rep, f"{token}乙", status="potential")
    query = f"q={token}&status=active&_oc_CustomerView=name&_od_CustomerView=asc&psize_CustomerView=10&page_CustomerView=3"
    view_id = _view_id(_save(client, query, "活跃的华东客户", columns=["code", "status"]))
    saved = next(v for v in _views() if v.id == view_id)
    # The page number is not part of a view; everything else is.
    assert dict(json.loads(saved.args)) == {"q": token, "status": "active", "_oc_CustomerView": "name",
                                            "_od_CustomerView": "asc", "psize_CustomerView": "10"}
    opened = client.get(f"/customers/list/?view={view_id}")
    assert opened.status_code == 302
    target = opened.headers["Location"]
    assert dict(parse_qsl(urlsplit(target).query)) == {"q": token, "status": "active", "_oc_CustomerView": "name",
                                                       "_od_CustomerView": "asc", "psize_CustomerView": "10",
                                                       "view": str(view_id)}
    page = client.get(target).get_data(as_text=True)
    assert mine.name in page and f"{token}乙" not in page
    heads = re.findall(r"<th\b", page[page.index("zwt-list-table"):page.index("</thead>")])
    assert len(heads) == 1 + 3 + 1                    # checkbox, code + name (always) + status, operations
    assert 'id="zwt-views-toggle"' in page and "活跃的华东客户" in page
    # The plain list keeps the user's own columns.
    plain = client.get("/customers/list/?view=0").get_data(as_text=True)
    assert len(re.findall(r"<th\b", plain[plain.index("zwt-list-table"):plain.index("</thead>")])) > 5


def test_the_default_view_opens_the_list_and_view_0_is_the_plain_list(app, org, login):
    client = login(org.east_rep2)
    view_id = _view_id(_save(client, "status=lost", unique("默认"), default=True))
    opened = client.get("/customers/list/")
    assert opened.status_code == 302 and "status=lost" in opened.headers["Location"]
    assert client.get("/customers/list/?view=0").status_code == 200
    # Another user's plain list is not affected.
    assert login(org.east_rep).get("/customers/list/").status_code == 200
    client.post("/saved-views/customers/default", data={"view": "0"})
    assert client.get("/customers/list/").status_code == 200
    client.post("/saved-views/customers/default", data={"view": str(view_id)})
    assert client.get("/customers/list/").status_code == 302
    client.post(f"/saved-views/customers/{view_id}/delete")
    assert client.get("/customers/list/").status_code == 200      # a deleted default is no default
    assert view_id not in {v.id for v in _views()}


def test_someone_elses_view_is_not_theirs_to_open_change_or_delete(app, org, login):
    owner, other = login(org.east_rep), login(org.south_rep)
    view_id = _view_id(_save(owner, "status=active", unique("私有")))
    refused = other.get(f"/customers/list/?view={view_id}")
    assert refused.status_code == 404 and re.search(r"没有这个视图", refused.get_data(as_text=True))
    assert other.post(f"/saved-views/customers/{view_id}/delete").status_code == 404
    assert other.post("/saved-views/customers/default", data={"view": str(view_id)}).status_code == 404
    assert other.get(f"/saved-views/customers/{view_id}/share").status_code in (302, 403)   # no share permission
    assert view_id in {v.id for v in _views()}
    assert unique("x") not in other.get("/customers/list/?view=0").get_data(as_text=True)


def test_an_admin_shares_a_view_with_a_role_and_its_members_open_it(app, org, login):
    from flask_appbuilder.security.sqla.models import Role

    from app.extensions import db

    admin = login(org.admin)
    name = unique("共享")
    view_id = _view_id(_save(admin, "status=dormant", name))
    sales = db.session.query(Role).filter_by(name="Sales").one()
    page = admin.get(f"/saved-views/customers/{view_id}/share")
    assert page.status_code == 200 and "Sales" in page.get_data(as_text=True)
    assert admin.post(f"/saved-views/customers/{view_id}/share", data={"roles": ["99999999"]}).status_code == 400
    assert admin.post(f"/saved-views/customers/{view_id}/share", data={"roles": [str(sales.id)]}).status_code == 302
    member = login(org.east_rep)
    listing = member.get("/customers/list/?view=0").get_data(as_text=True)
    assert name in listing and "共享" in listing
    assert member.get(f"/customers/list/?view={view_id}").status_code == 302
    assert member.post(f"/saved-views/customers/{view_id}/delete").status_code == 404   # only its owner deletes it
    # A manager (another role) does not see it.
    assert name not in login(org.manager).get("/customers/list/?view=0").get_data(as_text=True)
    admin.post(f"/saved-views/customers/{view_id}/share", data={})
    assert member.get(f"/customers/list/?view={view_id}").status_code == 404


def test_bad_views_are_refused_in_chinese_and_save_nothing(app, org, login):
    client = login(org.east_rep)
    before = len(_views())
    for query, name, words in [("status=active", "", "名称"), ("status=active", "长" * 41, "40"),
                               ("_flt_0_nosuch=1", unique("坏"), "没有筛选或排序"),
                               ("_oc_CustomerView=password", unique("坏"), "没有筛选或排序")]:
        resp = _save(client, query, name)
        assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
        assert words in resp.get_data(as_text=True)
    assert _save(client, "status=active", unique("坏"), columns=["password"]).status_code == 400
    assert len(_views()) == before
    assert client.get("/customers/list/?view=abc").status_code == 404
    assert client.post("/saved-views/nosuch/save", data={"name": "x"}).status_code == 404


def test_a_view_naming_a_filter_the_list_no_longer_has_opens_without_it(app, org, login):
    from app.core.saved_views import SavedView
    from app.extensions import db

    row = SavedView(module="customers", name=unique("旧字段"), owner_id=org.east_rep.id,
                    args=json.dumps([["status", "active"], ["_flt_0_retired_field", "x"]]), columns=None)
    db.session.add(row)
    db.session.commit()
    client = login(org.east_rep)
    opened = client.get(f"/customers/list/?view={row.id}")
    assert opened.status_code == 302
    target = dict(parse_qsl(urlsplit(opened.headers["Location"]).query))
    assert target == {"status": "active", "view": str(row.id)}
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "retired_field" in page and "其余部分照常显示" in page and row.name in page


def test_a_user_who_may_not_read_the_list_cannot_save_views_of_it(app, org, login):
    from app.extensions import db

    role = current_app.appbuilder.sm.add_role(unique("无权"))
    nobody = make_user(role.name, org.east)
    db.session.commit()
    client = login(nobody)
    assert _save(client, "status=active", unique("越权")).status_code == 403
    assert app.test_client().post("/saved-views/customers/save", data={"name": "x"}).status_code in (401, 302)
