"""The chain editor (/workflows/, Admin only): the list of chains, a text editor with
validation (problems by line and column) and publishing, the diagram of the steps, a dry run of
a document's route, the versions with roll-back, YAML export, and new chains.

The database is the source of truth: publishing adds an immutable version (publishing.py);
running approvals stay on the version they started with.
"""
from __future__ import annotations

import json
from decimal import Decimal

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, func, select

from app.core.datamodel import current_actor
from app.core.errors import DomainError, NotFound
from app.core.org import User
from app.core.registry import registry
from app.extensions import db
from app.workflow import publishing, resolver
from app.workflow.cli import typed_document, submitter_context
from app.workflow.conditions import ConditionError
from app.workflow.definitions import DefinitionError, parse_definition
from app.workflow.diagram import render_svg
from app.workflow.engine import active_definition
from app.workflow.models import RUNNING, ApprovalInstance, WorkflowDefinition, WorkflowVersion
from app.workflow.views_common import WORKFLOWS, describe_step

NEW_CHAIN = """\
# A new approval chain. Each step asks its approvers; `when` skips a step for documents it
# does not apply to. Publish makes it the version new submissions use.
name: my_chain
title: 新审批流程
document: contracts
admin: admin
settings:
  comment_required: [reject, return]
steps:
  - id: manager
    name: 部门经理审批
    approvers:
      - manager_of: submitter
"""


def _problems(error: publishing.InvalidDefinition) -> list[dict]:
    return [{"line": p.line, "column": p.column, "path": p.path, "message": p.message} for p in error.problems]


def _sample_document(definition) -> str:
    """A JSON object with the fields the chain's conditions and field approvers read, with
    example values of the right type, to start a dry run from."""
    spec = registry.specs.get(definition.document)
    wanted: list[str] = []
    for step in definition.steps:
        conditions = [step.when] + [b.when for b in step.next]
        for condition in conditions:
            if condition is not None:
                wanted += sorted(condition.fields)
        wanted += [r.value for r in step.approvers if r.kind == "field"]
    sample = {}
    columns = {c.key: c for c in spec.model.__table__.columns} if spec is not None else {}
    for name in dict.fromkeys(wanted):
        column = columns.get(name)
        kind = type(column.type) if column is not None else None
        if column is not None and isinstance(column.type, Boolean):
            sample[name] = True
        elif column is not None and isinstance(column.type, (Integer, Numeric)):
            sample[name] = 0
        elif column is not None and isinstance(column.type, (Date, DateTime)):
            sample[name] = "2026-01-01"
        else:
            sample[name] = "" if kind is not None else None
    return json.dumps(sample, ensure_ascii=False)


def dry_run(definition, doc_text: str, username: str) -> dict:
    """The route a document with these fields would take, and whom each step would ask:
    {"steps": [{id, name, mode, approvers, taken, people}], "error": message or None}."""
    try:
        values = json.loads(doc_text or "{}", parse_float=Decimal)
    except json.JSONDecodeError as exc:
        return {"error": _("The document fields are not valid JSON: %(reason)s", reason=str(exc)), "steps": []}
    if isinstance(values, dict) and isinstance(values.get("doc"), dict):
        values = values["doc"]
    if not isinstance(values, dict):
        return {"error": _("The document fields must be a JSON object, as in {\"amount\": 150000}."), "steps": []}
    try:
        values = typed_document(values, definition.document)
    except ValueError as exc:
        return {"error": str(exc), "steps": []}
    user = None
    if username.strip():
        user = db.session.scalar(select(User).where(User.username == username.strip()))
        if user is None:
            return {"error": _("There is no user named %(name)s.", name=username.strip()), "steps": []}
    context = {"doc": values, "submitter": submitter_context(user)}
    try:
        route = definition.route(context)
    except ConditionError as exc:
        return {"error": _("A condition cannot be evaluated for this document: %(reason)s", reason=exc.message),
                "steps": []}
    taken = {step.id for step in route}
    steps = []
    for step in definition.steps:
        info = describe_step(step)
        info["taken"] = step.id in taken
        info["people"] = resolver.describe_approvers(definition, step, context, user) \
            if step.id in taken and user is not None else []
        steps.append(info)
    order = {step.id: n for n, step in enumerate(route, 1)}
    for info in steps:
        info["order"] = order.get(info["id"])
    return {"error": None, "steps": steps, "route": [s.name for s in route]}


