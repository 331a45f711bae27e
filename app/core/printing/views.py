"""Screens of printing: a record's PDF (the 打印 action), a batch of records as one job with a
progress page, and 系统管理 ▸ 打印模板 where admins edit the templates (versions, preview against
a chosen record, default per document type)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, abort, current_app, flash, jsonify, redirect, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.core.datamodel import current_actor
from app.core.errors import DomainError
from app.core.printing import service
from app.core.printing.models import PrintTemplate, PrintTemplateVersion
from app.core.webhooks import local_time
from app.extensions import db

PERMISSION_VIEW = "print_templates"
BATCH_MAX = 1000
SEARCH_LIMIT = 20


def _refuse(status: int, message: str, back: str = "/"):
    from app.core.listing import refusal

    db.session.rollback()
    return refusal(status, message, back)


def pdf_response(data: bytes, filename: str, inline: bool = True) -> Response:
    from urllib.parse import quote

    response = Response(data, mimetype="application/pdf")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename=\"document.pdf\"; filename*=UTF-8''{quote(filename)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _may_read(spec) -> bool:
    return current_app.appbuilder.sm.has_access("can_read", spec.permission_name)


def _ids(raw) -> list[int]:
    ids = []
    for part in (raw if isinstance(raw, list) else str(raw or "").split(",")):
        part = str(part).strip()
        if part.isdigit() and len(part) < 11 and 0 < int(part) < 2**31 and int(part) not in ids:
            ids.append(int(part))
    return ids


def print_action(actor, items):
    """The 打印 action of a list or a record's bar: one record opens the print page of that
    record, several open it for all of them (a batch)."""
    if not items:
        return None
    spec = _spec_of_item(items[0])
    ids = ",".join(str(item.id) for item in items[:BATCH_MAX + 1])
    return redirect(f"/printing/{spec.name}/?{urlencode({'ids': ids})}")


def _spec_of_item(item):
    for spec in service.specs_with_documents():
        if isinstance(item, spec.model):
            return spec
    abort(404)


def enqueue_batch(actor, spec, document, template_id, ids: list[int]):
    from app.core.jobs import queue
    from app.core.org import user_id
    from app.core.printing.jobs import RESULT_TTL, print_batch

    job = queue().enqueue(print_batch, user_id(actor), spec.name, document.name, template_id, ids,
                          result_ttl=RESULT_TTL, job_timeout=3600,
                          meta={"actor_id": user_id(actor), "done": 0, "total": len(ids), "module": spec.name,
                                "document": str(document.label)})
    return job


def _batch_job(job_id: str):
    """The batch job `job_id` if it is the current user's."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from app.core.jobs import redis_connection
    from app.core.org import user_id

    if len(job_id) > 64 or not all(c.isalnum() or c == "-" for c in job_id):
        abort(404)
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        abort(404)
    if job.meta.get("actor_id") != user_id(current_actor()) or job.func_name != "app.core.printing.jobs.print_batch":
        abort(404)
    return job


