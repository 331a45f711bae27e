"""采购分析报表 (/purchase_analysis/): its page, chart and exports over app/modules/purchasing/analysis."""
from __future__ import annotations

from flask import request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core.datamodel import current_actor
from app.core.errors import ValidationErrors
from app.extensions import db


class PurchaseAnalysisView(BaseView):
    """/purchase_analysis/: 采购分析报表 — spend by month, category, supplier or department; the supplier ranking;
    savings versus the first quote; a product's price trend. Charts with their tables, exportable."""

    route_base = "/purchase_analysis"
    default_view = "index"
    class_permission_name = "purchase_orders"
    method_permission_name = {"index": "read", "chart": "read", "export": "export"}
    base_permissions = ["can_read", "can_export"]
    REPORTS = ("spend", "ranking", "savings", "trend")

    def _query(self):
        from app.modules.products.api import Product
        from app.modules.purchasing import analysis

        when = analysis.period(request.args.get("start"), request.args.get("end"))
        by = request.args.get("by") or "month"
        if by not in analysis.DIMENSIONS:
            raise ValidationErrors({"by": [_("Group the spend by month, product category, supplier or department.")]})
        raw = request.args.get("product", "")
        product = db.session.get(Product, int(raw)) if raw.isdigit() and int(raw) < 2 ** 31 else None
        if raw and product is None:
            raise ValidationErrors({"product": [_("Choose a product from the list.")]})
        return when, by, product

    def _tabs(self):
        from flask_babel import lazy_gettext as _l

        return {"spend": _l("Spend"), "trend": _l("Price trend"), "ranking": _l("Supplier performance ranking"),
                "savings": _l("Savings versus the first quote")}

    @expose("/")
    @has_access
    def index(self):
        """One report a page (a tab each), so that each reads only what it shows."""
        from urllib.parse import urlencode

        from flask import current_app

        from app.core.relation_search import endpoint_url
        from app.modules.purchasing import analysis

        tabs = self._tabs()
        report = request.args.get("report") or "spend"
        common = dict(title=_("Purchasing analysis"), form=request.args, dimensions=analysis.DIMENSIONS, tabs=tabs,
                      report=report if report in tabs else "spend",
                      filters={k: v[:20] for k, v in request.args.items() if k in ("start", "end", "by", "product")},
                      search_url=endpoint_url("supplier_quotes", "product"))
        try:
            if report not in tabs:
                raise ValidationErrors({"report": [_("Choose one of the reports shown.")]})
            when, by, product = self._query()
        except ValidationErrors as exc:
            return self.render_template("purchasing/analysis.html", errors=exc.errors, **common), 400
        actor = current_actor()
        shown = dict(spend=[], ranking=[], savings=[], saved=None, trend=[])
        if report == "spend":
            shown["spend"] = analysis.spend(actor, when, by)
        elif report == "ranking":
            shown["ranking"] = analysis.ranking(actor, when)
        elif report == "savings":
            shown["savings"], shown["saved"] = analysis.savings(actor, when)
        elif product is not None:
            shown["trend"] = analysis.price_trend(actor, when, product.id)
        return self.render_template(
            "purchasing/analysis.html", errors={}, when=when, by=by, product=product,
            query=urlencode(common["filters"]),
            can_export=current_app.appbuilder.sm.has_access("can_export", "purchase_orders"), **shown, **common)

    @expose("/chart.json")
    @has_access
    def chart(self):
        from flask import jsonify

        from app.modules.purchasing import analysis

        try:
            when, by, product = self._query()
        except ValidationErrors as exc:
            return jsonify(message=next(iter(exc.errors.values()))[0]), 400
        actor = current_actor()
        if request.args.get("chart") == "trend":
            if product is None:
                return jsonify(message=_("Choose a product from the list.")), 400
            points = analysis.price_trend(actor, when, product.id)
            return jsonify(option={
                "title": {"text": _("Price trend of %(product)s", product=product.name), "left": "center"},
                "tooltip": {"trigger": "axis"}, "legend": {"bottom": 0},
                "grid": {"left": 48, "right": 24, "bottom": 48, "containLabel": True},
                "xAxis": {"type": "category", "data": [p.month for p in points]}, "yAxis": {"type": "value"},
                "series": [{"type": "line", "name": _("Average unit price"),
                            "data": [float(p.average) for p in points]},
                           {"type": "line", "name": _("Lowest"), "data": [float(p.lowest) for p in points]},
                           {"type": "line", "name": _("Highest"), "data": [float(p.highest) for p in points]}],
            }, table=[])
        rows = analysis.spend(actor, when, by)[:20 if by != "month" else None]
        return jsonify(option={
            "title": {"text": _("Spend by %(dimension)s", dimension=analysis.DIMENSIONS[by]), "left": "center"},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "grid": {"left": 48, "right": 24, "bottom": 48, "containLabel": True},
            "xAxis": {"type": "category", "data": [row.name for row in rows],
                      "axisLabel": {"interval": 0, "rotate": 30 if len(rows) > 6 else 0}},
            "yAxis": {"type": "value"},
            "series": [{"type": "line" if by == "month" else "bar", "name": _("Spend"),
                        "data": [float(row.amount) for row in rows]}],
        }, table=[])

    @expose("/export.<fmt>")
    @has_access
    def export(self, fmt):
        from flask import abort, current_app, jsonify

        from app.core import exports
        from app.modules.purchasing import analysis

        report = request.args.get("report", "spend")
        if fmt not in ("csv", "xlsx") or report not in self.REPORTS:
            abort(404)
        try:
            when, by, product = self._query()
        except ValidationErrors as exc:
            return jsonify(message=next(iter(exc.errors.values()))[0]), 400
        actor = current_actor()
        if report == "spend":
            keys, labels = ["name", "orders", "amount"], [str(analysis.DIMENSIONS[by]), _("Orders"), _("Spend")]
            rows = [{"name": r.name, "orders": r.orders, "amount": r.amount} for r in analysis.spend(actor, when, by)]
        elif report == "ranking":
            keys = ["name", "grade", "score", "on_time_rate", "rejection_rate", "spend"]
            labels = [_("Supplier"), _("Rating grade"), _("Rating score"), _("On-time rate"), _("Rejection rate"),
                      _("Spend")]
            rows = [r.__dict__ for r in analysis.ranking(actor, when)]
        elif report == "savings":
            keys = ["name", "at_first_quote", "ordered", "saved"]
            labels = [_("Supplier"), _("At the first quote"), _("Ordered"), _("Saved")]
            found, total = analysis.savings(actor, when)
            rows = [{"name": r.name, "at_first_quote": r.at_first_quote, "ordered": r.ordered, "saved": r.saved}
                    for r in found + [total]]
        else:
            if product is None:
                return jsonify(message=_("Choose a product from the list.")), 400
            keys = ["month", "quantity", "average", "lowest", "highest"]
            labels = [_("Month"), _("Quantity"), _("Average unit price"), _("Lowest"), _("Highest")]
            rows = [p.__dict__ for p in analysis.price_trend(actor, when, product.id)]
        maker = exports.csv_response if fmt == "csv" else exports.xlsx_response
        return maker(exports.AggregateRows(rows), keys, labels, _("Purchasing analysis"), {},
                     current_app.config["EXPORT_MAX_ROWS"])
