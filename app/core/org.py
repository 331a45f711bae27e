"""The organisation: departments as a tree, and each user's department and manager.

Data scope (scope.py) and approvals (department head, submitter's manager) read these.
"""
from __future__ import annotations

from flask import g, has_app_context
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import Column, ForeignKey, Integer, String, inspect, select
from sqlalchemy.orm import relationship

from app.core.audit import Audited
from app.core.errors import DomainError
from app.core.kept import Kept
from app.extensions import db
from flask_babel import lazy_gettext as _l, gettext as _


class Department(Audited, Model):
    __tablename__ = "department"
    __table_args__ = {"sqlite_autoincrement": True}
    # What its name (__str__) reads: a list row naming a department reads only these of it.
    named_by = ("name",)

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    code = Column(String(32), unique=True)
    parent_id = Column(Integer, ForeignKey("department.id"), index=True)
    # Materialised path "/1/4/9/": a subtree is one indexed LIKE, on SQLite and PostgreSQL.
    path = Column(String(255), nullable=False, default="/", index=True)
    head_id = Column(Integer, ForeignKey("ab_user.id", use_alter=True, name="fk_department_head"))
    sort = Column(Integer, default=0, nullable=False)

    parent = relationship("Department", remote_side=[id], backref="children")
    head = relationship("AppUser", foreign_keys=[head_id])

    def __str__(self) -> str:
        return self.name or ""

    def __repr__(self) -> str:
        return f"<Department {self.id} {self.name}>"


class AppUser(FabUser):
    """A user of 掌务通: FAB's user, placed in a department under a manager."""

    __tablename__ = "ab_user"
    # What display_name (__str__) reads: a list row naming a user (an owner …) reads only these of it.
    named_by = ("first_name", "last_name", "username")

    department_id = Column(Integer, ForeignKey("department.id"), index=True)
    manager_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    mobile = Column(String(32))

    department = relationship("Department", foreign_keys=[department_id])
    manager = relationship("AppUser", remote_side="AppUser.id", foreign_keys=[manager_id])

    @property
    def display_name(self) -> str:
        name = f"{self.last_name or ''}{self.first_name or ''}".strip()
        return name or self.username

    def __str__(self) -> str:
        return self.display_name


User = AppUser


def user_id(user) -> int | None:
    """The id of a loaded user without reading its row again (a user object expires at every
    commit; services that commit in a loop, like bulk approval, would re-read it each time)."""
    if user is None:
        return None
    state = inspect(user, raiseerr=False)
    if state is not None and state.identity:
        return state.identity[0]
    return getattr(user, "id", None)


def subtree_ids_select(department_id: int):
    """SELECT of the ids of a department and all departments below it."""
    path_of = select(Department.path).where(Department.id == department_id).scalar_subquery()
    return select(Department.id).where(Department.path.like(path_of + "%"))


def subtree_ids(department_id: int) -> list[int]:
    """Ids of a department and everything below it; looked up once per request or job.

    A literal id list lets the database use the department index; a subquery inside an OR
    cannot (it scans the table instead)."""
    cache = g.setdefault("_zwt_subtrees", {}) if has_app_context() else {}
    if department_id not in cache:
        paths = DEPARTMENT_PATHS.get()   # kept per process, invalidated through Redis
        top = paths.get(department_id)
        cache[department_id] = [] if top is None else sorted(
            i for i, path in paths.items() if path is not None and path.startswith(top))
    return cache[department_id]


def _department_paths() -> dict[int, str]:
    return dict(db.session.execute(select(Department.id, Department.path)).all())


DEPARTMENT_PATHS = Kept("departments", load=_department_paths, tables={"department"})


def place_department(dept: Department) -> None:
    """Set `dept.path` (and its descendants') from its parent. Refuses cycles.

    The caller's unit of work commits.
    """
    session = db.session
    if dept.id is None:
        session.add(dept)
        session.flush()
    parent = session.get(Department, dept.parent_id) if dept.parent_id else None
    if parent is not None and (parent.id == dept.id or (parent.path or "").find(f"/{dept.id}/") >= 0):
        raise DomainError("org.department_cycle", _("A department cannot be placed under itself or its own sub-department."), field="parent")
    old_path = dept.path if dept.path and dept.path != "/" else None
    new_path = f"{parent.path if parent else '/'}{dept.id}/"
    dept.path = new_path
    if old_path and old_path != new_path:
        for child in session.scalars(select(Department).where(Department.path.like(old_path + "%"), Department.id != dept.id)):
            child.path = new_path + child.path[len(old_path):]
