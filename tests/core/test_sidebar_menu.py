"""The sidebar offers what the user's roles may open; it is worked out once per set of roles and
language, and worked out again as soon as an administrator changes what a role may open."""
from __future__ import annotations

from flask import current_app

from app.extensions import db
from tests.conftest import menu_links, unique
from tests.factories import make_user

PASSWORD = "Passw0rd!"


def _has_contracts_entry(client) -> bool:
    return "/contracts/list/" in menu_links(client, client.get("/customers/list/").get_data(as_text=True))


def _a_sales_like_role(org, login):
    """(a role made as Sales, its 合同管理 menu permission, a client signed in as someone with that role)"""
    sm = current_app.appbuilder.sm
    role = sm.add_role(unique("菜单"))
    role.permissions = list(sm.find_role("Sales").permissions)
    db.session.commit()
    user = make_user(role.name, org.east)
    db.session.commit()
    entry = next(pv for pv in role.permissions
                 if pv.permission.name == "menu_access" and pv.view_menu.name == "menu:contracts")
    return role, entry, login(user)


def test_a_role_that_loses_a_menu_entry_no_longer_sees_it_and_gets_it_back(app, ctx, org, login):
    sm = current_app.appbuilder.sm
    role, entry, client = _a_sales_like_role(org, login)
    assert _has_contracts_entry(client)
    sm.del_permission_role(role, entry)
    assert not _has_contracts_entry(client)
    sm.add_permission_role(role, entry)
    assert _has_contracts_entry(client)


def test_people_with_other_roles_get_their_own_menu(app, ctx, org, login):
    sales_client, admin_client = login(org.east_rep), login(org.admin)
    sales = menu_links(sales_client, sales_client.get("/customers/list/").get_data(as_text=True))
    admin = menu_links(admin_client, admin_client.get("/customers/list/").get_data(as_text=True))
    assert "/users/list/" in admin and "/users/list/" not in sales


def _address(html: str) -> str:
    import re

    return re.search(r'id="zwt-nav" data-menu="([^"]+)"', html).group(1)


def test_a_page_carries_its_menus_address_not_its_entries(app, ctx, org, login):
    client = login(org.east_rep)
    html = client.get("/customers/list/").get_data(as_text=True)
    sidebar = html[html.index('<aside id="zwt-sidebar"'):html.index("</aside>")]
    assert 'href="/contracts/list/"' not in sidebar and 'href="/interactions/list/"' not in sidebar
    assert 'data-active="/customers/list/"' in sidebar            # the entry the page marks as its own
    address = _address(html)
    assert _address(client.get("/contracts/list/").get_data(as_text=True)) == address   # one menu for every page
    menu = client.get(address)
    assert menu.status_code == 200 and menu.mimetype == "application/json"
    assert "immutable" in menu.headers["Cache-Control"] and "private" in menu.headers["Cache-Control"]
    assert address.endswith(menu.headers["X-Menu-Digest"])
    groups = {name: (label, [child[3] for child in children]) for name, label, _icon, _url, children in menu.get_json()
              if children}
    assert groups["menu:contracts"][0] == "合同管理" and "/contracts/list/" in groups["menu:contracts"][1]
    assert "/interactions/list/" in groups["menu:customers"][1]
    assert "/users/list/" not in menu_links(client, html)


def test_the_menus_address_changes_with_the_roles_and_the_language(app, ctx, org, login):
    sm = current_app.appbuilder.sm
    role, entry, client = _a_sales_like_role(org, login)
    before = _address(client.get("/customers/list/").get_data(as_text=True))
    sm.del_permission_role(role, entry)
    after = _address(client.get("/customers/list/").get_data(as_text=True))
    assert after != before
    # a page drawn before the change asks under the old address: it gets the current menu, not to be kept
    stale = client.get(before)
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-store"
    assert stale.headers["X-Menu-Digest"] != before.rsplit("/", 1)[1]
    assert "/contracts/list/" not in [child[3] for entry in stale.get_json() for child in entry[4] or []]
    client.get("/lang/en")
    english = _address(client.get("/customers/list/").get_data(as_text=True))
    assert english != after and "Customers" in [entry[1] for entry in client.get(english).get_json()]


def test_the_menu_is_refused_to_someone_not_signed_in(app):
    response = app.test_client().get("/menu/0123456789abcdef")
    assert response.status_code == 401 and response.get_data(as_text=True) == "请先登录。"
    assert response.headers["Cache-Control"] == "no-store"
