"""Data scope: which rows of a module a user may see — their own, their department's
(with sub-departments), or all — as their roles grant.

`scope_clause()` is the one filter used by screens, API, exports, charts and search alike.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context
from flask_appbuilder import Model
from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint, false, literal_column, or_, select

from app.core.org import subtree_ids
from app.extensions import db

OWN, DEPARTMENT, ALL = "own", "department", "all"
SCOPES = (OWN, DEPARTMENT, ALL)
_RANK = {OWN: 0, DEPARTMENT: 1, ALL: 2}


@dataclass(frozen=True)
class ScopeSpec:
    """How a module's rows belong to people.

    Either the rows carry an owner (and optionally a department) column, or they belong to a
    parent module's row through `via` (a foreign-key column) and inherit its scope.
    """

    owner: str | None = "owner_id"
    department: str | None = "department_id"
    via: str | None = None          # e.g. "customer_id" on contacts
    via_module: str | None = None   # e.g. "customers"
    # A column that, when set, makes the row visible to everyone who may read the module,
    # whatever their scope: customers in the shared pool (公海) wait there to be claimed.
    shared: str | None = None
    # The row carries copies of its parent's owner, department and shared columns (kept equal by
    # database triggers): the scope is the parent's as granted, on the row's own columns, so each
    # branch is a range of the row's own indexes instead of "the parent is in my scope".
    copied: bool = False


class RoleScope(Model):
    __tablename__ = "role_scope"
    __table_args__ = (UniqueConstraint("role_id", "module", name="uq_role_scope"),)

    id = Column(Integer, primary_key=True)
    role_id = Column(Integer, ForeignKey("ab_role.id", ondelete="CASCADE"), nullable=False)
    module = Column(String(64), nullable=False)
    scope = Column(String(16), nullable=False, default=OWN)


def _cached_access(user):
    """The user's roles and data scopes as the security manager caches them (invalidated through
    Redis on any change); None outside a request or for anyone but a signed-in user."""
    sm = getattr(getattr(current_app, "appbuilder", None), "sm", None)
    if (sm is None or not hasattr(sm, "access_of") or not has_request_context()
            or not isinstance(user, sm.user_model) or not getattr(user, "is_authenticated", False)):
        return None
    return sm.access_of(user)


def is_admin(user) -> bool:
    admin = current_app.config.get("AUTH_ROLE_ADMIN", "Admin")
    access = _cached_access(user)
    if access is not None:
        return admin in access.role_names
    return any(role.name == admin for role in getattr(user, "roles", []) or [])


def effective_scope(user, module: str) -> str:
    """The widest scope any of the user's roles grants on `module` (own when none says)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return OWN
    access = _cached_access(user)
    if access is not None:
        return access.scope(module, OWN)
    if is_admin(user):
        return ALL
    role_ids = [r.id for r in user.roles]
    if not role_ids:
        return OWN
    scopes = db.session.scalars(
        select(RoleScope.scope).where(RoleScope.role_id.in_(role_ids), RoleScope.module == module)
    ).all()
    return max(scopes, key=_RANK.__getitem__, default=OWN)


def scope_clause(spec, user):
    """SQL condition limiting `spec.model` to what `user` may see; None means no limit.

    An anonymous or missing user sees nothing. The condition is the OR of scope_branches(); the
    lists' pages and counts take the branches one by one instead (datamodel.py).
    """
    from app.core.registry import registry  # the registry knows every module's spec

    if spec.scope is None:
        return None
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    scope = spec.scope
    if scope.via and not scope.copied:
        parent = registry.get(scope.via_module)
        parent_clause = scope_clause(parent, user)
        if parent_clause is None:
            return None
        return getattr(spec.model, scope.via).in_(select(parent.model.id).where(parent_clause))
    branches = scope_branches(spec, user)
    if branches[0] is None:
        return None
    return branches[0] if len(branches) == 1 else or_(*branches)


def scope_branches(spec, user) -> list:
    """The data scope as conditions whose union is what `user` may see: [None] when nothing is
    limited, else e.g. [own rows, the department subtree's rows, shared rows].

    Each branch is one index's condition ((owner_id, id), (department_id, id), the shared
    column's), so a list's page is the first rows of each branch in the list's order, merged
    (datamodel.py): an OR of them would leave the planner to guess how densely the rows lie
    along the sort index (a person's few hundred rows among a million: seconds). The ids are
    written into the SQL, not bound, so that every plan is made for this person's figures, never
    a generic plan shared by everyone.
    """
    if spec.scope is None:
        return [None]
    if user is None or not getattr(user, "is_authenticated", False):
        return [false()]
    scope = spec.scope
    if scope.via and not scope.copied:
        # A row of the parent's branch each (the customer is one's own, the department's, in
        # the pool): each a key list the planner can size from the parent's statistics, where
        # "in (own OR pooled)" is guessed and read along the child's sort index.
        from app.core.registry import registry

        parent = registry.get(scope.via_module)
        via = getattr(spec.model, scope.via)
        return [branch if branch is None else via.in_(select(parent.model.id).where(branch))
                for branch in scope_branches(parent, user)]
    permission = spec.permission_name
    if scope.via:   # copied: the parent's grant
        from app.core.registry import registry

        permission = registry.get(scope.via_module).permission_name
    granted = effective_scope(user, permission)
    if granted == ALL:
        return [None]
    branches = [getattr(spec.model, scope.owner) == _inline(user.id)]
    if granted == DEPARTMENT and scope.department and user.department_id:
        ids = subtree_ids(user.department_id)
        dept_col = getattr(spec.model, scope.department)
        if ids:
            branches.append(dept_col == _inline(ids[0]) if len(ids) == 1 else dept_col.in_([_inline(i) for i in ids]))
    if scope.shared:
        branches.append(getattr(spec.model, scope.shared).isnot(None))
    return branches


def _inline(number):
    """An id written into the SQL as a number literal."""
    return literal_column(str(int(number)), Integer)


def visible(spec_name: str, user, pk):
    """The row `pk` of module `spec_name` when `user` may see it, else None (also for an id no row can have):
    the record a screen or endpoint of one record works on, or its 404."""
    from app.core.registry import registry

    if not isinstance(pk, int) or not 0 < pk < 2 ** 31:
        return None
    record = db.session.get(registry.get(spec_name).model, pk)
    return record if record is not None and can_see(spec_name, user, pk) else None


def can_see(spec_name: str, user, pk) -> bool:
    """Whether `user` may see row `pk` of module `spec_name` (None user: system, sees all)."""
    from app.core.registry import registry

    spec = registry.get(spec_name)
    if user is None:
        return db.session.get(spec.model, pk) is not None
    stmt = select(spec.model.id).where(spec.model.id == pk)
    clause = scope_clause(spec, user)
    if clause is not None:
        stmt = stmt.where(clause)
    return db.session.scalar(stmt) is not None


def may_assign_to(user, module: str, owner) -> bool:
    """Whether `user` may make `owner` the owner of a row of `module`: anyone with scope all,
    someone in their department subtree with scope department, only themselves with own."""
    if user is None or owner is None or owner.id == user.id:
        return True
    granted = effective_scope(user, module)
    if granted == ALL:
        return True
    if granted == DEPARTMENT and user.department_id and owner.department_id:
        return owner.department_id in subtree_ids(user.department_id)
    return False
