"""账龄 (aging): what is still owed by how long it is overdue — not yet due, 1–30, 31–60, 61–90 and over 90 days
past its due date on a given day. Receivables (collections) and payables (purchasing) both sum their open
documents into these buckets."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func

ZERO = Decimal(0)
BUCKETS = [("current", _l("Not yet due")), ("d30", _l("1–30 days")), ("d60", _l("31–60 days")),
           ("d90", _l("61–90 days")), ("over90", _l("Over 90 days"))]


@dataclass
class AgingRow:
    key: object
    name: str
    link: str
    current: Decimal = ZERO
    d30: Decimal = ZERO
    d60: Decimal = ZERO
    d90: Decimal = ZERO
    over90: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.current + self.d30 + self.d60 + self.d90 + self.over90

    @classmethod
    def of(cls, key, name: str, link: str, sums) -> "AgingRow":
        """A row from a result row holding the bucket sums (see bucket_sums)."""
        return cls(key=key, name=name, link=link, **{bucket: Decimal(getattr(sums, bucket)) for bucket, _l in BUCKETS})


def bucket_sums(owed, due_date, as_of: dt.date) -> list:
    """The five labelled SUM columns of `owed` by how far `due_date` lies before `as_of`."""
    def between(low, high):
        return func.coalesce(func.sum(case((and_(due_date < as_of - dt.timedelta(days=low - 1),
                                                 due_date >= as_of - dt.timedelta(days=high)), owed),
                                           else_=0)), 0)
    return [func.coalesce(func.sum(case((due_date >= as_of, owed), else_=0)), 0).label("current"),
            between(1, 30).label("d30"), between(31, 60).label("d60"), between(61, 90).label("d90"),
            func.coalesce(func.sum(case((due_date < as_of - dt.timedelta(days=90), owed), else_=0)),
                          0).label("over90")]
