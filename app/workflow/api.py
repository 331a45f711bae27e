"""/api/v1/approvals/: the caller's waiting tasks, and approving, rejecting, transferring one or
adding a signer to it, for mobile apps and integrations (JWT or personal API key, like every other API).

Errors never come back as 500: a refused decision is 400 with the engine's message (409 when
the task was already handled, naming who did), a task of someone else 403, an unknown task or
one the caller may not see 404.
"""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.datamodel import current_actor
from app.core.errors import DomainError
from app.core.notify import public_url
from app.extensions import db
from app.workflow import engine, reading, inbox
from app.workflow.models import ApprovalTask
from app.workflow.notices import task_link
from app.workflow.views_common import APPROVALS, APPROVALS_PERMISSIONS, document_link, step_name
from app.workflow.views_task import TOO_LATE


def task_json(task: ApprovalTask) -> dict:
    instance = task.instance
    definition = engine.definition_of(instance)
    return {
        "id": task.id,
        "status": task.status,
        "step": {"id": task.step_id, "name": step_name(definition, task.step_id)},
        "on_behalf_of": task.on_behalf_of.username if task.on_behalf_of is not None else None,
        "created_at": task.created_at.isoformat() + "Z",
        "approval": {"id": instance.id, "chain": definition.name, "chain_title": definition.title,
                     "status": instance.status, "title": instance.title, "document": instance.document,
                     "record_id": instance.record_id, "submitter": instance.submitter.username,
                     "submitted_at": instance.started_at.isoformat() + "Z", "link": document_link(instance)},
        "links": {"page": public_url(task_link(task.id)), "approve": f"/api/v1/approvals/tasks/{task.id}/approve",
                  "reject": f"/api/v1/approvals/tasks/{task.id}/reject"},
    }


class ApprovalsApi(BaseApi):
    resource_name = "approvals"
    openapi_spec_tag = "approvals"
    class_permission_name = APPROVALS
    base_permissions = APPROVALS_PERMISSIONS
    method_permission_name = {"tasks": "read", "approve": "write", "reject": "write", "transfer": "write",
                              "add_signer": "write"}

    @expose("/tasks", methods=["GET"])
    @protect()
    @safe
    def tasks(self):
        """Approval tasks waiting for the caller's decision, newest first
        ---
        get:
          parameters:
          - {in: query, name: page, schema: {type: integer, default: 0}}
          - {in: query, name: page_size, schema: {type: integer, default: 20, maximum: 100}}
          - {in: query, name: q, schema: {type: string}, description: part of the document title}
          responses:
            200: {description: "{count, result: [task]}"}
            401: {$ref: '#/components/responses/401'}
        """
        actor = current_actor()
        page = max(request.args.get("page", 0, type=int), 0)
        size = min(max(request.args.get("page_size", inbox.PAGE_SIZE, type=int), 1), 100)
        search = request.args.get("q", "")[:100]
        rows = inbox.rows(actor, inbox.WAITING, search, page, size)
        return self.response(200, count=inbox.counts(actor, search)[inbox.WAITING],
                             result=[task_json(r.task) for r in rows])

    @expose("/tasks/<int:task_id>/approve", methods=["POST"])
    @protect()
    @safe
    def approve(self, task_id):
        """Approve a task of the caller's
        ---
        post:
          parameters:
          - {in: path, name: task_id, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {comment: {type: string}}}
          responses:
            200: {description: "{result: task}"}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {description: The task was already handled}
        """
        return self._decide(task_id, engine.approve)

    @expose("/tasks/<int:task_id>/reject", methods=["POST"])
    @protect()
    @safe
    def reject(self, task_id):
        """Reject a task of the caller's
        ---
        post:
          parameters:
          - {in: path, name: task_id, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {comment: {type: string}}}
          responses:
            200: {description: "{result: task}"}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {description: The task was already handled}
        """
        return self._decide(task_id, engine.reject)

    @expose("/tasks/<int:task_id>/transfer", methods=["POST"])
    @protect()
    @safe
    def transfer(self, task_id):
        """Hand a task of the caller's to another active user
        ---
        post:
          parameters:
          - {in: path, name: task_id, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, required: [user], properties: {user: {type: integer}, comment: {type: string}}}
          responses:
            200: {description: "{result: task}"}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {description: The task was already handled}
        """
        return self._act(task_id, lambda actor, comment, data: engine.transfer(actor, task_id, data["user"], comment),
                         ("user",))

    @expose("/tasks/<int:task_id>/add_signer", methods=["POST"])
    @protect()
    @safe
    def add_signer(self, task_id):
        """Add a signer before or after the caller on one of their tasks
        ---
        post:
          parameters:
          - {in: path, name: task_id, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [user, position]
                  properties:
                    user: {type: integer}
                    position: {type: string, enum: [before, after]}
                    comment: {type: string}
          responses:
            200: {description: "{result: task}"}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {description: The task was already handled}
        """
        return self._act(task_id, lambda actor, comment, data: engine.add_signer(
            actor, task_id, data["user"], data["position"], comment), ("user", "position"))

    def _decide(self, task_id, action):
        return self._act(task_id, lambda actor, comment, _data: action(actor, task_id, comment))

    def _act(self, task_id, run, required=()):
        actor = current_actor()
        data = request.get_json(silent=True)
        if data is None:
            data = {}
        if not isinstance(data, dict) or not isinstance(data.get("comment", ""), (str, type(None))):
            return self.response_400(message=_("The request body must be a JSON object like {\"comment\": \"…\"}."))
        problems = {}
        user = data.get("user")
        if "user" in required and (isinstance(user, bool) or not isinstance(user, int) or not 0 < user < 2 ** 31):
            problems["user"] = [_("Please choose an active user.")]
        if "position" in required and data.get("position") not in ("before", "after"):
            problems["position"] = [_("Choose before or after.")]
        if problems:
            return self.response_400(message=problems)
        task = db.session.get(ApprovalTask, task_id)
        if task is None or not reading.may_view(actor, task.instance):
            return self.response_404()
        try:
            run(actor, (data.get("comment") or "").strip() or None, data)
        except DomainError as error:
            db.session.rollback()
            status = 409 if error.code in TOO_LATE else error.status
            body = error.as_dict()
            if error.field:
                body["message"] = {error.field: [error.message]}
            return self.response(status, **body)
        db.session.expire_all()
        return self.response(200, result=task_json(db.session.get(ApprovalTask, task_id)))
