"""Walking the organisation for approver rules: a person's managers and a department's head
(a department without one answers to its parent department's head, up to the top)."""
from __future__ import annotations

from sqlalchemy import select

from app.core.kept import Kept
from app.core.org import Department, User
from app.extensions import db


def manager_of(user: User | None, levels: int = 1) -> User | None:
    """The manager `levels` up from `user`; a person recorded as their own manager (a general
    manager, a department head) has none."""
    for _ in range(max(levels, 1)):
        if user is None or user.manager_id is None or user.manager_id == user.id:
            return None
        user = db.session.get(User, user.manager_id)
    return user


def _departments() -> dict:
    """{id: (code, name, parent id, head id)} of every department (a small table)."""
    return {row.id: (row.code, row.name, row.parent_id, row.head_id) for row in db.session.execute(
        select(Department.id, Department.code, Department.name, Department.parent_id, Department.head_id))}


# Kept per process and renewed through Redis when the department table changes, so naming a
# department's head costs no statement for the department walk.
DEPARTMENTS = Kept("wf_departments", load=_departments, tables={"department"})


def department_id_named(value: str) -> int | None:
    """The id of the department with this code, else of the first with this name."""
    departments = DEPARTMENTS.get()
    by_code = [i for i, d in departments.items() if d[0] == value]
    if by_code:
        return by_code[0]
    by_name = sorted(i for i, d in departments.items() if d[1] == value)
    return by_name[0] if by_name else None


def head_id_of(department_id: int | None) -> int | None:
    """The id of a department's head, or of its nearest parent's head, from the kept departments."""
    departments, seen = DEPARTMENTS.get(), set()
    while department_id is not None and department_id in departments and department_id not in seen:
        _code, _name, parent_id, head_id = departments[department_id]
        if head_id is not None:
            return head_id
        seen.add(department_id)
        department_id = parent_id
    return None


def head_of_id(department_id: int | None) -> User | None:
    """A department's head, or its nearest parent's head."""
    head_id = head_id_of(department_id)
    return db.session.get(User, head_id) if head_id is not None else None
