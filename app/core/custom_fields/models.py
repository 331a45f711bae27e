"""The definition of a custom field. `name` is fixed once created (it names the value in every
record and in approval conditions as `doc.custom.<name>`); the label may change freely."""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, String, Text, UniqueConstraint

from app.core.audit import Audited
from app.core.clock import utcnow


class CustomField(Audited, Model):
    __tablename__ = "custom_field"
    __table_args__ = (UniqueConstraint("module", "name", name="uq_custom_field_module_name"),)

    id = Column(Integer, primary_key=True)
    module = Column(String(64), nullable=False, index=True)     # ModuleSpec.name
    name = Column(String(40), nullable=False)
    label = Column(String(100), nullable=False)
    kind = Column(String(20), nullable=False)
    required = Column(Boolean, nullable=False, default=False)
    default = Column(JSON)                                       # stored form of the default value
    help_text = Column(String(500), nullable=False, default="")
    choices = Column(JSON)                                       # [[value, label], ...]
    position = Column(Integer, nullable=False, default=0)
    retired = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
