"""Fields a document type's forms define beyond its columns (approval forms keep their values in
`doc.values`): a module registers a function naming them and their kinds, so a chain's `field:`
approver and `department_head: {field: …}` can name a form's person or department field, and
`workflows check` and publishing know which names are real. The frame never imports a module."""
from __future__ import annotations

from typing import Callable

_SOURCES: dict[str, Callable[[], dict]] = {}


def register(document: str, source: Callable[[], dict]) -> None:
    """`source()` gives {field name: kind} of the document type's form fields (kinds as the
    forms name them: person, department, text, ...)."""
    _SOURCES[document] = source


def fields_of(document: str) -> dict | None:
    """{field name: kind} of `document`'s form fields; None when it has no forms (or no
    database to read them from yet)."""
    source = _SOURCES.get(document)
    if source is None:
        return None
    from flask import has_app_context

    if not has_app_context():
        return None
    try:
        return source()
    except Exception:   # no database yet (a check before `run.py init`)
        from app.extensions import db

        db.session.rollback()
        return None


def value_of(doc, name: str):
    """A field's value on a document: its column, else the form value of that name."""
    value = doc.get(name) if doc is not None else None
    if value is None and doc is not None:
        values = doc.get("values")
        if isinstance(values, dict):
            value = values.get(name)
    return value
