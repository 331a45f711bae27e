"""Inventory planning screens: 安全库存 (safety stock lines, declared as a ModuleSpec with a 计算 action)
and 库存分析 (stock value, turnover, days of cover, ABC, slow movers, forecasts, reorder suggestions).

app/modules/inventory/module.py adds PLANNING_SPECS to its SPECS, and its views part calls
register_views(appbuilder). Importing this module loads the safety stock model and the hook that checks
safety stock in every stock move's transaction.

Permissions (app/security/access.csv): `safety_stock` (the lines), `inventory_analysis` (the analysis
page and its exports) and `inventory_values` (cost and value figures on it: a reader without it sees
quantities only).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import abort, current_app, jsonify, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext
from sqlalchemy import select

from app.core import exports
from app.core.names import VIEW_LABELS
from app.core.remote_select import RemoteSelectField
from app.core.spec import ActionSpec, ModuleSpec
from app.extensions import db
from app.modules.inventory import analysis, safety  # noqa: F401  (safety: the hook on every stock move)
from app.modules.inventory.models import Warehouse
from app.modules.inventory.planning_models import SafetyStock
from app.modules.products.models import Product, ProductCategory

INVENTORY = lazy_pgettext("menu", "Inventory")
MENU = "menu:inventory"
ANALYSIS_PERMISSION, VALUES_PERMISSION = "inventory_analysis", "inventory_values"
# The values permission has no menu entry to be named after: the roles screens name it by this label.
VIEW_LABELS.setdefault(VALUES_PERMISSION, _l("Inventory cost and value"))

SAFETY_LABELS = {
    "product": _l("Product"), "product_id": _l("Product"), "product.sku": _l("SKU"), "product.name": _l("Product name"),
    "warehouse": _l("Warehouse"), "warehouse_id": _l("Warehouse"), "warehouse.name": _l("Warehouse"),
    "warning_line": _l("Safety stock"), "reorder_qty": _l("Reorder quantity"), "method": _l("Set by"),
    "history_days": _l("Days of sales history"), "lead_time_days": _l("Lead time (days)"),
    "safety_factor": _l("Safety factor"), "computed_at": _l("Computed at"), "alerted_at": _l("Alerted at"),
    "updated_at": _l("Updated at"),
}
SAFETY_FORM = ["product", "warehouse", "warning_line", "reorder_qty", "history_days", "lead_time_days",
               "safety_factor"]

PLANNING_SPECS = [
    ModuleSpec(
        name="safety_stock",
        model=SafetyStock,
        label=_l("Safety stock line"),
        label_plural=_l("Safety stock"),
        category=INVENTORY,
        category_key="inventory",
        category_icon="fa-archive",
        icon="fa-bell",
        label_columns=SAFETY_LABELS,
        list_columns=["product", "warehouse", "warning_line", "reorder_qty", "method", "alerted_at"],
        show_fieldsets=[
            (_l("Safety stock line"), {"fields": ["product", "warehouse", "warning_line", "reorder_qty", "method",
                                                  "alerted_at"]}),
            (_l("Computation"), {"fields": ["history_days", "lead_time_days", "safety_factor", "computed_at"]}),
        ],
        form_fieldsets=[
            (_l("Safety stock line"), {"fields": ["product", "warehouse", "warning_line", "reorder_qty"]}),
            (_l("Computation"), {"fields": ["history_days", "lead_time_days", "safety_factor"]}),
        ],
        add_columns=SAFETY_FORM,
        edit_columns=SAFETY_FORM,
        form_fields={
            "product": RemoteSelectField(_l("Product"), model=Product, url="/relation-search/safety_stock/product"),
            "warehouse": RemoteSelectField(_l("Warehouse"), model=Warehouse,
                                           url="/relation-search/safety_stock/warehouse"),
        },
        search_columns=["product", "warehouse", "method", "warning_line", "alerted_at"],
        order_columns=["warning_line", "reorder_qty", "method", "alerted_at", "updated_at"],
        export_columns=["product.sku", "product.name", "warehouse.name", "warning_line", "reorder_qty", "method",
                        "history_days", "lead_time_days", "safety_factor", "computed_at", "alerted_at"],
        api_columns=["id", "product_id", "product.sku", "product.name", "warehouse_id", "warehouse.name",
                     "warning_line", "reorder_qty", "method", "history_days", "lead_time_days", "safety_factor",
                     "computed_at", "alerted_at", "updated_at"],
        api_write_columns=["product_id", "warehouse_id", "warning_line", "reorder_qty", "history_days",
                           "lead_time_days", "safety_factor"],
        description_columns={
            "warning_line": _l("Below this available quantity (on hand − reserved) the warehouse and purchasing "
                               "are notified, once until stock recovers."),
            "safety_factor": _l("Service level factor, e.g. 1.65 for about 95%."),
        },
        status_tones={"manual": "default", "computed": "processing"},
        title_column="product",
        status_column="method",
        key_figures=["warning_line", "reorder_qty", "alerted_at"],
        card_columns=["warehouse", "warning_line", "reorder_qty", "alerted_at"],
        date_column="updated_at",
        actions=[
            ActionSpec(name="compute", label=_l("Compute from shipments"), handler=safety.compute,
                       confirmation=_l("Compute the warning line and reorder quantity of the selected lines from "
                                       "their shipments? Lines set by hand are replaced."), icon="fa-calculator"),
        ],
        service=safety.safety_stocks,
    ),
]


# -- 库存分析 ----------------------------------------------------------------------------------------
def _may(permission: str, view_name: str) -> bool:
    return bool(current_app.appbuilder.sm.has_access(f"can_{permission}", view_name))


def _int_arg(name, default=None, low=None, high=None):
    value = request.args.get(name, "")
    try:
        number = int(value) if str(value).strip() else default
    except (TypeError, ValueError):
        abort(400, _("Enter a whole number."))
    if number is not None and ((low is not None and number < low) or (high is not None and number > high)):
        abort(400, _("Enter a number from %(low)d to %(high)d.", low=low, high=high))
    return number


def _filters() -> analysis.Filters:
    return analysis.Filters(warehouse_id=_int_arg("warehouse"), category_id=_int_arg("category"),
                            days=_int_arg("days", 90, 7, 730))


def _fmt(value, places=None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        from app.core.webhooks import local_time

        return local_time(value, "%Y-%m-%d")
    if places == 2:
        return f"{Decimal(value):,.2f}"
    return format(Decimal(value).normalize(), "f") if isinstance(value, Decimal) else str(value)


SUGGESTION_COLUMNS = ["sku", "product", "warehouse", "available", "warning_line", "reorder_qty", "lead_time_days",
                      "forecast_lead", "quantity", "reason"]


def suggestion_labels():
    return [_("SKU"), _("Product name"), _("Warehouse"), _("Available"), _("Safety stock"), _("Reorder quantity"),
            _("Lead time (days)"), _("Forecast demand over the lead time"), _("Suggested quantity"), _("Reason")]


class InventoryAnalysisView(BaseView):
    """库存分析: stock value (with the values permission), turnover, days of cover, ABC, slow movers, a product's
    forecast and reorder suggestions, for one warehouse and category or all."""

    route_base = "/inventory_analysis"
    default_view = "index"
    matrix_label = _l("Inventory analysis")     # a column of the roles matrix page
    class_permission_name = ANALYSIS_PERMISSION
    method_permission_name = {"index": "read", "chart": "read", "forecast": "read", "suggestions": "export"}
    base_permissions = ["can_read", "can_export"]

    @expose("/")
    @has_access
    def index(self):
        filters = _filters()
        values = _may("read", VALUES_PERMISSION)
        product_id = _int_arg("product")
        product = db.session.get(Product, product_id) if product_id else None
        abc = analysis.abc(filters, limit=50)
        return self.render_template(
            "inventory_planning/analysis.html", title=_("Inventory analysis"), filters=filters, values=values,
            stock=analysis.stock_overview(filters, limit=50, by_value=values), abc=abc,
            slow=analysis.slow_movers(filters, limit=50),
            suggestions=analysis.reorder_suggestions(filters.warehouse_id, filters.category_id, limit=50),
            warehouses=db.session.execute(select(Warehouse.id, Warehouse.name).where(Warehouse.active.is_(True))
                                          .order_by(Warehouse.name)).all(),
            categories=db.session.execute(select(ProductCategory.id, ProductCategory.name)
                                          .order_by(ProductCategory.sort_order, ProductCategory.name).limit(500)).all(),
            product=product, fmt=_fmt, can_export=_may("export", ANALYSIS_PERMISSION),
            query=request.args.to_dict())

    @expose("/chart/<name>.json")
    @has_access
    def chart(self, name):
        filters = _filters()
        if name == "abc":
            abc = analysis.abc(filters, limit=0)
            data = [{"name": grade, "value": abc["counts"][grade]} for grade in ("A", "B", "C")]
            option = {"tooltip": {"trigger": "item"}, "legend": {"bottom": 0},
                      "title": {"text": _("Products by ABC class"), "left": "center"},
                      "series": [{"type": "pie", "radius": ["35%", "65%"], "data": data}]}
            return jsonify(option=option, table=[[d["name"], str(d["value"])] for d in data])
        if name == "value":
            if not _may("read", VALUES_PERMISSION):
                abort(403)
            rows = analysis.value_by_warehouse(filters)
            option = {"tooltip": {"trigger": "axis"}, "title": {"text": _("Stock value by warehouse"), "left": "center"},
                      "grid": {"left": 48, "right": 24, "bottom": 48, "containLabel": True},
                      "xAxis": {"type": "category", "data": [r[0] for r in rows]},
                      "yAxis": {"type": "value"}, "series": [{"type": "bar", "data": [str(r[1]) for r in rows]}]}
            return jsonify(option=option, table=[[r[0], f"{r[1]:,.2f}"] for r in rows])
        abort(404)

    @expose("/forecast/<int:product_id>.json")
    @has_access
    def forecast(self, product_id):
        product = db.session.get(Product, product_id)
        if product is None:
            abort(404)
        weeks, horizon = _int_arg("weeks", 26, 8, 104), _int_arg("horizon", 4, 1, 26)
        history, result = analysis.product_forecast(product_id, weeks=weeks, horizon=horizon,
                                                    warehouse_id=_int_arg("warehouse"))
        labels = [str(w - weeks) for w in range(weeks)] + [f"+{h}" for h in range(1, horizon + 1)]
        option = {
            "tooltip": {"trigger": "axis"}, "legend": {"bottom": 0},
            "title": {"text": _("Weekly shipments and forecast of %(product)s", product=str(product)), "left": "center"},
            "grid": {"left": 48, "right": 24, "bottom": 56, "containLabel": True},
            "xAxis": {"type": "category", "data": labels}, "yAxis": {"type": "value"},
            "series": [
                {"name": _("Shipped"), "type": "line", "data": [str(q) for q in history] + [None] * horizon},
                {"name": _("Forecast"), "type": "line", "lineStyle": {"type": "dashed"},
                 "data": [None] * (weeks - 1) + [str(history[-1])] + [str(v) for v in result.values]},
            ],
        }
        method = _("Holt's linear exponential smoothing") if result.method == "holt" else _("Moving average")
        table = [[_("Method"), method],
                 [_("Smoothing α / β"), f"{result.alpha} / {result.beta}" if result.alpha is not None else "—"],
                 [_("MAE on the last 4 weeks held out"), _fmt(result.mae)],
                 [_("MAPE on the last 4 weeks held out"), f"{result.mape}%" if result.mape is not None else "—"]]
        table += [[_("Week +%(n)d", n=n), str(v)] for n, v in enumerate(result.values, start=1)]
        return jsonify(option=option, table=table, method=result.method,
                       forecast=[str(v) for v in result.values],
                       mae=None if result.mae is None else str(result.mae),
                       mape=None if result.mape is None else str(result.mape))

    @expose("/suggestions.<fmt>")
    @has_access
    def suggestions(self, fmt):
        if fmt not in ("csv", "xlsx"):
            abort(404)
        filters = _filters()
        rows = analysis.reorder_suggestions(filters.warehouse_id, filters.category_id,
                                            limit=current_app.config["EXPORT_MAX_ROWS"])
        maker = exports.csv_response if fmt == "csv" else exports.xlsx_response
        return maker(exports.AggregateRows(rows), SUGGESTION_COLUMNS, suggestion_labels(), _("Reorder suggestions"), {},
                     current_app.config["EXPORT_MAX_ROWS"])


class InventoryValuesView(BaseView):
    """Cost and value figures of the analysis: a permission of their own (Sales reads quantities only)."""

    route_base = "/inventory_values"
    default_view = "by_warehouse"
    matrix_label = _l("Inventory cost and value")
    class_permission_name = VALUES_PERMISSION
    method_permission_name = {"by_warehouse": "read"}
    base_permissions = ["can_read"]

    @expose("/by_warehouse.json")
    @has_access
    def by_warehouse(self):
        rows = analysis.value_by_warehouse(_filters())
        return jsonify(rows=[{"warehouse": name, "value": str(value)} for name, value in rows])


def register_views(appbuilder) -> None:
    """The analysis page under 库存管理 (whoever may read inventory_analysis sees the menu entry)."""
    from app.core.registry import registry

    appbuilder.add_view(InventoryAnalysisView, "menu:inventory_analysis", label=_l("Inventory analysis"),
                        icon="fa-line-chart", category=MENU, category_label=INVENTORY, category_icon="fa-archive")
    appbuilder.add_view_no_menu(InventoryValuesView)
    names = registry.menu_names.setdefault(ANALYSIS_PERMISSION, [MENU])
    if "menu:inventory_analysis" not in names:
        names.append("menu:inventory_analysis")
