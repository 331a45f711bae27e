"""The 附件 (attachments) tab of every show page, its upload / download / delete screens, and
/api/v1/attachments/. The rules live in app.core.files.service; this is the thin layer on top.

Files are served from the app's own origin, so a download must never run as a page of the app:
its Content-Type is the one found from its content when it was uploaded (never the name's, never
the browser's guess: nosniff), it is sent as an attachment unless it is an image or a PDF asked
for inline, and the response carries a CSP sandbox (no script, no same-origin access)."""
from __future__ import annotations

import functools
from urllib.parse import quote, unquote

from flask import (Response, abort, current_app, flash, g, jsonify, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.api_auth import token_required
from app.core.datamodel import current_actor
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.files import service
from app.core.files.models import Attachment
from app.core.files.sniff import IMAGES
from app.core.panels import ShowTab, register_tab
from app.extensions import db

CHUNK = 256 * 1024
FILE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
# The browsers' PDF viewers do not open a sandboxed document; a PDF cannot run script in the
# app's origin (it is no HTML) and is held to no connections and no frames of its own.
PDF_CSP = "default-src 'none'; object-src 'self'"


def _back(spec_name, record_id):
    return redirect(f"/{spec_name}/show/{record_id}?tab=attachments")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json" \
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"


def too_large_message() -> str:
    return _("The upload is too large: a file may have at most %(mb)s MB.",
             mb=current_app.config.get("MAX_UPLOAD_MB", 50))


# -- the tab -----------------------------------------------------------------------------------
def render_tab(spec, item):
    actor = current_actor()
    if actor is None or item is None:
        return None
    files = list(db.session.scalars(select(Attachment).where(
        Attachment.spec == spec.name, Attachment.record_id == item.id, Attachment.deleted.is_(False))
        .order_by(Attachment.id.desc())))
    return Markup(render_template(
        "files/tab.html", spec=spec, record=item, files=files, actor=actor,
        may_upload=service.may_upload(actor, spec), may_delete=lambda a: service.may_delete(actor, spec, a),
        human_size=service.human_size, images=IMAGES, kind_of=service.safe_kind,
        max_mb=current_app.config.get("MAX_UPLOAD_MB", 50)))


def _badge(spec, item):
    return service.attachment_count(spec.name, item.id) or None


# -- file responses ----------------------------------------------------------------------------
def _disposition(kind: str, name: str) -> str:
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in name) or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(attachment: Attachment, stream, inline: bool = False, content_type: str | None = None,
                  size: int | None = None, name: str | None = None) -> Response:
    kind = service.safe_kind(attachment)
    served_type = content_type or (kind.content_type if kind else "application/octet-stream")
    shown_inline = inline and (content_type is not None or (kind is not None and kind.inline))

    def chunks():
        try:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                yield chunk
        finally:
            stream.close()

    response = Response(stream_with_context(chunks()), content_type=served_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(size if size is not None else attachment.size)
    response.headers["Content-Disposition"] = _disposition("inline" if shown_inline else "attachment",
                                                           name or attachment.file_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    g.zwt_file_csp = PDF_CSP if shown_inline and served_type == "application/pdf" else FILE_CSP
    return response


def _file_headers(response):
    """Runs after the app's own security headers (registered before them): a file response
    keeps its own, stricter policy."""
    csp = getattr(g, "zwt_file_csp", None)
    if csp:
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _error_answer(error: DomainError, spec_name=None, record_id=None):
    db.session.rollback()
    if _wants_json():
        body = error.as_dict()
        return jsonify(body), error.status
    if isinstance(error, (NotFound, Forbidden)):
        abort(error.status)
    return render_template("zwt/error.html", code=error.status, message=error.message,
                           base_template=current_app.appbuilder.base_template,
                           appbuilder=current_app.appbuilder), error.status


def _signed_in(fn):
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        if current_actor() is None:
            if _wants_json():
                return jsonify(message=_("Please sign in first.")), 401
            return redirect(url_for(current_app.appbuilder.sm.auth_view.__class__.__name__ + ".login",
                                    next=request.full_path.rstrip("?") if request.method == "GET" else None))
        return fn(self, *args, **kwargs)

    return wrapper


class AttachmentsView(BaseView):
    """Upload, download, preview and delete attachments from the show pages. Each action is
    checked against the record itself (service), not a view permission of its own."""

    route_base = "/attachments"
    default_view = "download"

    @expose("/<spec_name>/<int:record_id>/upload", methods=["POST"])
    @_signed_in
    def upload(self, spec_name, record_id):
        """Several files from the form (multipart), or one file as the request body (the
        script's upload with progress: the name in X-File-Name, URL-encoded)."""
        actor = current_actor()
        limit = service.max_upload_bytes()
        try:
            if request.mimetype == "multipart/form-data":
                uploads = [f for f in request.files.getlist("files") + request.files.getlist("file") if f.filename]
                if not uploads:
                    raise DomainError("files.none", _("Choose at least one file."), field="file")
                done = []
                for upload in uploads:
                    done.append(service.upload_attachment(actor, spec_name, record_id, upload.stream,
                                                          upload.filename))
            else:
                # One file per request: the body is read as it arrives, never more than the limit.
                request.max_content_length = limit + 64 * 1024
                done = [service.upload_attachment(actor, spec_name, record_id, request.stream,
                                                  unquote(request.headers.get("X-File-Name", "")))]
        except RequestEntityTooLarge:
            return _error_answer(service.TooLarge("files.too_large", too_large_message()))
        except DomainError as error:
            return _error_answer(error, spec_name, record_id)
        if _wants_json():
            return jsonify(result=[attachment_json(a, actor) for a in done]), 201
        flash(_("%(n)s file(s) added.", n=len(done)), "success")
        return _back(spec_name, record_id)

    @expose("/<int:attachment_id>/download")
    @_signed_in
    def download(self, attachment_id):
        try:
            attachment, stream = service.open_attachment(current_actor(), attachment_id)
        except DomainError as error:
            return _error_answer(error)
        return file_response(attachment, stream, inline=request.args.get("inline") == "1")

    @expose("/<int:attachment_id>/thumbnail")
    @_signed_in
    def thumbnail(self, attachment_id):
        try:
            attachment, stream = service.open_thumbnail(current_actor(), attachment_id)
        except DomainError as error:
            return _error_answer(error)
        from app.core.files import store

        return file_response(attachment, stream, inline=True, content_type="image/png",
                             size=store().size(attachment.thumbnail_key), name="thumbnail.png")

    @expose("/<int:attachment_id>/delete", methods=["GET", "POST"])
    @_signed_in
    def delete(self, attachment_id):
        actor = current_actor()
        try:
            spec, attachment = service.visible_attachment(actor, attachment_id)
            if request.method == "GET":
                if not service.may_delete(actor, spec, attachment):
                    raise Forbidden("files.not_yours", _("Only its uploader, or someone who may delete this "
                                                         "module's records, may delete a file."))
                record = db.session.get(spec.model, attachment.record_id)
                return self.render_template("files/delete.html", title=_("Delete file"), attachment=attachment,
                                            spec=spec, record=record, human_size=service.human_size)
            service.delete_attachment(actor, attachment_id)
        except DomainError as error:
            return _error_answer(error)
        if _wants_json():
            return jsonify(message=_("File deleted.")), 200
        flash(_("File “%(name)s” deleted.", name=attachment.file_name), "success")
        return _back(attachment.spec, attachment.record_id)


# -- REST API ----------------------------------------------------------------------------------


def attachment_json(attachment: Attachment, actor) -> dict:
    uploader = attachment.uploader
    return {
        "id": attachment.id, "spec": attachment.spec, "record": attachment.record_id,
        "file_name": attachment.file_name, "size": attachment.size, "content_type": attachment.content_type,
        "sha256": attachment.sha256,
        "uploader": {"id": uploader.id, "username": uploader.username, "name": uploader.display_name}
        if uploader is not None else None,
        "created_at": attachment.created_at.isoformat() + "Z",
        "download_url": f"/api/v1/attachments/{attachment.id}/download",
        "thumbnail": bool(attachment.thumbnail_key),
        "mine": actor is not None and attachment.uploader_id == actor.id,
    }


class AttachmentApi(BaseApi):
    """/api/v1/attachments/: the files on any record the caller may see."""

    resource_name = "attachments"
    openapi_spec_tag = "attachments"

    def _error(self, error: DomainError):
        db.session.rollback()
        body = error.as_dict()
        if error.field:
            body["message"] = {error.field: [error.message]}
        return self.response(error.status, **body)

    @expose("/", methods=["GET"])
    @token_required
    def list_attachments(self):
        """The files on one record, newest first
        ---
        get:
          parameters:
          - {in: query, name: spec, schema: {type: string}, required: true, description: module, e.g. customers}
          - {in: query, name: record, schema: {type: integer}, required: true}
          responses:
            200: {description: The files}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        actor = current_actor()
        try:
            files = service.attachments_on(actor, request.args.get("spec", ""), request.args.get("record"))
        except DomainError as error:
            return self._error(error)
        return self.response(200, result=[attachment_json(a, actor) for a in files], count=len(files))

    @expose("/", methods=["POST"])
    @token_required
    def post_attachment(self):
        """Attach one or more files to a record (multipart/form-data)
        ---
        post:
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  required: [spec, record, file]
                  properties:
                    spec: {type: string, description: module, e.g. customers}
                    record: {type: integer}
                    file: {type: array, items: {type: string, format: binary}}
          responses:
            201: {description: Attached}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            413: {description: A file is larger than MAX_UPLOAD_MB}
        """
        actor = current_actor()
        try:
            uploads = [f for f in request.files.getlist("file") + request.files.getlist("files") if f.filename]
            spec_name, record_id = request.form.get("spec", ""), request.form.get("record")
            if not uploads:
                service.visible_record(actor, spec_name, record_id)
                raise DomainError("files.none", _("Choose at least one file."), field="file")
            done = [service.upload_attachment(actor, spec_name, record_id, f.stream, f.filename) for f in uploads]
        except RequestEntityTooLarge:
            return self.response(413, error="files.too_large", message=too_large_message())
        except DomainError as error:
            return self._error(error)
        return self.response(201, result=[attachment_json(a, actor) for a in done])

    @expose("/<int:pk>/download", methods=["GET"])
    @token_required
    def download_attachment(self, pk):
        """The file's content (as an attachment, with the type found from its content)
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: The file}
            401: {$ref: '#/components/responses/401'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            attachment, stream = service.open_attachment(current_actor(), pk)
        except DomainError as error:
            return self._error(error)
        return file_response(attachment, stream)

    @expose("/<int:pk>", methods=["DELETE"])
    @token_required
    def delete_attachment(self, pk):
        """Take a file off its record (your own upload, or with the module's delete permission)
        ---
        delete:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Deleted}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            service.delete_attachment(current_actor(), pk)
        except DomainError as error:
            return self._error(error)
        return self.response(200, message="OK")


# -- files of deleted records ------------------------------------------------------------------
_tables: dict = {}


def _spec_of_table(table_name):
    if not _tables:
        from app.core.registry import registry

        _tables.update({spec.model.__tablename__: spec.name for spec in registry.specs.values()})
    return _tables.get(table_name)


@event.listens_for(Session, "after_flush")
def _note_deleted_records(session, _flush_context) -> None:
    for obj in session.deleted:
        spec_name = _spec_of_table(getattr(obj, "__tablename__", None))
        if spec_name is not None and getattr(obj, "id", None) is not None:
            session.info.setdefault("files_deleted_records", set()).add((spec_name, obj.id))


@event.listens_for(Session, "after_commit")
def _remove_their_files(session) -> None:
    deleted = session.info.pop("files_deleted_records", None)
    if not deleted:
        return
    try:
        from app.core.files.jobs import remove_files_of_deleted_records
        from app.core.jobs import queue

        by_spec: dict = {}
        for spec_name, record_id in deleted:
            by_spec.setdefault(spec_name, []).append(record_id)
        for spec_name, ids in by_spec.items():
            queue().enqueue(remove_files_of_deleted_records, spec_name, sorted(ids))
    except Exception:  # noqa: BLE001 — the deletion stands; the hourly sweep removes the files
        import logging

        logging.getLogger(__name__).warning("could not enqueue the removal of deleted records' files", exc_info=True)


@event.listens_for(Session, "after_rollback")
def _forget_deleted(session) -> None:
    session.info.pop("files_deleted_records", None)


def register_views(appbuilder) -> None:
    """The 附件 tab on every show page, its screens, its API, and the answers to too-large uploads."""
    app = current_app._get_current_object()
    register_tab(ShowTab(key="attachments", label=_l("Attachments"), render=render_tab, order=65, badge=_badge))
    appbuilder.add_view_no_menu(AttachmentsView)
    appbuilder.add_api(AttachmentApi)
    app.after_request(_file_headers)

    def _too_large(_error):
        if _wants_json():
            return jsonify(error="files.too_large", message=too_large_message()), 413
        return render_template("zwt/error.html", code=413, message=too_large_message(),
                               base_template=appbuilder.base_template, appbuilder=appbuilder), 413

    app.register_error_handler(413, _too_large)
