"""The visual chain builder (/workflow-builder/<name>/, Admin only): steps, approvers, mode and
quorum, time limits and conditions picked from the document type's fields, with the diagram and
the check result as the chain is built. Saving publishes YAML through the same path as the
YAML editor (publishing.publish), so the builder and the editor always show the same chain."""
from __future__ import annotations

import json

from flask import abort, jsonify, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, select

from app.core.datamodel import current_actor
from app.core.errors import DomainError, NotFound
from app.core.registry import registry
from app.extensions import db
from app.workflow import publishing
from app.workflow.builder import BuilderError, model_to_yaml, yaml_to_model
from app.workflow.chain import APPROVER_KINDS, MODES
from app.workflow.person_fields import fields_of
from app.workflow.diagram import render_svg
from app.workflow.models import WorkflowDefinition
from app.workflow.views_common import WORKFLOWS


def field_kinds(document: str) -> list[dict]:
    """The fields a condition may read: name, label and kind (number, yesno, date, text)."""
    spec = registry.specs.get(document)
    if spec is None:
        return []
    found = []
    for column in spec.model.__table__.columns:
        if column.key in ("id", "custom") or column.key.startswith("_"):
            continue
        kind = ("yesno" if isinstance(column.type, Boolean) else "number"
                if isinstance(column.type, Integer | Numeric) else "date"
                if isinstance(column.type, Date | DateTime) else "text")
        found.append({"name": column.key, "label": str(spec.label_columns.get(column.key, column.key)),
                      "kind": kind})
    return found


KIND_OPERATORS = {"number": ("==", "!=", ">", ">=", "<", "<="), "date": ("==", "!=", ">", ">=", "<", "<="),
                  "yesno": ("==", "!="), "text": ("==", "!=")}


def clause_problem(model: dict, document: str) -> str | None:
    """A clause whose field the document type lacks, or whose operator or value does not fit the field."""
    kinds = {f["name"]: f["kind"] for f in field_kinds(document)}
    for n, step in enumerate(model.get("steps") or [], 1):
        condition = step.get("when") if isinstance(step, dict) else None
        if not isinstance(condition, dict):
            continue
        for clause in condition.get("clauses") or []:
            if not isinstance(clause, dict):
                continue
            field, op, value = clause.get("field"), clause.get("op"), clause.get("value")
            if kinds and field not in kinds:
                return _("Step %(n)d: the document has no field %(field)s.", n=n, field=field)
            kind = kinds.get(field)
            if kind and op not in KIND_OPERATORS[kind]:
                return _("Step %(n)d: %(op)s does not fit the field %(field)s.", n=n, op=op, field=field)
            if kind == "yesno" and not isinstance(value, bool):
                return _("Step %(n)d: %(field)s is yes or no.", n=n, field=field)
            if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float | str)
                                     or not str(value).strip().lstrip("-").replace(".", "", 1).isdigit()):
                return _("Step %(n)d: %(field)s takes a number.", n=n, field=field)
    return None


def _refusal(message: str, problems=()):
    db.session.rollback()
    return jsonify({"valid": False, "message": message, "problems": list(problems)}), 400


def _read(name: str):
    """(yaml text, definition) of the builder's JSON body, or a 400 response."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("chain"), dict):
        return None, _refusal(_("The builder sent no chain."))
    model = dict(body["chain"])
    model["name"] = name
    problem = clause_problem(model, str(model.get("document") or ""))
    if problem:
        return None, _refusal(problem)
    try:
        source = model_to_yaml(model)
    except BuilderError as error:
        return None, _refusal(str(error))
    try:
        definition = publishing.validate(source)
    except publishing.InvalidDefinition as error:
        return None, _refusal(_("The chain has problems; nothing was published."),
                              [f"{p.path}: {p.message}" for p in error.problems])
    return (source, definition), None


class ChainBuilderView(BaseView):
    route_base = "/workflow-builder"
    default_view = "index"
    class_permission_name = WORKFLOWS
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"index": "read", "builder": "read", "check": "read", "save": "write"}

    def _row(self, name):
        try:
            return publishing.get_definition(name)
        except NotFound:
            abort(404)

    @expose("/")
    @has_access
    def index(self):
        rows = list(db.session.scalars(select(WorkflowDefinition).order_by(WorkflowDefinition.document,
                                                                           WorkflowDefinition.name)))
        return self.render_template("workflow/builder_list.html", title=_("Chain builder"), rows=rows,
                                    documents=registry.specs)

    @expose("/<name>/")
    @has_access
    def builder(self, name):
        row = self._row(name)
        source = row.active_version.source if row.active_version else ""
        try:
            model = yaml_to_model(source) if source else {"name": name, "document": row.document, "steps": []}
        except BuilderError:
            model = {"name": name, "document": row.document, "steps": []}
        config = {
            "chain": model, "fields": field_kinds(row.document), "modes": list(MODES),
            "kinds": list(APPROVER_KINDS),
            "person_fields": sorted(n for n, k in (fields_of(row.document) or {}).items() if k == "person"),
            "check_url": url_for("ChainBuilderView.check", name=name),
            "save_url": url_for("ChainBuilderView.save", name=name),
            "editor_url": url_for("WorkflowEditorView.edit", name=name),
        }
        return self.render_template("workflow/builder.html", title=_("Chain builder: %(title)s", title=row.title),
                                    row=row, config=json.dumps(config, ensure_ascii=False, default=str))

    @expose("/<name>/check", methods=["POST"])
    @has_access
    def check(self, name):
        """The YAML, the diagram and the check result of the builder's chain; nothing is saved."""
        self._row(name)
        read, refusal = _read(name)
        if refusal is not None:
            return refusal
        source, definition = read
        return jsonify({"valid": True, "yaml": source, "diagram": str(render_svg(definition)),
                        "notices": publishing.unknown_names(definition) + publishing.quorum_shortfalls(definition)})

    @expose("/<name>/save", methods=["POST"])
    @has_access
    def save(self, name):
        """Publish the builder's chain as the next version (the YAML editor shows the same text)."""
        self._row(name)
        read, refusal = _read(name)
        if refusal is not None:
            return refusal
        source, _definition = read
        note = str((request.get_json(silent=True) or {}).get("note") or "").strip()[:255] or None
        try:
            version = publishing.publish(current_actor(), source, note or _("Saved in the chain builder"),
                                         expected_name=name)
        except DomainError as error:
            return _refusal(error.message)
        return jsonify({"valid": True, "number": version.number, "yaml": source,
                        "message": _("Version %(number)s is published; new submissions use it.",
                                     number=version.number)})
