"""Dashboards: one shipped per role, each shown to that role's members (admins see all); a Sales user's dashboard
shows only their numbers, with last month beside this one; the wall display redraws itself; an admin composes a
dashboard (bad layouts refused in Chinese, nothing saved), nobody else may; a widget whose report the reader may
not read is left out."""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

from sqlalchemy import func, select

from app.core import reports
from app.core.clock import company_today
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.orders.models import SalesOrder
from app.modules.reports import dashboards
from app.modules.reports.models import Dashboard
from tests.conftest import unique
from tests.factories import make_user
from tests.modules.orders.test_analysis import _confirmed


def _shipped(code: str) -> Dashboard:
    return db.session.scalar(select(Dashboard).where(Dashboard.code == code))


def test_each_role_sees_its_shipped_dashboard_with_its_own_numbers(org, login):
    assert {d.code for d in db.session.scalars(select(Dashboard).where(Dashboard.code.isnot(None)))} == set(dashboards.SHIPPED)
    mine, _item = _confirmed(org, org.east_rep, "300.00")
    _confirmed(org, org.south_rep, "500.00")
    last_month = (company_today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    earlier, _item2 = _confirmed(org, org.east_rep, "120.00")
    with unit_of_work(None):
        db.session.get(SalesOrder, earlier.id).order_date = last_month

    rep = login(org.east_rep)
    listed = rep.get("/dashboards/").get_data(as_text=True)
    sales = _shipped("sales")
    assert f"/dashboards/{sales.id}" in listed and f"/dashboards/{_shipped('management').id}" not in listed
    assert rep.get(f"/dashboards/{_shipped('finance').id}").status_code == 404
    page = rep.get(f"/dashboards/{sales.id}").get_data(as_text=True)
    first = re.search(r'data-report="orders.sales_month">.*?data-kpi>([^<]+)<.*?上月同期: ([^<\s]+)', page, re.S)
    assert first.group(1) == "300.00" and first.group(2) == "120.00"
    kpi = dashboards.kpi(next(r for r in reports.all_reports() if r.name == "orders.sales_month"), org.east_rep,
                         company_today())
    assert kpi.value == Decimal("300.00") and kpi.previous == Decimal("120.00") and kpi.change == Decimal("150.0")

    manager = login(org.manager)
    cockpit = manager.get(f"/dashboards/{_shipped('management').id}").get_data(as_text=True)
    assert "经营驾驶舱" in cockpit and re.search(r'data-report="orders.sales_month">.*?data-kpi>800\.00<', cockpit, re.S)
    # what is owed is today's figure: shown as of today, with no last month beside it
    owed = re.search(r'data-report="collections.aging">(.*?)</section>', cockpit, re.S)
    assert owed and "截至今日" in owed.group(1) and "上月同期" not in owed.group(1), cockpit
    admin_list = login(org.admin).get("/dashboards/").get_data(as_text=True)
    assert all(f"/dashboards/{_shipped(code).id}" in admin_list for code in dashboards.SHIPPED)

    wall = rep.get(f"/dashboards/{sales.id}?wall=1").get_data(as_text=True)
    assert f'<meta http-equiv="refresh" content="{sales.refresh}">' in wall and 'id="zwt-wall"' in wall
    assert 'data-refresh="' in wall and "zwt-sidebar" not in wall


def test_an_admin_composes_a_dashboard_and_bad_layouts_change_nothing(org, login):
    admin = login(org.admin)
    before = db.session.scalar(select(func.count()).select_from(Dashboard))
    name = unique("回款看板")
    good = json.dumps([{"report": "collections.aging", "kind": "number", "width": 1},
                       {"report": "events.roi", "kind": "chart", "width": 2}])
    for layout, word in (("[{", "无法读取"), (json.dumps([{"report": "nothing", "kind": "chart", "width": 1}]), "左侧"),
                         (json.dumps([{"report": "orders.sales_month", "kind": "map", "width": 1}]), "图表或数字"),
                         (json.dumps([{"report": "invoices.numbers", "kind": "chart", "width": 1}]), "左侧"),
                         (json.dumps([{"report": "orders.sales_month", "kind": "chart", "width": 1}] * 25), "最多")):
        refused = admin.post("/dashboards/new", data={"name": name, "role_name": "Finance", "refresh": "60", "layout": layout})
        assert refused.status_code == 400 and word in refused.get_data(as_text=True), layout[:40]
    for field, value, word in (("refresh", "5", "秒"), ("role_name", "Boss", "角色"), ("name", " ", "名称")):
        data = {"name": name, "role_name": "Finance", "refresh": "60", "layout": good, field: value}
        refused = admin.post("/dashboards/new", data=data)
        assert refused.status_code == 400 and word in refused.get_data(as_text=True), field
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Dashboard)) == before

    saved = admin.post("/dashboards/new", data={"name": name, "role_name": "Finance", "refresh": "60", "layout": good})
    assert saved.status_code == 302
    made = db.session.scalar(select(Dashboard).where(Dashboard.name == name))
    made_id = made.id
    assert [w["report"] for w in dashboards.widgets_of(made)] == ["collections.aging", "events.roi"]
    finance = login(org.finance_user).get(f"/dashboards/{made_id}").get_data(as_text=True)
    assert 'data-report="collections.aging"' in finance
    # Finance may not read events: that widget is left out for them
    assert 'data-report="events.roi"' not in finance
    assert login(org.east_rep).get(f"/dashboards/{made_id}").status_code == 404
    # only admins compose and remove
    rep = login(org.east_rep)
    assert rep.get("/dashboards/new").status_code in (302, 403)
    assert rep.post(f"/dashboards/edit/{made_id}", data={"name": "x", "refresh": "60", "layout": "[]"}).status_code in (302, 403)
    assert rep.post(f"/dashboards/remove/{made_id}").status_code in (302, 403)
    assert admin.get(f"/dashboards/edit/{made_id}").status_code == 200
    assert admin.post(f"/dashboards/remove/{made_id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Dashboard, made_id) is None
    assert admin.get("/dashboards/99999999999").status_code == 404


def test_a_marketing_user_sees_no_widget_of_a_module_they_may_not_read(org, login):
    with unit_of_work(None):
        made = Dashboard(name=unique("全员看板"), role_name=None, layout=json.dumps(
            [{"report": "orders.sales_month", "kind": "number", "width": 1},
             {"report": "events.roi", "kind": "chart", "width": 1}]))
        db.session.add(made)
    page = login(make_user("Marketing", org.company)).get(f"/dashboards/{made.id}").get_data(as_text=True)
    assert 'data-report="events.roi"' in page and 'data-report="orders.sales_month"' not in page


def test_a_reports_kpi_figure_is_the_total_its_full_run_shows(org, ctx):
    """Reports that give a dashboard their total alone (without their groups) give the same number as the report's
    own total, in each reader's scope and period."""
    _confirmed(org, org.east_rep, "210.00")
    _confirmed(org, org.south_rep, "90.00")
    today = company_today()
    figured = [r for r in reports.all_reports() if r.figure is not None]
    assert {"orders.sales_month", "orders.sales_customer", "collections.aging"} <= {r.name for r in figured}
    for actor in (org.admin, org.manager, org.east_rep, org.south_rep):
        for params in (*dashboards.periods(today), reports.Params()):
            for report in figured:
                measure, value = report.figure(actor, params)
                result = reports.run(report, actor, params)
                assert value == dashboards._figure(result, result.measures[0]), (report.name, actor, params)
                assert measure.name == result.measures[0].name
