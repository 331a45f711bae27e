"""The screens and REST API of comments and following (app/core/collab.py holds the rules):
the Comments tab of every show page, the forms behind it, and /api/v1/comments/."""
from __future__ import annotations

import functools

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from app.core.api_auth import token_required
from app.core.collab import (BODY_MAX, Comment, _own_comment, add_comment, comments_on, delete_comment,
                             edit_comment, find_record, follow, followers_of, highlight_mentions, is_following,
                             record_link, unfollow)
from app.core.datamodel import current_actor
from app.core.errors import DomainError, Forbidden, NotFound
from app.extensions import db


# -- the Comments tab on every show page -------------------------------------------------------
def render_tab(spec, item):
    actor = current_actor()
    if actor is None or item is None:
        return None
    comments = list(db.session.scalars(
        select(Comment).where(Comment.spec == spec.name, Comment.record_id == item.id).order_by(Comment.id)))
    html = render_template("collab/tab.html", spec=spec, record=item, comments=comments, actor=actor,
                           followers=followers_of(spec.name, item.id),
                           following=is_following(actor, spec.name, item.id), body="", error=None,
                           highlight=highlight_mentions)
    return Markup(html)


# -- screens -----------------------------------------------------------------------------------
def _signed_in(fn):
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        if current_actor() is None:
            return redirect(url_for(current_app.appbuilder.sm.auth_view.__class__.__name__ + ".login", next=request.url))
        return fn(self, *args, **kwargs)

    return wrapper


class CommentsView(BaseView):
    """Posting, editing and deleting comments and following records from the show pages.
    Each action is checked against the record itself, not a module permission."""

    route_base = "/comments"
    default_view = "add"

    def _back(self, spec_name, record_id, tab="comments"):
        return redirect(record_link(spec_name, record_id, tab))

    def _form_page(self, title, action, body, error, spec, record, status=200, comment=None):
        return self.render_template("collab/comment_form.html", title=title, action=action, body=body,
                                    error=error, spec=spec, record=record, comment=comment,
                                    body_max=BODY_MAX), status

    @expose("/<spec_name>/<int:record_id>/add", methods=["POST"])
    @_signed_in
    def add(self, spec_name, record_id):
        actor = current_actor()
        body = request.form.get("body", "")
        try:
            _comment, unresolved = add_comment(actor, spec_name, record_id, body)
        except (NotFound, Forbidden) as error:
            db.session.rollback()
            abort(error.status)
        except DomainError as error:
            db.session.rollback()
            spec, record = find_record(actor, spec_name, record_id)
            return self._form_page(_("Add a comment"), url_for("CommentsView.add", spec_name=spec_name,
                                                                record_id=record_id),
                                   body, error.message, spec, record, status=400)
        self._tell_unresolved(unresolved)
        return self._back(spec_name, record_id)

    @staticmethod
    def _tell_unresolved(unresolved):
        for token in unresolved:
            flash(_("Nobody was notified for “@%(name)s”: no user, or several users, have that name. "
                    "Mention them by user name instead.", name=token), "warning")

    @expose("/<int:comment_id>/edit", methods=["GET", "POST"])
    @_signed_in
    def edit(self, comment_id):
        actor = current_actor()
        try:
            comment = _own_comment(actor, comment_id)
        except (NotFound, Forbidden) as error:
            db.session.rollback()
            abort(error.status)
        spec, record = find_record(actor, comment.spec, comment.record_id)
        action = url_for("CommentsView.edit", comment_id=comment_id)
        if request.method == "GET":
            return self._form_page(_("Edit comment"), action, comment.body, None, spec, record, comment=comment)
        body = request.form.get("body", "")
        try:
            _comment, unresolved = edit_comment(actor, comment_id, body)
        except DomainError as error:
            db.session.rollback()
            return self._form_page(_("Edit comment"), action, body, error.message, spec, record, status=400,
                                   comment=comment)
        self._tell_unresolved(unresolved)
        flash(_("Comment saved."), "success")
        return self._back(spec.name, record.id)

    @expose("/<int:comment_id>/delete", methods=["GET", "POST"])
    @_signed_in
    def delete(self, comment_id):
        actor = current_actor()
        try:
            comment = _own_comment(actor, comment_id)
        except (NotFound, Forbidden) as error:
            db.session.rollback()
            abort(error.status)
        spec_name, record_id = comment.spec, comment.record_id
        if request.method == "GET":
            spec, record = find_record(actor, spec_name, record_id)
            return self.render_template("collab/delete.html", title=_("Delete comment"), comment=comment,
                                        spec=spec, record=record, highlight=highlight_mentions)
        delete_comment(actor, comment_id)
        flash(_("Comment deleted."), "success")
        return self._back(spec_name, record_id)

    @expose("/<spec_name>/<int:record_id>/follow", methods=["POST"])
    @_signed_in
    def follow(self, spec_name, record_id):
        return self._following(follow, spec_name, record_id,
                               _("You follow this record now: you will be told when it changes."))

    @expose("/<spec_name>/<int:record_id>/unfollow", methods=["POST"])
    @_signed_in
    def unfollow(self, spec_name, record_id):
        return self._following(unfollow, spec_name, record_id, _("You no longer follow this record."))

    def _following(self, service, spec_name, record_id, message):
        try:
            service(current_actor(), spec_name, record_id)
        except (NotFound, Forbidden) as error:
            db.session.rollback()
            abort(error.status)
        flash(message, "success")
        return self._back(spec_name, record_id)


