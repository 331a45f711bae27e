"""The document an approval is about, as the engine reads and moves it: its spec, its column
values (what conditions and `field:` approvers read) and its status."""
from __future__ import annotations

import datetime as dt

from flask import current_app, has_request_context
from flask_babel import gettext as _
from sqlalchemy import inspect, select
from sqlalchemy.orm import lazyload

from app.core.errors import NotFound
from app.core.org import User
from app.core.registry import registry
from app.extensions import db
from app.workflow.models import ApprovalInstance


def workflow_spec(document: str):
    """The spec of a document type that has an approval chain; NotFound otherwise."""
    spec = registry.specs.get(document)
    if spec is None or spec.workflow is None:
        raise NotFound("workflow.no_workflow", _("This kind of document has no approval."))
    return spec


class Doc:
    """The document an instance is about: its column values (one plain SELECT, for conditions
    and `field:` approvers) and, only when its status must change, the ORM object."""

    def __init__(self, spec, record_id: int, item=None):
        self.spec, self.record_id, self._item = spec, record_id, item
        self._values = document_values(spec, item) if item is not None else None

    @property
    def values(self) -> dict:
        if self._values is None:
            table = self.spec.model.__table__
            row = db.session.execute(select(table).where(table.c.id == self.record_id)).mappings().one()
            self._values = _with_custom(self.spec, dict(row))
        return self._values

    def get(self, key, default=None):
        return self.values.get(key, default)

    @property
    def item(self):
        if self._item is None:
            with db.session.no_autoflush:   # reading the row needs none of the pending changes
                self._item = db.session.get(self.spec.model, self.record_id, options=[lazyload("*")])
        return self._item


class CustomValues:
    """A record's custom field values as conditions read them (`doc.custom.<name>`): the module's
    active fields, each typed by its kind (amounts as Decimal, dates as dates). The field
    definitions are looked up only when a condition reads them."""

    __slots__ = ("module", "stored")

    def __init__(self, module: str, stored):
        self.module, self.stored = module, stored if isinstance(stored, dict) else {}

    def cel_value(self) -> dict:
        from app.core.custom_fields.definitions import fields_of
        from app.core.custom_fields.values import load

        return {field.name: load(field, self.stored.get(field.name)) for field in fields_of(self.module)}

    def __str__(self) -> str:
        return str(self.stored)


def _with_custom(spec, values: dict) -> dict:
    if isinstance(values.get("custom"), (dict, type(None))) and "custom" in values:
        values["custom"] = CustomValues(spec.name, values["custom"])
    return values


def item_and_person(doc: Doc, person_id: int):
    """The document's ORM object and the user `person_id` (e.g. the submitter told of the
    outcome): one statement when neither is in the session yet, else what the session has."""
    session = db.session
    if doc._item is None:
        known = session.identity_map.get(session.identity_key(User, person_id))
        if known is None or inspect(known).expired:
            model = doc.spec.model
            with session.no_autoflush:   # reading the rows needs none of the pending changes
                row = session.execute(select(model, User).join(User, User.id == person_id)
                                      .where(model.id == doc.record_id).options(lazyload("*"))).first()
            if row is not None:
                doc._item = row[0]
                return row[0], row[1]
    with session.no_autoflush:
        return doc.item, session.get(User, person_id)


def doc_of(instance: ApprovalInstance) -> Doc:
    return Doc(workflow_spec(instance.document), instance.record_id)


def document_values(spec, item) -> dict:
    """The document's column values; its custom field values (if the module has them) under
    `custom`, typed when a condition reads them."""
    return _with_custom(spec, {column.key: getattr(item, column.key, None) for column in spec.model.__table__.columns})


def submitter_values(submitter: User | None) -> dict:
    if submitter is None:
        return {}
    department = submitter.department if submitter.department_id is not None else None
    return {"id": submitter.id, "username": submitter.username,
            "department": department.name if department else None,
            "department_code": department.code if department else None,
            "roles": role_names_of(submitter)}


def role_names_of(user: User) -> list[str]:
    """The user's role names: from the permission cache when acting in a request (no
    statement), else from the database."""
    sm = getattr(getattr(current_app, "appbuilder", None), "sm", None)
    if (has_request_context() and sm is not None and hasattr(sm, "access_of") and isinstance(user, sm.user_model)
            and getattr(user, "is_authenticated", False)):
        return sorted(sm.access_of(user).role_names)
    return [r.name for r in user.roles]


def document_context(spec, item, submitter: User | None) -> dict:
    """What conditions see: {"doc": the document's columns, "submitter": who submitted it}."""
    return {"doc": document_values(spec, item), "submitter": submitter_values(submitter)}


def condition_context(instance, doc: Doc) -> dict:
    """Conditions read the document as it is now and the submitter as they were at submission."""
    return {"doc": doc.values, "submitter": (instance.context or {}).get("submitter", {})}


def json_safe(doc: dict) -> dict:
    """Column values as JSON can store them (dates as ISO text, amounts as text)."""
    out = {}
    for key, value in doc.items():
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        elif value is not None and not isinstance(value, (bool, int, float, str)):
            value = str(value)
        out[key] = value
    return out


def set_status(doc: Doc, state: str) -> None:
    """Move the document's status; the document guard (hooks.py) lets the engine's own move through."""
    db.session.info["wf_engine"] = True
    setattr(doc.item, doc.spec.workflow.status_field, state)


def document_title(spec, item) -> str:
    return f"{spec.label} {item}"
