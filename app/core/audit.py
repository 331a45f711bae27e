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
    return str(value)


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
            yield obj, "create", changes
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
            if changes:
                yield obj, "update", changes
    for obj in session.deleted:
        if isinstance(obj, Audited):
            changes = {k: [_plain(getattr(obj, k)), None] for k in _column_attrs(obj) if getattr(obj, k) is not None}
            yield obj, "delete", changes


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, flush_context) -> None:
    rows = [
        {
            "at": utcnow(),
            "actor_id": session.info.get("actor_id"),
            "table_name": obj.__tablename__,
            "record_id": _pk(obj),
            "action": action,
            "changes": changes,
        }
        for obj, action, changes in _entries(session)
    ]
    if rows:
        session.connection().execute(AuditLog.__table__.insert(), rows)


def history_of(obj, limit: int = 200) -> list[AuditLog]:
    """The audit entries of one record, newest first."""
    stmt = (
        select(AuditLog)
        .where(AuditLog.table_name == obj.__tablename__, AuditLog.record_id == _pk(obj))
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
