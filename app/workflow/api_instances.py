"""/api/v1/approvals/…: submitting (a document, or an approval form's values), one approval with
its timeline, the submitter's withdraw and urge, comments with files and a signature, marking
a CC read, timeline files, and the route a document or a form's values would take.

Who may see an approval is the engine's rule (reading.may_view): everyone else gets 404, as if
it did not exist — for its files too.
"""
from __future__ import annotations

import sys

from flask import current_app, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.datamodel import current_actor
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.files import store
from app.core.files.views import file_response
from app.core.registry import registry
from app.core.scope import can_see
from app.extensions import db
from app.workflow import comment_files, engine, reading, resolver
from app.workflow import picks as picking
from app.workflow.api_common import (ID, TEXT, BadBody, bad_body, body, id_field, instance_detail, instance_json,
                                     json_text, openapi, prepared_files, refusal, text_field)
from app.workflow.cc_reading import mark_read
from app.workflow.conditions import ConditionError
from app.workflow.documents import document_context
from app.workflow.frame import active_definition
from app.workflow.models import ApprovalCc, ApprovalInstance
from app.workflow.views_common import describe_step

FORMS_DOCUMENT = "approval_requests"
CHOICES = {"type": "object", "description": "approvers / CC the submitter picks, where the chain lets them "
                                            "(step id → user ids)"}
INSTANCE_METHODS = {"submit": "write", "submit_form": "write", "instance": "read", "withdraw": "write",
                    "urge": "write", "comment": "write", "cc_read": "write", "download": "read",
                    "document_route": "read", "form_route": "read"}


def forms_service():
    """The approval forms' service, reached through the registry (the engine imports no module):
    the module whose spec is the approval requests'. None when it is not installed."""
    spec = registry.specs.get(FORMS_DOCUMENT)
    module = sys.modules.get(type(spec.service).__module__) if spec is not None and spec.service is not None else None
    if module is None or not all(hasattr(module, name) for name in ("submit_request", "route_preview")):
        return None
    return module


def _form_values(data: dict) -> dict:
    """The form's values from the body (`values`: a JSON object, or its text in a multipart
    field), with uploaded files (multipart parts named `files.<field>`) under their field."""
    values = json_text(data.get("values")) if "values" in data else {}
    if values is None:
        raise BadBody({"values": [_("The values must be a JSON object, field name → value.")]})
    values = dict(values)
    for key in (request.files or {}).keys():
        if key.startswith("files."):
            values[key[len("files."):]] = [f for f in request.files.getlist(key) if f.filename]
    return values