class PrintingView(BaseView):
    """Printing records: GET /printing/<module>/?ids=… chooses the document and template;
    /printing/<module>/<id>/pdf draws one; POST /printing/<module>/batch prints many in a job."""

    route_base = "/printing"
    default_view = "batches"
    base_permissions = []

    def _spec(self, module: str):
        if current_actor() is None:
            abort(401)
        try:
            spec = service.spec_named(module)
        except DomainError:
            abort(404)
        if not _may_read(spec):
            abort(403)
        return spec

    @expose("/<module>/")
    def choose(self, module: str):
        spec = self._spec(module)
        ids = _ids(request.args.get("ids", ""))
        if not ids:
            return _refuse(400, _("Choose the records to print."), f"/{spec.name}/list/")
        if len(ids) > BATCH_MAX:
            return _refuse(400, _("At most %(n)s records can be printed at once.", n=BATCH_MAX), f"/{spec.name}/list/")
        documents = [{"name": d.name, "label": str(d.label), "by_kind": bool(d.variants),
                      "templates": [{"id": t.id, "name": t.name, "is_default": t.is_default,
                                     "kind": service.variant_label(d, t.variant)}
                                    for t in service.templates_of(spec.name, d.name)]} for d in spec.documents]
        if len(ids) == 1 and len(documents) == 1 and self._one_template(spec, spec.documents[0], ids[0]):
            return redirect(f"/printing/{spec.name}/{ids[0]}/pdf")
        return self.render_template("printing/choose.html", spec=spec, ids=ids, documents=documents,
                                    title=_("Print %(module)s", module=spec.label_plural))

    @staticmethod
    def _one_template(spec, doc, pk: int) -> bool:
        """Whether one record of `doc` has no template to choose from (its kind's and the
        general ones together are at most one)."""
        rows = service.templates_of(spec.name, doc.name)
        if doc.variants:
            try:
                kind = service.variant_of(doc, service.visible_record(spec, current_actor(), pk))
            except DomainError:
                abort(404)
            rows = [row for row in rows if row.variant in ("", kind)]
        return len(rows) <= 1

    @expose("/<module>/<int:pk>/pdf")
    def record_pdf(self, module: str, pk: int):
        spec = self._spec(module)
        template_id = request.args.get("template", "")
        try:
            data, filename = service.print_record(current_actor(), spec.name, pk, request.args.get("document") or None,
                                                  int(template_id) if template_id.isdigit() and len(template_id) < 11 else None)
        except DomainError as error:
            db.session.rollback()
            if error.status == 404:
                abort(404)
            return _refuse(error.status, error.message, f"/{spec.name}/show/{pk}")
        return pdf_response(data, filename, inline=request.args.get("download") != "1")

    @expose("/<module>/batch", methods=["POST"])
    def batch(self, module: str):
        spec = self._spec(module)
        ids = _ids(request.form.get("ids", ""))
        if not ids or len(ids) > BATCH_MAX:
            return _refuse(400, _("At most %(n)s records can be printed at once.", n=BATCH_MAX) if ids else
                           _("Choose the records to print."), f"/{spec.name}/list/")
        try:
            document = service.document_of(spec, request.form.get("document") or None)
            raw = request.form.get("template", "")
            template_id = int(raw) if raw.isdigit() and len(raw) < 11 else None
            service.template_for(spec, document, template_id)
        except DomainError as error:
            return _refuse(error.status, error.message, f"/{spec.name}/list/")
        job = enqueue_batch(current_actor(), spec, document, template_id, ids)
        return redirect(f"/printing/batches/{job.id}")

    @expose("/batches/")
    def batches(self):
        return redirect("/")

    @expose("/batches/<job_id>")
    def batch_page(self, job_id: str):
        if current_actor() is None:
            abort(401)
        job = _batch_job(job_id)
        return self.render_template("printing/batch.html", job_id=job.id, meta=job.meta,
                                    title=_("Printing %(document)s", document=job.meta.get("document", "")))

    @expose("/batches/<job_id>/status")
    def batch_status(self, job_id: str):
        if current_actor() is None:
            abort(401)
        job = _batch_job(job_id)
        meta = job.meta
        result = meta.get("result")
        state = job.get_status(refresh=True)
        state = getattr(state, "value", state)
        body = {"state": state, "done": meta.get("done", 0), "total": meta.get("total", 0)}
        if result:
            body.update({"printed": result["printed"], "skipped": result["skipped"], "pages": result["pages"],
                         "failed": result["failed"],
                         "download_url": f"/printing/batches/{job.id}/download" if result["key"] else ""})
        response = jsonify(body)
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/batches/<job_id>/download")
    def batch_download(self, job_id: str):
        from app.core.printing.jobs import read_merged

        if current_actor() is None:
            abort(401)
        job = _batch_job(job_id)
        result = job.meta.get("result") or {}
        if not result.get("key"):
            abort(404)
        module = job.meta.get("module", "")
        return pdf_response(read_merged(result["key"]), f"{job.meta.get('document', module)}-{job.id[:8]}.pdf",
                             inline=False)

    @expose("/records/<module>")
    def records(self, module: str):
        """Records of `module` to preview a template with, found by name or code (Select2's
        format; the user's data scope applies)."""
        from app.core.relation_search import _module_rows

        spec = self._spec(module)
        term = request.args.get("q", "")
        if not isinstance(term, str) or "\x00" in term or len(term) > 100:
            return jsonify({"message": _("The search text cannot be read.")}), 400
        rows = db.session.scalars(_module_rows(current_actor(), spec, term.strip()).limit(SEARCH_LIMIT + 1)).all()
        return jsonify({"results": [{"id": row.id, "text": str(row)} for row in rows[:SEARCH_LIMIT]],
                        "more": len(rows) > SEARCH_LIMIT})


