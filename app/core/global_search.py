"""The global search behind the top bar box and Ctrl+K: code, name or phone across modules."""
from __future__ import annotations


def register_views(appbuilder) -> None:
    """Add the search endpoint."""
