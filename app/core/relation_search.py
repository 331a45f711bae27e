"""Search-as-you-type for the relation filters of a list's advanced panel (owner, customer,
department …), so that no list page loads a whole table to offer its choices.

    GET /relation-search/<module>/<column>?q=华信    → {"results": [{"id": 7, "text": "…"}], "more": false}

At most LIMIT rows, in the order of their keys, only what the signed-in user may see: the rows of
a module's own table through its data scope (and its list's search, index-served on PostgreSQL),
people and departments within the user's scope of the list's module (own: themselves and their
department; department: their department's subtree; all: everyone). Refused (403) to whoever may
not read the list.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.core.datamodel import current_actor, like_literal
from app.core.org import AppUser, Department, subtree_ids
from app.core.scope import ALL, DEPARTMENT, effective_scope, scope_clause
from app.core.view_index import views_named
from app.extensions import db

LIMIT = 20
MAX_TERM = 100
blueprint = Blueprint("zwt_relation_search", __name__)


def endpoint_url(spec_name: str, column: str) -> str:
    return url_for("zwt_relation_search.search", module=spec_name, column=column)


def relation_columns(view) -> list[str]:
    """The list's filter columns that name one row of another table (many-to-one)."""
    datamodel = view.datamodel
    return [c for c in view.search_columns
            if datamodel.is_relation_many_to_one(c) or datamodel.is_relation_many_to_many(c)]


def _form_relation(view, column: str) -> bool:
    """Whether `column` is a person or department the list's add or edit form chooses by search."""
    from app.core.forms import people_relations

    spec = view.spec
    return column in people_relations(spec, [*spec.add_columns, *spec.edit_columns])


def bad_request(message: str, status: int = 400):
    response = jsonify({"error": message})
    response.status_code = status
    return response


def contains(column, term: str):
    return column.ilike(f"%{like_literal(term)}%", escape="\\")


def _people(actor, module: str, term: str):
    stmt = select(AppUser).where(AppUser.active.is_(True))
    granted = effective_scope(actor, module)
    if granted == DEPARTMENT and actor.department_id:
        stmt = stmt.where(or_(AppUser.id == actor.id, AppUser.department_id.in_(subtree_ids(actor.department_id))))
    elif granted != ALL:
        stmt = stmt.where(AppUser.id == actor.id)
    if term:
        stmt = stmt.where(or_(contains(AppUser.username, term), contains(AppUser.first_name, term),
                              contains(AppUser.last_name, term),
                              contains(AppUser.last_name + AppUser.first_name, term)))
    return stmt.order_by(AppUser.id)


def _departments(actor, module: str, term: str):
    stmt = select(Department)
    granted = effective_scope(actor, module)
    if granted != ALL:
        if not actor.department_id:
            return None
        ids = subtree_ids(actor.department_id) if granted == DEPARTMENT else [actor.department_id]
        stmt = stmt.where(Department.id.in_(ids))
    if term:
        stmt = stmt.where(or_(contains(Department.name, term), contains(Department.code, term)))
    return stmt.order_by(Department.sort, Department.id)


def _module_rows(actor, spec, term: str):
    from app.core.listing import search_condition

    model = spec.model
    stmt = select(model)
    clause = scope_clause(spec, actor)
    if clause is not None:
        stmt = stmt.where(clause)
    if term:
        stmt = stmt.where(search_condition(spec, term, db.session.get_bind().dialect.name))
    return stmt.order_by(model.id.desc())


def _statement(view, column: str, actor, term: str):
    from app.core.registry import registry

    related = view.datamodel.get_related_model(column)
    module = view.spec.permission_name
    if related is AppUser or issubclass(related, AppUser):
        return _people(actor, module, term)
    if related is Department:
        return _departments(actor, module, term)
    spec = next((s for s in registry.specs.values() if s.model is related), None)
    if spec is None or (spec.scope is None and view.datamodel.is_relation_many_to_many(column)):
        # Labels put on the list's records (tags): whoever reads the list sees them on its rows
        # and may choose among them, whether or not they may open their own module.
        return _dictionary_rows(related, term)
    if not current_app.appbuilder.sm.has_access("can_read", registry.views[spec.name].class_permission_name):
        return None
    return _module_rows(actor, spec, term)


