"""Audit trail: every create / update / delete of an audited record, in the same transaction.

Models opt in by inheriting `Audited`. One listener on the session records who (the unit of
work's actor), when, which fields, old and new values. Nothing else writes audit rows.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, event, inspect, select
from sqlalchemy.orm import Session, relationship

from app.extensions import db
from app.core.clock import utcnow


class AuditLog(Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_record", "table_name", "record_id"),)

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    actor_id = Column(Integer, ForeignKey("ab_user.id"))
    table_name = Column(String(64), nullable=False)
    record_id = Column(String(64), nullable=False)
    action = Column(String(16), nullable=False)  # create / update / delete
    changes = Column(JSON, nullable=False, default=dict)  # {field: [old, new]}

    actor = relationship("AppUser", foreign_keys=[actor_id])


class Audited:
    """Mixin: changes to rows of this model are written to the audit log.

    `__audit_exclude__` names columns never recorded (e.g. secrets, derived counters).
    """

    __audit_exclude__: tuple[str, ...] = ()


def _plain(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    if isinstance(value, (dict, list)):   # a JSON column (custom field values)
        return value
    return str(value)


def _split_custom(changes: dict) -> dict:
    """Custom field values (the `custom` JSON column) are recorded field by field, as
    custom.<name>, so the history names the field that changed."""
    if "custom" not in changes:
        return changes
    old, new = changes.pop("custom")
    old, new = (old if isinstance(old, dict) else {}), (new if isinstance(new, dict) else {})
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            changes[f"custom.{name}"] = [old.get(name), new.get(name)]
    return changes


def _column_attrs(obj):
    mapper = inspect(obj).mapper
    excluded = set(getattr(obj, "__audit_exclude__", ()))
    for attr in mapper.column_attrs:
        if attr.key not in excluded:
            yield attr.key


def _pk(obj) -> str:
    values = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in values if v is not None)


def _entries(session: Session):
    for obj in session.new:
        if isinstance(obj, Audited):
            changes = {k: [None, _plain(getattr(obj, k))] for k in _column_attrs(obj) if getattr(obj, k) is not None}
            yield obj, "create", _split_custom(changes)
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            state = inspect(obj)
            changes = {}
            for key in _column_attrs(obj):
                hist = state.attrs[key].history
                if hist.has_changes():
                    old = hist.deleted[0] if hist.deleted else None
                    new = hist.added[0] if hist.added else None
                    if _plain(old) != _plain(new):
                        changes[key] = [_plain(old), _plain(new)]
            changes = _split_custom(changes)
            if changes:
                yield obj, "update", changes
    for obj in session.deleted:
        if isinstance(obj, Audited):
            changes = {k: [_plain(getattr(obj, k)), None] for k in _column_attrs(obj) if getattr(obj, k) is not None}
            yield obj, "delete", _split_custom(changes)


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, flush_context) -> None:
    """One row per record and transaction: a save that flushes twice (a service reading the
    database half-way, then setting a derived field) is still one change in the history."""
    written = session.info.setdefault("audit_written", {})
    new_rows = []
    for obj, action, changes in _entries(session):
        key = (obj.__tablename__, _pk(obj))
        earlier = written.get(key)
        if earlier is not None and action == "update" and earlier["action"] in ("create", "update"):
            _merge(session, earlier, changes)
            continue
        row = {"at": utcnow(), "actor_id": session.info.get("actor_id"), "table_name": key[0],
               "record_id": key[1], "action": action, "changes": changes}
        new_rows.append(row)
        written[key] = row
    if not new_rows:
        return
    table = AuditLog.__table__
    connection = session.connection()
    if connection.dialect.insert_executemany_returning_sort_by_parameter_order:
        ids = connection.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), new_rows).scalars().all()
        for row, row_id in zip(new_rows, ids):
            row["id"] = row_id
    else:
        for row in new_rows:
            row["id"] = connection.execute(table.insert(), row).inserted_primary_key[0]


def _merge(session: Session, earlier: dict, changes: dict) -> None:
    merged = dict(earlier["changes"])
    for field, (old, new) in changes.items():
        first = merged[field][0] if field in merged else old
        if earlier["action"] == "update" and first == new:
            merged.pop(field, None)   # changed and changed back: no change at all
        elif earlier["action"] == "create" and new is None:
            merged.pop(field, None)
        else:
            merged[field] = [first, new]
    earlier["changes"] = merged
    table = AuditLog.__table__
    connection = session.connection()
    if earlier["action"] == "update" and not merged:
        connection.execute(table.delete().where(table.c.id == earlier["id"]))
        earlier["action"] = "gone"   # a later change of this record starts a new row
        return
    if not connection.execute(table.update().where(table.c.id == earlier["id"]).values(changes=merged)).rowcount:
        # The first row went with a rolled-back savepoint: this flush's own row stands alone.
        earlier["id"] = connection.execute(table.insert(), {k: v for k, v in earlier.items() if k != "id"}
                                           ).inserted_primary_key[0]


@event.listens_for(Session, "after_transaction_end")
def _forget_written(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("audit_written", None)


def history_of(obj, limit: int = 200) -> list[AuditLog]:
    """The audit entries of one record, newest first."""
    stmt = (
        select(AuditLog)
        .where(AuditLog.table_name == obj.__tablename__, AuditLog.record_id == _pk(obj))
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
