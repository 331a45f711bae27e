"""The permissions matrix: roles × modules × (read, write, delete, export) plus each role's data
scope per module, on one page where an admin ticks and unticks.

Saving changes the roles' permissions in the database; FAB checks them there on every request,
so they apply from the next request on, without a restart. Every change is written to the audit
log (table_name 'role_permission', record_id '<role>:<module>', changes {action: [old, new]}).

app/security/access.csv is the shipped matrix that `run.py init` applies (sync_roles); the page
exports the current matrix in the same format, so an admin's changes can be committed.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass

from flask import Response, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext
from sqlalchemy import select

from app.core.audit import AuditLog
from app.core.clock import utcnow
from app.core.datamodel import current_actor
from app.core.errors import DomainError
from app.core.exports import neutralise
from app.core.names import role_label
from app.core.registry import registry
from app.core.scope import ALL, DEPARTMENT, OWN, SCOPES, RoleScope
from app.core.spec import ACTIONS, DELETE, EXPORT, READ, WRITE
from app.core.transaction import unit_of_work
from app.extensions import db
from app.security.manager import BASELINE, module_permissions, read_matrix

VIEW_NAME = "roles_matrix"
AUDIT_TABLE = "role_permission"
CSV_FIELDS = ["role", "module", *ACTIONS, "scope"]
_SCOPE_RANK = {OWN: 0, DEPARTMENT: 1, ALL: 2}

ACTION_LABELS = {READ: _l("Read"), WRITE: _l("Write"), DELETE: _l("Delete"), EXPORT: _l("Export")}
SCOPE_LABELS = {OWN: lazy_pgettext("scope", "Own"), DEPARTMENT: lazy_pgettext("scope", "Department"), ALL: lazy_pgettext("scope", "All")}


@dataclass(frozen=True)
class Module:
    name: str            # permission name shared by the specs it covers
    label: str
    covers: tuple        # labels of every screen it opens (e.g. customers and contacts)


@dataclass(frozen=True)
class Cell:
    """What one role may do on one module. Without any action the scope means nothing: None."""

    actions: frozenset = frozenset()
    scope: str | None = None

    @classmethod
    def of(cls, actions, scope) -> "Cell":
        actions = frozenset(actions)
        return cls(actions, (scope or OWN) if actions else None)


@dataclass(frozen=True)
class Change:
    role: str
    module: str
    changes: dict        # {action or "scope": (old, new)}

    @property
    def removes(self) -> bool:
        """Whether the change takes anything away: an action, or a narrower scope."""
        for field, (old, new) in self.changes.items():
            if field == "scope":
                if old is not None and new is not None and _SCOPE_RANK[new] < _SCOPE_RANK[old]:
                    return True
            elif old and not new:
                return True
        return False


# -- reading the matrix ------------------------------------------------------------------------
def modules() -> list[Module]:
    """One column group per permission name: business modules first, then the frame's own."""
    from app.core.system import SPECS as FRAME_SPECS

    frame = {spec.permission_name for spec in FRAME_SPECS}
    groups: dict[str, list] = {}
    for spec in registry.specs.values():
        groups.setdefault(spec.permission_name, []).append(spec)
    ordered = [name for name in groups if name not in frame] + [name for name in groups if name in frame]
    result = []
    for name in ordered:
        specs = groups[name]
        main = next((s for s in specs if s.name == name), specs[0])
        result.append(Module(name, str(main.label_plural), tuple(str(s.label_plural) for s in specs)))
    # Frame screens granted like a module without being one (打印模板): views saying `matrix_label`.
    for view in current_app.appbuilder.baseviews:
        label, name = getattr(view, "matrix_label", None), view.class_permission_name
        if label and name and name not in groups and all(m.name != name for m in result):
            result.append(Module(name, str(label), (str(label),)))
    return result


def _admin_role_name() -> str:
    return current_app.config["AUTH_ROLE_ADMIN"]


def roles():
    """The roles the matrix edits: all but Admin (always everything) and the anonymous visitors'
    role; the shipped ones in access.csv's order, then the others in the order they were made."""
    sm = current_app.appbuilder.sm
    hidden = {_admin_role_name(), current_app.config["AUTH_ROLE_PUBLIC"]}
    shipped = {name: n for n, name in enumerate(dict.fromkeys(row["role"] for row in read_matrix()))}
    found = [role for role in db.session.scalars(select(sm.role_model)) if role.name not in hidden]
    return sorted(found, key=lambda role: (shipped.get(role.name, len(shipped)), role.id))


def current_cells(role_list=None) -> dict[tuple[int, str], Cell]:
    """{(role id, module): Cell} as the database says now."""
    role_list = roles() if role_list is None else role_list
    names = [m.name for m in modules()]
    action_of = {f"can_{a}": a for a in ACTIONS}
    scopes = {(rs.role_id, rs.module): rs.scope for rs in db.session.scalars(select(RoleScope))}
    cells = {}
    for role in role_list:
        granted: dict[str, set] = {name: set() for name in names}
        for pv in role.permissions:
            action = action_of.get(pv.permission.name)
            if action and pv.view_menu.name in granted:
                granted[pv.view_menu.name].add(action)
        for name in names:
            cells[(role.id, name)] = Cell.of(granted[name], scopes.get((role.id, name)))
    return cells


