"""Print templates (打印模板): per module and document type, several templates, one the default;
every save keeps a new version, so an older one can be read again and restored."""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core.clock import utcnow


class PrintTemplate(Model):
    __tablename__ = "print_template"
    __table_args__ = (UniqueConstraint("module", "document", "name", name="uq_print_template_name"),)

    id = Column(Integer, primary_key=True)
    module = Column(String(64), nullable=False)
    document = Column(String(64), nullable=False)
    name = Column(String(80), nullable=False)
    variant = Column(String(32), nullable=False, default="", server_default="")   # "" for every kind of record
    is_default = Column(Boolean, nullable=False, default=False)
    version = Column(Integer, nullable=False, default=0)       # the number of the current version
    body = Column(Text, nullable=False, default="")          # the current version's text
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    updated_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    versions = relationship("PrintTemplateVersion", back_populates="template", cascade="all, delete-orphan",
                            order_by="PrintTemplateVersion.number.desc()", passive_deletes=True)

    def __repr__(self):
        return self.name


class PrintTemplateVersion(Model):
    __tablename__ = "print_template_version"
    __table_args__ = (UniqueConstraint("template_id", "number", name="uq_print_template_version"),)

    id = Column(Integer, primary_key=True)
    template_id = Column(Integer, ForeignKey("print_template.id", ondelete="CASCADE"), nullable=False, index=True)
    number = Column(Integer, nullable=False)
    body = Column(Text, nullable=False)
    note = Column(String(200), nullable=False, default="")
    author_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    template = relationship(PrintTemplate, back_populates="versions")
