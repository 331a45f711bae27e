"""掌务通's security manager: FAB's, with users placed in departments under managers.

The roles × modules matrix lives in access.csv (one row per role and module: read, write,
delete, export and data scope) and is applied by sync_roles().
"""
from __future__ import annotations

import csv
from pathlib import Path

from flask import current_app
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.core.org import User
from app.core.scope import SCOPES, RoleScope
from app.core.spec import ACTIONS
from app.extensions import db

ACCESS_FILE = Path(__file__).with_name("access.csv")

# What every signed-in role may do whatever the matrix says: its own profile and notifications.
BASELINE = [
    ("can_read", "notifications"), ("menu_access", "menu:notifications"), ("menu_access", "menu:system"),
    ("can_userinfo", "UserDBModelView"), ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"), ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"), ("resetmypassword", "UserDBModelView"),
    ("userinfoedit", "UserDBModelView"),
]

_ORG_FIELDS = ["department", "manager", "mobile"]
_ORG_LABELS = {"department": _l("Department"), "manager": _l("Manager"), "mobile": _l("Mobile")}


class ZwtUserView(UserDBModelView):
    label_columns = {**UserDBModelView.label_columns, **_ORG_LABELS}
    list_columns = ["first_name", "last_name", "username", "email", "department", "manager", "active", "roles"]
    add_columns = UserDBModelView.add_columns[:-2] + _ORG_FIELDS + ["password", "conf_password"]
    edit_columns = [c for c in UserDBModelView.edit_columns] + _ORG_FIELDS
    search_columns = ["first_name", "last_name", "username", "email", "department", "manager", "active", "roles"]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count"]}),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email", "mobile"], "expanded": True}),
        (_l("Organisation"), {"fields": ["department", "manager"], "expanded": True}),
    ]


class SecurityManager(FabSecurityManager):
    user_model = User
    userdbmodelview = ZwtUserView


def read_matrix(path: Path = ACCESS_FILE) -> list[dict]:
    """Rows of the access matrix, checked: unknown scopes or flags raise ValueError."""
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            if row["scope"] not in SCOPES:
                raise ValueError(f"{path.name}:{n}: unknown scope '{row['scope']}'")
            for action in ACTIONS:
                if row[action] not in ("0", "1"):
                    raise ValueError(f"{path.name}:{n}: {action} must be 0 or 1")
            rows.append(row)
    return rows


def sync_roles(appbuilder, registry, path: Path = ACCESS_FILE) -> list[str]:
    """Make the shipped roles' permissions and data scopes exactly what the matrix says.

    Returns the role names. The admin role keeps every permission FAB gives it.
    """
    sm = appbuilder.sm
    rows = read_matrix(path)
    names = []
    for role_name in dict.fromkeys(r["role"] for r in rows):
        role = sm.find_role(role_name) or sm.add_role(role_name)
        names.append(role_name)
        if role_name == current_app.config["AUTH_ROLE_ADMIN"]:
            continue
        wanted = set(BASELINE)
        db.session.execute(delete(RoleScope).where(RoleScope.role_id == role.id))
        for row in (r for r in rows if r["role"] == role_name):
            module = row["module"]
            for action in ACTIONS:
                if row[action] == "1":
                    wanted.add((f"can_{action}", module))
            if row["read"] == "1":
                wanted.update(("menu_access", name) for name in registry.menu_names.get(module, []))
            db.session.add(RoleScope(role_id=role.id, module=module, scope=row["scope"]))
        permissions = []
        for perm_name, view_name in sorted(wanted):
            pv = sm.find_permission_view_menu(perm_name, view_name)
            if pv is not None:
                permissions.append(pv)
        role.permissions = permissions
    db.session.commit()
    return names
