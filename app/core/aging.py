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


def chart_option(title: str, rows: list[AgingRow], top: int = 10) -> dict:
    """The stacked bar chart of the first `top` rows, one series per bucket (ECharts option)."""
    shown = rows[:top]
    return {
        "title": {"text": title, "left": "center"},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"bottom": 0},
        "grid": {"left": 48, "right": 24, "bottom": 64, "containLabel": True},
        "xAxis": {"type": "category", "data": [row.name for row in shown],
                  "axisLabel": {"interval": 0, "rotate": 30 if len(shown) > 5 else 0}},
        "yAxis": {"type": "value"},
        "series": [{"type": "bar", "stack": "aging", "name": str(label),
                    "data": [float(getattr(row, name)) for row in shown]} for name, label in BUCKETS],
    }


def export_response(fmt: str, rows: list[AgingRow], grand: AgingRow, first_label: str, title: str):
    """The rows and their total as a CSV or Excel download (fmt "csv" or "xlsx")."""
    from flask import current_app

    from app.core import exports

    keys = ["name"] + [name for name, _label in BUCKETS] + ["total"]
    table = exports.AggregateRows([{"name": row.name, "total": row.total,
                                    **{name: getattr(row, name) for name, _label in BUCKETS}}
                                   for row in rows + [grand]])
    labels = [first_label] + [str(label) for _name, label in BUCKETS] + [str(_total_label())]
    maker = exports.csv_response if fmt == "csv" else exports.xlsx_response
    return maker(table, keys, labels, title, {}, current_app.config["EXPORT_MAX_ROWS"])


def _total_label():
    from flask_babel import gettext

    return gettext("Total")
