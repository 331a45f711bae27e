"""Which reports exist: the modules' declared ones (app/core/reports.all_reports) and the reports built in the
centre without code, each a ReportSpec; looked up by name for the screens, jobs and dashboards."""
from __future__ import annotations

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.core import reports
from app.extensions import db
from app.modules.reports import service
from app.modules.reports.models import SavedReport

SAVED = "saved."


def saved_spec(saved: SavedReport) -> reports.ReportSpec | None:
    """A report built in the centre as a ReportSpec of the generic engine (None when its module is gone)."""
    from app.core.registry import registry

    if not service.buildable(saved.module):
        return None
    spec = registry.get(saved.module)
    labels = {c: (label, period) for c, label, period in reports.groupable_columns(spec)}
    if saved.group_by not in labels:
        return None
    label, period = labels[saved.group_by]
    how, _sep, column = saved.measure.partition(":")
    numbers = dict(reports.measurable_columns(spec))
    if saved.measure == "count":
        measure = reports.Measure("value", _("Count"))
    elif column in numbers:
        money = isinstance(spec.model.__table__.columns[column].type, db.Numeric) and \
            spec.model.__table__.columns[column].type.scale == 2
        measured = (_("Sum of %(column)s", column=numbers[column]) if how == "sum"
                    else _("Average of %(column)s", column=numbers[column]))
        measure = reports.Measure("value", measured, saved.measure, reports.MONEY if money else reports.NUMBER)
    else:
        return None
    return reports.ReportSpec(
        name=f"{SAVED}{saved.id}", title=saved.name, module=saved.module, group=_("Built reports"),
        description=saved.description or "", dimensions=(reports.Dimension("key", label, saved.group_by, period),),
        measures=(measure,), date_column=spec.date_column, chart=saved.chart, saved_id=saved.id, order=100)


def catalogue() -> list[reports.ReportSpec]:
    """Every report: the modules' declared ones, then the built ones."""
    built = [saved_spec(s) for s in db.session.scalars(select(SavedReport).order_by(SavedReport.name))]
    return reports.all_reports() + [r for r in built if r is not None]


def find(name: str) -> reports.ReportSpec | None:
    if name.startswith(SAVED):
        raw = name[len(SAVED):]
        saved = db.session.get(SavedReport, int(raw)) if raw.isdigit() and int(raw) < 2 ** 31 else None
        return saved_spec(saved) if saved is not None else None
    return next((r for r in reports.all_reports() if r.name == name), None)


def readable(name: str, drawn: bool = False) -> reports.ReportSpec:
    """The report `name` when the signed-in user may read it, else 404 (an unknown one looks the same); with
    `drawn`, only a report this centre draws (not a module's page of its own)."""
    report = find(name)
    if report is None or not reports.permitted(report, current_app.appbuilder.sm):
        abort(404)
    if drawn and not drawable(report):
        abort(404)
    return report


def may_export(report: reports.ReportSpec) -> bool:
    """Exporting a report needs the centre's export and, for a module's report, that module's export too."""
    sm = current_app.appbuilder.sm
    return sm.has_access("can_export", "reports") and (
        not report.module or sm.has_access("can_export", reports.permission_of(report)))


def drawable(report: reports.ReportSpec) -> bool:
    return report.compute is not None or bool(report.dimensions)
