"""客户分析报表 and a customer's profile page with its grade chart."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, current_app, flash, jsonify, render_template, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.core import exports
from app.core.charts import echarts_option
from app.core.datamodel import current_actor
from app.core.webhooks import local_time
from app.extensions import db
from app.modules.customers.models import INTERACTION_KINDS, Interaction
from app.modules.customers.screens import may as _may, parse_day as _parse_day, visible_customer as _visible_customer


# -- analysis and profile ----------------------------------------------------------------------
def profile_tab(spec, item):
    """The 客户画像 tab of a customer's page (and the body of its profile page)."""
    from app.modules.customers.grading import grade_history, grade_names
    from app.modules.customers.pool import is_inactive
    from app.modules.customers.service import local_date, local_today

    since = item.cooperating_since or (local_date(item.created_at) if item.created_at else None)
    months = None
    if since:
        today = local_today()
        months = (today.year - since.year) * 12 + today.month - since.month - (today.day < since.day)
    last = db.session.execute(select(Interaction).where(Interaction.customer_id == item.id)
                              .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(1)).scalar()
    return Markup(render_template(
        "customers/_profile.html", customer=item, months=months, since=since, last=last,
        inactive=is_inactive(item), history=list(reversed(grade_history(item.id, limit=20))),
        grade_names=grade_names(), kind_labels=dict(INTERACTION_KINDS)))


def _analysis_filters():
    from app.modules.customers.analysis import Filters

    errors: dict = {}
    filters = Filters(date_from=_parse_day(request.args.get("date_from", ""), errors, "date_from"),
                      date_to=_parse_day(request.args.get("date_to", ""), errors, "date_to"),
                      department_id=request.args.get("department", type=int))
    return filters, errors


class AnalysisView(BaseView):
    """客户分析: grade, industry, region, source, owner, new and lost per month."""

    route_base = "/customer_analysis"
    default_view = "index"
    class_permission_name = "customers"
    method_permission_name = {"index": "read", "data": "read", "export": "export"}
    base_permissions = ["can_read", "can_export"]

    @expose("/")
    @has_access
    def index(self):
        from app.modules.customers.analysis import CHARTS
        from app.security.registration_views import department_choices

        filters, errors = _analysis_filters()
        for messages in errors.values():
            for message in messages:
                flash(message, "danger")
        return self.render_template(
            "customers/analysis.html", title=_("Customer analysis report"), charts=CHARTS,
            query_string=urlencode({k: v for k, v in request.args.items() if v}),
            departments=department_choices(_l("(all departments)")), args=request.args,
            can_export=_may("export"))

    def _table(self, name):
        from app.modules.customers import analysis

        chart = analysis.BY_NAME.get(name)
        if chart is None:
            abort(404)
        filters, _errors = _analysis_filters()
        rows = analysis.rows(name, current_actor(), filters)
        label_of = analysis.labeller(name)
        return chart, rows, label_of

    @expose("/<name>.json")
    @has_access
    def data(self, name):
        chart, rows, label_of = self._table(name)
        option = echarts_option(chart, rows, label_of)
        return jsonify(option=option, table=[[label_of(k), str(v)] for k, v in rows])

    @expose("/<name>.<fmt>")
    @has_access
    def export(self, name, fmt):
        if fmt not in ("csv", "xlsx"):
            abort(404)
        chart, rows, label_of = self._table(name)
        table = exports.AggregateRows([{"key": label_of(k), "value": v} for k, v in rows])
        maker = exports.csv_response if fmt == "csv" else exports.xlsx_response
        return maker(table, ["key", "value"], [str(chart.key_label), _("Customers")], str(chart.title), {},
                     current_app.config["EXPORT_MAX_ROWS"])


class ProfileView(BaseView):
    """A customer's profile: totals, follow-up and the grade history as a chart."""

    route_base = "/customer_profile"
    class_permission_name = "customers"
    method_permission_name = {"show": "read", "grades": "read"}
    base_permissions = ["can_read"]

    @expose("/<int:pk>/")
    @has_access
    def show(self, pk):
        customer = _visible_customer(pk)
        return self.render_template("customers/profile_page.html", customer=customer,
                                    profile=profile_tab(None, customer),
                                    title=_("Profile of %(name)s", name=customer.name))

    @expose("/<int:pk>/grades.json")
    @has_access
    def grades(self, pk):
        from app.modules.customers.grading import grade_history, rules

        customer = _visible_customer(pk)
        order = [r.code for r in reversed(rules())]
        history = grade_history(customer.id)
        points = [[local_time(c.at, "%Y-%m-%d"), c.new_grade or "—"] for c in history]
        option = {
            "title": {"text": _("Grade history"), "left": "center"},
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 48, "right": 24, "bottom": 48, "containLabel": True},
            "xAxis": {"type": "category", "data": [p[0] for p in points]},
            "yAxis": {"type": "category", "data": ["—"] + order},
            "series": [{"type": "line", "step": "end", "data": [p[1] for p in points]}],
        }
        table = [[p[0], f"{c.old_grade or '—'} → {c.new_grade or '—'}", f"{c.paid_12m:,.2f}", str(c.months)]
                 for p, c in zip(points, history)]
        return jsonify(option=option, table=table)
