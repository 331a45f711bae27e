"""报表中心 (/reports/): every report of every module the reader may read, by module, searchable, favourites
first; a report's page (filters, chart, table, drill-down, exports), its JSON for charts elsewhere (the home
page), the rows behind one of its groups, and the builder of reports made without code."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core import reports
from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.reports import service
from app.modules.reports.catalogue import SAVED, catalogue, drawable, find, may_export, readable, saved_spec
from app.modules.reports.files import formatted
from app.modules.reports.models import KIND_CHOICES, SavedReport

FILTER_ARGS = ("start", "end", "by")


def _filters_query(args, keep=FILTER_ARGS) -> str:
    return urlencode({k: (args.get(k) or "")[:20] for k in keep if args.get(k)})


def option_of(result: reports.Result, title: str = "") -> dict:
    """An ECharts option of the result's first measure over its rows."""
    measure = result.measures[0]
    names = [r.label for r in result.rows]
    values = [None if r.values.get(measure.name) is None else float(r.values[measure.name]) for r in result.rows]
    head = {"text": title, "left": "center"} if title else {}
    if result.chart == "pie":
        return {"title": head, "tooltip": {"trigger": "item"}, "legend": {"bottom": 0, "type": "scroll"},
                "series": [{"type": "pie", "radius": ["35%", "65%"], "name": str(measure.label),
                            "data": [{"name": n, "value": v} for n, v in zip(names, values)]}]}
    return {"title": head, "tooltip": {"trigger": "axis"},
            "grid": {"left": 48, "right": 24, "bottom": 48, "top": 40 if title else 16, "containLabel": True},
            "xAxis": {"type": "category", "data": names,
                      "axisLabel": {"interval": 0 if len(names) <= 12 else "auto", "rotate": 30 if len(names) > 6 else 0}},
            "yAxis": {"type": "value"},
            "series": [{"type": result.chart, "name": str(measure.label), "data": values,
                        "smooth": result.chart == "line"}]}


