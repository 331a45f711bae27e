"""Setting up a database: `run.py init` (schema, permissions, roles, numbering rules, admin)
and `run.py demo` (departments, staff and each module's demo data). Both are idempotent."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from app.core.numbering import ensure_rule
from app.core.org import Department, User, place_department
from app.core.registry import registry
from app.core.transaction import unit_of_work
from app.extensions import db

DEMO_PASSWORD = "demo1234"
DEMO_ADMIN_PASSWORD = "admin123"


class SetupError(RuntimeError):
    pass


# The shipped roles' permissions and data scopes (app/security/access.csv), applied at every
# initialise: security's sync_roles, handed over by the composition root.
_role_sync = None


def use_role_sync(fn) -> None:
    global _role_sync
    _role_sync = fn


def initialise(admin_username: str = "admin", admin_password: str = "", admin_email: str = "admin@example.com") -> bool:
    """Bring the database to the current schema and the shipped roles; True if the admin user
    was created now."""
    from flask_migrate import upgrade   # Alembic only when a database is set up

    upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    for role_name in (current_app.config["AUTH_ROLE_ADMIN"], current_app.config["AUTH_ROLE_PUBLIC"]):
        if sm.find_role(role_name) is None:
            sm.add_role(role_name)
    sync_permissions(appbuilder)
    if _role_sync is not None:
        _role_sync(appbuilder, registry)
    with unit_of_work(None):
        for spec in registry.specs.values():
            if spec.numbering:
                n = spec.numbering
                ensure_rule(n.code, str(n.name), n.pattern, n.reset)
    for setup_part in registry.parts("setup"):   # e.g. shipped approval chains
        setup_part.initialise()
    _signing_identity()
    if sm.find_user(username=admin_username) is not None:
        return False
    if not admin_password:
        if current_app.config["ZWT_ENV"] == "production":
            raise SetupError("Set ADMIN_PASSWORD (or --admin-password) to create the first admin in production.")
        admin_password = DEMO_ADMIN_PASSWORD
    user = sm.add_user(admin_username, "管理员", "系统", admin_email,
                       sm.find_role(current_app.config["AUTH_ROLE_ADMIN"]), password=admin_password)
    if not user:
        raise SetupError(f"Could not create the admin user {admin_username}.")
    return True


def _signing_identity() -> None:
    """The organisation's signing certificate for PDF signatures: generated outside production when none is
    configured; in production SIGNING_PKCS12 names it (signing says so when it is missing)."""
    from app.core import signing

    try:
        signing.ensure_identity()
    except signing.SigningUnavailable:
        pass


def sync_permissions(appbuilder) -> None:
    """Every view's and menu's permissions in the database, and no others.

    A module's list, chart, export and API views share one permission name, each declaring only
    the permissions it uses. FAB's own sync goes view by view and deletes from the shared name
    whatever that one view does not declare (then refuses, loudly, while Admin holds it): one
    sync per permission name with the union of its views' permissions does it right."""
    sm = appbuilder.sm
    wanted: dict[str, list[str]] = {}
    for view in appbuilder.baseviews:
        if not view.class_permission_name:
            continue
        names = wanted.setdefault(view.class_permission_name, [])
        names.extend(p for p in view.base_permissions if p not in names)
    # What is there already, read at once: a name whose permissions are exactly these, all the admin's, is left
    # alone (FAB asks for each permission one by one: seconds at every start).
    held, admin = _permissions_held(sm)
    for view_menu, permissions in wanted.items():
        existing = held.get(view_menu)
        if existing is None or existing.keys() != set(permissions) or not set(existing.values()) <= admin:
            sm.add_permissions_view(permissions, view_menu)
    if appbuilder.menu is None:
        return
    for category in appbuilder.menu.get_list():
        for name in [category.name, *(item.name for item in category.childs if item.name != "-")]:
            if held.get(name, {}).get("menu_access") not in admin:
                sm.add_permissions_menu(name)