def _dictionary_rows(related, term: str):
    """A table of names that is no module (tags …): whoever may read the list chooses among
    all its rows, by name."""
    stmt = select(related)
    name = related.__table__.columns.get("name")
    if term and name is not None:
        stmt = stmt.where(contains(name, term))
    return stmt.order_by(name if name is not None else related.id, related.id)


def filters_url(spec_name: str) -> str:
    return url_for("zwt_relation_search.filters", module=spec_name)


def _readable_view(module: str):
    """(the list's view, None) for a user who may read module's list, else (None, refusal)."""
    from app.core.registry import registry

    view_class = registry.views.get(module) if getattr(registry, "views", None) else None
    if current_actor() is None:
        return None, bad_request(_("Please sign in."), 401)
    if view_class is None:
        return None, bad_request(_("There is no such list."), 404)
    # By name: the registry holds the view classes of the app built last (a process may build
    # more than one app, e.g. a command that opens a second database).
    view = next((v for v in views_named(current_app.appbuilder, view_class.__name__) if hasattr(v, "spec")), None)
    if view is None or not current_app.appbuilder.sm.has_access("can_read", view.class_permission_name):
        return None, bad_request(_("You may not read this list."), 403)
    return view, None


@blueprint.route("/list-filters/<module>")
def filters(module: str):
    """The advanced filter panel's settings of a list (its inputs and operators), fetched when the
    panel is first opened: {labels, fields, filters, active: []}."""
    view, refusal = _readable_view(module)
    if refusal is not None:
        return refusal
    widget = view.search_widget(route_base=view.route_base, form=view.search_form.refresh(),
                                include_cols=view.search_columns, exclude_cols=[],
                                filters=view.datamodel.get_filters(view.search_columns))
    settings = widget.settings(view, active=[])
    response = jsonify({**settings, "fields": {col: str(html) for col, html in settings["fields"].items()}})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.route("/relation-search/<module>/<column>")
def search(module: str, column: str):
    view, refusal = _readable_view(module)
    if refusal is not None:
        return refusal
    actor = current_actor()
    if column.startswith("custom."):
        from app.core.custom_fields.definitions import field_of

        field = field_of(view.spec.name, column[len("custom."):])
        if field is None or field.kind != "user":
            return bad_request(_("This list has no filter “%(column)s” that chooses a record.", column=column[:60]), 404)
    elif column not in relation_columns(view) and not _form_relation(view, column):
        return bad_request(_("This list has no filter “%(column)s” that chooses a record.", column=column[:60]), 404)
    term = request.args.get("q", "")
    if not isinstance(term, str) or "\x00" in term:
        return bad_request(_("The search text cannot be read."))
    term = term.strip()
    if len(term) > MAX_TERM:
        return bad_request(_("The search text is too long: at most %(n)d characters.", n=MAX_TERM))
    if column.startswith("custom."):
        stmt = _people(actor, view.spec.permission_name, term)
    else:
        stmt = _statement(view, column, actor, term)
    found = [] if stmt is None else db.session.scalars(stmt.limit(LIMIT + 1)).all()
    return jsonify({"results": [{"id": row.id, "text": str(row)} for row in found[:LIMIT]],
                    "more": len(found) > LIMIT})


def labels_of(view, column: str, ids) -> dict[str, str]:
    """The labels of the chosen rows of an active relation filter (only those, never a table)."""
    keys = sorted({int(i) for i in ids if str(i).isdigit() and len(str(i)) < 12})
    if not keys:
        return {}
    from app.core.registry import registry

    related = view.datamodel.get_related_model(column)
    stmt = select(related).where(related.id.in_(keys))
    spec = next((s for s in registry.specs.values() if s.model is related), None)
    clause = scope_clause(spec, current_actor()) if spec is not None else None
    rows = db.session.scalars(stmt if clause is None else stmt.where(clause)).all()
    return {str(row.id): str(row) for row in rows}


def install(app) -> None:
    if "zwt_relation_search" not in app.blueprints:
        app.register_blueprint(blueprint)