def drill_url(report: reports.ReportSpec, params: reports.Params, row: reports.Row) -> str:
    if report.compute is not None and (report.drill is None or not report.module):
        return row.link
    if row.key is None and report.compute is not None:
        return row.link
    args = {"key": "" if row.key is None else str(row.key)}
    for name in FILTER_ARGS:
        value = getattr(params, name, None)
        if value:
            args[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return url_for("ReportsView.rows", name=report.name) + "?" + urlencode(args)


class ReportsView(BaseView):
    route_base = "/reports"
    default_view = "index"
    class_permission_name = "reports"
    method_permission_name = {"index": "read", "show": "read", "data": "read", "rows": "read", "favourite": "read",
                              "subscribe": "export", "unsubscribe": "read", "export": "export", "build": "write",
                              "remove": "write", "export_rows": "export", "export_status": "export",
                              "export_file": "export"}
    base_permissions = ["can_read", "can_export", "can_write"]

    # -- the centre ------------------------------------------------------------------------------
    @expose("/")
    @has_access
    def index(self):
        sm = self.appbuilder.sm
        actor = current_actor()
        words = (request.args.get("q") or "").strip()[:50].lower()
        starred = service.favourites(actor)
        shown = [r for r in catalogue() if reports.permitted(r, sm)]
        if words:
            shown = [r for r in shown if all(w in " ".join((str(r.title), str(r.description), r.keywords,
                                                            reports.group_of(r))).lower() for w in words.split())]
        groups: dict[str, list] = {}
        for report in shown:
            groups.setdefault(reports.group_of(report), []).append(report)
        favourites = [r for r in shown if r.name in starred]
        from app.modules.reports import schedule
        from app.modules.reports.models import FORMAT_CHOICES, SCHEDULE_CHOICES

        titles = {r.name: str(r.title) for r in shown}
        subscriptions = [(s, titles.get(s.report, s.report)) for s in schedule.mine(actor)]
        return self.render_template("reports/centre.html", title=_("Reports centre"), groups=groups, q=words,
                                    subscriptions=subscriptions, schedules=dict(SCHEDULE_CHOICES),
                                    formats=dict(FORMAT_CHOICES),
                                    favourites=favourites, starred=starred, count=len(shown),
                                    can_build=sm.has_access("can_write", "reports"))

    # -- one report ------------------------------------------------------------------------------
    def _run(self, report):
        params = reports.parse_params(request.args, report)
        return params, reports.run(report, current_actor(), params)

    @expose("/view/<name>")
    @has_access
    def show(self, name):
        report = readable(name)
        starred = service.favourites(current_actor()).get(report.name)
        from app.modules.reports.models import FORMAT_CHOICES, SCHEDULE_CHOICES

        common = dict(title=str(report.title), report=report, args=request.args, starred=starred,
                      schedules=SCHEDULE_CHOICES, formats=FORMAT_CHOICES,
                      query=_filters_query(request.args), formatted=formatted,
                      can_export=may_export(report))
        if not drawable(report):
            return redirect(report.page)        # a page of its own (the numbering report)
        try:
            params, result = self._run(report)
        except (reports.ReportError, ValidationErrors, DomainError) as error:
            return self.render_template("reports/report.html", error=_message(error), result=None, params=None,
                                        links=[], **common), 400
        links = [drill_url(report, params, row) for row in result.rows]
        return self.render_template("reports/report.html", error="", result=result, params=params, links=links,
                                    **common)

    @expose("/data/<name>.json")
    @has_access
    def data(self, name):
        report = readable(name, drawn=True)
        try:
            params, result = self._run(report)
        except (reports.ReportError, ValidationErrors, DomainError) as error:
            return jsonify(message=_message(error)), 400
        measure = result.measures[0]
        return jsonify(option=option_of(result, str(report.title) if request.args.get("titled") else ""),
                       table=[[r.label, formatted(measure, r.values.get(measure.name))] for r in result.rows],
                       drill=[drill_url(report, params, row) for row in result.rows])

    @expose("/rows/<name>")
    @has_access
    def rows(self, name):
        """The module's rows behind one group of the report, in the reader's scope, 50 a page."""
        from app.core.exports import cell_value
        from app.core.registry import registry

        report = readable(name, drawn=True)
        if not report.module:
            abort(404)
        spec = registry.get(report.module)
        page = request.args.get("page", "1")
        page = int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1
        try:
            params = reports.parse_params(request.args, report)
            where = reports.drill_conditions(report, current_actor(), params, request.args.get("key", "")[:200])
        except (reports.ReportError, ValidationErrors, DomainError) as error:
            return self.render_template("reports/rows.html", title=str(report.title), report=report, error=_message(error),
                                        items=[], columns=[], labels=[], page=1, more=False, view=None,
                                        can_export=False, key="",
                                        back=url_for("ReportsView.show", name=name)), 400
        model = spec.model
        found = db.session.scalars(select(model).where(*where).order_by(model.id.desc())
                                   .offset((page - 1) * reports.DRILL_PAGE).limit(reports.DRILL_PAGE + 1)).all()
        counted = db.session.scalar(select(func.count()).select_from(
            select(model.id).where(*where).limit(1001).subquery()))
        view = registry.views.get(spec.name)
        formatters = dict(getattr(view, "formatters_columns", {}) or {})
        columns = [c for c in spec.list_columns if not c.startswith("custom")][:7]
        items = [[cell_value(item, c, formatters) for c in columns] + [item.id] for item in found[:reports.DRILL_PAGE]]
        labels = [str(spec.label_columns.get(c, c)) for c in columns]
        key = request.args.get("key", "")
        return self.render_template(
            "reports/rows.html", title=str(report.title), report=report, error="", items=items, columns=columns,
            labels=labels, page=page, more=len(found) > reports.DRILL_PAGE, view=view.__name__ if view else None,
            counted=counted, key=key, query=_filters_query(request.args, (*FILTER_ARGS, "key")),
            can_export=may_export(report),
            back=url_for("ReportsView.show", name=name) + "?" + _filters_query(request.args))

    @expose("/export/<name>.<fmt>")
    @has_access
    def export(self, name, fmt):
        from app.core import exports

        report = readable(name, drawn=True)
        if fmt not in ("csv", "xlsx", "pdf") or not may_export(report):
            abort(404)
        try:
            params, result = self._run(report)
        except (reports.ReportError, ValidationErrors, DomainError) as error:
            return jsonify(message=_message(error)), 400
        if fmt == "pdf":
            from flask import Response

            from app.core.clock import company_today
            from app.core.exports import _disposition
            from app.modules.reports import files

            data = files.pdf_bytes(report, result, params, current_actor().display_name)
            return Response(data, mimetype=files.PDF, headers={
                "Content-Disposition": _disposition(files.filename(report, company_today(), "pdf"))})
        maker = exports.csv_response if fmt == "csv" else exports.xlsx_response
        columns = ["key", *[m.name for m in result.measures]]
        labels = [result.key_label, *[str(m.label) for m in result.measures]]
        return maker(exports.AggregateRows(result.table()), columns, labels, str(report.title), {},
                     current_app.config["EXPORT_MAX_ROWS"])

    @expose("/favourite/<name>", methods=["POST"])
    @has_access
    def favourite(self, name):
        """Star or unstar a report; "pin" puts its chart (with the filters shown) on the reader's home page."""
        report = readable(name)
        action = request.form.get("action", "")
        if action not in ("star", "pin", "unpin", "unstar"):
            return jsonify(message=_("Choose to star, pin or remove the report.")), 400
        try:
            service.set_favourite(current_actor(), report.name, action != "unstar", pinned=action == "pin",
                                  query=_filters_query(request.form))
        except DomainError as error:
            flash(str(error.message), "danger")
            return redirect(request.referrer or url_for("ReportsView.index"))
        flash({"star": _("Added to your favourite reports."), "pin": _("Pinned to your home page."),
               "unpin": _("No longer on your home page."), "unstar": _("Removed from your favourites.")}[action], "success")
        back = request.form.get("next", "")
        return redirect(back if back.startswith("/") and not back.startswith("//") else url_for("ReportsView.index"))

    @expose("/subscribe/<name>", methods=["POST"])
    @has_access
    def subscribe(self, name):
        """Mail this report, with the filters shown, on a schedule."""
        from app.modules.reports import schedule

        report = readable(name, drawn=True)
        try:
            schedule.subscribe(current_actor(), report, request.form.get("schedule", ""), request.form.get("fmt", ""),
                               _filters_query(request.form), request.form.get("cron", ""))
        except DomainError as error:
            flash(_message(error), "danger")
            return redirect(url_for("ReportsView.show", name=name) + "?" + _filters_query(request.form)), 303
        flash(_("Subscribed: the report comes by mail on the schedule chosen."), "success")
        return redirect(url_for("ReportsView.index"))

    @expose("/unsubscribe/<int:subscription_id>", methods=["POST"])
    @has_access
    def unsubscribe(self, subscription_id: int):
        from app.modules.reports import schedule

        try:
            schedule.cancel(current_actor(), subscription_id if subscription_id < 2 ** 31 else 0)
        except DomainError as error:
            flash(_message(error), "danger")
            return redirect(url_for("ReportsView.index")), 303
        flash(_("Subscription cancelled."), "success")
        return redirect(url_for("ReportsView.index"))

    # -- the records behind a group, exported by a job -------------------------------------------------
    @expose("/rows/<name>/export", methods=["POST"])
    @has_access
    def export_rows(self, name):
        """Start the export of the rows behind a group (an RQ job); its page shows the progress."""
        from app.core import jobs as rq_jobs
        from app.modules.reports.exports import KEEP_SECONDS
        from app.modules.reports.jobs import export_report_rows

        report = readable(name, drawn=True)
        fmt = request.form.get("fmt", "xlsx")
        if not report.module or not may_export(report) or fmt not in ("xlsx", "csv"):
            abort(404)
        key = request.form.get("key", "")[:200]
        try:
            params = reports.parse_params(request.form, report)
            reports.drill_conditions(report, current_actor(), params, key)
        except (reports.ReportError, ValidationErrors, DomainError) as error:
            flash(_message(error), "danger")
            return redirect(url_for("ReportsView.show", name=name)), 303
        query = {k: (request.form.get(k) or "")[:20] for k in FILTER_ARGS if request.form.get(k)}
        job = rq_jobs.queue(current_app.config).enqueue(
            export_report_rows, current_actor().id, report.name, query, key, fmt, job_timeout=3600,
            result_ttl=KEEP_SECONDS, failure_ttl=KEEP_SECONDS,
            meta={"user_id": current_actor().id, "title": str(report.title), "done": 0, "total": None})
        return redirect(url_for("ReportsView.export_status", job_id=job.id))

    def _job(self, job_id: str):
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        from app.core import jobs as rq_jobs

        if not job_id.replace("-", "").isalnum() or len(job_id) > 64:
            abort(404)
        try:
            job = Job.fetch(job_id, connection=rq_jobs.redis_connection(current_app.config))
        except NoSuchJobError:
            abort(404)
        if job.meta.get("user_id") != current_actor().id:
            abort(404)
        return job

    @expose("/exports/<job_id>")
    @has_access
    def export_status(self, job_id: str):
        job = self._job(job_id)
        state = self._state(job)
        if request.args.get("format") == "json":
            return jsonify(state)
        return self.render_template("reports/export.html", title=_("Export: %(title)s", title=job.meta.get("title", "")),
                                    job_id=job.id, state=state)

    def _state(self, job) -> dict:
        status = job.get_status(refresh=True)
        status = getattr(status, "value", status)
        done, total = job.meta.get("done") or 0, job.meta.get("total")
        made = job.meta.get("file")
        return {"status": status, "done": done, "total": total,
                "percent": 100 if made else (int(done * 100 / total) if total else 0),
                "url": url_for("ReportsView.export_file", job_id=job.id) if made else "",
                "rows": made["rows"] if made else None,
                "failed": status == "failed"}

    @expose("/exports/<job_id>/file")
    @has_access
    def export_file(self, job_id: str):
        from flask import Response

        from app.core.exports import _disposition
        from app.core.files import store

        job = self._job(job_id)
        made = job.meta.get("file")
        if not made:
            abort(404)
        stream = store().open(made["key"])
        return Response(iter(lambda: stream.read(65536), b""), mimetype=made["type"],
                        headers={"Content-Disposition": _disposition(made["name"])})

    # -- the builder -----------------------------------------------------------------------------
    @expose("/build", methods=["GET", "POST"])
    @has_access
    def build(self):
        """Choose a module, a grouping, a measure and a chart; see it drawn; save it in the centre."""
        from app.core.registry import registry

        sm = self.appbuilder.sm
        modules = [(s.name, str(s.label_plural)) for s in registry.specs.values()
                   if service.buildable(s.name) and sm.has_access("can_read", s.permission_name)]
        form = request.form if request.method == "POST" else request.args
        chosen = form.get("module", "")
        if chosen not in {m for m, _l in modules}:
            chosen = ""
        groupings, measures = [], [("count", _("Count"))]
        if chosen:
            spec = registry.get(chosen)
            groupings = [(c, _("%(column)s, by month", column=label) if period else label)
                         for c, label, period in reports.groupable_columns(spec)]
            for column, label in reports.measurable_columns(spec):
                measures += [(f"sum:{column}", _("Sum of %(column)s", column=label)),
                             (f"avg:{column}", _("Average of %(column)s", column=label))]
        errors: dict = {}
        if request.method == "POST" and form.get("save"):
            item = SavedReport(name=form.get("name", ""), module=form.get("module", "")[:64],
                               group_by=form.get("group_by", "")[:64], measure=form.get("measure", "")[:80],
                               chart=form.get("chart", "")[:8], description=(form.get("description") or "")[:2000])
            try:
                service.save(current_actor(), item)
            except ValidationErrors as exc:
                errors = exc.errors
            else:
                flash(_("Report saved in the centre."), "success")
                return redirect(url_for("ReportsView.show", name=f"{SAVED}{item.id}"))
        preview = ""
        if chosen and form.get("group_by") in {c for c, _l in groupings} and \
                form.get("measure") in {m for m, _l in measures} and form.get("chart") in {k for k, _l in KIND_CHOICES}:
            probe = SavedReport(id=0, name="", module=chosen, group_by=form["group_by"], measure=form["measure"],
                                chart=form["chart"])
            spec = saved_spec(probe)
            if spec is not None:
                result = reports.run(spec, current_actor(), reports.Params())
                preview = option_of(result)
        status = 400 if errors else 200
        return self.render_template("reports/build.html", title=_("Build a report"), modules=modules, chosen=chosen,
                                    groupings=groupings, measures=measures, kinds=KIND_CHOICES, form=form,
                                    errors=errors, preview=preview), status

    @expose("/remove/<int:saved_id>", methods=["POST"])
    @has_access
    def remove(self, saved_id: int):
        saved = db.session.get(SavedReport, saved_id) if saved_id < 2 ** 31 else None
        if saved is None:
            abort(404)
        if not self.appbuilder.sm.has_access("can_delete", "reports"):
            abort(403)
        service.delete(current_actor(), saved)
        flash(_("Report removed."), "success")
        return redirect(url_for("ReportsView.index"))


def _message(error) -> str:
    if isinstance(error, ValidationErrors):
        return " ".join(str(m) for messages in error.errors.values() for m in messages)
    if isinstance(error, DomainError):
        return str(error.message)
    return str(error)


def register_views(appbuilder) -> None:
    from flask_babel import lazy_pgettext

    from app.core.registry import registry

    appbuilder.add_view(ReportsView, "menu:reports_centre", label=lazy_pgettext("menu", "Reports centre"),
                        icon="fa-bar-chart", category="menu:reports", category_label=lazy_pgettext("menu", "Reports"),
                        category_icon="fa-bar-chart")
    appbuilder.add_view(DashboardsView, "menu:dashboards", label=lazy_pgettext("menu", "Dashboards"),
                        icon="fa-dashboard", category="menu:reports")
    readers = registry.menu_names.setdefault("reports", ["menu:reports"])
    for name in ("menu:reports_centre", "menu:dashboards"):
        if name not in readers:
            readers.append(name)


class DashboardsView(BaseView):
    """/dashboards/: the dashboards of the reader's roles; one full-screen for a wall (?wall=1, redrawing itself);
    admins compose them by dragging reports onto the page (/dashboards/edit/<id>)."""

    route_base = "/dashboards"
    default_view = "index"
    class_permission_name = "reports"
    method_permission_name = {"index": "read", "show": "read", "edit": "write", "new": "write", "remove": "write"}
    base_permissions = ["can_read", "can_write"]

    def _visible(self, dashboard_id: int):
        from app.modules.reports import dashboards

        found = next((d for d in dashboards.visible(current_actor(), self.appbuilder.sm) if d.id == dashboard_id), None)
        if found is None:
            abort(404)
        return found

    @expose("/")
    @has_access
    def index(self):
        from app.modules.reports import dashboards

        shown = dashboards.visible(current_actor(), self.appbuilder.sm)
        return self.render_template("reports/dashboards.html", title=_("Dashboards"), dashboards=shown,
                                    title_of=dashboards.title_of, can_edit=self.appbuilder.sm.has_access("can_write", "reports"))

    @expose("/<int:dashboard_id>")
    @has_access
    def show(self, dashboard_id: int):
        from app.core.clock import company_today
        from app.modules.reports import dashboards

        dashboard = self._visible(dashboard_id) if dashboard_id < 2 ** 31 else abort(404)
        sm = self.appbuilder.sm
        actor = current_actor()
        current, _previous = dashboards.periods(company_today())
        month = urlencode({"start": current.start.isoformat(), "end": current.end.isoformat()})
        widgets = []
        for n, widget in enumerate(dashboards.widgets_of(dashboard)):
            report = find(str(widget.get("report", "")))
            if report is None or not reports.permitted(report, sm) or not drawable(report):
                continue
            item = {"n": n, "report": report, "kind": widget.get("kind"), "width": widget.get("width", 1),
                    "url": url_for("ReportsView.show", name=report.name)}
            if item["kind"] == "number":
                try:
                    item["kpi"] = dashboards.kpi(report, actor, company_today())
                except (reports.ReportError, ValidationErrors, DomainError) as error:
                    item["error"] = _message(error)
                item["url"] += "?" + month
            else:
                item["data_url"] = url_for("ReportsView.data", name=report.name)
            widgets.append(item)
        wall = request.args.get("wall") == "1"
        return self.render_template("reports/dashboard.html", title=dashboards.title_of(dashboard), dashboard=dashboard,
                                    widgets=widgets, wall=wall, formatted=formatted,
                                    can_edit=sm.has_access("can_write", "reports"))

    def _editor(self, dashboard, errors=None, layout=None):
        from app.modules.reports import dashboards

        sm = self.appbuilder.sm
        available = [r for r in catalogue() if drawable(r) and reports.permitted(r, sm)]
        current = layout if layout is not None else dashboards.widgets_of(dashboard)
        titles = {r.name: str(r.title) for r in available}
        return self.render_template(
            "reports/dashboard_edit.html", title=_("Compose the dashboard"), dashboard=dashboard, available=available,
            layout=[{**w, "title": titles.get(w.get("report"), w.get("report"))} for w in current],
            roles=dashboards.role_names(), errors=errors or {}, form=request.form, group_of=reports.group_of,
            title_of=dashboards.title_of, refresh=dashboards.REFRESH), 400 if errors else 200

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        from app.modules.reports.models import Dashboard

        return self._compose(Dashboard(layout="[]", refresh=300))

    @expose("/edit/<int:dashboard_id>", methods=["GET", "POST"])
    @has_access
    def edit(self, dashboard_id: int):
        from app.modules.reports.models import Dashboard

        dashboard = db.session.get(Dashboard, dashboard_id) if dashboard_id < 2 ** 31 else None
        if dashboard is None:
            abort(404)
        return self._compose(dashboard)

    def _compose(self, dashboard):
        from app.modules.reports import dashboards

        if request.method != "POST":
            return self._editor(dashboard)
        raw = request.form.get("layout", "")
        try:
            layout = dashboards.check_layout(raw, find)
            dashboards.save(current_actor(), dashboard, request.form.get("name", ""), request.form.get("role_name", ""),
                            layout, request.form.get("refresh", ""))
        except ValidationErrors as exc:
            db.session.rollback()
            try:
                shown = json.loads(raw)
                shown = [w for w in shown if isinstance(w, dict)] if isinstance(shown, list) else None
            except ValueError:
                shown = None
            return self._editor(dashboard, exc.errors, shown)
        flash(_("Dashboard saved."), "success")
        return redirect(url_for("DashboardsView.show", dashboard_id=dashboard.id))

    @expose("/remove/<int:dashboard_id>", methods=["POST"])
    @has_access
    def remove(self, dashboard_id: int):
        from app.modules.reports import dashboards
        from app.modules.reports.models import Dashboard

        dashboard = db.session.get(Dashboard, dashboard_id) if dashboard_id < 2 ** 31 else None
        if dashboard is None:
            abort(404)
        dashboards.delete(current_actor(), dashboard)
        flash(_("Dashboard removed."), "success")
        return redirect(url_for("DashboardsView.index"))
