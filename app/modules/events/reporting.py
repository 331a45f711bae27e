"""活动 reports in the reports centre: each event's return on its cost."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from app.core.reports import MONEY, NUMBER, PERCENT, Measure, ReportError, ReportSpec, Result, Row


def _roi(actor, params):
    from app.core.errors import ValidationErrors
    from app.modules.events import analysis

    try:
        q = analysis.query(params.start and params.start.isoformat(), params.end and params.end.isoformat(), None, None)
    except ValidationErrors as exc:
        raise ReportError(" ".join(m for messages in exc.errors.values() for m in messages)) from None
    found = analysis.effects(actor, q)
    measures = [Measure("revenue", _l("Revenue"), "sum:revenue", MONEY), Measure("cost", _l("Cost"), "sum:cost", MONEY),
                Measure("roi", _l("ROI (%)"), "avg:roi", PERCENT), Measure("registered", _l("Registered"), "sum:registered", NUMBER),
                Measure("checked_in", _l("Checked in"), "sum:checked_in", NUMBER),
                Measure("new_customers", _l("New customers"), "sum:new_customers", NUMBER)]
    rows = [Row(e.event_id, f"{e.code} {e.title}", {m.name: getattr(e, m.name) for m in measures},
                f"/events/show/{e.event_id}") for e in found]
    total = analysis.totals(found)
    return Result(str(_l("Event")), measures, rows, {m.name: getattr(total, m.name) for m in measures}, chart="bar",
                  note=_("Orders of registrants' customers within %(days)s days of the event; ROI = (revenue − cost) ÷ cost.",
                         days=q.window))


REPORTS = [
    ReportSpec(name="events.roi", title=_l("Event ROI"), module="events", keywords="活动效果 投入产出 回报率",
               description=_l("Revenue, cost and return of the events that started in the period."),
               compute=_roi, page="/event_analysis/", order=90),
]
