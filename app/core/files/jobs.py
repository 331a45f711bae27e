"""Jobs of attachments: image thumbnails, the files of deleted records, content nothing uses.

All are idempotent: run twice, late, or after the file was deleted, they change nothing more."""
from __future__ import annotations

import datetime as dt
import io
import logging

from sqlalchemy import and_, exists, select

from app.core.jobs import in_app_context

log = logging.getLogger(__name__)
THUMBNAIL_PX = 256
SWEEP_GRACE_SECONDS = 600


@in_app_context
def make_thumbnail(attachment_id: int) -> str | None:
    """A PNG of at most 256×256 px of an image attachment, stored once per content
    (thumbs/<sha256>.png) and named on the attachment. Returns its key, None if not an image
    (any more) or unreadable."""
    from PIL import Image, UnidentifiedImageError

    from app.core.files import FileMissing, store
    from app.core.files.models import Attachment
    from app.extensions import db

    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.deleted or not attachment.content_type.startswith("image/"):
        return None
    files = store()
    key = f"thumbs/{attachment.sha256}.png"
    if not files.exists(key):
        try:
            with files.open(attachment.sha256) as handle:
                image = Image.open(io.BytesIO(handle.read()))
                # Decompression bombs: Pillow refuses images past MAX_IMAGE_PIXELS.
                image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
                if image.mode not in ("RGB", "RGBA", "L", "LA"):
                    image = image.convert("RGBA")
                out = io.BytesIO()
                image.save(out, "PNG")
        except (FileMissing, UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
            log.warning("no thumbnail for attachment %s: %s", attachment_id, exc)
            return None
        out.seek(0)
        files.put(out, key=key, content_type="image/png")
    attachment.thumbnail_key = key
    db.session.commit()
    return key


@in_app_context
def remove_unused_blobs(sha256s=None, grace_seconds: int | None = None) -> int:
    """Remove from the store (and the blob table) content no live attachment refers to, with
    its thumbnail; only the given blobs, or all. Blobs linked in the last `grace_seconds`
    are spared (an upload of that very content may be saving its attachment)."""
    from app.core.clock import utcnow
    from app.core.files import store
    from app.core.files.models import Attachment, Blob
    from app.extensions import db

    grace = SWEEP_GRACE_SECONDS if grace_seconds is None else grace_seconds
    live = exists().where(and_(Attachment.sha256 == Blob.sha256, Attachment.deleted.is_(False)))
    stmt = select(Blob.sha256).where(~live)
    if sha256s is not None:
        stmt = stmt.where(Blob.sha256.in_(list(sha256s)))
        grace = 0 if grace_seconds is None else grace_seconds
    if grace:
        stmt = stmt.where(Blob.linked_at < utcnow() - dt.timedelta(seconds=grace))
    files = store()
    removed = 0
    for sha in list(db.session.scalars(stmt)):
        # Rows first, in their own transaction, and only while still unused: should anything
        # fail, or an upload of the same content link it meanwhile, the content stays.
        db.session.execute(Attachment.__table__.delete().where(Attachment.sha256 == sha,
                                                               Attachment.deleted.is_(True)))
        gone = db.session.execute(Blob.__table__.delete().where(Blob.sha256 == sha, ~live)).rowcount
        db.session.commit()
        if not gone:
            continue
        files.delete(sha)
        files.delete(f"thumbs/{sha}.png")
        removed += 1
    return removed


@in_app_context
def remove_files_of_deleted_records(spec_name: str | None = None, record_ids=None) -> int:
    """Forget the attachments of records that are gone (the given ones, or any of any module),
    then remove the content nothing refers to any more. Returns the attachments forgotten."""
    from app.core.files.models import Attachment
    from app.core.registry import registry
    from app.extensions import db

    forgotten, touched = 0, set()
    for spec in registry.specs.values():
        if spec_name is not None and spec.name != spec_name:
            continue
        gone = and_(Attachment.spec == spec.name, ~exists().where(spec.model.id == Attachment.record_id))
        if record_ids is not None:
            gone = and_(gone, Attachment.record_id.in_(list(record_ids)))
        touched.update(db.session.scalars(select(Attachment.sha256).where(gone).distinct()))
        forgotten += db.session.execute(Attachment.__table__.delete().where(gone)).rowcount or 0
        db.session.commit()
    if record_ids is not None:
        remove_unused_blobs(touched)
    else:
        remove_unused_blobs()
    return forgotten

CRON = [
    lambda config: {"func": remove_files_of_deleted_records, "cron": config.get("FILE_SWEEP_CRON", "17 * * * *"),
                    "name": "core.files_sweep"},
]
