"""Change notices: followers and owners of a record are told when someone else changes it.

They hang off the audit trail: every flush of an audited record of a registered module inside
a unit of work is collected, and after the commit each follower (and the record's owner) gets
one notification per changed record, never one per field, and never for their own changes.
Only people who may still see the record are told.

Callers tell it whom they have told themselves with app.core.collab.already_told.
"""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import delete, event, inspect as sa_inspect, select
from sqlalchemy.orm import Session

from app.core.audit import Audited
from app.core.collab import (SUMMARY_AFTER, Comment, Follower, _default_locale, _owner_id, _registry,
                             may_read_module, record_link)
from app.core.notify import notify
from app.core.transaction import unit_of_work
from app.extensions import db

log = logging.getLogger(__name__)


def _specs_by_table() -> dict:
    out = {}
    for spec in _registry().specs.values():
        out.setdefault(spec.model.__tablename__, []).append(spec)
    return out


def _changed_fields(obj) -> dict:
    state = sa_inspect(obj)
    excluded = set(getattr(obj, "__audit_exclude__", ()))
    changes = {}
    for attr in state.mapper.column_attrs:
        if attr.key in excluded or attr.key in ("updated_at",):
            continue
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[attr.key] = [old, new]
    return changes


@event.listens_for(Session, "after_flush")
def _collect_changes(session: Session, _flush_context) -> None:
    """Remember which records of registered modules this unit of work changed or deleted.
    Creations are not news to anyone but their author (and an import would flood owners)."""
    uow = session.info.get("uow")
    if uow is None or not (session.dirty or session.deleted):
        return
    by_table = None
    for obj, deleted in [(o, False) for o in session.dirty] + [(o, True) for o in session.deleted]:
        if not isinstance(obj, Audited):
            continue
        if by_table is None:
            by_table = _specs_by_table()
        specs = by_table.get(obj.__tablename__)
        if not specs:
            continue
        if not deleted and not session.is_modified(obj, include_collections=False):
            continue
        changes = {} if deleted else _changed_fields(obj)
        if not deleted and not changes:
            continue
        pending = getattr(uow, "_collab_changes", None)
        if pending is None:
            pending = uow._collab_changes = {}
            actor_id = session.info.get("actor_id")
            watchers: dict = {}
            # Followers are read inside the transaction: a change nobody else hears of needs no second one.
            uow.before_commit(lambda: watchers.update(_watchers_of(pending)))
            uow.after_commit(lambda: _send_change_notices(actor_id, pending, getattr(uow, "_collab_told", {}),
                                                          watchers))
        for spec in specs:
            entry = pending.setdefault((spec.name, obj.id), {"changes": {}, "deleted": False, "label": "",
                                                              "owner_id": None, "previous_owner_id": None})
            for key, (old, new) in changes.items():
                first_old = entry["changes"].get(key, [old, new])[0]
                entry["changes"][key] = [first_old, new]
            entry["deleted"] = entry["deleted"] or deleted
            entry["label"] = str(obj)
            entry["owner_id"] = _owner_id(spec, obj)
            owner_column = spec.scope.owner if spec.scope is not None and not spec.scope.via else None
            if owner_column and owner_column in entry["changes"]:
                entry["previous_owner_id"] = entry["changes"][owner_column][0]


def _shown(spec, field: str, value) -> str:
    from app.core.registry import column_choices
    from app.core.webhooks import local_time

    if value is None or value == "":
        return "—"
    choices = column_choices(spec.model).get(field)
    if choices:
        return str(dict(choices).get(value, value))
    for rel in sa_inspect(spec.model).relationships:
        if rel.direction.name == "MANYTOONE" and [c.key for c in rel.local_columns] == [field]:
            related = db.session.get(rel.mapper.class_, value)
            return str(related) if related is not None else f"#{value}"
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def _field_label(spec, field: str) -> str:
    labels = spec.label_columns
    if field in labels:
        return str(labels[field])
    for rel in sa_inspect(spec.model).relationships:
        if [c.key for c in rel.local_columns] == [field] and rel.key in labels:
            return str(labels[rel.key])
    return field


