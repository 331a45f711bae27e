"""Record versions for edits that must not undo someone else's change (lost updates).

A record's version is the id of its latest entry in the audit history (0 before the first):
it moves whenever a person's change to a recorded field is saved — and only then, so a
background job refreshing derived fields (last interaction, amounts paid) does not make every
open form stale. An edit carries the version it started from (a hidden field of the form, the
API's `version` / If-Match, each row of a bulk action); a save whose version is no longer the
record's is refused with the changes made since, from the same history.

The check and the write happen under a row lock taken first (PostgreSQL: FOR NO KEY UPDATE;
SQLite: the database's write lock, by a no-op update), so two saves of the same version cannot
both pass it.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import func, inspect as sa_inspect, select, update

from app.core.audit import AuditLog
from app.extensions import db

FIELD = "zwt_version"
SALT = "zwt-edit-version"


def _key(model) -> tuple[str, object]:
    mapper = sa_inspect(model)
    return model.__tablename__, mapper.primary_key[0]


def version_of(obj) -> int:
    table, _column = _key(type(obj))
    pk = sa_inspect(obj).identity[0]
    stmt = select(func.max(AuditLog.id)).where(AuditLog.table_name == table, AuditLog.record_id == str(pk))
    return db.session.scalar(stmt) or 0


def versions_of(model, pks) -> dict[str, int]:
    """{str(pk): version} for many records of one model in one query."""
    pks = [str(pk) for pk in pks]
    if not pks:
        return {}
    stmt = (select(AuditLog.record_id, func.max(AuditLog.id))
            .where(AuditLog.table_name == model.__tablename__, AuditLog.record_id.in_(pks))
            .group_by(AuditLog.record_id))
    found = dict(db.session.execute(stmt).all())
    return {pk: found.get(pk, 0) for pk in pks}


def page_mark() -> int:
    """The id of the newest history entry as this request sees it: every row a list shows is
    at this version or older, and a row changed after the list was shown has an entry above it.
    Read with the page's notification badge (one statement for both), else on its own."""
    from flask import g, has_request_context

    if not has_request_context():
        return db.session.scalar(select(func.max(AuditLog.id))) or 0
    if g.get("_zwt_audit_mark") is None:
        from flask_login import current_user

        from app.core import notify

        if getattr(current_user, "is_authenticated", False):
            notify.unread_count(current_user)
        if g.get("_zwt_audit_mark") is None:
            g._zwt_audit_mark = db.session.scalar(select(func.max(AuditLog.id))) or 0
    return g._zwt_audit_mark


def changes_since(obj, version: int) -> list[AuditLog]:
    """The record's history entries after `version`, oldest first."""
    table, _column = _key(type(obj))
    pk = sa_inspect(obj).identity[0]
    stmt = (select(AuditLog).where(AuditLog.table_name == table, AuditLog.record_id == str(pk),
                                   AuditLog.id > version).order_by(AuditLog.id))
    return list(db.session.scalars(stmt))


def lock(obj) -> None:
    """Hold the record's row until this transaction ends, before its version is read."""
    model = type(obj)
    _table, column = _key(model)
    pk = sa_inspect(obj).identity[0]
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(column).where(column == pk).with_for_update(key_share=True))
    else:
        db.session.execute(update(model.__table__).where(column == pk).values({column.key: column}))


# -- the token an edit form carries ---------------------------------------------------------------
def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def sign(version: int, shown: dict) -> str:
    return _serializer().dumps({"v": version, "o": shown})


def read(token) -> tuple[int, dict] | None:
    """(version, values the form showed) of a token, or None when absent or tampered with."""
    if not token or not isinstance(token, str):
        return None
    try:
        data = _serializer().loads(token)
        return int(data["v"]), dict(data["o"])
    except (BadData, KeyError, TypeError, ValueError):
        return None


def shown(field):
    """A form field's value as the form shows it, comparable between the page that was sent and
    the form that came back (records by id, text with one kind of line break)."""
    from wtforms import BooleanField

    data = field.data
    if isinstance(data, (list, tuple, set)):
        return sorted(_one(item) for item in data)
    if isinstance(field, BooleanField):
        return bool(data)
    if _is_record(data):
        return _one(data)
    if hasattr(field, "choices") and not hasattr(field, "_value"):
        return "" if data is None else str(data)
    if hasattr(field, "_value"):
        value = field._value()
        return value.replace("\r\n", "\n") if isinstance(value, str) else str(value)
    return _one(data)


def _is_record(value) -> bool:
    try:
        sa_inspect(value)
    except Exception:
        return False
    return hasattr(value, "__table__")


def _one(value) -> str:
    if value is None:
        return ""
    if _is_record(value):
        return str(sa_inspect(value).identity[0] if sa_inspect(value).identity else "")
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).replace("\r\n", "\n")


def changes_text(entries, describe) -> str:
    """Who changed which fields from what to what, and when: one sentence per save."""
    from flask_babel import gettext as _

    from app.core.webhooks import local_time

    def text(value) -> str:
        return value.striptags() if hasattr(value, "striptags") else str(value)

    parts = []
    for entry in entries:
        described = describe(entry)
        fields = _("; ").join(_("%(field)s from “%(old)s” to “%(new)s”", field=label, old=text(old), new=text(new))
                              for label, old, new in described["changes"])
        who = str(described["actor"]) if described["actor"] is not None else _("System")
        parts.append(_("%(who)s changed %(fields)s (%(time)s).", who=who, fields=fields or _("this record"),
                       time=local_time(entry.at)))
    return " ".join(parts)


def conflict_message(entries, describe) -> str:
    """The refusal of a save started from an older version."""
    from flask_babel import gettext as _

    return _("Someone saved this record after you opened it, so your changes were not saved. %(changes)s "
             "The form now shows their changes and keeps yours: check them and save again.",
             changes=changes_text(entries, describe))


def stale_rows(items, sent: dict, describe, every=None) -> str | None:
    """The refusal of a bulk action on rows changed since the list was shown, or None. `sent`
    maps str(pk) to the version the list showed; `every` is the version of all the rows it does
    not name (a list sends its page mark once). Rows with neither are not checked."""
    from flask_babel import gettext as _

    problems = []
    for item in items:
        pk = str(sa_inspect(item).identity[0])
        shown_version = sent.get(pk, every)
        if shown_version is None or not str(shown_version).isdigit():
            continue
        lock(item)
        if version_of(item) > int(shown_version):
            problems.append(_("%(record)s: %(changes)s", record=str(item),
                              changes=changes_text(changes_since(item, int(shown_version)), describe)))
    if not problems:
        return None
    return _("Some of the chosen records were changed after the list was shown, so nothing was done. %(changes)s "
             "Reload the list and choose again.", changes=" ".join(problems))
