"""Attachments (附件) on any record of any module: upload, list, open, delete.

A record is named by its module spec and id ("customers", 42), as comments are. Permissions
follow the record: read permission on its module and the record inside the actor's data scope
to list and download (otherwise NotFound — the same answer whether the record exists or not),
write permission to upload, and to delete either one's own upload (with write permission) or
the module's delete permission. Every upload and delete is written on the record's history.

Uploads are streamed: read once into a temporary file with a running count (refused past
MAX_UPLOAD_MB, nothing kept), their type decided by content (app.core.files.sniff), stored in
the file store under their SHA-256 (identical content once), then recorded. Image thumbnails
are made by a job; blobs no attachment refers to any more are removed by a job (jobs.py).
"""
from __future__ import annotations

import re
import unicodedata

from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.audit import AuditLog
from app.core.clock import utcnow
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.files import FileTooLarge, store
from app.core.files.models import Attachment, Blob
from app.core.files.sniff import IMAGES, kind_of_type, sniff
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db

HISTORY_LABEL = _l("Attachments")


class TooLarge(DomainError):
    status = 413


def _registry():
    from app.core.registry import registry  # the frame knows modules only through the registry

    return registry


def _no_record():
    return NotFound("files.no_record", _("The record does not exist, or you may not see it."))


def _granted(user, spec, permission: str) -> bool:
    if user is None or not getattr(user, "is_active", True):
        return False
    return bool(current_app.appbuilder.sm._has_view_access(user, f"can_{permission}", spec.permission_name))


def visible_record(actor, spec_name: str, record_id):
    """(spec, record) when `actor` may read it; Forbidden without read permission on the
    module, NotFound when the record does not exist or lies outside the actor's data scope."""
    spec = _registry().specs.get(spec_name or "")
    if spec is None:
        raise _no_record()
    if not _granted(actor, spec, "read"):
        raise Forbidden("files.forbidden", _("You do not have permission to do this."))
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        raise _no_record() from None
    if not 0 < record_id < 2**31:
        raise _no_record()
    record = db.session.get(spec.model, record_id)
    if record is None or not can_see(spec.name, actor, record_id):
        raise _no_record()
    return spec, record


def may_upload(actor, spec) -> bool:
    return _granted(actor, spec, "write")


def may_delete(actor, spec, attachment: Attachment) -> bool:
    if _granted(actor, spec, "delete"):
        return True
    return actor is not None and attachment.uploader_id == actor.id and _granted(actor, spec, "write")


def max_upload_bytes() -> int:
    return int(current_app.config.get("MAX_UPLOAD_MB", 50)) * 1024 * 1024


def clean_file_name(name) -> str:
    """The name a file is listed and downloaded under: its last path part, without control
    characters, at most 200 characters (keeping the extension)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not name:
        name = _("file")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def attachments_on(actor, spec_name: str, record_id) -> list[Attachment]:
    """The record's attachments, newest first (NotFound / Forbidden as `visible_record`)."""
    spec, record = visible_record(actor, spec_name, record_id)
    return list(db.session.scalars(select(Attachment).where(
        Attachment.spec == spec.name, Attachment.record_id == record.id, Attachment.deleted.is_(False))
        .order_by(Attachment.id.desc())))


def attachment_count(spec_name: str, record_id: int) -> int:
    return db.session.scalar(select(func.count(Attachment.id)).where(
        Attachment.spec == spec_name, Attachment.record_id == record_id, Attachment.deleted.is_(False))) or 0


def _history(actor, spec, record_id: int, old, new) -> None:
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        label = str(HISTORY_LABEL)
    db.session.add(AuditLog(at=utcnow(), actor_id=getattr(actor, "id", None), table_name=spec.model.__tablename__,
                            record_id=str(record_id), action="update", changes={label: [old, new]}))


def _link_blob(sha256: str, size: int, content_type: str) -> None:
    """The blob row of stored content, created or marked as just linked (two uploads of the
    same content at once both find it)."""
    now = utcnow()
    blob = db.session.get(Blob, sha256)
    if blob is not None:
        blob.linked_at = now
        return
    try:
        with db.session.begin_nested():
            db.session.add(Blob(sha256=sha256, size=size, content_type=content_type, created_at=now, linked_at=now))
    except IntegrityError:
        db.session.get(Blob, sha256).linked_at = now


