"""订单 reports in the reports centre: sales by month, customer, product, owner and department (the order analysis'
charts, with the orders behind each bar)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.reports import MONEY, Measure, ReportSpec, from_pairs
from app.modules.orders.models import CANCELLED, DRAFT, SalesOrder, SalesOrderLine

AMOUNT = Measure("amount", _l("Order amount"), "sum:total", MONEY)


def _compute(name: str):
    def compute(actor, params):
        from app.modules.orders import analysis

        chart = analysis.BY_NAME[name]
        filters = analysis.Filters(params.start, params.end)
        pairs = analysis.rows(name, actor, filters)
        result = from_pairs(pairs, _labels(name, [k for k, _v in pairs]), chart.key_label, AMOUNT,
                            chart="line" if name == "by_month" else chart.kind,
                            note=str(_l("Orders confirmed or beyond (drafts and cancelled orders left out), by order "
                                        "date; the total counts every order, also beyond the top ones shown.")))
        result.total = {"amount": _total(name, actor, filters)}
        return result
    return compute


def _labels(name: str, keys):
    """The names of the chart's keys, read in one statement."""
    from flask_babel import gettext as _

    from app.core.org import Department, User
    from app.core.reports import names_of
    from app.modules.customers.api import Customer
    from app.modules.orders import analysis
    from app.modules.products.api import Product

    model = {"by_customer": Customer, "by_product": Product, "by_owner": User, "by_department": Department}.get(name)
    if model is None:
        return analysis.labeller(name)
    names = names_of(model, keys)
    return lambda k: _("(none)") if k is None else names.get(k, str(k))


def _total(name: str, actor, filters):
    """The amount of every order the report counts (a top-N chart shows only the largest). Without a period it is
    the sum of the months' kept totals (an order's total is the sum of its lines, so also the products' total)."""
    from decimal import Decimal

    from sqlalchemy import func

    from app.extensions import db
    from app.modules.orders import analysis

    if not (filters.date_from or filters.date_to):
        kept = analysis._kept("by_month", actor)
        if kept is not None:
            return Decimal(sum((Decimal(v or 0) for _k, v in kept), Decimal(0))).quantize(Decimal("0.01"))
    conditions = analysis._conditions(actor, filters)
    if name == "by_product":
        stmt = (select(func.sum(SalesOrderLine.total)).join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
                .where(*conditions))
    else:
        stmt = select(func.sum(SalesOrder.total)).where(*conditions)
    return Decimal(db.session.scalar(stmt) or 0).quantize(Decimal("0.01"))


def _figure(name: str):
    def figure(actor, params):
        from app.modules.orders import analysis

        return AMOUNT, _total(name, actor, analysis.Filters(params.start, params.end))
    return figure


def _drill(name: str):
    def drill(params, key):
        from app.core.datamodel import month_of
        from app.core.reports import month_key
        from app.extensions import db

        out = [SalesOrder.status.notin_((DRAFT, CANCELLED))]
        if params.start:
            out.append(SalesOrder.order_date >= params.start)
        if params.end:
            out.append(SalesOrder.order_date <= params.end)
        if name == "by_month":
            out.append(month_of(SalesOrder.order_date, db.session.get_bind().dialect.name) == month_key(key))
        elif name == "by_product":
            out.append(SalesOrder.id.in_(select(SalesOrderLine.order_id).where(SalesOrderLine.product_id == _id(key))))
        else:
            column = {"by_customer": SalesOrder.customer_id, "by_owner": SalesOrder.owner_id,
                      "by_department": SalesOrder.department_id}[name]
            out.append(column.is_(None) if key in ("", None) else column == _id(key))
        return out
    return drill


def _id(key) -> int:
    from app.core.reports import ReportError
    from flask_babel import gettext as _

    if not str(key).isdigit() or int(key) >= 2 ** 31:
        raise ReportError(_("Choose a group shown in the report."))
    return int(key)


_TITLES = {
    "by_month": (_l("Sales by month"), "趋势 销售额 月度"),
    "by_customer": (_l("Sales by customer"), "客户 排行 销售额"),
    "by_product": (_l("Sales by product"), "产品 排行 销量"),
    "by_owner": (_l("Sales by owner"), "业绩 销售员 负责人"),
    "by_department": (_l("Sales by department"), "部门 业绩"),
}

REPORTS = [ReportSpec(name=f"orders.sales_{name[3:]}", title=title, module="orders", keywords=words,
                      description=_l("Order amounts of the orders confirmed or beyond, in your data scope."),
                      compute=_compute(name), drill=_drill(name), figure=_figure(name), page="/orders_analysis/", order=10 + i)
           for i, (name, (title, words)) in enumerate(_TITLES.items())]
