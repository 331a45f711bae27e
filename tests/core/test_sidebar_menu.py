"""The sidebar offers what the user's roles may open; it is worked out once per set of roles and
language, and worked out again as soon as an administrator changes what a role may open."""
from __future__ import annotations

from flask import current_app

from app.extensions import db
from tests.conftest import unique
from tests.factories import make_user

PASSWORD = "Passw0rd!"


def _has_contracts_entry(html: str) -> bool:
    return 'href="/contracts/list/"' in html


def test_a_role_that_loses_a_menu_entry_no_longer_sees_it_and_gets_it_back(app, ctx, org, login):
    sm = current_app.appbuilder.sm
    role = sm.add_role(unique("菜单"))
    role.permissions = list(sm.find_role("Sales").permissions)
    db.session.commit()
    user = make_user(role.name, org.east)
    db.session.commit()
    client = login(user)
    assert _has_contracts_entry(client.get("/customers/list/").get_data(as_text=True))
    entry = next(pv for pv in role.permissions
                 if pv.permission.name == "menu_access" and pv.view_menu.name == "menu:contracts")
    sm.del_permission_role(role, entry)
    assert not _has_contracts_entry(client.get("/customers/list/").get_data(as_text=True))
    sm.add_permission_role(role, entry)
    assert _has_contracts_entry(client.get("/customers/list/").get_data(as_text=True))


def test_people_with_other_roles_get_their_own_menu(app, ctx, org, login):
    sales = login(org.east_rep).get("/customers/list/").get_data(as_text=True)
    admin = login(org.admin).get("/customers/list/").get_data(as_text=True)
    assert 'href="/users/list/"' in admin and 'href="/users/list/"' not in sales