def _chunked(values, size=500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _watchers_by_record(spec_name: str, record_ids) -> dict:
    """{record id: {user id, ...}} of the followers of many records, in few queries."""
    found: dict[int, set] = {}
    for chunk in _chunked(record_ids):
        for record_id, user_id in db.session.execute(
                select(Follower.record_id, Follower.user_id)
                .where(Follower.spec == spec_name, Follower.record_id.in_(chunk))):
            found.setdefault(record_id, set()).add(user_id)
    return found


def _visible_ids(spec, user, record_ids) -> set:
    """The ids among `record_ids` that `user` may see (read permission and data scope)."""
    from app.core.scope import scope_clause

    if not may_read_module(user, spec):
        return set()
    clause = scope_clause(spec, user)
    visible = set()
    for chunk in _chunked(record_ids):
        stmt = select(spec.model.id).where(spec.model.id.in_(chunk))
        if clause is not None:
            stmt = stmt.where(clause)
        visible.update(db.session.scalars(stmt))
    return visible


def _watchers_of(pending: dict) -> dict:
    """{spec name: (record ids looked at, {record id: {user id, ...}})} of the records in `pending`."""
    by_spec: dict[str, list] = {}
    for spec_name, record_id in pending:
        by_spec.setdefault(spec_name, []).append(record_id)
    return {spec_name: (set(ids), _watchers_by_record(spec_name, ids)) for spec_name, ids in by_spec.items()}


def _send_change_notices(actor_id, pending: dict, told: dict | None = None, watchers_by_spec=None) -> None:
    """Tell the followers and owners (the new one and, when it changed, the previous one) of
    the changed records, except the person who made the change: one notification per record,
    or one summary when a bulk change touched many of a person's records. A changed record is
    reported only to people who may still see it. Comments and followers of deleted records go.

    Runs after the commit, in a transaction of its own; a failure here never undoes the change."""
    from app.core.org import User

    told = told or {}
    try:
        by_spec: dict[str, list] = {}
        for (spec_name, record_id), entry in pending.items():
            by_spec.setdefault(spec_name, []).append(record_id)
        # user id -> [(spec, record id, entry)]
        inbox: dict[int, list] = {}
        for spec_name, record_ids in by_spec.items():
            spec = _registry().specs[spec_name]
            looked_at, watchers = (watchers_by_spec or {}).get(spec_name, (set(), {}))
            unread = [r for r in record_ids if r not in looked_at]
            if unread:
                watchers = {**watchers, **_watchers_by_record(spec_name, unread)}
            for record_id in record_ids:
                entry = pending[(spec_name, record_id)]
                people = set(watchers.get(record_id, ())) | {entry["owner_id"], entry["previous_owner_id"]}
                people -= told.get((spec_name, record_id), set())
                for user_id in people - {None, actor_id}:
                    inbox.setdefault(user_id, []).append((spec, record_id, entry))
        gone = {name: [r for r in ids if pending[(name, r)]["deleted"]] for name, ids in by_spec.items()}
        if not inbox and not any(gone.values()):
            return
        actor = db.session.get(User, actor_id) if actor_id else None
        who = actor.display_name if actor is not None else None
        with unit_of_work(None) as uow, _default_locale():
            users = {u.id: u for chunk in _chunked(inbox) for u in db.session.scalars(
                select(User).where(User.id.in_(chunk), User.active.is_(True)))}
            for user_id, items in inbox.items():
                user = users.get(user_id)
                if user is None:
                    continue
                shown = []
                for spec in {id(spec): spec for spec, _r, _e in items}.values():
                    mine = [(r, e) for s, r, e in items if s is spec]
                    live = _visible_ids(spec, user, [r for r, e in mine if not e["deleted"]])
                    readable = may_read_module(user, spec)
                    # The previous owner hears of the hand-over even when it took the record
                    # out of their sight.
                    shown += [(spec, r, e) for r, e in mine
                              if (r in live if not e["deleted"] else readable)
                              or (readable and e["previous_owner_id"] == user_id)]
                if len(shown) > SUMMARY_AFTER:
                    _notify_summary(uow, user, who, shown)
                else:
                    for spec, record_id, entry in shown:
                        _notify_change(uow, user, who, spec, record_id, entry)
            for spec_name, deleted_ids in gone.items():
                for chunk in _chunked(deleted_ids):
                    db.session.execute(delete(Comment).where(Comment.spec == spec_name, Comment.record_id.in_(chunk)))
                    db.session.execute(delete(Follower).where(Follower.spec == spec_name,
                                                              Follower.record_id.in_(chunk)))
    except Exception:  # the change is committed; a lost notice must not turn it into an error
        db.session.rollback()
        log.exception("could not send change notices")


def _notify_change(uow, user, who, spec, record_id, entry) -> None:
    if entry["deleted"]:
        title = (_("%(who)s deleted %(module)s “%(record)s”", who=who, module=spec.label, record=entry["label"])
                 if who else _("%(module)s “%(record)s” was deleted", module=spec.label, record=entry["label"]))
        notify(uow, [user], title, "", link="", mail=False)
        return
    title = (_("%(who)s changed %(module)s “%(record)s”", who=who, module=spec.label, record=entry["label"])
             if who else _("%(module)s “%(record)s” was changed", module=spec.label, record=entry["label"]))
    body = "\n".join(f"{_field_label(spec, f)}: {_shown(spec, f, old)} → {_shown(spec, f, new)}"
                     for f, (old, new) in entry["changes"].items())
    notify(uow, [user], title, body, link=record_link(spec.name, record_id), mail=False)


def _notify_summary(uow, user, who, shown) -> None:
    names = [f"{spec.label} “{entry['label']}”" for spec, _r, entry in shown]
    title = (_("%(who)s changed %(count)d records you follow", who=who, count=len(shown)) if who
             else _("%(count)d records you follow were changed", count=len(shown)))
    body = "\n".join(names[:20]) + ("\n…" if len(names) > 20 else "")
    spec = shown[0][0]
    notify(uow, [user], title, body, link=f"/{spec.name}/list/", mail=False)
