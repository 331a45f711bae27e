"""采购 reports in the reports centre: spend by supplier and by product category, and supplier performance."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from app.core.reports import MONEY, NUMBER, PERCENT, Measure, ReportError, ReportSpec, Result, Row

SPEND = Measure("amount", _l("Spend (tax included)"), "sum:amount", MONEY)
ORDERS = Measure("orders", _l("Orders"))


def _period(params):
    from app.core.errors import ValidationErrors
    from app.modules.purchasing.analysis import period

    try:
        return period(params.start.isoformat() if params.start else "", params.end.isoformat() if params.end else "")
    except ValidationErrors as exc:
        raise ReportError(" ".join(m for messages in exc.errors.values() for m in messages)) from None


def _spend(by: str):
    def compute(actor, params):
        from app.modules.purchasing.analysis import spend

        found = spend(actor, _period(params), by)
        rows = [Row(r.key, r.name, {"amount": r.amount, "orders": r.orders}) for r in found]
        counted = ORDERS if by == "supplier" else Measure("orders", _l("Order lines"))
        return Result(str({"supplier": _l("Supplier"), "category": _l("Product category")}[by]), [SPEND, counted], rows,
                      {"amount": sum(r.amount for r in found), "orders": sum(r.orders for r in found)}, chart="bar",
                      note=_("Purchase orders placed (ordered and after) in the period's whole months, by order date."))
    return compute


def _supplier_rows(params, key):
    from app.modules.purchasing.analysis import PLACED
    from app.modules.purchasing.order_models import PurchaseOrder

    if not str(key).isdigit() or int(key) >= 2 ** 31:
        raise ReportError(_("Choose a group shown in the report."))
    when = _period(params)
    return [PurchaseOrder.supplier_id == int(key), PurchaseOrder.status.in_(PLACED),
            PurchaseOrder.order_date.between(when.start, when.end)]


def _ranking(actor, params):
    from app.modules.purchasing.analysis import ranking

    measures = [Measure("score", _l("Rating score"), "avg:score", NUMBER),
                Measure("on_time_rate", _l("On time (%)"), "avg:on_time_rate", PERCENT),
                Measure("rejection_rate", _l("Rejected (%)"), "avg:rejection_rate", PERCENT), SPEND]
    rows = [Row(r.supplier_id, f"{r.name}（{r.grade}）" if r.grade else r.name,
                {"score": r.score, "on_time_rate": r.on_time_rate, "rejection_rate": r.rejection_rate, "amount": r.spend},
                f"/suppliers/show/{r.supplier_id}") for r in ranking(actor, _period(params))]
    return Result(str(_l("Supplier")), measures, rows, None, chart="bar",
                  note=_("Average monthly supplier rating over the period's months, best first."))


REPORTS = [
    ReportSpec(name="purchasing.by_supplier", title=_l("Purchasing by supplier"), module="purchase_orders",
               keywords="采购额 供应商 采购汇总", description=_l("What was ordered from each supplier."),
               compute=_spend("supplier"), drill=_supplier_rows, page="/purchase_analysis/", order=80),
    ReportSpec(name="purchasing.by_category", title=_l("Purchasing by product category"), module="purchase_orders",
               keywords="采购额 品类 分类", description=_l("What was ordered in each product category."),
               compute=_spend("category"), page="/purchase_analysis/", order=81),
    ReportSpec(name="purchasing.suppliers", title=_l("Supplier performance"), module="purchase_orders",
               keywords="供应商评分 准时率 合格率 绩效", description=_l("The suppliers' rating, on-time and rejection rates."),
               compute=_ranking, drill=_supplier_rows, page="/purchase_analysis/?report=ranking", order=82),
]