def upload_attachment(actor, spec_name: str, record_id, stream, file_name: str) -> Attachment:
    """Attach the file read from `stream` to the record. Refuses (nothing stored) a file over
    MAX_UPLOAD_MB (TooLarge, 413), an empty file or one whose content is not of an allowed type
    (400); Forbidden without write permission; NotFound outside the actor's sight. Identical
    content is stored once; an image gets its thumbnail from a job after the commit."""
    spec, record = visible_record(actor, spec_name, record_id)
    if not may_upload(actor, spec):
        raise Forbidden("files.forbidden", _("You may not add files to this record."))
    name = clean_file_name(file_name)
    files = store()
    limit = max_upload_bytes()
    try:
        spooled = files.spool(stream, max_bytes=limit)
    except FileTooLarge:
        raise TooLarge("files.too_large", _("“%(name)s” is larger than %(mb)s MB, the most a file may be.",
                                            name=name, mb=limit // (1024 * 1024)), field="file") from None
    try:
        if spooled.size == 0:
            raise DomainError("files.empty", _("“%(name)s” is empty.", name=name), field="file")
        kind = sniff(spooled.path, spooled.head, name)
        if kind is None:
            raise DomainError("files.type_refused", _(
                "“%(name)s” was refused: its content is not of a type that may be attached (PDF, images, "
                "Word, Excel, PowerPoint, text, CSV or ZIP), whatever its name says.", name=name), field="file")
        files.put_spooled(spooled, content_type=kind.content_type)
        with unit_of_work(actor) as uow:
            _link_blob(spooled.sha256, spooled.size, kind.content_type)
            attachment = Attachment(spec=spec.name, record_id=record.id, sha256=spooled.sha256, file_name=name,
                                    size=spooled.size, content_type=kind.content_type,
                                    uploader_id=getattr(actor, "id", None), created_at=utcnow(), deleted=False)
            db.session.add(attachment)
            _history(actor, spec, record.id, None, name)
            db.session.flush()
            if kind.name in IMAGES:
                from app.core.files.jobs import make_thumbnail
                from app.core.jobs import enqueue_after_commit

                enqueue_after_commit(uow, make_thumbnail, attachment.id)
        # A sweep that took the same content away just before it was linked again: put it back.
        if not files.exists(spooled.sha256):
            files.put_spooled(spooled, content_type=kind.content_type)
    finally:
        spooled.discard()
    return attachment


def attach_generated(spec_name: str, record_id: int, data: bytes, file_name: str,
                     content_type: str = "application/pdf", actor=None) -> Attachment:
    """Attach a document the application made itself (a contract's PDF once approved) to the record, in the
    caller's unit of work: no permission is asked, so only service code calls this. Returns the attachment,
    whose sha256 is that of `data`."""
    spec = _registry().specs[spec_name]
    key = store().put_bytes(data, content_type=content_type)
    with unit_of_work(actor):
        _link_blob(key, len(data), content_type)
        attachment = Attachment(spec=spec.name, record_id=record_id, sha256=key, file_name=clean_file_name(file_name),
                                size=len(data), content_type=content_type, uploader_id=getattr(actor, "id", None),
                                created_at=utcnow(), deleted=False)
        db.session.add(attachment)
        _history(actor, spec, record_id, None, attachment.file_name)
        db.session.flush()
    return attachment


def visible_attachment(actor, attachment_id) -> tuple[object, Attachment]:
    """(spec, attachment) of a live attachment on a record the actor may read, else NotFound."""
    attachment = db.session.get(Attachment, int(attachment_id)) if str(attachment_id).isdigit() \
        and int(attachment_id) < 2**31 else None
    if attachment is None or attachment.deleted:
        raise NotFound("files.no_file", _("The file does not exist, or you may not see it."))
    try:
        spec, _record = visible_record(actor, attachment.spec, attachment.record_id)
    except (NotFound, Forbidden):
        raise NotFound("files.no_file", _("The file does not exist, or you may not see it.")) from None
    return spec, attachment


def open_attachment(actor, attachment_id):
    """(attachment, readable stream) of a file the actor may download."""
    _spec, attachment = visible_attachment(actor, attachment_id)
    return attachment, store().open(attachment.sha256)


def open_thumbnail(actor, attachment_id):
    _spec, attachment = visible_attachment(actor, attachment_id)
    if not attachment.thumbnail_key:
        raise NotFound("files.no_thumbnail", _("This file has no thumbnail (yet)."))
    return attachment, store().open(attachment.thumbnail_key)


def delete_attachment(actor, attachment_id) -> Attachment:
    """Take a file off its record (its uploader with write permission, or anyone with the
    module's delete permission); the stored content goes once nothing refers to it."""
    spec, attachment = visible_attachment(actor, attachment_id)
    if not may_delete(actor, spec, attachment):
        raise Forbidden("files.not_yours", _("Only its uploader, or someone who may delete this module's records, "
                                             "may delete a file."))
    with unit_of_work(actor) as uow:
        attachment.deleted = True
        _history(actor, spec, attachment.record_id, attachment.file_name, None)
        from app.core.files.jobs import remove_unused_blobs
        from app.core.jobs import enqueue_after_commit

        enqueue_after_commit(uow, remove_unused_blobs, [attachment.sha256])
    return attachment


def safe_kind(attachment: Attachment):
    """The served type of a stored file (decided by its content when it was uploaded)."""
    return kind_of_type(attachment.content_type)


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def record_files_removed(spec_name: str, record_ids) -> int:
    """Forget the attachments of records that no longer exist (in the caller's transaction);
    returns how many. The blobs are left to `remove_unused_blobs`."""
    from sqlalchemy import delete

    return db.session.execute(delete(Attachment).where(Attachment.spec == spec_name,
                                                       Attachment.record_id.in_(list(record_ids)))
                              .execution_options(synchronize_session=False)).rowcount or 0


__all__ = ["upload_attachment", "attachments_on", "delete_attachment", "open_attachment", "open_thumbnail",
           "visible_record", "visible_attachment", "attachment_count", "TooLarge"]