class PrintTemplatesView(BaseView):
    """系统管理 ▸ 打印模板: the templates of every module's documents."""

    route_base = "/print-templates"
    class_permission_name = PERMISSION_VIEW
    matrix_label = _l("Print templates")        # a column of the roles matrix (read: see, write: edit)
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"index": "read", "edit": "read", "version": "read", "create": "write",
                              "save": "write", "restore": "write", "make_default": "write", "delete": "write",
                              "preview": "read"}
    default_view = "index"

    def _back(self, row=None):
        return redirect(f"/print-templates/{row.id}/" if row is not None else "/print-templates/")

    def _refuse_error(self, error: DomainError, back: str):
        db.session.rollback()
        if error.status == 404:
            abort(404)
        line = error.params.get("line")
        message = error.message
        return _refuse(error.status, message, back) if line is None else _refuse(error.status, message, back)

    @expose("/")
    @has_access
    def index(self):
        groups = []
        for spec in service.specs_with_documents():
            for doc in spec.documents:
                groups.append({"spec": spec, "doc": doc, "templates": service.templates_of(spec.name, doc.name)})
        return self.render_template("printing/templates.html", groups=groups, title=_("Print templates"),
                                    local_time=local_time, variant_label=service.variant_label)

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def create(self):
        module, document = request.values.get("module", ""), request.values.get("document", "")
        try:
            spec = service.spec_named(module)
            doc = service.document_of(spec, document)
        except DomainError:
            abort(404)
        variant = request.values.get("variant", "")
        body = request.form.get("body") if request.method == "POST" else None
        if request.method == "POST":
            try:
                row = service.create_template(current_actor(), spec.name, doc.name, request.form.get("name", ""),
                                              body or "", make_default=request.form.get("default") == "1",
                                              variant=variant if isinstance(variant, str) else "")
            except DomainError as error:
                db.session.rollback()
                return self._editor(None, spec, doc, body or "", request.form.get("name", ""), error, 400,
                                    variant=variant)
            flash(_("The template “%(name)s” is saved.", name=row.name), "success")
            return self._back(row)
        try:
            variant = service.check_variant(doc, variant)
        except DomainError:
            variant = ""
        current = db.session.scalar(select(PrintTemplate).where(
            PrintTemplate.module == spec.name, PrintTemplate.document == doc.name, PrintTemplate.variant == variant)
            .order_by(PrintTemplate.is_default.desc(), PrintTemplate.id).limit(1))
        return self._editor(None, spec, doc, current.body if current else service.shipped_body(doc, variant), "", None,
                            200, variant=variant)

    def _editor(self, row, spec, doc, body, name, error, status, variant=""):
        versions = row.versions if row is not None else []
        return self.render_template("printing/editor.html", row=row, spec=spec, doc=doc, body=body, name=name,
                                    variant=row.variant if row is not None else variant,
                                    variant_label=service.variant_label,
                                    error=error, versions=versions, local_time=local_time,
                                    may_write=self.appbuilder.sm.has_access("can_write", PERMISSION_VIEW),
                                    title=_("Print template: %(document)s of %(module)s", document=doc.label,
                                            module=spec.label_plural)), status

    def _row(self, template_id: int):
        row = db.session.get(PrintTemplate, template_id)
        if row is None:
            abort(404)
        try:
            spec = service.spec_named(row.module)
            doc = service.document_of(spec, row.document)
        except DomainError:
            abort(404)
        return row, spec, doc

    @expose("/<int:template_id>/")
    @has_access
    def edit(self, template_id: int):
        row, spec, doc = self._row(template_id)
        return self._editor(row, spec, doc, row.body, row.name, None, 200)

    @expose("/<int:template_id>/save", methods=["POST"])
    @has_access
    def save(self, template_id: int):
        row, spec, doc = self._row(template_id)
        raw = request.form.get("version", "")
        body = request.form.get("body", "")
        try:
            service.save_template(current_actor(), row.id, body, name=request.form.get("name"),
                                  expected_version=int(raw) if raw.isdigit() and len(raw) < 11 else None)
        except DomainError as error:
            db.session.rollback()
            row, spec, doc = self._row(template_id)
            return self._editor(row, spec, doc, body, request.form.get("name", row.name), error, error.status)
        flash(_("Saved as version %(n)s.", n=row.version), "success")
        return self._back(row)

    @expose("/<int:template_id>/versions/<int:number>")
    @has_access
    def version(self, template_id: int, number: int):
        row, spec, doc = self._row(template_id)
        old = db.session.scalar(select(PrintTemplateVersion).where(PrintTemplateVersion.template_id == row.id,
                                                                   PrintTemplateVersion.number == number))
        if old is None:
            abort(404)
        return self.render_template("printing/version.html", row=row, spec=spec, doc=doc, old=old, local_time=local_time,
                                    may_write=self.appbuilder.sm.has_access("can_write", PERMISSION_VIEW),
                                    title=_("%(name)s, version %(n)s", name=row.name, n=number))

    @expose("/<int:template_id>/versions/<int:number>/restore", methods=["POST"])
    @has_access
    def restore(self, template_id: int, number: int):
        try:
            row = service.restore_version(current_actor(), template_id, number)
        except DomainError as error:
            return self._refuse_error(error, f"/print-templates/{template_id}/")
        flash(_("Version %(old)s is the current text again (version %(n)s).", old=number, n=row.version), "success")
        return self._back(row)

    @expose("/<int:template_id>/default", methods=["POST"])
    @has_access
    def make_default(self, template_id: int):
        try:
            row = service.set_default(current_actor(), template_id)
        except DomainError as error:
            return self._refuse_error(error, "/print-templates/")
        flash(_("“%(name)s” now prints this document by default.", name=row.name), "success")
        return self._back(row)

    @expose("/<int:template_id>/delete", methods=["POST"])
    @has_access
    def delete(self, template_id: int):
        try:
            service.delete_template(current_actor(), template_id)
        except DomainError as error:
            return self._refuse_error(error, f"/print-templates/{template_id}/")
        flash(_("The template is deleted."), "success")
        return self._back()

    @expose("/preview", methods=["POST"])
    @has_access
    def preview(self):
        """The text in the editor drawn against a chosen record (not saved): the PDF, or 400
        with the template's problem and its line."""
        form = request.form
        try:
            spec = service.spec_named(form.get("module", ""))
            doc = service.document_of(spec, form.get("document", ""))
        except DomainError:
            abort(404)
        if not _may_read(spec):
            abort(403)
        body = form.get("body", "")
        try:
            service._check_body(body)
            item = service.visible_record(spec, current_actor(), form.get("record", ""))
            data = service.render_body(spec, doc, item, body, current_actor())
        except DomainError as error:
            db.session.rollback()
            if error.code == "printing.no_record":
                return _refuse(400, _("Choose a record to preview the template with."), "/print-templates/")
            return _refuse(error.status, error.message, "/print-templates/")
        return pdf_response(data, service.file_name(spec, doc, item))


def register_views(appbuilder) -> None:
    from app.core.system import SYSTEM

    appbuilder.add_view_no_menu(PrintingView())
    from app.core.registry import registry

    appbuilder.add_view(PrintTemplatesView, "menu:print_templates", label=_l("Print templates"), icon="fa-print",
                        category="menu:system", category_label=SYSTEM)
    # Granting read in the roles matrix opens the menu entry too.
    registry.menu_names[PERMISSION_VIEW] = ["menu:system", "menu:print_templates"]
