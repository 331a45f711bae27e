"""/api/v1/approvals/tasks…: the caller's waiting tasks and every decision on one of them —
approve, reject, return to an earlier step, transfer, add a signer — each with an optional
comment (required where the chain asks for one), files and a handwritten signature."""
from __future__ import annotations

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.datamodel import current_actor
from app.core.errors import DomainError
from app.extensions import db
from app.workflow import comment_files, engine, inbox, reading
from app.workflow.api_common import (ID, TEXT, BadBody, bad_body, body, id_field, openapi, page_args, prepared_files,
                                     refusal, task_json, text_field)
from app.workflow.models import ApprovalTask

PAGE = (("page", {"type": "integer", "default": 0, "minimum": 0}),
        ("page_size", {"type": "integer", "default": 20, "minimum": 1, "maximum": 100}),
        ("q", {"type": "string", "description": "part of the document title"}))
DECIDED = (400, 403, 404, 409, 413)
TASK_METHODS = {"tasks": "read", "approve": "write", "reject": "write", "return_to": "write", "transfer": "write",
                "add_signer": "write"}


class TaskEndpoints:
    """Mixed into ApprovalsApi (api.py)."""

    @expose("/tasks", methods=["GET"])
    @protect()
    @safe
    @openapi("Approval tasks waiting for the caller's decision, newest first", method="get", query=PAGE,
             ok="{count, result: [task]}", errors=(400, 403))
    def tasks(self):
        actor = current_actor()
        page, size, search = page_args(inbox.PAGE_SIZE)
        rows = inbox.rows(actor, inbox.WAITING, search, page, size)
        return self.response(200, count=inbox.counts(actor, search)[inbox.WAITING],
                             result=[task_json(r.task) for r in rows])

    @expose("/tasks/<int:task_id>/approve", methods=["POST"])
    @protect()
    @safe
    @openapi("Approve a task of the caller's (同意)", path=("task_id",), fields={"comment": TEXT}, files=True,
             ok="{result: task}", errors=DECIDED)
    def approve(self, task_id):
        return self._act(task_id, "approve", lambda actor, comment, _args: engine.approve(actor, task_id, comment))

    @expose("/tasks/<int:task_id>/reject", methods=["POST"])
    @protect()
    @safe
    @openapi("Reject a task of the caller's (驳回); most chains ask for the reason in `comment`",
             path=("task_id",), fields={"comment": TEXT}, files=True, ok="{result: task}", errors=DECIDED)
    def reject(self, task_id):
        return self._act(task_id, "reject", lambda actor, comment, _args: engine.reject(actor, task_id, comment))

    @expose("/tasks/<int:task_id>/return", methods=["POST"])
    @protect()
    @safe
    @openapi("Return the document to an earlier step it has passed (退回); the step's approvers decide again",
             path=("task_id",), fields={"step": {"type": "string", "description": "id of the earlier step"},
                                        "comment": TEXT}, required=("step",), files=True, ok="{result: task}",
             errors=DECIDED)
    def return_to(self, task_id):
        def check(data):
            step = text_field(data, "step")
            if not step:
                raise BadBody({"step": [_("Choose the step to return the document to.")]})
            return step
        return self._act(task_id, "return", lambda actor, comment, step: engine.return_to(actor, task_id, step, comment),
                         check)

    @expose("/tasks/<int:task_id>/transfer", methods=["POST"])
    @protect()
    @safe
    @openapi("Hand a task of the caller's to another active user (转交)", path=("task_id",),
             fields={"user": ID, "comment": TEXT}, required=("user",), files=True, ok="{result: task}",
             errors=DECIDED)
    def transfer(self, task_id):
        return self._act(task_id, "transfer", lambda actor, comment, user: engine.transfer(actor, task_id, user, comment),
                         lambda data: id_field(data, "user", _("Please choose an active user.")))

    @expose("/tasks/<int:task_id>/add_signer", methods=["POST"])
    @protect()
    @safe
    @openapi("Add a signer before or after the caller on one of their tasks (加签)", path=("task_id",),
             fields={"user": ID, "position": {"type": "string", "enum": ["before", "after"]}, "comment": TEXT},
             required=("user", "position"), files=True, ok="{result: task}", errors=DECIDED)
    def add_signer(self, task_id):
        def check(data):
            problems, user = {}, None
            try:
                user = id_field(data, "user", _("Please choose an active user."))
            except BadBody as problem:
                problems.update(problem.message)
            if data.get("position") not in ("before", "after"):
                problems["position"] = [_("Choose before or after.")]
            if problems:
                raise BadBody(problems)
            return user, data["position"]
        return self._act(task_id, "add_signer", lambda actor, comment, args: engine.add_signer(
            actor, task_id, args[0], args[1], comment), check)

    def _act(self, task_id, action, run, check=lambda data: None):
        """Check the body, refuse a task the caller may not see (404), check the files, then run
        the engine's action and put the files on the timeline entry it wrote."""
        actor = current_actor()
        try:
            data = body()
            comment = text_field(data, "comment")
            args = check(data)
        except BadBody as problem:
            return bad_body(self, problem)
        task = db.session.get(ApprovalTask, task_id) if 0 < task_id < 2**31 else None
        if task is None or not reading.may_view(actor, task.instance):
            return self.response_404()
        instance_id = task.instance_id
        try:
            prepared = prepared_files(data)
            try:
                comment_files.check_signature(task, action, prepared)
            except DomainError:
                prepared.discard()
                raise
            comment_files.run_with_files(actor, instance_id, action, lambda: run(actor, comment, args), prepared)
        except BadBody as problem:
            db.session.rollback()
            return bad_body(self, problem)
        except DomainError as error:
            return refusal(self, error)
        db.session.expire_all()
        return self.response(200, result=task_json(db.session.get(ApprovalTask, task_id)))