class InstanceEndpoints:
    """Mixed into ApprovalsApi (api.py)."""

    # -- submitting -------------------------------------------------------------------------------
    @expose("/submit", methods=["POST"])
    @protect()
    @safe
    @openapi("Submit a draft document for approval (提交审批)",
             fields={"document": {"type": "string", "description": "document type, e.g. contracts"},
                     "record_id": ID, "comment": TEXT, "choices": CHOICES}, required=("document", "record_id"),
             ok="{result: approval}")
    def submit(self):
        actor = current_actor()
        try:
            data = body()
            comment = text_field(data, "comment")
            document = text_field(data, "document") or ""
            record_id = id_field(data, "record_id", _("The document does not exist or you may not see it."))
            choices = json_text(data.get("choices"))
        except BadBody as problem:
            return bad_body(self, problem)
        spec = registry.specs.get(document)
        if spec is None or spec.workflow is None:
            return self.response_404()
        if not current_app.appbuilder.sm.has_access("can_write", spec.permission_name):
            return self.response_403()
        try:
            instance = engine.submit(actor, spec.name, record_id, comment, choices=choices)
        except DomainError as error:
            return refusal(self, error)
        return self.response(200, result=instance_json(db.session.get(ApprovalInstance, instance.id)))

    @expose("/forms/<code>/submit", methods=["POST"])
    @protect()
    @safe
    @openapi("Submit an approval form (发起审批) with its field values, checked as on the screen",
             fields={"values": {"type": "object", "description": "field name → value (a date range as {start, end, "
                                                                 "start_half, end_half}, a table as [{column: value}])"},
                     "comment": TEXT, "choices": CHOICES}, path=(("code", {"type": "string"}),), required=("values",),
             ok="{result: approval, request_id}", errors=(400, 403, 404, 413))
    def submit_form(self, code):
        actor = current_actor()
        service = forms_service()
        if service is None:
            return self.response_404()
        try:
            data = body()
            comment = text_field(data, "comment")
            values = _form_values(data)
            choices = json_text(data.get("choices"))
        except BadBody as problem:
            return bad_body(self, problem)
        try:
            made = service.submit_request(actor, code[:64], values, comment, choices=choices)
        except ValidationErrors as error:
            db.session.rollback()
            return self.response_400(message=error.errors)
        except DomainError as error:
            return refusal(self, error)
        except (TypeError, ValueError, AttributeError, KeyError):   # values of shapes no form field takes
            db.session.rollback()
            return self.response_400(message=_("The values do not fit the form's fields."))
        instance = reading.instances_of(FORMS_DOCUMENT, made.id)[0]
        return self.response(200, result=instance_json(instance), request_id=made.id)

    # -- one approval -----------------------------------------------------------------------------
    def _visible(self, instance_id):
        instance = db.session.get(ApprovalInstance, instance_id) if 0 < instance_id < 2**31 else None
        if instance is None or not reading.may_view(current_actor(), instance):
            return None
        return instance

    @expose("/instances/<int:instance_id>", methods=["GET"])
    @protect()
    @safe
    @openapi("One approval with its timeline (files with download links) and what the caller may do",
             method="get", path=("instance_id",), ok="{result: approval with timeline and actions}",
             errors=(403, 404))
    def instance(self, instance_id):
        instance = self._visible(instance_id)
        if instance is None:
            return self.response_404()
        return self.response(200, result=instance_detail(instance, current_actor()))

    def _on_instance(self, instance_id, run):
        actor = current_actor()
        try:
            data = body()
            comment = text_field(data, "comment")
        except BadBody as problem:
            return bad_body(self, problem)
        instance = self._visible(instance_id)
        if instance is None:
            return self.response_404()
        try:
            run(actor, instance.id, comment, data)
        except BadBody as problem:
            db.session.rollback()
            return bad_body(self, problem)
        except DomainError as error:
            return refusal(self, error)
        db.session.expire_all()
        return self.response(200, result=instance_detail(db.session.get(ApprovalInstance, instance_id), actor))

    @expose("/instances/<int:instance_id>/withdraw", methods=["POST"])
    @protect()
    @safe
    @openapi("Withdraw (撤回) the caller's own document, as the chain allows; it becomes a draft again",
             path=("instance_id",), fields={"comment": TEXT}, ok="{result: approval}", errors=(400, 403, 404, 409))
    def withdraw(self, instance_id):
        return self._on_instance(instance_id, lambda actor, i, comment, _data: engine.withdraw(actor, i, comment))

    @expose("/instances/<int:instance_id>/urge", methods=["POST"])
    @protect()
    @safe
    @openapi("Urge (催办) the approvers of the caller's own document: at most once an hour per approver",
             path=("instance_id",), fields={"comment": TEXT}, ok="{result: approval}", errors=(400, 403, 404, 429))
    def urge(self, instance_id):
        return self._on_instance(instance_id, lambda actor, i, comment, _data: engine.urge(actor, i, comment))

    @expose("/instances/<int:instance_id>/comments", methods=["POST"])
    @protect()
    @safe
    @openapi("Add a comment to the timeline, with files and a handwritten signature (multipart) if wanted",
             path=("instance_id",), fields={"comment": TEXT}, files=True, ok="{result: approval}",
             errors=(400, 403, 404, 413))
    def comment(self, instance_id):
        def run(actor, i, comment, data):
            return engine.comment(actor, i, comment or "", prepared_files(data) or None)
        return self._on_instance(instance_id, run)

    @expose("/instances/<int:instance_id>/cc_read", methods=["POST"])
    @protect()
    @safe
    @openapi("Mark an approval copied to the caller (抄送我的) as read", path=("instance_id",),
             ok="{result: {instance, read: number of CC entries marked}}", errors=(403, 404))
    def cc_read(self, instance_id):
        actor = current_actor()
        instance = self._visible(instance_id)
        if instance is None or not db.session.scalar(select(ApprovalCc.id).where(
                ApprovalCc.instance_id == instance.id, ApprovalCc.user_id == actor.id).limit(1)):
            return self.response_404()
        marked = mark_read(actor, instance.id)
        return self.response(200, result={"instance": instance_id, "read": marked})

    @expose("/files/<int:file_id>", methods=["GET"])
    @protect()
    @safe
    @openapi("Download a file or signature of a timeline entry (404 unless the caller may see the approval)",
             method="get", path=("file_id",), ok="the file", errors=(403, 404))
    def download(self, file_id):
        try:
            attachment, _instance = comment_files.visible_file(current_actor(), file_id)
        except NotFound:
            return self.response_404()
        return file_response(attachment, store().open(attachment.sha256))

    # -- route previews ---------------------------------------------------------------------------
    @expose("/documents/<document>/<int:record_id>/route", methods=["GET"])
    @protect()
    @safe
    @openapi("The steps a draft document would go through and whom each would ask, before submitting",
             method="get", path=(("document", {"type": "string"}), "record_id"),
             query=(("choices", {"type": "string", "description": "choices so far, JSON text: step id or cc to user ids"}),),
             ok="{result: {chain, steps, pickers, problem}}",
             errors=(400, 403, 404))
    def document_route(self, document, record_id):
        actor = current_actor()
        spec = registry.specs.get(document)
        if spec is None or spec.workflow is None:
            return self.response_404()
        if not current_app.appbuilder.sm.has_access("can_read", spec.permission_name):
            return self.response_403()
        item = db.session.get(spec.model, record_id) if 0 < record_id < 2**31 else None
        if item is None or not can_see(spec.name, actor, record_id):
            return self.response_404()
        chain = spec.workflow.chain_of(record_id)
        _version, definition = active_definition(chain)
        if definition is None:
            return self.response(200, result={"chain": chain, "steps": [], "problem": _(
                "The approval chain %(name)s has not been published.", name=chain)})
        raw = request.args.get("choices")
        choices = json_text(raw) if raw else {}
        if choices is None or any(not isinstance(ids, list) for ids in choices.values()):
            return self.response_400(message=_('choices must be a JSON object such as {"finance": [12]}.'))
        context = document_context(spec, item, actor)
        chosen = {key: [int(v) for v in ids if str(v).strip().isdigit() and 0 < int(v) < 2**31]
                  for key, ids in picking.merged(None, choices).items()}
        try:
            route = definition.route(context)
        except ConditionError as exc:
            return self.response(200, result={"chain": chain, "steps": [], "problem": _(
                "A condition cannot be evaluated for this document: %(reason)s", reason=exc.message)})
        steps = [{**describe_step(step), "people": resolver.describe_approvers(definition, step, context, actor, chosen)}
                 for step in route]
        pickers = [{"key": p.key, "step": p.label, "cc": p.cc, "min": p.rule.min,
                    "multiple": bool(getattr(p.rule, "multiple", False)), "chosen": chosen.get(p.key, [])}
                   for p in picking.pickers(definition, context)]
        return self.response(200, result={"chain": chain, "chain_title": definition.title, "steps": steps,
                                          "pickers": pickers, "problem": None})

    @expose("/forms/<code>/route", methods=["POST"])
    @protect()
    @safe
    @openapi("The steps an approval form's values would go through and whom each would ask (nothing is saved)",
             path=(("code", {"type": "string"}),), fields={"values": {"type": "object"}}, required=("values",),
             ok="{result: {errors: {field: [message]}, steps: [{id, name, people}], problem}}", errors=(400, 403, 404))
    def form_route(self, code):
        service = forms_service()
        if service is None:
            return self.response_404()
        if not current_app.appbuilder.sm.has_access("can_write", registry.specs[FORMS_DOCUMENT].permission_name):
            return self.response_403()      # as submitting: the route is for those who may submit
        try:
            values = _form_values(body())
        except BadBody as problem:
            return bad_body(self, problem)
        try:
            preview = service.route_preview(current_actor(), code[:64], values)
        except DomainError as error:
            return refusal(self, error)
        except (TypeError, ValueError, AttributeError, KeyError):   # values of shapes no form field takes
            db.session.rollback()
            return self.response_400(message=_("The values do not fit the form's fields."))
        return self.response(200, result=preview)
