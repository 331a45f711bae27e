"""What the approvals API endpoints share: the JSON shapes of a task, an approval and its
timeline, reading a request body (JSON, or multipart with files and a signature), and turning a
refusal into a 4xx answer with the message in the user's language."""
from __future__ import annotations

import json

from flask import request
from flask_babel import gettext as _

from app.core.errors import DomainError
from app.core.notify import public_url
from app.core.registry import registry
from app.extensions import db
from app.workflow import comment_files, engine, reading
from app.workflow.models import RUNNING, ApprovalInstance, ApprovalTask
from app.workflow.notices import task_link
from app.workflow.submitter import next_urge_at
from app.workflow.views_common import (INSTANCE_STATUS, TASK_STATUS, describe_action, document_link, step_name,
                                       view_of, waiting_for)
from app.workflow.views_task import TOO_LATE

API = "/api/v1/approvals"


def _iso(value):
    return value.isoformat() + "Z" if value is not None else None


def instance_json(instance: ApprovalInstance) -> dict:
    definition = engine.definition_of(instance)
    running = instance.status == RUNNING
    return {"id": instance.id, "chain": definition.name, "chain_title": definition.title,
            "version": instance.version.number, "status": instance.status,
            "status_text": str(INSTANCE_STATUS.get(instance.status, instance.status)), "title": instance.title,
            "document": instance.document, "record_id": instance.record_id,
            "submitter": instance.submitter.username, "submitter_name": instance.submitter.display_name,
            "submitted_at": _iso(instance.started_at), "finished_at": _iso(instance.finished_at),
            "current_step": ({"id": instance.current_step, "name": step_name(definition, instance.current_step)}
                             if running and instance.current_step else None),
            "waiting_for": waiting_for(instance), "link": document_link(instance),
            "links": {"self": f"{API}/instances/{instance.id}",
                      "page": public_url(f"/approvals/instance/{instance.id}")}}


def task_json(task: ApprovalTask) -> dict:
    instance = task.instance
    definition = engine.definition_of(instance)
    return {
        "id": task.id,
        "status": task.status,
        "status_text": str(TASK_STATUS.get(task.status, task.status)),
        "step": {"id": task.step_id, "name": step_name(definition, task.step_id)},
        "on_behalf_of": task.on_behalf_of.username if task.on_behalf_of is not None else None,
        "created_at": _iso(task.created_at),
        "decided_at": _iso(task.decided_at),
        "approval": {"id": instance.id, "chain": definition.name, "chain_title": definition.title,
                     "status": instance.status, "title": instance.title, "document": instance.document,
                     "record_id": instance.record_id, "submitter": instance.submitter.username,
                     "submitted_at": _iso(instance.started_at), "link": document_link(instance)},
        "links": {"page": public_url(task_link(task.id)), "approve": f"{API}/tasks/{task.id}/approve",
                  "reject": f"{API}/tasks/{task.id}/reject"},
    }


def file_json(shown) -> dict:
    return {"id": shown.id, "name": shown.name, "size": shown.size, "content_type": shown.content_type,
            "signature": shown.is_signature, "download": f"{API}/files/{shown.id}"}


def instance_detail(instance: ApprovalInstance, actor) -> dict:
    """The approval with its timeline (files listed with their download links) and what the
    caller may do on it now."""
    view = view_of(instance, actor)
    spec = registry.specs.get(instance.document)
    files = comment_files.files_by_action(instance)
    timeline = []
    for row in reading.timeline(instance):
        entry = describe_action(row, view.definition, spec)
        timeline.append({"id": row.id, "at": _iso(row.at), "action": row.action, "action_text": entry.action,
                         "by": entry.actor, "step": entry.step, "detail": entry.detail, "comment": entry.comment,
                         "files": [file_json(f) for f in files.get(row.id, [])]})
    task = view.actions.task
    actions = {"withdraw": view.actions.withdraw, "urge": view.actions.urge, "comment": view.actions.comment,
               "task": task.id if task is not None else None,
               "return_steps": [{"id": s, "name": n} for s, n in view.actions.return_steps],
               "next_urge_at": _iso(next_urge_at(instance)) if view.actions.urge else None,
               "comment_required": sorted(view.definition.settings.comment_required)}
    return {**instance_json(instance), "timeline": timeline, "actions": actions}


