"""审批统计 (/approval-statistics/): per chain and step, and per approver, over 本月/上月/本季度 or
custom dates, optionally one chain; a bar chart (vendored ECharts) and CSV export of each table.
Admins see it, and anyone granted can_read on ApprovalStatistics."""
from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Response, jsonify, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.workflow.models import WorkflowDefinition
from app.workflow.stats import PERIODS, period_bounds, statistics

STATISTICS = "ApprovalStatistics"


def _date(text):
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _filters():
    args = request.args
    period = args.get("period", "this_month")
    if period not in PERIODS:
        period = "this_month"
    start, end = _date(args.get("start")), _date(args.get("end"))
    error = None
    if period == "custom" and (start is None or end is None or end < start):
        error = _("Choose a start date and an end date not before it.")
    first, after = period_bounds(period, dt.date.today(), start, end)
    return {"period": period, "start": start, "end": end, "chain": args.get("chain") or None}, first, after, error


def _hours(value):
    return "" if value is None else f"{value:.1f}"


def _share(value):
    return "" if value is None else f"{value * 100:.1f}%"


def step_table(rows):
    head = [_("Approval chain"), _("Step"), _("Tasks"), _("Decided"), _("Median hours to decide"),
            _("90th percentile hours"), _("Overdue"), _("Rejected share")]
    return head, [[r.label, r.step, r.count, r.decided, _hours(r.median_hours), _hours(r.p90_hours), r.overdue,
                   _share(r.rejected_share)] for r in rows]


def approver_table(rows):
    head = [_("Approver"), _("Tasks decided"), _("Median hours to decide"), _("Open tasks"), _("Overdue")]
    return head, [[r.label, r.decided, _hours(r.median_hours), r.open, r.overdue] for r in rows]


class ApprovalStatisticsView(BaseView):
    route_base = "/approval-statistics"
    default_view = "index"
    class_permission_name = STATISTICS
    base_permissions = ["can_read"]
    method_permission_name = {"index": "read", "chart": "read", "export": "read"}

    @expose("/")
    @has_access
    def index(self):
        args, first, after, error = _filters()
        data = statistics(first, after, args["chain"]) if error is None else {"steps": [], "approvers": []}
        chains = list(db.session.execute(select(WorkflowDefinition.name, WorkflowDefinition.title)
                                          .order_by(WorkflowDefinition.title)))
        query = request.query_string.decode()
        return self.render_template(
            "workflow/statistics.html", title=_("Approval statistics"), args=args, error=error, chains=chains,
            first=first, last=after - dt.timedelta(days=1), steps=step_table(data["steps"]),
            approvers=approver_table(data["approvers"]), query=query,
            periods=[("this_month", _("This month")), ("last_month", _("Last month")),
                     ("this_quarter", _("This quarter")), ("custom", _("Custom dates"))],
            chart_url=url_for("ApprovalStatisticsView.chart") + ("?" + query if query else "")), 400 if error else 200

    @expose("/chart")
    @has_access
    def chart(self):
        args, first, after, error = _filters()
        if error:
            return jsonify(message=error), 400
        rows = statistics(first, after, args["chain"])["steps"]
        labels = [f"{r.label} · {r.step}" for r in rows]
        option = {"tooltip": {"trigger": "axis"}, "legend": {},
                  "grid": {"containLabel": True, "left": 8, "right": 8},
                  "xAxis": {"type": "category", "data": labels, "axisLabel": {"interval": 0, "rotate": 30}},
                  "yAxis": {"type": "value", "name": _("Hours")},
                  "series": [{"type": "bar", "name": _("Median hours to decide"),
                              "data": [round(r.median_hours or 0, 1) for r in rows]},
                             {"type": "bar", "name": _("90th percentile hours"),
                              "data": [round(r.p90_hours or 0, 1) for r in rows]}]}
        return jsonify(option=option, table=[])

    @expose("/export/<table>.csv")
    @has_access
    def export(self, table):
        args, first, after, error = _filters()
        if error:
            return Response(error, status=400, mimetype="text/plain")
        if table not in ("steps", "approvers"):
            return Response(_("There is no such table."), status=404, mimetype="text/plain")
        data = statistics(first, after, args["chain"])
        head, rows = (step_table if table == "steps" else approver_table)(data[table])
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(head)
        writer.writerows(rows)
        name = f"approval-{table}-{first.isoformat()}-{(after - dt.timedelta(days=1)).isoformat()}.csv"
        return Response(out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}"})