# -- REST API ----------------------------------------------------------------------------------


def comment_json(comment: Comment, actor) -> dict:
    author = comment.author
    return {
        "id": comment.id, "spec": comment.spec, "record": comment.record_id, "body": comment.body,
        "author": {"id": author.id, "username": author.username, "name": author.display_name},
        "created_at": comment.created_at.isoformat() + "Z",
        "edited_at": comment.edited_at.isoformat() + "Z" if comment.edited_at else None,
        "mine": comment.author_id == actor.id,
    }


class CommentApi(BaseApi):
    """/api/v1/comments/: comments on any record the caller may see."""

    resource_name = "comments"
    openapi_spec_tag = "comments"

    def _error(self, error: DomainError):
        db.session.rollback()
        body = error.as_dict()
        if error.field:
            body["message"] = {error.field: [error.message]}
        return self.response(error.status, **body)

    def _payload(self):
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else None

    @expose("/", methods=["GET"])
    @token_required
    def list_comments(self):
        """Comments on one record, oldest first
        ---
        get:
          parameters:
          - {in: query, name: spec, schema: {type: string}, required: true, description: module, e.g. customers}
          - {in: query, name: record, schema: {type: integer}, required: true}
          responses:
            200: {description: The comments}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        actor = current_actor()
        try:
            comments = comments_on(actor, request.args.get("spec", ""), request.args.get("record"))
        except DomainError as error:
            return self._error(error)
        return self.response(200, result=[comment_json(c, actor) for c in comments], count=len(comments))

    @expose("/", methods=["POST"])
    @token_required
    def post_comment(self):
        """Comment on a record; @mentions notify those named
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    spec: {type: string}
                    record: {type: integer}
                    body: {type: string}
          responses:
            201: {description: Created}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        actor = current_actor()
        data = self._payload()
        if data is None:
            return self.response_400(message=_("The request body must be a JSON object."))
        try:
            comment, unresolved = add_comment(actor, str(data.get("spec") or ""), data.get("record"),
                                              data.get("body") if isinstance(data.get("body"), str) else "")
        except DomainError as error:
            return self._error(error)
        return self.response(201, result=comment_json(comment, actor), id=comment.id, unresolved_mentions=unresolved)

    @expose("/<int:pk>", methods=["PUT"])
    @token_required
    def put_comment(self, pk):
        """Change the text of your own comment
        ---
        put:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, properties: {body: {type: string}}}
          responses:
            200: {description: Saved}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        actor = current_actor()
        data = self._payload()
        if data is None:
            return self.response_400(message=_("The request body must be a JSON object."))
        try:
            comment, unresolved = edit_comment(actor, pk, data.get("body") if isinstance(data.get("body"), str) else "")
        except DomainError as error:
            return self._error(error)
        return self.response(200, result=comment_json(comment, actor), unresolved_mentions=unresolved)

    @expose("/<int:pk>", methods=["DELETE"])
    @token_required
    def delete_comment(self, pk):
        """Delete your own comment
        ---
        delete:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Deleted}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            delete_comment(current_actor(), pk)
        except DomainError as error:
            return self._error(error)
        return self.response(200, message="OK")