# -- request bodies ----------------------------------------------------------------------------
class BadBody(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def body() -> dict:
    """The request's fields: a JSON object, or the form fields of a multipart / urlencoded body
    (one value each). Raises BadBody for anything else."""
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return {key: request.form.get(key) for key in request.form.keys()}
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadBody(_("The request body must be a JSON object like {\"comment\": \"…\"}."))
    return data


def text_field(data: dict, name: str) -> str | None:
    """A text field, stripped (None when empty); BadBody when it is not text."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadBody({name: [_("Please give text here.")]})
    return value.strip() or None


def id_field(data: dict, name: str, message: str) -> int:
    """A positive id (JSON number, or digits in a form); BadBody with `message` otherwise."""
    value = data.get(name)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise BadBody({name: [message]})
    return value


def prepared_files(data: dict) -> comment_files.Prepared:
    """Files (multipart parts named `files`) and the signature (a part named `signature` with
    the PNG, or a `signature` field holding a data:image/png;base64 URL) of the request, checked."""
    uploads = request.files.getlist("files") if request.files else []
    signature = None
    if request.files and request.files.get("signature") is not None:
        signature = request.files["signature"].read(comment_files.SIGNATURE_MAX_BYTES + 1)
        if not signature:
            signature = None
    elif data.get("signature") is not None:
        if not isinstance(data.get("signature"), str):
            raise BadBody({"signature": [_("The signature must be a PNG image drawn on the page, at most 512 KB.")]})
        signature = comment_files.signature_from_data_url(data["signature"])
    return comment_files.prepare(uploads, signature)


def refusal(api, error: DomainError):
    """The answer to a refused action: its status (409 when the task or approval was handled
    meanwhile, 429 for an urge too soon, with Retry-After), the code and the message; a
    message about one field as {field: [message]}."""
    db.session.rollback()
    status = 409 if error.code in TOO_LATE else error.status
    answer = error.as_dict()
    if error.field and not isinstance(answer.get("message"), dict):
        answer["message"] = {error.field: [error.message]}
    headers = {}
    if error.code == "workflow.urged_recently":
        status = 429
        retry = int(error.params.get("retry_after") or 3600)
        answer["retry_after"] = retry
        headers["Retry-After"] = str(retry)
    response = api.response(status, **answer)
    response.headers.update(headers)
    return response


def bad_body(api, problem: BadBody):
    return api.response_400(message=problem.message)


def page_args(default_size: int) -> tuple[int, int, str]:
    page = max(request.args.get("page", 0, type=int), 0)
    size = min(max(request.args.get("page_size", default_size, type=int), 1), 100)
    return page, size, request.args.get("q", "")[:100]


def json_text(value) -> dict | None:
    """A JSON object given as text in a form field (multipart `values`, `choices`)."""
    if value is None or isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    try:
        found = json.loads(value)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


# -- the OpenAPI description of each endpoint -----------------------------------------------------
_REFS = {400: "400", 401: "401", 403: "403", 404: "404"}
_TEXTS = {409: "The task or approval was already handled, or it is not the caller's turn (the message names who)",
          413: "A file is larger than MAX_UPLOAD_MB",
          429: "Urged less than an hour ago: Retry-After gives the seconds to wait"}
TEXT = {"type": "string"}
ID = {"type": "integer", "minimum": 1}
FILES = {"type": "array", "items": {"type": "string", "format": "binary"},
         "description": "files to put on the timeline entry (PDF, images, Office, text, CSV, ZIP)"}
SIGNATURE = {"type": "string", "format": "binary",
             "description": "a handwritten signature: a PNG of at most 512 KB (or a data:image/png;base64 URL)"}


def openapi(summary: str, *, method: str = "post", path: tuple = (), query: tuple = (), fields: dict | None = None,
            required: tuple = (), files: bool = False, ok: str = "{result: …}", errors: tuple = (400, 403, 404)):
    """Give the endpoint its OpenAPI description (FAB reads it from the docstring)."""
    import yaml

    operation: dict = {}
    parameters = [{"in": "path", "name": name, "required": True, "schema": {"type": "integer"}}
                  if isinstance(name, str) else {"in": "path", "name": name[0], "required": True, "schema": name[1]}
                  for name in path]
    parameters += [{"in": "query", "name": name, "schema": schema} for name, schema in query]
    if parameters:
        operation["parameters"] = parameters
    if fields is not None:
        schema = {"type": "object", "properties": dict(fields)}
        if required:
            schema["required"] = list(required)
        content = {"application/json": {"schema": schema}}
        if files:
            form = {"type": "object", "properties": {**fields, "files": FILES, "signature": SIGNATURE}}
            if required:
                form["required"] = list(required)
            content["multipart/form-data"] = {"schema": form}
        operation["requestBody"] = {"content": content}
    responses = {200: {"description": ok}, 401: {"$ref": "#/components/responses/401"}}
    for status in errors:
        responses[status] = ({"$ref": f"#/components/responses/{_REFS[status]}"} if status in _REFS
                             else {"description": _TEXTS[status]})
    operation["responses"] = responses
    text = summary + "\n---\n" + yaml.safe_dump({method: operation}, allow_unicode=True, sort_keys=False)

    def give(fn):
        fn.__doc__ = text
        return fn
    return give
