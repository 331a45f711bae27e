"""库存 reports in the reports centre: stock value by warehouse, and turnover per product and warehouse."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from app.core.reports import MONEY, NUMBER, Measure, ReportSpec, Result, Row

VALUE = Measure("value", _l("Stock value"), "sum:value", MONEY)


def _filters(params):
    from app.modules.inventory.analysis import Filters

    days = (params.end - params.start).days + 1 if params.start and params.end else 90
    return Filters(days=max(1, min(days, 3650)))


def _value(actor, params):
    from app.modules.inventory.analysis import value_by_warehouse

    rows = [Row(name, name, {"value": value}) for name, value in value_by_warehouse(_filters(params))]
    return Result(str(_l("Warehouse")), [VALUE], rows, {"value": sum(r.values["value"] for r in rows)}, chart="pie",
                  note=_("Stock value = on hand × the product's cost, today."))


def _turnover(actor, params):
    from app.modules.inventory.analysis import stock_overview

    filters = _filters(params)
    measures = [VALUE, Measure("on_hand", _l("On hand"), "sum:on_hand", NUMBER),
                Measure("shipped", _l("Shipped"), "sum:shipped", NUMBER),
                Measure("turnover", _l("Turnover (times a year)"), "avg:turnover", NUMBER),
                Measure("days_of_cover", _l("Days of cover"), "avg:days_of_cover", NUMBER)]
    rows = [Row(f"{r['product_id']}-{r['warehouse_id']}", f"{r['sku']} {r['product']} · {r['warehouse']}",
                {m.name: r[m.name] for m in measures}, f"/products/show/{r['product_id']}")
            for r in stock_overview(filters, limit=50)]
    return Result(str(_l("Product and warehouse")), measures, rows, None, chart="bar",
                  note=_("The 50 largest stocks by value; shipped in the last %(days)s days (or the period chosen); "
                         "turnover = daily sales × 365 ÷ on hand.", days=filters.days))


REPORTS = [
    ReportSpec(name="inventory.value", title=_l("Inventory value by warehouse"), module="", permission="inventory_values",
               group=_l("Inventory"), keywords="库存金额 库存价值 仓库", description=_l("What the stock in each warehouse is worth."),
               compute=_value, page="/inventory_analysis/", order=70),
    ReportSpec(name="inventory.turnover", title=_l("Inventory turnover"), module="", permission="inventory_values",
               group=_l("Inventory"), keywords="周转 呆滞 可售天数",
               description=_l("Stock, shipments, turnover and days of cover of the largest stocks."),
               compute=_turnover, page="/inventory_analysis/", order=71),
]
