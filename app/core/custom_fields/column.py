"""The column that holds a record's custom field values: {"name": stored value, ...}."""
from __future__ import annotations

from sqlalchemy import JSON, Column, text
from sqlalchemy.dialects.postgresql import JSONB

CUSTOM_TYPE = JSON().with_variant(JSONB(), "postgresql")


def custom_column() -> Column:
    """`custom = custom_column()` on a module's model gives it custom fields."""
    return Column("custom", CUSTOM_TYPE, nullable=False, default=dict, server_default=text("'{}'"))
