"""Search-as-you-type for the people and departments the user administration chooses (a user's
manager and department, the filters of the users list, the login history and the roles list),
so that none of those pages carries a select of every user.

    GET /user-choices/<kind>?q=王   → {"results": [{"id": 7, "text": "…"}], "more": false}

kind is `users` or `departments`; at most 20 rows in the order of their keys. Only whoever may list
the users (the administrators) may ask: they see every user and department there anyway.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.core.datamodel import current_actor
from app.core.org import Department, User
from app.core.relation_search import LIMIT, MAX_TERM, contains, bad_request
from app.extensions import db

USER_VIEW = "ZwtUserView"
blueprint = Blueprint("zwt_user_choices", __name__)
# The relation → its search, for the views' forms and filters (their pages are rendered inside a request).
USER_CHOICES = {"department": "/user-choices/departments", "manager": "/user-choices/users"}


def choices_url(kind: str) -> str:
    return url_for("zwt_user_choices.choices", kind=kind)


def _statement(kind: str, term: str):
    if kind == "users":
        stmt = select(User)
        if term:
            stmt = stmt.where(or_(contains(User.username, term), contains(User.first_name, term),
                                  contains(User.last_name, term), contains(User.last_name + User.first_name, term)))
        return stmt.order_by(User.id)
    stmt = select(Department)
    if term:
        stmt = stmt.where(or_(contains(Department.name, term), contains(Department.code, term)))
    return stmt.order_by(Department.sort, Department.id)


@blueprint.route("/user-choices/<kind>")
def choices(kind: str):
    if current_actor() is None:
        return bad_request(_("Please sign in."), 401)
    if not current_app.appbuilder.sm.has_access("can_list", USER_VIEW):
        return bad_request(_("You may not read this list."), 403)
    if kind not in ("users", "departments"):
        return bad_request(_("There is no such list."), 404)
    term = request.args.get("q", "")
    if "\x00" in term:
        return bad_request(_("The search text cannot be read."))
    term = term.strip()
    if len(term) > MAX_TERM:
        return bad_request(_("The search text is too long: at most %(n)d characters.", n=MAX_TERM))
    found = db.session.scalars(_statement(kind, term).limit(LIMIT + 1)).all()
    response = jsonify({"results": [{"id": row.id, "text": str(row)} for row in found[:LIMIT]],
                        "more": len(found) > LIMIT})
    response.headers["Cache-Control"] = "private, no-store"
    return response


def install(app) -> None:
    if "zwt_user_choices" not in app.blueprints:
        app.register_blueprint(blueprint)
