"""Helpers the modules' home panels share: a capped count of a statement's rows, and how due a date is."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import func, select

CAP = 1000


def capped(stmt):
    """The statement counting `stmt`'s rows, at most CAP (the home page stays fast for a big department): a panel's
    `count` returns it, and the page asks every panel's count in one statement."""
    return select(func.count()).select_from(stmt.limit(CAP).subquery())


def due_note(due: dt.date, today: dt.date) -> tuple[str, str]:
    """(note, tone) of a due date: days overdue (danger), today (warning), or the date."""
    if due < today:
        return _("%(n)d days overdue", n=(today - due).days), "danger"
    if due == today:
        return _("Today"), "warning"
    return due.isoformat(), ""
