"""/event_analysis/: 活动效果分析 — the events of a period compared (or one event), each with its registrations,
check-ins, new customers and contacts, attributed orders and revenue, cost and ROI; a chart with its table,
exportable."""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core.datamodel import current_actor
from app.core.errors import ValidationErrors

FILTERS = ("start", "end", "window", "kind", "event")


def _read():
    from app.modules.events import analysis

    q = analysis.query(request.args.get("start"), request.args.get("end"), request.args.get("window"),
                       request.args.get("kind"))
    raw = request.args.get("event", "")
    if raw and not (raw.isdigit() and 0 < int(raw) < 2 ** 31):
        raise ValidationErrors({"event": [_("Choose an event from the list.")]})
    return q, int(raw) if raw else None


def _columns():
    return [("code", _("Event number")), ("title", _("Event")), ("starts_at", _("Starts at")),
            ("registered", _("Registered")), ("checked_in", _("Checked in")), ("check_in_rate", _("Check-in rate (%)")),
            ("new_customers", _("New customers")), ("new_contacts", _("New contacts")), ("orders", _("Orders")),
            ("revenue", _("Revenue")), ("cost", _("Cost")), ("cost_per_registrant", _("Cost per registrant")),
            ("cost_per_customer", _("Cost per new customer")), ("roi", _("ROI (%)"))]


class EventAnalysisView(BaseView):
    route_base = "/event_analysis"
    default_view = "index"
    class_permission_name = "events"
    method_permission_name = {"index": "read", "chart": "read", "export": "export"}
    base_permissions = ["can_read", "can_export"]

    @expose("/")
    @has_access
    def index(self):
        from urllib.parse import urlencode

        from app.modules.events import analysis
        from app.modules.events.models import KIND_CHOICES

        filters = {k: v[:20] for k, v in request.args.items() if k in FILTERS}
        common = dict(title=_("Event effect analysis"), form=request.args, kinds=KIND_CHOICES, columns=_columns(),
                      query=urlencode(filters))
        try:
            q, event_id = _read()
        except ValidationErrors as exc:
            return self.render_template("events/analysis.html", errors=exc.errors, rows=[], total=None, q=None,
                                        **common), 400
        rows = analysis.effects(current_actor(), q, event_id)
        return self.render_template(
            "events/analysis.html", errors={}, rows=rows, total=analysis.totals(rows) if len(rows) > 1 else None,
            q=q, event_id=event_id, page=analysis.PAGE,
            can_export=current_app.appbuilder.sm.has_access("can_export", "events"), **common)

    @expose("/chart.json")
    @has_access
    def chart(self):
        from app.modules.events import analysis

        try:
            q, event_id = _read()
        except ValidationErrors as exc:
            return jsonify(message=next(iter(exc.errors.values()))[0]), 400
        rows = list(reversed(analysis.effects(current_actor(), q, event_id)))[-20:]
        names = [row.title for row in rows]
        return jsonify(option={
            "title": {"text": _("Effect of the events"), "left": "center"},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}}, "legend": {"bottom": 0},
            "grid": {"left": 48, "right": 48, "bottom": 64, "containLabel": True},
            "xAxis": {"type": "category", "data": names,
                      "axisLabel": {"interval": 0, "rotate": 30 if len(names) > 4 else 0}},
            "yAxis": [{"type": "value", "name": _("People")}, {"type": "value", "name": _("ROI (%)")}],
            "series": [{"type": "bar", "name": _("Registered"), "data": [row.registered for row in rows]},
                       {"type": "bar", "name": _("Checked in"), "data": [row.checked_in for row in rows]},
                       {"type": "bar", "name": _("New customers"), "data": [row.new_customers for row in rows]},
                       {"type": "line", "name": _("ROI (%)"), "yAxisIndex": 1,
                        "data": [float(row.roi) if row.roi is not None else None for row in rows]}],
        }, table=[])

    @expose("/export.<fmt>")
    @has_access
    def export(self, fmt):
        from flask import abort

        from app.core import exports
        from app.modules.events import analysis

        if fmt not in ("csv", "xlsx"):
            abort(404)
        try:
            q, event_id = _read()
        except ValidationErrors as exc:
            return jsonify(message=next(iter(exc.errors.values()))[0]), 400
        found = analysis.effects(current_actor(), q, event_id)
        rows = [row.as_row() for row in found] + ([analysis.totals(found).as_row()] if len(found) > 1 else [])
        keys, labels = zip(*_columns())
        maker = exports.csv_response if fmt == "csv" else exports.xlsx_response
        return maker(exports.AggregateRows(rows), list(keys), list(labels), _("Event effect analysis"), {},
                     current_app.config["EXPORT_MAX_ROWS"])
