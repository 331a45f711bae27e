"""Saved views (视图) of every generated list: a user keeps a list as they set it up — search,
quick filters, advanced filters, sort, page size and shown columns — under a name, opens it again
from the list's 视图 menu, and may make one their default (the list opens with it). Whoever holds
the "share" permission of saved views (Admin) may share a view with roles: their members see it
in the menu and may open it or make it their default, but only its owner changes or deletes it.

A view is the list's address arguments as they were, kept as [name, value] pairs, plus the
columns. Opening it (`/<module>/list/?view=<id>`) sends the browser to the list with those
arguments; arguments the list no longer understands (a filter on a retired field, a sort column
gone) are dropped with a notice, and the view keeps working. `?view=0` is the plain list even
when the user has a default view.

All views of all users are kept per process (app/core/kept.py) and invalidated on any change,
so a list page reads none of them from the database.
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode

from flask import abort, current_app, flash, redirect, request
from flask_appbuilder import BaseView, Model, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint, delete, select

from app.core.clock import utcnow
from app.core.datamodel import current_actor
from app.core.kept import Kept
from app.core.preferences import get_preference, set_preference
from app.core.view_index import views_named
from app.extensions import db

PERMISSION_VIEW = "SavedViews"
NAME_MAX = 40
PER_USER_AND_LIST = 50
ARG = "view"
# The list's own arguments a view keeps; everything else in the address (a page number) is not.
_KEPT_PREFIXES = ("_flt_", "_oc_", "_od_", "psize_")
_KEPT_NAMES = ("q", "status", "mine", "period")


class SavedView(Model):
    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("owner_id", "module", "name", name="uq_saved_view_owner_module_name"),)

    id = Column(Integer, primary_key=True)
    module = Column(String(64), nullable=False, index=True)
    name = Column(String(NAME_MAX), nullable=False)
    owner_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    args = Column(Text, nullable=False, default="[]")       # JSON [[name, value], …]
    columns = Column(Text)                                   # JSON [column, …] or null: the list's own
    created_at = Column(DateTime, nullable=False, default=utcnow)


saved_view_role = Table(
    "saved_view_role", Model.metadata,
    Column("view_id", Integer, ForeignKey("saved_view.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Integer, ForeignKey("ab_role.id", ondelete="CASCADE"), primary_key=True),
)


def _load_all() -> dict:
    """{module: [view as a dict]} of every saved view, with the roles it is shared with."""
    shared: dict[int, set] = {}
    for view_id, role_id in db.session.execute(select(saved_view_role.c.view_id, saved_view_role.c.role_id)):
        shared.setdefault(view_id, set()).add(role_id)
    out: dict[str, list] = {}
    for row in db.session.scalars(select(SavedView).order_by(SavedView.name, SavedView.id)):
        out.setdefault(row.module, []).append({
            "id": row.id, "module": row.module, "name": row.name, "owner_id": row.owner_id,
            "args": json.loads(row.args or "[]"), "columns": json.loads(row.columns) if row.columns else None,
            "roles": frozenset(shared.get(row.id, ())),
        })
    return out


ALL_VIEWS = Kept("saved_views", load=_load_all, tables={"saved_view", "saved_view_role"})


class ViewError(ValueError):
    """A view that cannot be saved as asked; the message is for the user."""


# -- who sees what ------------------------------------------------------------------------------
def _role_ids(actor) -> set:
    return set(current_app.appbuilder.sm.access_of(actor).role_ids)


def may_share(actor=None) -> bool:
    actor = actor or current_actor()
    return actor is not None and current_app.appbuilder.sm.has_access("can_share", PERMISSION_VIEW)


def _default_key(module: str) -> str:
    return f"list_view:{module}"


def views_for(actor, module: str) -> list[dict]:
    """The views of `module` that `actor` may open: their own first, then those shared with one of
    their roles; each with `own` and `default` set."""
    if actor is None:
        return []
    roles = _role_ids(actor)
    default = get_preference(actor.id, _default_key(module))
    own, shared = [], []
    for view in ALL_VIEWS.get().get(module, ()):
        if view["owner_id"] == actor.id:
            own.append({**view, "own": True, "default": view["id"] == default})
        elif view["roles"] & roles:
            shared.append({**view, "own": False, "default": view["id"] == default})
    return own + shared


def _find(actor, module: str | None, view_id: int) -> dict | None:
    modules = [module] if module else list(ALL_VIEWS.get())
    for name in modules:
        for view in views_for(actor, name):
            if view["id"] == view_id:
                return view
    return None


# -- the list's arguments ---------------------------------------------------------------------------
def kept_args(pairs) -> list[list[str]]:
    """The arguments of a list address a view keeps (no page number, no view)."""
    return [[name, value] for name, value in pairs
            if name in _KEPT_NAMES or name.startswith(_KEPT_PREFIXES)]


def _still_valid(list_view, pairs: list, columns: list | None) -> tuple[list, list | None, list[str]]:
    """The view's arguments and columns the list still understands, and the names of what it does
    not (a retired field, a column gone)."""
    from app.core.custom_fields.listing import label_of, sync

    sync(list_view)
    labels = list_view.label_columns
    endpoint = type(list_view).__name__

    def label(column):
        return label_of(list_view.spec, column, labels)

    searchable, sortable = set(list_view.search_columns), set(list_view.order_columns)
    keep, lost = [], []
    for name, value in pairs:
        if name.startswith("_flt_"):
            found = re.fullmatch(r"_flt_(\d+)_(.+)", name)
            column = found.group(2) if found else name
            if not found or column not in searchable:
                lost.append(label(column))
                continue
        elif name.startswith(("_oc_", "_od_", "psize_")):
            if not name.endswith("_" + endpoint):
                continue
            if name.startswith("_oc_") and value not in sortable:
                lost.append(label(value))
                continue
        keep.append([name, value])
    shown = None
    if columns:
        shown = [c for c in columns if c in list_view.list_columns]
        lost += [label(c) for c in columns if c not in list_view.list_columns]
    return keep, shown, lost


# -- changes (the caller commits) ---------------------------------------------------------------
def save_view(actor, list_view, name: str, query: str, make_default: bool, columns=None) -> SavedView:
    spec = list_view.spec
    name = (name or "").strip()
    if not name:
        raise ViewError(_("Give the view a name."))
    if len(name) > NAME_MAX:
        raise ViewError(_("A view's name has at most %(n)d characters.", n=NAME_MAX))
    if "\x00" in name or "\x00" in (query or ""):
        raise ViewError(_("The view cannot be read."))
    pairs = kept_args(parse_qsl(query or "", keep_blank_values=False))
    pairs, _shown, lost = _still_valid(list_view, pairs, None)
    if lost:
        raise ViewError(_("The list has no filter or sort “%(name)s”.", name=lost[0][:60]))
    mine = [v for v in ALL_VIEWS.get().get(spec.name, ()) if v["owner_id"] == actor.id]
    existing = next((v for v in mine if v["name"] == name), None)
    if existing is None and len(mine) >= PER_USER_AND_LIST:
        raise ViewError(_("You have %(n)d views of this list already: delete one first.", n=PER_USER_AND_LIST))
    from app.core.listing import locked_columns, shown_columns

    if columns:
        unknown = [c for c in columns if c not in list_view.list_columns]
        if unknown:
            raise ViewError(_("The list has no column “%(column)s”.", column=unknown[0][:60]))
        keep = set(columns) | set(locked_columns(list_view))
        columns = [c for c in list_view.list_columns if c in keep]
    row = db.session.get(SavedView, existing["id"]) if existing else SavedView(module=spec.name, owner_id=actor.id)
    row.name = name
    row.args = json.dumps(pairs, ensure_ascii=False)
    row.columns = json.dumps(columns or shown_columns(list_view), ensure_ascii=False)
    db.session.add(row)
    db.session.flush()
    if make_default:
        set_preference(actor.id, _default_key(spec.name), row.id)
    return row


def share_view(actor, view_id: int, role_ids) -> SavedView:
    """Share one of the actor's own views with roles (none: with nobody); needs may_share."""
    from flask_appbuilder.security.sqla.models import Role

    row = db.session.get(SavedView, view_id)
    if row is None or row.owner_id != actor.id:
        raise LookupError(view_id)
    roles = sorted({int(r) for r in role_ids})
    known = set(db.session.scalars(select(Role.id).where(Role.id.in_(roles)))) if roles else set()
    if known != set(roles):
        raise ViewError(_("A chosen role does not exist."))
    db.session.execute(delete(saved_view_role).where(saved_view_role.c.view_id == row.id))
    if roles:
        db.session.execute(saved_view_role.insert(), [{"view_id": row.id, "role_id": r} for r in roles])
    return row


