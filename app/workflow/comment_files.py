"""Files and handwritten signatures on the approval timeline.

A comment, and the comment of an approval, rejection, return, transfer or added signer, may
carry files (the frame's file store and attachment rows: the same size and type limits, names
cleaned, content stored once) and a signature drawn on the page (a PNG). They are attachment
rows keyed to the timeline entry: spec "wf_action" (files) or "wf_signature" (the signature),
record_id = the ApprovalAction's id — no table of their own.

Who may download one is who may see the approval (reading.may_view); anyone else is told the
file does not exist (404), as for the approval itself.

Files are checked before the action runs (a refused file changes nothing); they are stored, and
their rows written, once the action has put its entry on the timeline.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound
from app.core.files import FileTooLarge, store
from app.core.files.models import Attachment
from app.core.files.service import TooLarge, _link_blob, clean_file_name, human_size, max_upload_bytes
from app.core.files.sniff import IMAGES, PNG, sniff
from app.core.org import user_id as id_of
from app.core.transaction import unit_of_work
from app.extensions import db
from app.workflow import reading
from app.workflow.frame import definition_of
from app.workflow.models import ApprovalAction, ApprovalInstance

FILES, SIGNATURE = "wf_action", "wf_signature"
SIGNATURE_MAX_BYTES = 512 * 1024
SIGNATURE_MAX_PX = (2400, 1200)
SIGNATURE_NAME = "signature.png"


@dataclass
class Prepared:
    """Files checked and spooled to disk, not yet stored or recorded."""

    files: list = field(default_factory=list)       # [(Spooled, Kind, name)]
    signature: object = None                        # Spooled of a checked PNG, or None

    def __bool__(self) -> bool:
        return bool(self.files) or self.signature is not None

    def discard(self) -> None:
        for spooled, _kind, _name in self.files:
            spooled.discard()
        if self.signature is not None:
            self.signature.discard()


def _max_files() -> int:
    return int(current_app.config.get("MAX_UPLOAD_FILES", 10))


def prepare(uploads=(), signature=None) -> Prepared:
    """Check the uploaded files (objects with `stream` and `filename`) and the signature (PNG
    bytes, or None). Refuses, storing nothing: too many files (400), a file over MAX_UPLOAD_MB
    (413), an empty file or one of a type that may not be attached (400), a signature that is
    not a PNG image or is over 512 KB / 2400×1200 px (400)."""
    uploads = [u for u in uploads or () if getattr(u, "filename", "")]
    if len(uploads) > _max_files():
        raise DomainError("workflow.too_many_files", _("At most %(n)s files may be added at once.", n=_max_files()),
                          field="files")
    prepared = Prepared()
    files = store()
    limit = max_upload_bytes()
    try:
        for upload in uploads:
            name = clean_file_name(upload.filename)
            try:
                spooled = files.spool(upload.stream, max_bytes=limit)
            except FileTooLarge:
                raise TooLarge("files.too_large", _("“%(name)s” is larger than %(mb)s MB, the most a file may be.",
                                                    name=name, mb=limit // (1024 * 1024)), field="files") from None
            prepared.files.append((spooled, None, name))
            if spooled.size == 0:
                raise DomainError("files.empty", _("“%(name)s” is empty.", name=name), field="files")
            kind = sniff(spooled.path, spooled.head, name)
            if kind is None:
                raise DomainError("files.type_refused", _(
                    "“%(name)s” was refused: its content is not of a type that may be attached (PDF, images, "
                    "Word, Excel, PowerPoint, text, CSV or ZIP), whatever its name says.", name=name), field="files")
            prepared.files[-1] = (spooled, kind, name)
        if signature is not None:
            prepared.signature = _checked_signature(signature)
    except BaseException:
        prepared.discard()
        raise
    return prepared


def _bad_signature():
    return DomainError("workflow.bad_signature", _("The signature must be a PNG image drawn on the page, at most "
                                                   "512 KB."), field="signature")


def _checked_signature(data: bytes):
    """A spooled PNG, after checking it really is one (magic bytes, and Pillow reads it whole)."""
    from PIL import Image, UnidentifiedImageError

    if not isinstance(data, (bytes, bytearray)) or not data or len(data) > SIGNATURE_MAX_BYTES \
            or not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise _bad_signature()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or image.width > SIGNATURE_MAX_PX[0] or image.height > SIGNATURE_MAX_PX[1] \
                    or image.width < 1 or image.height < 1:
                raise _bad_signature()
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _bad_signature() from None
    return store().spool(io.BytesIO(bytes(data)), max_bytes=SIGNATURE_MAX_BYTES)


def signature_from_data_url(text) -> bytes | None:
    """The bytes of a `data:image/png;base64,…` value (what the signature pad posts); None when
    empty; refused (400) when it is anything else."""
    import base64
    import binascii

    text = (text or "").strip()
    if not text:
        return None
    prefix = "data:image/png;base64,"
    if not text.startswith(prefix) or len(text) > SIGNATURE_MAX_BYTES * 4 // 3 + len(prefix) + 4:
        raise _bad_signature()
    try:
        return base64.b64decode(text[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise _bad_signature() from None


def store_content(prepared: Prepared) -> None:
    files = store()
    for spooled, kind, _name in prepared.files:
        files.put_spooled(spooled, content_type=kind.content_type)
    if prepared.signature is not None:
        files.put_spooled(prepared.signature, content_type=PNG.content_type)


def attach(uow, actor, action_id: int, prepared: Prepared) -> list[Attachment]:
    """Attachment rows for the prepared files on timeline entry `action_id`, in the caller's
    transaction (content already stored); images get thumbnails after the commit."""
    from app.core.files.jobs import make_thumbnail
    from app.core.jobs import enqueue_after_commit

    made = []
    entries = [(spooled, kind, name, FILES) for spooled, kind, name in prepared.files]
    if prepared.signature is not None:
        entries.append((prepared.signature, PNG, SIGNATURE_NAME, SIGNATURE))
    for spooled, kind, name, spec in entries:
        _link_blob(spooled.sha256, spooled.size, kind.content_type)
        row = Attachment(spec=spec, record_id=action_id, sha256=spooled.sha256, file_name=name, size=spooled.size,
                         content_type=kind.content_type, uploader_id=id_of(actor), created_at=utcnow(),
                         deleted=False)
        db.session.add(row)
        made.append(row)
    db.session.flush()
    for row, (_s, kind, _n, spec) in zip(made, entries):
        if spec == FILES and kind.name in IMAGES:
            enqueue_after_commit(uow, make_thumbnail, row.id)
    return made


SIGNED_DECISIONS = ("approve", "reject")


def signature_required(task) -> bool:
    """Whether the task's step asks its approvers to decide with a drawn signature
    (`signature: required` on the step)."""
    try:
        return definition_of(task.instance).step(task.step_id).signature == "required"
    except KeyError:
        return False


def check_signature(task, action: str, prepared: Prepared | None) -> None:
    """Refuse (400, field `signature`) an approval or rejection without a signature on a step
    that asks for one."""
    if action in SIGNED_DECISIONS and (prepared is None or prepared.signature is None) and signature_required(task):
        raise DomainError("workflow.signature_required",
                          _("This step asks for your handwritten signature: sign in the box, then decide."),
                          field="signature")


def run_with_files(actor, instance_id: int | None, action: str, run, prepared: Prepared):
    """Run the engine action `run()` (it commits), then put the prepared files on the timeline
    entry it wrote (`action` by `actor` on the instance, the newest). Returns run()'s result."""
    if not prepared:
        return run()
    try:
        result = run()
        store_content(prepared)      # only once the action went through: a refusal stores nothing
        instance_id = instance_id or getattr(result, "id", None)
        with unit_of_work(actor) as uow:
            row_id = db.session.scalar(select(ApprovalAction.id).where(
                ApprovalAction.instance_id == instance_id, ApprovalAction.action == action,
                ApprovalAction.actor_id == id_of(actor)).order_by(ApprovalAction.id.desc()).limit(1))
            if row_id is not None:
                attach(uow, actor, row_id, prepared)
        return result
    finally:
        prepared.discard()


