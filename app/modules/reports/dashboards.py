"""Dashboards (仪表盘): pages of widgets over the reports centre's reports — a chart, or a KPI number with the
previous period beside it. One ships per role (经营驾驶舱 for management, sales, finance, warehouse, purchasing);
admins compose more by dragging reports onto a page. A reader sees the dashboards of their roles, and on each only
the widgets whose reports they may read, in their data scope."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _, lazy_pgettext
from sqlalchemy import select

from app.core import reports
from app.core.errors import ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.reports.models import Dashboard

KINDS = ("chart", "number")
WIDTHS = (1, 2)
MAX_WIDGETS = 24
REFRESH = (30, 3600)        # seconds: the shortest and longest redraw of a wall display

SHIPPED = {
    "management": (lazy_pgettext("dashboard", "Management cockpit"), "经营驾驶舱", "Manager", [
        ("orders.sales_month", "number", 1), ("invoices.summary", "number", 1), ("collections.aging", "number", 1),
        ("contracts.expiry", "number", 1), ("orders.sales_month", "chart", 2), ("orders.sales_department", "chart", 1),
        ("orders.sales_customer", "chart", 1), ("collections.rate", "chart", 2), ("customers.grades", "chart", 1),
        ("events.roi", "chart", 1)]),
    "sales": (lazy_pgettext("dashboard", "Sales dashboard"), "销售看板", "Sales", [
        ("orders.sales_month", "number", 1), ("contracts.expiry", "number", 1), ("orders.sales_month", "chart", 2),
        ("orders.sales_customer", "chart", 1), ("orders.sales_product", "chart", 1), ("customers.overview", "chart", 1),
        ("contracts.renewal_rate", "chart", 1)]),
    "finance": (lazy_pgettext("dashboard", "Finance dashboard"), "财务看板", "Finance", [
        ("invoices.summary", "number", 1), ("collections.aging", "number", 1), ("collections.rate", "chart", 2),
        ("collections.aging", "chart", 1), ("invoices.summary", "chart", 1)]),
    "warehouse": (lazy_pgettext("dashboard", "Warehouse dashboard"), "仓储看板", "Warehouse", [
        ("inventory.value", "number", 1), ("inventory.value", "chart", 1), ("inventory.turnover", "chart", 2)]),
    "purchasing": (lazy_pgettext("dashboard", "Purchasing dashboard"), "采购看板", "Purchasing", [
        ("purchasing.by_supplier", "number", 1), ("purchasing.by_supplier", "chart", 1),
        ("purchasing.by_category", "chart", 1), ("purchasing.suppliers", "chart", 2)]),
}


def title_of(dashboard: Dashboard) -> str:
    """A shipped dashboard's name in the reader's language; a composed one's as typed."""
    shipped = SHIPPED.get(dashboard.code or "")
    return str(shipped[0]) if shipped else dashboard.name


def ensure_shipped() -> list[str]:
    """The shipped dashboards the database does not have yet (`run.py init`)."""
    made = []
    with unit_of_work(None):
        have = set(db.session.scalars(select(Dashboard.code).where(Dashboard.code.isnot(None))))
        for code, (_label, name, role, widgets) in SHIPPED.items():
            if code not in have:
                db.session.add(Dashboard(code=code, name=name, role_name=role, layout=json.dumps(
                    [{"report": r, "kind": k, "width": w} for r, k, w in widgets])))
                made.append(name)
    return made


def widgets_of(dashboard: Dashboard) -> list[dict]:
    try:
        found = json.loads(dashboard.layout or "[]")
    except ValueError:
        return []
    return [w for w in found if isinstance(w, dict)] if isinstance(found, list) else []


def check_layout(raw: str, find) -> list[dict]:
    """The widgets of a layout sent by the editor (JSON), each naming a known report; ValidationErrors otherwise."""
    try:
        found = json.loads(raw or "[]")
    except ValueError:
        found = None
    if not isinstance(found, list):
        raise ValidationErrors({"layout": [_("The layout could not be read: reload the page and try again.")]})
    if len(found) > MAX_WIDGETS:
        raise ValidationErrors({"layout": [_("A dashboard holds at most %(n)d widgets.", n=MAX_WIDGETS)]})
    out = []
    for widget in found:
        if not isinstance(widget, dict):
            raise ValidationErrors({"layout": [_("The layout could not be read: reload the page and try again.")]})
        report = find(str(widget.get("report", ""))[:80])
        if report is None or not (report.compute is not None or report.dimensions):
            raise ValidationErrors({"layout": [_("Choose reports from the list on the left.")]})
        kind = widget.get("kind", "chart")
        width = widget.get("width", 1)
        if kind not in KINDS or width not in WIDTHS:
            raise ValidationErrors({"layout": [_("A widget is a chart or a number, one or two columns wide.")]})
        out.append({"report": report.name, "kind": kind, "width": width})
    return out


