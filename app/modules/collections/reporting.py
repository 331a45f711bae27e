"""回款 reports in the reports centre: the receivables aging and the collection rate by month."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l

from app.core.reports import MONEY, NUMBER, PERCENT, Dimension, Measure, ReportSpec, Result, Row


def _aging(actor, params):
    from app.core.aging import BUCKETS
    from app.modules.collections.reports import aging

    by = params.by or "customer"
    rows, grand = aging(actor, by=by, as_of=params.end)
    measures = [Measure("total", _l("Owed"), "sum:total", MONEY)] + [Measure(k, label, f"sum:{k}", MONEY) for k, label in BUCKETS]

    def values(row):
        return {"total": row.total, **{k: getattr(row, k) for k, _label in BUCKETS}}

    return Result(str({"customer": _l("Customer"), "owner": _l("Owner"), "department": _l("Department")}[by]), measures,
                  [Row(r.key, r.name, values(r), r.link) for r in rows], values(grand), chart="bar",
                  note=_("What issued invoices still owe, by how long past their due date (on the period's last day, "
                         "or today)."))


def _owed(actor, params):
    from app.modules.collections.reports import owed_total

    return Measure("total", _l("Owed"), "sum:total", MONEY), owed_total(actor)


def _aging_rows(params, key):
    from app.modules.invoices.api import ISSUED, Invoice

    column = {"customer": Invoice.customer_id, "owner": Invoice.owner_id,
              "department": Invoice.department_id}[params.by or "customer"]
    if not str(key).isdigit() or int(key) >= 2 ** 31:
        return [column.is_(None), Invoice.status == ISSUED, ~Invoice.red, Invoice.paid < Invoice.total]
    return [column == int(key), Invoice.status == ISSUED, ~Invoice.red, Invoice.paid < Invoice.total]


def _rate(actor, params):
    from app.core.clock import company_today
    from app.modules.collections.reports import by_month

    today = params.end or company_today()
    start = params.start or dt.date(today.year - 1, today.month, 1)
    months = max(1, min(36, (today.year - start.year) * 12 + today.month - start.month + 1))
    found = by_month(actor, months=months, today=today)
    measures = [Measure("received", _l("Received"), "sum:received", MONEY),
                Measure("invoiced", _l("Invoiced"), "sum:invoiced", MONEY),
                Measure("rate", _l("Collection rate (%)"), "avg:rate", PERCENT),
                Measure("dso", _l("DSO (days)"), "avg:dso", NUMBER)]
    rows = [Row(m.month, m.month, {"received": m.received, "invoiced": m.invoiced, "rate": m.rate, "dso": m.dso})
            for m in found]
    total = {"received": sum(m.received for m in found), "invoiced": sum(m.invoiced for m in found),
             "rate": None, "dso": None}
    return Result(str(_l("Month")), measures, rows, total, chart="line",
                  note=_("Collection rate = received ÷ (owed at the month's start + invoiced in it); "
                         "DSO = owed at the month's end ÷ invoiced × days in the month."))


REPORTS = [
    ReportSpec(name="collections.aging", title=_l("Receivables aging"), module="invoices", permission="payments",
               group=_l("Collections"), keywords="账龄 应收 逾期 欠款",
               description=_l("What customers owe, by how long it is overdue."),
               dimensions=(Dimension("customer", _l("Customer"), "customer_id"),
                           Dimension("owner", _l("Owner"), "owner_id"),
                           Dimension("department", _l("Department"), "department_id")),
               compute=_aging, drill=_aging_rows, figure=_owed, as_of_now=True, page="/collections_aging/", order=60),
    ReportSpec(name="collections.rate", title=_l("Collection rate and DSO"), module="invoices", permission="payments",
               group=_l("Collections"), keywords="回款率 DSO 回款",
               description=_l("Invoiced and received by month, the collection rate and days of sales outstanding."),
               compute=_rate, page="/collections_rate/", order=61),
]
