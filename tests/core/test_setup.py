"""`run.py init` brings the permissions back to what the views and the roles matrix declare, every time: what is
missing is added (and given to the admin), what no view declares any more is taken away, and a second run
changes nothing."""
from sqlalchemy import select

from app.core.setup import initialise
from app.extensions import db


def _pairs(sm, role_name):
    role = sm.find_role(role_name)
    db.session.refresh(role)
    return {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}


def _all_pairs(sm):
    model = sm.permissionview_model
    return {(pv.permission.name, pv.view_menu.name) for pv in db.session.scalars(select(model))}


def test_init_restores_missing_permissions_removes_strays_and_changes_nothing_twice(app, ctx):
    sm = app.appbuilder.sm
    initialise("admin", "admin-pass-123", "admin@example.com")
    admin, sales, every = _pairs(sm, "Admin"), _pairs(sm, "Sales"), _all_pairs(sm)
    assert ("can_read", "customers") in admin and ("can_read", "customers") in sales
    assert ("menu_access", "menu:customers") in admin

    # a permission taken away (from the admin, and from the table), a menu's access taken from the admin,
    # and a permission no view declares
    read = sm.find_permission_view_menu("can_read", "invoices")
    for role in sm.get_all_roles():
        sm.del_permission_role(role, read)
    sm.del_permission_view_menu("can_read", "invoices")
    sm.del_permission_role(sm.find_role("Admin"), sm.find_permission_view_menu("menu_access", "menu:orders"))
    sm.add_permission_view_menu("can_fly", "customers")
    assert ("can_read", "invoices") not in _all_pairs(sm) and ("can_fly", "customers") in _all_pairs(sm)
    assert ("menu_access", "menu:orders") not in _pairs(sm, "Admin")

    initialise("admin", "admin-pass-123", "admin@example.com")
    assert _all_pairs(sm) == every
    assert _pairs(sm, "Admin") == admin and _pairs(sm, "Sales") == sales

    initialise("admin", "admin-pass-123", "admin@example.com")
    assert _all_pairs(sm) == every and _pairs(sm, "Admin") == admin