# -- reading ------------------------------------------------------------------------------------
@dataclass
class TimelineFile:
    id: int
    name: str
    size: int
    size_text: str
    content_type: str
    is_image: bool
    is_signature: bool
    has_thumbnail: bool


def _shown(row: Attachment) -> TimelineFile:
    return TimelineFile(id=row.id, name=row.file_name, size=row.size, size_text=human_size(row.size),
                        content_type=row.content_type, is_image=row.content_type.startswith("image/"),
                        is_signature=row.spec == SIGNATURE, has_thumbnail=bool(row.thumbnail_key))


def files_by_action(instance: ApprovalInstance) -> dict[int, list[TimelineFile]]:
    """{timeline entry id: its files, the signature last} for one approval, in one query."""
    rows = db.session.scalars(select(Attachment).join(ApprovalAction, ApprovalAction.id == Attachment.record_id).where(
        ApprovalAction.instance_id == instance.id, Attachment.spec.in_((FILES, SIGNATURE)),
        Attachment.deleted.is_(False)).order_by(Attachment.spec, Attachment.id))
    found: dict[int, list[TimelineFile]] = {}
    for row in rows:
        found.setdefault(row.record_id, []).append(_shown(row))
    return found


def files_in_timeline_order(instance: ApprovalInstance) -> list[list[TimelineFile]]:
    """The files of each timeline entry, in the timeline's order (reading.timeline)."""
    by_action = files_by_action(instance)
    if not by_action:
        return []
    ids = db.session.scalars(select(ApprovalAction.id).where(ApprovalAction.instance_id == instance.id)
                             .order_by(ApprovalAction.id))
    return [by_action.get(action_id, []) for action_id in ids]


def visible_file(actor, attachment_id) -> tuple[Attachment, ApprovalInstance]:
    """(attachment, approval) of a timeline file the actor may see; NotFound for any other (the
    same answer whether it exists or not)."""
    missing = NotFound("files.no_file", _("The file does not exist, or you may not see it."))
    try:
        attachment_id = int(attachment_id)
    except (TypeError, ValueError):
        raise missing from None
    if not 0 < attachment_id < 2**31:
        raise missing
    row = db.session.get(Attachment, attachment_id)
    if row is None or row.deleted or row.spec not in (FILES, SIGNATURE):
        raise missing
    action = db.session.get(ApprovalAction, row.record_id)
    if action is None or not reading.may_view(actor, action.instance):
        raise missing
    return row, action.instance