def _permissions_held(sm) -> tuple[dict[str, dict[str, int]], set[int]]:
    """{view or menu name: {permission name: permission-view id}} and the ids the admin role holds."""
    pv, perm, view = sm.permissionview_model, sm.permission_model, sm.viewmenu_model
    held: dict[str, dict[str, int]] = {}
    rows = db.session.execute(select(view.name, perm.name, pv.id).join(pv.view_menu).join(pv.permission))
    for view_name, perm_name, pv_id in rows:
        held.setdefault(view_name, {})[perm_name] = pv_id
    role = sm.find_role(current_app.config["AUTH_ROLE_ADMIN"])
    return held, {p.id for p in role.permissions} if role is not None else set()


# Departments: (code, name, parent code)
DEMO_DEPARTMENTS = [
    ("HQ", "总公司", None),
    ("GM", "总经办", "HQ"),
    ("SALES", "销售部", "HQ"),
    ("SALES-E", "华东销售组", "SALES"),
    ("SALES-S", "华南销售组", "SALES"),
    ("FIN", "财务部", "HQ"),
    ("WH", "仓储物流部", "HQ"),
    ("PUR", "采购部", "HQ"),
    ("MKT", "市场部", "HQ"),
]
# Staff: (username, family name, given name, role, department code, manager username, mobile)
DEMO_STAFF = [
    ("zhangwei", "张", "伟", "Manager", "SALES", None, "13800138001"),
    ("lina", "李", "娜", "Sales", "SALES-E", "zhangwei", "13800138002"),
    ("wangfang", "王", "芳", "Sales", "SALES-S", "zhangwei", "13800138003"),
    ("zhaoqiang", "赵", "强", "Sales", "SALES-E", "zhangwei", "13800138004"),
    ("liuyang", "刘", "洋", "Finance", "FIN", None, "13800138005"),
    ("chenjing", "陈", "静", "Warehouse", "WH", None, "13800138006"),
    ("yangli", "杨", "丽", "Purchasing", "PUR", None, "13800138007"),
    ("zhoumin", "周", "敏", "Marketing", "MKT", None, "13800138008"),
    ("huanglei", "黄", "磊", "ReadOnly", "GM", None, "13800138009"),
]


def load_demo(seed: int = 2026) -> str:
    """Departments, staff under managers, and every module's demo data. Runs once."""
    if db.session.scalar(select(func.count()).select_from(Department)):
        return "Demo data already loaded."
    sm = current_app.appbuilder.sm
    admin = db.session.scalar(select(User).order_by(User.id).limit(1))
    departments: dict[str, Department] = {}
    with unit_of_work(admin):
        for code, name, parent in DEMO_DEPARTMENTS:
            dept = Department(code=code, name=name, parent=departments.get(parent))
            db.session.add(dept)
            db.session.flush()
            place_department(dept)
            departments[code] = dept
    staff: dict[str, User] = {}
    for username, family, given, role, dept_code, manager, mobile in DEMO_STAFF:
        user = sm.find_user(username=username) or sm.add_user(
            username, given, family, f"{username}@demo.zhangwutong.cn", sm.find_role(role), password=DEMO_PASSWORD)
        staff[username] = user
    with unit_of_work(admin):
        for username, _f, _g, _r, dept_code, manager, mobile in DEMO_STAFF:
            user = db.session.get(User, staff[username].id)
            user.department_id = departments[dept_code].id
            user.manager_id = staff[manager].id if manager else None
            user.mobile = mobile
        departments["SALES"].head_id = staff["zhangwei"].id
        if admin is not None:
            admin.department_id = departments["GM"].id
    lines = [f"{len(departments)} departments, {len(staff)} staff (password {DEMO_PASSWORD})"]
    for seed_module in registry.parts("seed"):
        lines.append(seed_module.load_demo(admin, staff, seed=seed))
    return "\n".join(lines)
