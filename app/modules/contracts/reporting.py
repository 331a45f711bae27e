"""合同 reports in the reports centre: contracts by the month they end, and the renewal rate."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import case, func, select

from app.core.reports import MONEY, PERCENT, Dimension, Measure, ReportSpec, Result, Row
from app.modules.contracts.models import EXPIRED, EXPIRING, RENEWED, SIGNED, Contract

COUNT = Measure("contracts", _l("Contracts"))
AMOUNT = Measure("amount", _l("Contract amount"), "sum:amount", MONEY)
ENDED = Measure("ended", _l("Ended"))
RENEWED_COUNT = Measure("renewed", _l("Renewed"))
RATE = Measure("rate", _l("Renewal rate (%)"), "avg:rate", PERCENT)


def _state():
    """What became of a contract: its status, or the ending kept when it was archived."""
    return func.coalesce(Contract.ended_as, Contract.status)


def _renewals(actor, params):
    from app.core.datamodel import month_of
    from app.core.reports import conditions, ReportSpec as _Spec
    from app.extensions import db

    base = _Spec(name="", title="", module="contracts", date_column="ends_on")
    month = month_of(Contract.ends_on, db.session.get_bind().dialect.name).label("k")
    renewed = func.sum(case((_state() == RENEWED, 1), else_=0))
    where = [*conditions(base, actor, params), _state().in_((EXPIRED, RENEWED)), Contract.ends_on.isnot(None)]
    found = db.session.execute(select(month, func.count(), renewed).where(*where).group_by(month).order_by(month)).all()

    def rate(ended, again):
        return (Decimal(again) * 100 / ended).quantize(Decimal("0.1")) if ended else None

    rows = [Row(k, k, {"ended": n, "renewed": int(r or 0), "rate": rate(n, r or 0)}) for k, n, r in found]
    ended, again = sum(r.values["ended"] for r in rows), sum(r.values["renewed"] for r in rows)
    return Result(str(_l("Month ended")), [RENEWED_COUNT, ENDED, RATE], rows,
                  {"ended": ended, "renewed": again, "rate": rate(ended, again)}, chart="bar",
                  note=_("Contracts that ended in the period (expired or renewed; terminated ones left out), by the "
                         "month they ended; renewal rate = renewed ÷ ended."))


def _renewal_rows(params, key):
    from app.core.datamodel import month_of
    from app.core.reports import month_key
    from app.extensions import db

    out = [_state().in_((EXPIRED, RENEWED)),
           month_of(Contract.ends_on, db.session.get_bind().dialect.name) == month_key(key)]
    if params.start:
        out.append(Contract.ends_on >= params.start)
    if params.end:
        out.append(Contract.ends_on <= params.end)
    return out


REPORTS = [
    ReportSpec(name="contracts.expiry", title=_l("Contract expiry"), module="contracts", keywords="到期 续签 合同期限",
               description=_l("Signed contracts by the month they end: how many and how much."),
               date_column="ends_on", where=(("status", (SIGNED, EXPIRING, EXPIRED, RENEWED)),),
               dimensions=(Dimension("month", _l("Month ending"), "ends_on", period="month"),
                           Dimension("status", _l("Status"), "status"),
                           Dimension("type", _l("Contract type"), "type_id"),
                           Dimension("owner", _l("Owner"), "owner_id")),
               measures=(COUNT, AMOUNT), order=40),
    ReportSpec(name="contracts.renewal_rate", title=_l("Contract renewal rate"), module="contracts",
               keywords="续签率 到期", description=_l("Of the contracts that ended, how many were renewed."),
               compute=_renewals, drill=_renewal_rows, order=41),
]