def delete_view(actor, view_id: int) -> str:
    """Delete one of the actor's own views; returns its module."""
    row = db.session.get(SavedView, view_id)
    if row is None or row.owner_id != actor.id:
        raise LookupError(view_id)
    module = row.module
    db.session.delete(row)
    if get_preference(actor.id, _default_key(module)) == view_id:
        set_preference(actor.id, _default_key(module), None)
    return module


def set_default(actor, module: str, view_id: int | None) -> None:
    """The view the list opens with for the actor (None: the plain list)."""
    if view_id is not None and _find(actor, module, view_id) is None:
        raise LookupError(view_id)
    set_preference(actor.id, _default_key(module), view_id)


# -- opening a list with a view ---------------------------------------------------------------------
def _list_view_of_endpoint(endpoint: str):
    name = endpoint.rsplit(".", 1)[0]
    return next((v for v in views_named(current_app.appbuilder, name) if getattr(v, "spec", None) is not None), None)


def _open(list_view, view: dict):
    pairs, shown, lost = _still_valid(list_view, view["args"], view["columns"])
    if lost:
        flash(_("The view “%(view)s” used “%(names)s”, which this list no longer has; the rest of the view "
                "is shown.", view=view["name"], names="、".join(lost)), "warning")
    return redirect(f"{request.path}?{urlencode([tuple(p) for p in pairs] + [(ARG, str(view['id']))])}")