def save(actor, dashboard: Dashboard, name: str, role_name: str, layout: list[dict], refresh) -> Dashboard:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()[:100]
    if not name:
        errors["name"] = [_("Please enter the name.")]
    elif db.session.scalar(select(Dashboard.id).where(Dashboard.name == name, Dashboard.id != (dashboard.id or 0))):
        errors["name"] = [_("A dashboard of this name exists already.")]
    try:
        refresh = int(refresh)
    except (TypeError, ValueError):
        refresh = 0
    if not REFRESH[0] <= refresh <= REFRESH[1]:
        errors["refresh"] = [_("Redraw every %(low)d to %(high)d seconds.", low=REFRESH[0], high=REFRESH[1])]
    if role_name and role_name not in role_names():
        errors["role_name"] = [_("Choose a role from the list.")]
    if errors:
        raise ValidationErrors(errors)
    with unit_of_work(actor):
        dashboard.name, dashboard.role_name, dashboard.refresh = name, role_name or None, refresh
        dashboard.layout = json.dumps(layout, ensure_ascii=False)
        db.session.add(dashboard)
    return dashboard


def delete(actor, dashboard: Dashboard) -> None:
    with unit_of_work(actor):
        db.session.delete(dashboard)


def role_names() -> list[str]:
    from flask import current_app

    return [r.name for r in current_app.appbuilder.sm.get_all_roles()]


def visible(user, sm) -> list[Dashboard]:
    """The dashboards `user` sees: those of their roles and those for everyone (an admin: all)."""
    from app.core.scope import is_admin

    everything = list(db.session.scalars(select(Dashboard).order_by(Dashboard.id)))
    if is_admin(user):
        return everything
    mine = {r.name for r in user.roles}
    return [d for d in everything if d.role_name is None or d.role_name in mine]


# -- KPI numbers -----------------------------------------------------------------------------------
@dataclass
class Kpi:
    label: str
    value: object
    previous: object
    change: Decimal | None      # per cent against the previous period
    measure: reports.Measure
    as_of_now: bool = False     # a figure of today (what is owed): shown without a comparison


def _same_day(first: dt.date, day: int) -> dt.date:
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return min(first.replace(day=1) + dt.timedelta(days=day - 1), following - dt.timedelta(days=1))


def periods(today: dt.date) -> tuple[reports.Params, reports.Params]:
    """This month so far, and the previous month to the same day."""
    this = today.replace(day=1)
    last = (this - dt.timedelta(days=1)).replace(day=1)
    return reports.Params(this, today), reports.Params(last, _same_day(last, today.day))


def _figure(result: reports.Result, measure: reports.Measure):
    if result.total is not None and result.total.get(measure.name) is not None:
        return result.total[measure.name]
    values = [r.values.get(measure.name) for r in result.rows if r.values.get(measure.name) is not None]
    return sum(values) if values and measure.kind != reports.PERCENT else (values[-1] if values else None)


def kpi(report: reports.ReportSpec, actor, today: dt.date) -> Kpi:
    current, previous = periods(today)
    if report.figure is not None and report.as_of_now:
        measure, value = report.figure(actor, current)
        return Kpi(str(measure.label), value, None, None, measure, as_of_now=True)
    if report.figure is not None:       # the report's total alone, without its groups
        measure, value = report.figure(actor, current)
        _measure, earlier = report.figure(actor, previous)
    else:
        now = reports.run(report, actor, current)
        before = reports.run(report, actor, previous)
        measure = now.measures[0]
        value, earlier = _figure(now, measure), _figure(before, measure)
    change = None
    if value is not None and earlier:
        change = (Decimal(value) - Decimal(earlier)) * 100 / Decimal(earlier)
        change = change.quantize(Decimal("0.1"))
    return Kpi(str(measure.label), value, earlier, change, measure)
