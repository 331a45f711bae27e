"""Tables of attachments: a blob per distinct content (its SHA-256), an attachment per file put
on a record. A blob lives as long as an attachment refers to it: `attachment_sweep` removes a
blob (and its thumbnail) from the store once no live attachment names it any more."""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

from app.core.clock import utcnow


class Blob(Model):
    __tablename__ = "file_blob"

    sha256 = Column(String(64), primary_key=True)
    size = Column(BigInteger, nullable=False)
    content_type = Column(String(100), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # The last time an attachment was made of it: the sweep spares blobs linked moments ago
    # (an upload of the same content may be between storing it and saving its attachment).
    linked_at = Column(DateTime, nullable=False, default=utcnow)


class Attachment(Model):
    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_record", "spec", "record_id", "id"), {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    spec = Column(String(64), nullable=False)          # module spec name, e.g. "customers"
    record_id = Column(Integer, nullable=False)
    sha256 = Column(String(64), ForeignKey("file_blob.sha256"), nullable=False, index=True)
    file_name = Column(String(255), nullable=False)
    size = Column(BigInteger, nullable=False)
    content_type = Column(String(100), nullable=False)
    uploader_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    thumbnail_key = Column(String(120))
    deleted = Column(Boolean, nullable=False, default=False)

    uploader = relationship("AppUser", lazy="joined")