def before_list():
    """A list opened with ?view=<id> alone goes to the view's address; a list opened with no
    arguments at all goes to the user's default view, if they have one."""
    endpoint = request.endpoint or ""
    if request.method != "GET" or not endpoint.endswith(".list"):
        return None
    actor = current_actor()
    if actor is None:
        return None
    list_view = _list_view_of_endpoint(endpoint)
    if list_view is None or not current_app.appbuilder.sm.has_access("can_read", list_view.class_permission_name):
        return None
    module = list_view.spec.name
    if not request.args:
        default = get_preference(actor.id, _default_key(module))
        view = _find(actor, module, default) if default else None
        return _open(list_view, view) if view is not None else None
    if list(request.args) == [ARG]:
        raw = request.args.get(ARG, "")
        if raw == "0":
            return None
        view = _find(actor, module, int(raw)) if raw.isdigit() and len(raw) < 12 else None
        if view is None:
            from app.core.listing import refusal

            return refusal(404, _("There is no such view of this list, or it is no longer shared with you."),
                           f"{request.path}?{ARG}=0")
        return _open(list_view, view)
    return None


def columns_of_request(list_view) -> list[str] | None:
    """The shown columns of the view this list address names (?view=<id> among its arguments)."""
    raw = request.args.get(ARG, "")
    if not raw.isdigit() or raw == "0" or len(raw) >= 12:
        return None
    view = _find(current_actor(), list_view.spec.name, int(raw))
    if view is None or not view["columns"]:
        return None
    return [c for c in view["columns"] if c in list_view.list_columns] or None


def menu(view_name: str) -> dict | None:
    """What the 视图 menu of the list drawn by `view_name` shows: the views, the current one,
    whether the user may share; None for a list that is no module's."""
    list_view = _list_view_of_endpoint(view_name + ".list")
    if list_view is None:
        return None
    actor = current_actor()
    module = list_view.spec.name
    views = views_for(actor, module)
    raw = request.args.get(ARG, "")
    current = next((v for v in views if raw.isdigit() and v["id"] == int(raw)), None)
    query = urlencode([tuple(p) for p in kept_args(request.args.items(multi=True))])
    return {"views": views, "current": current, "may_share": may_share(actor), "query": query, "module": module,
            "plain_url": f"{request.path}?{ARG}=0"}