def version(cells: dict) -> str:
    """A fingerprint of the matrix, so a save based on an outdated page is refused."""
    text = ";".join(f"{rid}:{mod}:{','.join(sorted(c.actions))}:{c.scope}" for (rid, mod), c in sorted(cells.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def diff(role_list, before: dict, after: dict) -> list[Change]:
    by_id = {role.id: role.name for role in role_list}
    changes = []
    for key in sorted(after, key=lambda k: (k[0], k[1])):
        old, new = before.get(key, Cell()), after[key]
        if old == new:
            continue
        fields = {a: (a in old.actions, a in new.actions) for a in ACTIONS if (a in old.actions) != (a in new.actions)}
        if old.scope != new.scope:
            fields["scope"] = (old.scope, new.scope)
        changes.append(Change(by_id[key[0]], key[1], fields))
    return changes


# -- changing it -------------------------------------------------------------------------------
def _outdated() -> DomainError:
    return DomainError("roles_matrix.outdated",
                       _("Someone else changed the permissions while you were editing. Nothing was saved: the page "
                         "now shows the current permissions; please make your changes again."))


def check_cells(role_list, cells: dict) -> None:
    """Write, delete and export act on rows the role must be able to read."""
    by_id = {role.id: role.name for role in role_list}
    labels = {m.name: m.label for m in modules()}
    for (role_id, module), cell in cells.items():
        if cell.actions and READ not in cell.actions:
            raise DomainError("roles_matrix.read_needed",
                              _("%(role)s — %(module)s: write, delete and export need read as well; tick read or "
                                "untick the others.", role=role_label(by_id[role_id]), module=labels[module]))
        if cell.scope is not None and cell.scope not in SCOPES:
            raise DomainError("roles_matrix.scope", _("Unknown data scope."))


def apply(actor, wanted: dict, expected_version: str | None = None) -> list[Change]:
    """Make the roles' permissions and scopes what `wanted` ({(role id, module): Cell}) says,
    for the cells it names; audit each change. Refuses (DomainError) a save based on a matrix
    that someone else changed meanwhile (`expected_version`)."""
    sm = current_app.appbuilder.sm
    with unit_of_work(actor):
        role_list = roles()
        before = current_cells(role_list)
        if expected_version is not None and expected_version != version(before):
            raise _outdated()
        unknown = set(wanted) - set(before)
        if unknown:
            raise DomainError("roles_matrix.unknown", _("The page refers to a role or module that no longer exists; "
                                                        "please reload it."))
        after = {**before, **{k: Cell.of(c.actions, c.scope) for k, c in wanted.items()}}
        # The cells this save changes: a role granted write without read elsewhere (FAB's role
        # screen, the API) does not stop a save of other cells.
        check_cells(role_list, {k: c for k, c in after.items() if before.get(k) != c})
        changes = diff(role_list, before, after)
        if not changes:
            return []
        module_names = [m.name for m in modules()]
        # Every pair the matrix manages; pairs outside it (granted elsewhere) stay as they are.
        managed = set().union(*(module_permissions(registry, m, ACTIONS) for m in module_names))
        changed_roles = {c.role for c in changes}
        for role in role_list:
            if role.name not in changed_roles:
                continue
            wanted_pairs = set(BASELINE)
            for module in module_names:
                wanted_pairs |= module_permissions(registry, module, after[(role.id, module)].actions)
            kept = [pv for pv in role.permissions if (pv.permission.name, pv.view_menu.name) not in managed]
            have = {(pv.permission.name, pv.view_menu.name) for pv in kept}
            added = []
            for perm_name, view_name in sorted(wanted_pairs - have):
                pv = sm.find_permission_view_menu(perm_name, view_name)
                if pv is not None:
                    added.append(pv)
            role.permissions = kept + added
            for module in module_names:
                _store_scope(role.id, module, after[(role.id, module)])
        now = utcnow()
        for change in changes:
            db.session.add(AuditLog(at=now, actor_id=getattr(actor, "id", None), table_name=AUDIT_TABLE,
                                    record_id=f"{change.role}:{change.module}"[:64], action="update",
                                    changes={f: [old, new] for f, (old, new) in change.changes.items()}))
    return changes


def _store_scope(role_id: int, module: str, cell: Cell) -> None:
    row = db.session.scalar(select(RoleScope).where(RoleScope.role_id == role_id, RoleScope.module == module))
    if not cell.actions:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(RoleScope(role_id=role_id, module=module, scope=cell.scope))
    elif row.scope != cell.scope:
        row.scope = cell.scope


# -- export ------------------------------------------------------------------------------------
def export_csv() -> str:
    """The current matrix in access.csv's format: Admin's row, then one row per role and module
    the role has any permission on, roles in creation order, modules in page order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    writer.writerow([neutralise(_admin_role_name()), "*", *(["1"] * len(ACTIONS)), ALL])
    role_list = roles()
    cells = current_cells(role_list)
    for role in role_list:
        for module in modules():
            cell = cells[(role.id, module.name)]
            if cell.actions:
                writer.writerow([neutralise(role.name), module.name,
                                 *("1" if a in cell.actions else "0" for a in ACTIONS), cell.scope])
    return out.getvalue()


def recent_changes(limit: int = 50) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.table_name == AUDIT_TABLE).order_by(AuditLog.id.desc()).limit(limit)
    return list(db.session.scalars(stmt))


# -- the page ----------------------------------------------------------------------------------
def _field(role_id: int, module: str, action: str | None = None) -> str:
    return f"p-{role_id}-{module}-{action}" if action else f"s-{role_id}-{module}"


def cells_from_form(role_list, form) -> dict:
    wanted = {}
    for role in role_list:
        for module in modules():
            actions = {a for a in ACTIONS if form.get(_field(role.id, module.name, a))}
            scope = form.get(_field(role.id, module.name)) or OWN
            if scope not in SCOPES:
                raise DomainError("roles_matrix.scope", _("Unknown data scope."))
            wanted[(role.id, module.name)] = Cell.of(actions, scope)
    return wanted


def describe(changes: dict) -> list[tuple[str, str, str]]:
    """(what, old, new) as people read them, for an audit entry's or a change's fields."""
    def shown(field, value):
        if field == "scope":
            return str(SCOPE_LABELS.get(value, value)) if value else "—"
        return _("Yes") if value else _("No")

    rows = []
    for field, (old, new) in changes.items():
        what = _("Data scope") if field == "scope" else str(ACTION_LABELS.get(field, field))
        rows.append((what, shown(field, old), shown(field, new)))
    return rows


class PermissionsMatrixView(BaseView):
    route_base = "/roles_matrix"
    default_view = "index"
    class_permission_name = VIEW_NAME
    method_permission_name = {"index": "read", "export": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    def _page(self, role_list, cells, status=200, page_version=None):
        module_labels = {m.name: m.label for m in modules()}
        history = []
        for entry in recent_changes():
            role, _sep, module = entry.record_id.partition(":")
            history.append({"at": entry.at, "actor": entry.actor, "role": role,
                            "module": module_labels.get(module, module), "changes": describe(entry.changes)})
        return self.render_template(
            "matrix/index.html", title=_("Permissions matrix"), roles=role_list, modules=modules(), cells=cells,
            actions=ACTIONS, action_labels=ACTION_LABELS, scopes=SCOPES, scope_labels=SCOPE_LABELS,
            field=_field, version=page_version or version(current_cells(role_list)), admin_role=_admin_role_name(),
            may_write=self.appbuilder.sm.has_access("can_write", VIEW_NAME), history=history), status

    @expose("/")
    @has_access
    def index(self):
        role_list = roles()
        return self._page(role_list, current_cells(role_list))

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        role_list = roles()
        try:
            wanted = cells_from_form(role_list, request.form)
            before = current_cells(role_list)
            check_cells(role_list, {k: c for k, c in wanted.items() if before.get(k) != c})
            pending = diff(role_list, before, wanted)
            if request.form.get("review") == "1":
                # Back from the confirmation with the admin's ticks, still based on the same version.
                return self._page(role_list, {**before, **wanted}, page_version=request.form.get("version"))
            if request.form.get("version") != version(before):
                raise _outdated()
            if not pending:
                flash(_("Nothing was changed."), "info")
                return redirect(url_for("PermissionsMatrixView.index"))
            if any(c.removes for c in pending) and request.form.get("confirmed") != "1":
                labels = {m.name: m.label for m in modules()}
                return self.render_template(
                    "matrix/confirm.html", title=_("Confirm the permission changes"),
                    pending=[(c.role, labels.get(c.module, c.module), describe(c.changes), c.removes) for c in pending],
                    form=[(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirmed", "review")])
            changes = apply(current_actor(), wanted, expected_version=request.form.get("version"))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
            if error.code == "roles_matrix.outdated":
                return redirect(url_for("PermissionsMatrixView.index"))
            # Keep the admin's ticks so they can correct them.
            return self._page(role_list, {**current_cells(role_list), **_safe_cells(role_list, request.form)}, status=400)
        flash(_("Permissions saved (%(n)d changes). They apply from the users' next click.", n=len(changes)), "success")
        return redirect(url_for("PermissionsMatrixView.index"))

    @expose("/export.csv")
    @has_access
    def export(self):
        return Response(export_csv(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=access.csv"})


def _safe_cells(role_list, form) -> dict:
    try:
        return cells_from_form(role_list, form)
    except DomainError:
        return {}


def register_views(appbuilder) -> None:
    appbuilder.add_view(PermissionsMatrixView, "menu:roles_matrix", label=_l("Permissions matrix"), icon="fa-th",
                        category="Security")
