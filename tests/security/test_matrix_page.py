"""The permissions matrix page: an admin ticks and unticks, the change applies at the users'
next request without a restart, removals are confirmed first, every change is audited, and the
shipped access.csv round-trips through the page unchanged."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.core.audit import AuditLog
from app.core.registry import registry
from app.extensions import db
from app.security.manager import ACCESS_FILE, module_permissions, sync_roles
from tests.factories import make_customer, make_user


class MatrixForm(HTMLParser):
    """The values the matrix form would submit as the browser shows it."""

    def __init__(self, html: str):
        super().__init__()
        self.values: dict[str, str] = {}
        self._in_form = False
        self._select = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._in_form = a.get("id") == "zwt-matrix-form"
        if not self._in_form or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None


@pytest.fixture(autouse=True)
def shipped_matrix(app):
    """Each test starts and ends with the shipped matrix (the session database is shared)."""
    yield
    with app.app_context():
        sync_roles(app.appbuilder, registry)
        db.session.remove()


def role_id(name: str) -> int:
    from flask import current_app

    return current_app.appbuilder.sm.find_role(name).id


def page_form(client) -> dict:
    resp = client.get("/roles_matrix/")
    assert resp.status_code == 200
    return MatrixForm(resp.get_data(as_text=True)).values


def permission_pairs(role_name: str) -> set:
    from flask import current_app

    db.session.expire_all()
    role = current_app.appbuilder.sm.find_role(role_name)
    return {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}


def audit_rows(record_id: str) -> list[AuditLog]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditLog).where(AuditLog.table_name == "role_permission",
                                                          AuditLog.record_id == record_id).order_by(AuditLog.id)))


def test_ticking_export_lets_readonly_export_at_once_and_unticking_needs_confirmation(org, login):
    make_customer(org.east_rep, name="矩阵导出客户")
    admin, reader = login(org.admin), login(org.readonly)
    assert reader.get("/customers/export/csv").status_code == 403
    before = len(audit_rows("ReadOnly:customers"))

    form = page_form(admin)
    field = f"p-{role_id('ReadOnly')}-customers-export"
    assert field not in form
    resp = admin.post("/roles_matrix/", data={**form, field: "1"})
    assert resp.status_code == 302

    # Same session, no restart, no new sign-in.
    export = reader.get("/customers/export/csv")
    assert export.status_code == 200 and "矩阵导出客户" in export.get_data(as_text=True)
    rows = audit_rows("ReadOnly:customers")
    assert len(rows) == before + 1
    assert rows[-1].actor_id == org.admin.id and rows[-1].changes == {"export": [False, True]}
    history = admin.get("/roles_matrix/").get_data(as_text=True)
    assert "zwt-matrix-history" in history and "ReadOnly" in history

    form = page_form(admin)
    del form[field]
    confirm = admin.post("/roles_matrix/", data=form)
    assert confirm.status_code == 200 and "zwt-matrix-confirm" in confirm.get_data(as_text=True)
    assert reader.get("/customers/export/csv").status_code == 200, "nothing changes before the confirmation"

    resp = admin.post("/roles_matrix/", data={**form, "confirmed": "1"})
    assert resp.status_code == 302
    refused = reader.get("/customers/export/csv")
    assert refused.status_code == 403 and "矩阵导出客户" not in refused.get_data(as_text=True)
    assert audit_rows("ReadOnly:customers")[-1].changes == {"export": [True, False]}


def test_back_from_the_confirmation_keeps_the_ticks_and_saves_nothing(org, login):
    admin = login(org.admin)
    form = page_form(admin)
    field = f"p-{role_id('Finance')}-customers-export"
    del form[field]
    resp = admin.post("/roles_matrix/", data={**form, "review": "1"})
    assert resp.status_code == 200
    assert field not in MatrixForm(resp.get_data(as_text=True)).values
    assert ("can_export", "customers") in permission_pairs("Finance")


def test_the_data_scope_applies_at_once(org, login, app, api_token):
    colleague = make_customer(org.east_rep2, name="同组同事的客户")
    headers = api_token(org.east_rep)
    client = app.test_client()
    assert client.get(f"/api/v1/customers/{colleague.id}", headers=headers).status_code == 404

    admin = login(org.admin)
    form = page_form(admin)
    resp = admin.post("/roles_matrix/", data={**form, f"s-{role_id('Sales')}-customers": "department"})
    assert resp.status_code == 302
    assert client.get(f"/api/v1/customers/{colleague.id}", headers=headers).status_code == 200
    assert audit_rows("Sales:customers")[-1].changes == {"scope": ["own", "department"]}

    form = page_form(admin)
    narrower = {**form, f"s-{role_id('Sales')}-customers": "own"}
    assert "zwt-matrix-confirm" in admin.post("/roles_matrix/", data=narrower).get_data(as_text=True)
    admin.post("/roles_matrix/", data={**narrower, "confirmed": "1"})
    assert client.get(f"/api/v1/customers/{colleague.id}", headers=headers).status_code == 404


def test_read_opens_the_module_menu_as_sync_roles_does_and_untick_restores_the_role(org, login):
    shipped = permission_pairs("Sales")
    admin = login(org.admin)
    form = page_form(admin)
    field = f"p-{role_id('Sales')}-departments-read"
    admin.post("/roles_matrix/", data={**form, field: "1"})
    granted = permission_pairs("Sales")
    assert granted == shipped | module_permissions(registry, "departments", ["read"])
    assert ("menu_access", "menu:departments") in granted

    rep = login(org.east_rep)
    assert rep.get("/departments/list/").status_code == 200

    form = page_form(admin)
    del form[field]
    admin.post("/roles_matrix/", data={**form, "confirmed": "1"})
    assert permission_pairs("Sales") == shipped
    assert rep.get("/departments/list/").status_code == 403


def test_write_without_read_is_refused_and_nothing_is_saved(org, login):
    admin = login(org.admin)
    form = page_form(admin)
    resp = admin.post("/roles_matrix/", data={**form, f"p-{role_id('ReadOnly')}-numbering_rules-write": "1"})
    assert resp.status_code == 400
    with force_locale("zh_CN"):
        hint = gettext("%(role)s — %(module)s: write, delete and export need read as well; tick read or "
                       "untick the others.", role="X", module="Y").split("：", 1)[-1]
    assert hint in resp.get_data(as_text=True)
    assert ("can_write", "numbering_rules") not in permission_pairs("ReadOnly")


def test_a_role_given_write_without_read_elsewhere_does_not_stop_saving_other_cells(org, login):
    """FAB's role screen or the API can grant write without read; the matrix then shows that role
    as it is, and a save that leaves it alone goes through."""
    from flask import current_app

    from tests.conftest import unique

    sm = current_app.appbuilder.sm
    odd = sm.add_role(unique("只写"))
    sm.add_permission_role(odd, sm.find_permission_view_menu("can_write", "customers"))
    db.session.commit()
    admin = login(org.admin)
    form = page_form(admin)
    resp = admin.post("/roles_matrix/", data={**form, f"p-{role_id('Warehouse')}-customers-export": "1"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    assert ("can_export", "customers") in permission_pairs("Warehouse")
    assert ("can_write", "customers") in permission_pairs(odd.name)
    # A save that does touch the odd role is still refused until it reads too.
    form = page_form(admin)
    resp = admin.post("/roles_matrix/", data={**form, f"p-{odd.id}-customers-delete": "1"})
    assert resp.status_code == 400
    assert ("can_delete", "customers") not in permission_pairs(odd.name)


def test_a_save_from_an_outdated_page_is_refused(org, login):
    admin, other_admin = login(org.admin), login(make_user("Admin"))
    stale = page_form(admin)
    fresh = page_form(other_admin)
    other_admin.post("/roles_matrix/", data={**fresh, f"p-{role_id('Warehouse')}-customers-export": "1"})
    resp = admin.post("/roles_matrix/", data={**stale, f"p-{role_id('Purchasing')}-customers-export": "1"})
    assert resp.status_code == 302
    assert ("can_export", "customers") not in permission_pairs("Purchasing")
    assert ("can_export", "customers") in permission_pairs("Warehouse")


def test_the_admin_role_is_not_editable(org, login):
    from flask import current_app

    admin_role = current_app.config["AUTH_ROLE_ADMIN"]
    before = permission_pairs(admin_role)
    admin = login(org.admin)
    form = page_form(admin)
    assert not any(k.startswith(f"p-{role_id(admin_role)}-") for k in form)
    # A forged form naming the Admin role changes nothing either.
    forged = {k: v for k, v in form.items() if not k.startswith("p-")}
    forged[f"p-{role_id(admin_role)}-customers-read"] = "1"
    admin.post("/roles_matrix/", data={**forged, "confirmed": "1"})
    assert permission_pairs(admin_role) == before
    assert admin.get("/customers/export/csv").status_code == 200


@pytest.mark.parametrize("who", ["manager", "east_rep", "finance_user", "readonly"])
def test_only_admins_may_open_or_post_the_matrix(who, org, login):
    client = login(getattr(org, who))
    before = permission_pairs("ReadOnly")
    assert client.get("/roles_matrix/").status_code == 403
    assert client.get("/roles_matrix/export.csv").status_code == 403
    resp = client.post("/roles_matrix/", data={f"p-{role_id('ReadOnly')}-customers-delete": "1", "confirmed": "1"})
    assert resp.status_code == 403
    assert permission_pairs("ReadOnly") == before


def test_anonymous_visitors_are_sent_to_login(app):
    client = app.test_client()
    assert client.get("/roles_matrix/").status_code == 302
    assert client.post("/roles_matrix/", data={}).status_code == 302


def test_the_save_needs_the_csrf_token(org, login, app, monkeypatch):
    admin = login(org.admin)
    form = page_form(admin)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    form.pop("csrf_token", None)
    resp = admin.post("/roles_matrix/", data={**form, f"p-{role_id('ReadOnly')}-customers-delete": "1"})
    assert resp.status_code == 400
    assert ("can_delete", "customers") not in permission_pairs("ReadOnly")


def test_the_shipped_csv_round_trips_through_the_page_unchanged(org, login):
    admin = login(org.admin)
    shipped = ACCESS_FILE.read_text(encoding="utf-8")
    assert admin.get("/roles_matrix/export.csv").get_data(as_text=True) == shipped

    audited = db.session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    resp = admin.post("/roles_matrix/", data=page_form(admin))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) == audited

    export = admin.get("/roles_matrix/export.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    assert export.get_data(as_text=True) == shipped


def test_the_export_follows_the_changes_and_reapplies_to_the_same_matrix(org, login, tmp_path, app):
    from flask import current_app

    admin = login(org.admin)
    form = page_form(admin)
    admin.post("/roles_matrix/", data={**form, f"p-{role_id('Marketing')}-departments-read": "1",
                                       f"s-{role_id('Marketing')}-departments": "all"})
    exported = admin.get("/roles_matrix/export.csv").get_data(as_text=True)
    assert "Marketing,departments,1,0,0,0,all\n" in exported
    changed = {name: permission_pairs(name) for name in ("Marketing", "Sales", "Manager")}

    # The exported file, applied as `run.py init` applies access.csv, gives the same roles.
    path = tmp_path / "access.csv"
    path.write_text(exported, encoding="utf-8")
    sync_roles(current_app.appbuilder, registry)
    assert permission_pairs("Marketing") != changed["Marketing"]
    sync_roles(current_app.appbuilder, registry, path)
    assert {name: permission_pairs(name) for name in changed} == changed