class WorkflowEditorView(BaseView):
    route_base = "/workflows"
    default_view = "index"
    class_permission_name = WORKFLOWS
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {
        "index": "read", "edit": "read", "version": "read", "export": "read", "confirm_rollback": "read",
        "new": "read", "save": "write", "rollback": "write", "create": "write",
    }

    @expose("/")
    @has_access
    def index(self):
        running = dict(db.session.execute(
            select(WorkflowVersion.definition_id, func.count(ApprovalInstance.id))
            .join(ApprovalInstance, ApprovalInstance.version_id == WorkflowVersion.id)
            .where(ApprovalInstance.status == RUNNING).group_by(WorkflowVersion.definition_id)).all())
        rows = list(db.session.scalars(select(WorkflowDefinition).order_by(WorkflowDefinition.document,
                                                                           WorkflowDefinition.name)))
        return self.render_template("workflow/editor_list.html", title=_("Approval chains"), rows=rows,
                                    running=running, documents=registry.specs)

    def _definition_row(self, name) -> WorkflowDefinition:
        try:
            return publishing.get_definition(name)
        except NotFound:
            abort(404)

    def _editor(self, row, source, *, problems=None, valid=None, diagram=None, dry=None, doc_text=None,
                username="", note="", notices=(), status=200):
        version, definition = active_definition(row.name)
        if diagram is None and definition is not None:
            diagram = render_svg(definition)
        return self.render_template(
            "workflow/editor.html", title=_("Edit approval chain %(title)s", title=row.title), row=row,
            active=version, source=source, problems=problems or [], valid=valid, diagram=diagram, dry=dry,
            notices=notices,
            doc_text=doc_text if doc_text is not None else (_sample_document(definition) if definition else "{}"),
            username=username, note=note, versions=publishing.versions_of(row.name),
            document=registry.specs.get(row.document)), status

    @expose("/<name>/")
    @has_access
    def edit(self, name):
        row = self._definition_row(name)
        return self._editor(row, row.active_version.source if row.active_version else "")

    @expose("/<name>/", methods=["POST"])
    @has_access
    def save(self, name):
        """Validate, dry-run or publish the text in the editor; the text stays as typed."""
        row = self._definition_row(name)
        form = request.form
        source = form.get("source", "").replace("\r\n", "\n")
        op = form.get("op", "validate")
        keep = {"doc_text": form.get("doc", "{}"), "username": form.get("submitter", ""), "note": form.get("note", "")}
        try:
            definition = publishing.validate(source)
        except publishing.InvalidDefinition as error:
            return self._editor(row, source, problems=_problems(error), valid=False, status=400, **keep)
        if definition.name != row.name:
            return self._editor(row, source, valid=False, status=400, problems=[{
                "line": 1, "column": 1, "path": "name",
                "message": _("The chain's name cannot be changed here (it is %(name)s).", name=row.name)}], **keep)
        if op == "publish":
            try:
                version = publishing.publish(current_actor(), source, form.get("note", "").strip()[:255] or None,
                                             expected_name=row.name)
            except DomainError as error:
                db.session.rollback()
                problems = _problems(error) if isinstance(error, publishing.InvalidDefinition) else \
                    [{"line": 1, "column": 1, "path": error.field or "", "message": error.message}]
                return self._editor(row, source, problems=problems, valid=False, status=400, **keep)
            flash(_("Version %(number)s of %(title)s is published; new submissions use it.", number=version.number,
                    title=definition.title), "success")
            for notice in publishing.unknown_names(definition):
                flash(notice, "warning")
            return redirect(url_for("WorkflowEditorView.edit", name=row.name))
        dry = dry_run(definition, keep["doc_text"], keep["username"]) if op == "dry_run" else None
        return self._editor(row, source, valid=True, diagram=render_svg(definition), dry=dry,
                            notices=publishing.unknown_names(definition), **keep)

    @expose("/<name>/versions/<int:number>")
    @has_access
    def version(self, name, number):
        row = self._definition_row(name)
        found = next((v for v in publishing.versions_of(name) if v.number == number), None)
        if found is None:
            abort(404)
        try:
            definition = parse_definition(found.source, filename=f"{name} v{number}")
        except DefinitionError:
            definition = None
        return self.render_template("workflow/editor_version.html", title=_("%(title)s, version %(number)s",
                                                                           title=row.title, number=number),
                                    row=row, version=found, diagram=render_svg(definition) if definition else None)

    @expose("/<name>/rollback/<int:number>")
    @has_access
    def confirm_rollback(self, name, number):
        row = self._definition_row(name)
        found = next((v for v in publishing.versions_of(name) if v.number == number), None)
        if found is None:
            abort(404)
        return self.render_template("workflow/editor_rollback.html", title=_("Roll back %(title)s", title=row.title),
                                    row=row, version=found)

    @expose("/<name>/rollback/<int:number>", methods=["POST"])
    @has_access
    def rollback(self, name, number):
        row = self._definition_row(name)
        try:
            version = publishing.roll_back(current_actor(), name, number)
        except DomainError as error:
            db.session.rollback()
            if isinstance(error, NotFound):
                abort(404)
            message = "; ".join(str(p) for p in getattr(error, "problems", [])) or error.message
            flash(_("Version %(number)s cannot be published again: %(reason)s", number=number, reason=message),
                  "danger")
            return redirect(url_for("WorkflowEditorView.edit", name=row.name))
        flash(_("The text of version %(old)s is published again as version %(new)s.", old=number, new=version.number),
              "success")
        return redirect(url_for("WorkflowEditorView.edit", name=row.name))

    @expose("/<name>/export.yaml")
    @has_access
    def export(self, name):
        row = self._definition_row(name)
        if row.active_version is None:
            abort(404)
        return Response(row.active_version.source, mimetype="application/x-yaml",
                        headers={"Content-Disposition": f'attachment; filename="{row.name}.yaml"'})

    @expose("/new")
    @has_access
    def new(self):
        return self._new_page(NEW_CHAIN)

    def _new_page(self, source, problems=None, valid=None, diagram=None, note="", notices=(), status=200):
        return self.render_template("workflow/editor_new.html", title=_("New approval chain"), source=source,
                                    problems=problems or [], valid=valid, diagram=diagram, note=note,
                                    notices=notices), status

    @expose("/new", methods=["POST"])
    @has_access
    def create(self):
        source = request.form.get("source", "").replace("\r\n", "\n")
        note = request.form.get("note", "").strip()[:255]
        try:
            definition = publishing.validate(source)
        except publishing.InvalidDefinition as error:
            return self._new_page(source, _problems(error), False, note=note, status=400)
        exists = db.session.scalar(select(WorkflowDefinition.id).where(WorkflowDefinition.name == definition.name))
        if exists is not None:
            return self._new_page(source, [{"line": 1, "column": 1, "path": "name", "message": _(
                "A chain named %(name)s exists already; edit it instead, or choose another name.",
                name=definition.name)}], False, note=note, status=400)
        if request.form.get("op") != "publish":
            return self._new_page(source, valid=True, diagram=render_svg(definition), note=note,
                                  notices=publishing.unknown_names(definition))
        try:
            publishing.publish(current_actor(), source, note or None)
        except DomainError as error:
            db.session.rollback()
            return self._new_page(source, [{"line": 1, "column": 1, "path": error.field or "", "message": error.message}],
                                  False, note=note, status=400)
        flash(_("The approval chain %(title)s is published.", title=definition.title), "success")
        for notice in publishing.unknown_names(definition):
            flash(notice, "warning")
        return redirect(url_for("WorkflowEditorView.edit", name=definition.name))

