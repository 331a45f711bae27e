"""What keeps a record from being deleted: rows of other tables that still refer to it.

A delete that the database would refuse (a foreign key without ON DELETE CASCADE / SET NULL,
and not removed by the ORM along with the record) is refused beforehand with a message that
names each kind of blocker, how many there are and where to find them, plus what the user may
do instead. Modules add blockers that are not foreign keys (a contract's approvals) and the
alternatives they offer (mark as lost, transfer) with `register_blockers` / `register_alternatives`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flask import current_app, has_app_context
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, inspect as sa_inspect, select

from app.core.errors import DomainError
from app.extensions import db

LINKED = 5          # up to this many blocking records are linked one by one
COUNT_CAP = 10000   # counting stops here ("10000+")


@dataclass
class Blocker:
    label: str                      # what refers to the record, plural ("合同")
    count: int
    link: str = ""                  # a list of them, when there is one
    records: list = field(default_factory=list)   # [(text, link)] of the first few

    def as_dict(self) -> dict:
        return {"label": self.label, "count": self.count, "link": self.link,
                "records": [{"name": text, "link": link} for text, link in self.records]}


@dataclass
class Alternative:
    label: str
    link: str

    def as_dict(self) -> dict:
        return {"label": self.label, "link": self.link}


class InUse(DomainError):
    """The record is still referred to; nothing was deleted. `message` is markup with links for
    the screens, `text` the same without links for the API."""

    status = 409

    def __init__(self, code: str, record_label: str, blockers: list[Blocker], alternatives=()):
        self.blockers, self.alternatives = list(blockers), list(alternatives)
        parts = "、".join(_("%(count)s %(what)s", count=_count_text(b.count), what=b.label) for b in self.blockers)
        head = _("“%(record)s” cannot be deleted: it still has %(blockers)s.", record=record_label, blockers=parts)
        tail = ""
        if self.alternatives:
            tail = " " + _("Instead you may: %(choices)s.",
                           choices="、".join(a.label for a in self.alternatives))
        super().__init__(code, head + tail)
        self.text = head + tail
        self.message = _markup(record_label, self.blockers, self.alternatives)

    def as_dict(self) -> dict:
        return {"error": self.code, "message": self.text,
                "blockers": [b.as_dict() for b in self.blockers],
                "alternatives": [a.as_dict() for a in self.alternatives]}


def _count_text(count: int) -> str:
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


def _link(text, href) -> Markup:
    return Markup('<a href="%s">%s</a>') % (href, text) if href else escape(text)


def _markup(record_label: str, blockers: list[Blocker], alternatives: list[Alternative]) -> Markup:
    items = []
    for b in blockers:
        what = _link(_("%(count)s %(what)s", count=_count_text(b.count), what=b.label), b.link)
        if b.records:
            what += Markup("（%s）") % Markup("、").join(_link(text, href) for text, href in b.records)
        items.append(what)
    html = escape(_("“%(record)s” cannot be deleted: it still has %(blockers)s.",
                    record=record_label, blockers="\x00")).replace("\x00", Markup("、").join(items))
    if alternatives:
        html += Markup(" ") + escape(_("Instead you may: %(choices)s.", choices="\x00")).replace(
            "\x00", Markup("、").join(_link(a.label, a.link) for a in alternatives))
    return Markup(html)


# -- what modules add --------------------------------------------------------------------------
_extra_blockers: dict[str, list[Callable]] = {}      # table -> [fn(actor, obj) -> [Blocker]]
_alternatives: dict[str, list[Callable]] = {}        # table -> [fn(actor, obj) -> [Alternative]]


def register_blockers(model, fn: Callable) -> None:
    """`fn(actor, obj)` returns Blockers that are not foreign keys (e.g. approvals on documents)."""
    found = _extra_blockers.setdefault(model.__tablename__, [])
    if fn not in found:
        found.append(fn)


def register_alternatives(model, fn: Callable) -> None:
    """`fn(actor, obj)` returns what the user may do instead of deleting (Alternative list)."""
    found = _alternatives.setdefault(model.__tablename__, [])
    if fn not in found:
        found.append(fn)


# -- finding the blockers ----------------------------------------------------------------------
def _specs_by_table() -> dict:
    from app.core.registry import registry

    out = {}
    for spec in registry.specs.values():
        out.setdefault(spec.model.__tablename__, spec)
    return out


def _orm_removes(model, table, column) -> bool:
    """Whether deleting a `model` row also deletes (or detaches) the rows of `table` that refer
    to it through `column`, by an ORM cascade."""
    for rel in sa_inspect(model).relationships:
        if rel.direction.name != "ONETOMANY" or rel.target is not table:
            continue
        # Without a delete cascade the ORM would set the column to NULL, which frees the
        # record only when the column may be NULL.
        if column in rel.remote_side and (rel.cascade.delete or (not rel.passive_deletes and column.nullable)):
            return True
    return False


def _may_read(actor, spec) -> bool:
    if actor is None:
        return True
    return bool(current_app.appbuilder.sm._has_view_access(actor, "can_read", spec.permission_name))


def _record_links(actor, spec, rows) -> list:
    from app.core.scope import can_see

    out = []
    for row in rows:
        if can_see(spec.name, actor, row.id):
            out.append((str(row), f"/{spec.name}/show/{row.id}"))
    return out


def _foreign_key_blockers(actor, obj) -> list[Blocker]:
    model = type(obj)
    table = model.__table__
    identity = sa_inspect(obj).identity
    if identity is None or len(table.primary_key.columns) != 1:
        return []
    pk = identity[0]
    target = next(iter(table.primary_key.columns))
    specs = _specs_by_table()
    blockers = []
    for other in sorted(db.Model.metadata.tables.values(), key=lambda t: t.name):
        for fk in other.foreign_keys:
            if fk.column is not target or (fk.ondelete or "").upper() in ("CASCADE", "SET NULL"):
                continue
            if _orm_removes(model, other, fk.parent):
                continue
            where = fk.parent == pk
            if other is table:
                where = where & (target != pk)
            count = db.session.scalar(select(func.count()).select_from(
                select(fk.parent).where(where).limit(COUNT_CAP + 1).subquery()))
            if not count:
                continue
            blockers.append(_describe(actor, other, fk.parent, pk, count, specs))
    return blockers


def _describe(actor, other, column, pk, count, specs) -> Blocker:
    spec = specs.get(other.name)
    if spec is None:
        label = str(_OTHER_LABELS.get(other.name, other.name))
        link = _OTHER_LINKS.get(other.name, "")
        return Blocker(label=label, count=count, link=link.format(column=column.name.removesuffix("_id"), pk=pk))
    readable = _may_read(actor, spec)
    relation = next((rel.key for rel in sa_inspect(spec.model).relationships
                     if [c.name for c in rel.local_columns] == [column.name]), None)
    link = ""
    if readable and relation and relation in spec.search_columns:
        link = f"/{spec.name}/list/?_flt_0_{relation}={pk}"
    records = []
    if readable and count <= LINKED and "id" in other.c:
        rows = db.session.scalars(select(spec.model).where(column == pk).order_by(spec.model.id).limit(LINKED))
        records = _record_links(actor, spec, rows)
    return Blocker(label=str(spec.label_plural), count=count, link=link, records=records)


# Tables of the frame without a module spec that may still refer to a record.
_OTHER_LABELS = {"ab_user": _l("Users")}
_OTHER_LINKS = {"ab_user": "/users/list/?_flt_0_{column}={pk}"}


def blockers_of(actor, obj) -> list[Blocker]:
    """Everything that keeps `obj` from being deleted, as the actor may see it."""
    blockers = _foreign_key_blockers(actor, obj)
    for fn in _extra_blockers.get(type(obj).__tablename__, []):
        blockers.extend(b for b in fn(actor, obj) if b.count)
    return blockers


def alternatives_to_deleting(actor, obj) -> list[Alternative]:
    found = []
    for fn in _alternatives.get(type(obj).__tablename__, []):
        found.extend(fn(actor, obj))
    return found


def refuse_if_referenced(actor, obj, code: str | None = None) -> None:
    """Raise InUse (409) naming the blockers when anything still refers to `obj`."""
    with db.session.no_autoflush:
        blockers = blockers_of(actor, obj)
        if blockers:
            raise InUse(code or f"{obj.__tablename__}.in_use", str(obj), blockers,
                        alternatives_to_deleting(actor, obj))


def in_use_error(actor, obj) -> InUse | None:
    """After the database refused to delete `obj`: the InUse error that names why, or None
    when no blocker is found (then the refusal had another cause)."""
    if not has_app_context():
        return None
    try:
        refuse_if_referenced(actor, obj)
    except InUse as error:
        return error
    return None