# -- screens ----------------------------------------------------------------------------------------
class SavedViewsView(BaseView):
    """Saving, deleting and choosing the default view of a list (the list's 视图 menu posts here)."""

    route_base = "/saved-views"
    class_permission_name = PERMISSION_VIEW
    base_permissions = ["can_share"]
    method_permission_name = {"share": "share"}
    default_view = "save"

    def _list_view(self, module: str):
        from app.core.registry import registry

        view_class = registry.views.get(module) if getattr(registry, "views", None) else None
        list_view = view_class and next(iter(views_named(self.appbuilder, view_class.__name__)), None)
        if list_view is None:
            abort(404)
        if not self.appbuilder.sm.has_access("can_read", list_view.class_permission_name):
            abort(403)
        return list_view

    def _back(self, list_view, view_id=None):
        path = f"{list_view.route_base}/list/"
        return redirect(f"{path}?{ARG}={view_id}" if view_id else f"{path}?{ARG}=0")

    @expose("/<module>/save", methods=["POST"])
    def save(self, module: str):
        from app.core.listing import refusal

        actor = current_actor()
        if actor is None:
            abort(401)
        list_view = self._list_view(module)
        form = request.form
        try:
            row = save_view(actor, list_view, form.get("name", ""), form.get("query", ""),
                            form.get("default") == "1", form.getlist("columns"))
        except ViewError as error:
            db.session.rollback()
            return refusal(400, str(error), f"{list_view.route_base}/list/")
        db.session.commit()
        flash(_("The view “%(name)s” is saved.", name=row.name), "success")
        return self._back(list_view, row.id)

    @expose("/<module>/<int:view_id>/share", methods=["GET", "POST"])
    @has_access
    def share(self, module: str, view_id: int):
        """Share one of one's own views with roles (GET: the form)."""
        from flask_appbuilder.security.sqla.models import Role

        from app.core.listing import refusal

        actor = current_actor()
        list_view = self._list_view(module)
        view = _find(actor, module, view_id)
        if view is None or not view["own"]:
            abort(404)
        if request.method == "POST":
            chosen = request.form.getlist("roles")
            if any(not r.isdigit() or len(r) >= 12 for r in chosen):
                return refusal(400, _("A chosen role does not exist."), request.path)
            try:
                share_view(actor, view_id, chosen)
            except ViewError as error:
                db.session.rollback()
                return refusal(400, str(error), request.path)
            db.session.commit()
            flash(_("The view “%(name)s” is shared with the chosen roles.", name=view["name"]) if chosen else
                  _("The view “%(name)s” is no longer shared.", name=view["name"]), "success")
            return self._back(list_view, view_id)
        roles = db.session.scalars(select(Role).order_by(Role.name)).all()
        return self.render_template("zwt/saved_view_share.html", view=view, roles=roles,
                                    list_url=f"{list_view.route_base}/list/?{ARG}={view_id}",
                                    title=_("Share the view “%(name)s”", name=view["name"]))

    @expose("/<module>/<int:view_id>/delete", methods=["POST"])
    def delete(self, module: str, view_id: int):
        actor = current_actor()
        if actor is None:
            abort(401)
        list_view = self._list_view(module)
        try:
            delete_view(actor, view_id)
        except LookupError:
            db.session.rollback()
            abort(404)
        db.session.commit()
        flash(_("The view is deleted."), "success")
        return self._back(list_view)

    @expose("/<module>/default", methods=["POST"])
    def default(self, module: str):
        actor = current_actor()
        if actor is None:
            abort(401)
        list_view = self._list_view(module)
        raw = request.form.get("view", "")
        view_id = int(raw) if raw.isdigit() and len(raw) < 12 and raw != "0" else None
        try:
            set_default(actor, module, view_id)
        except LookupError:
            db.session.rollback()
            abort(404)
        db.session.commit()
        flash(_("This list now opens with the view you chose.") if view_id else
              _("This list now opens without a view."), "success")
        return self._back(list_view, view_id)


def register_views(appbuilder) -> None:
    appbuilder.add_view_no_menu(SavedViewsView())
    app = current_app._get_current_object()
    from app.core.custom_fields.listing import sync_request_view

    funcs = app.before_request_funcs.setdefault(None, [])
    if sync_request_view not in funcs:
        # First: the list's columns and filters hold the custom fields before its arguments are read.
        funcs.insert(0, sync_request_view)
    if before_list not in app.before_request_funcs.get(None, []):
        app.before_request(before_list)
    app.jinja_env.globals["saved_views_menu"] = menu

