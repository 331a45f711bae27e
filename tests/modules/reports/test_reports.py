"""报表中心: a report shows each reader only their data scope, drills from a group to the records behind it, is
refused (and not listed) to a role that may not read its module; favourites and charts pinned to the home page;
a report built without code by an admin, refused to others, bad choices answered in Chinese with nothing saved;
bad filters are a 400 in Chinese. The home workbench: expiring contracts, overdue receivables, stock alerts and
event tasks, each to those who may read them."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import func, select

from app.core.clock import company_today, utcnow
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.reports.models import ReportFavourite, SavedReport
from tests.conftest import unique
from tests.factories import make_customer, make_user
from tests.modules.orders.test_analysis import _confirmed


def _panel(html: str, key: str) -> str | None:
    found = re.search(rf'<section class="zwt-card zwt-home-panel[^"]*" id="zwt-home-{re.escape(key)}"[^>]*>(.*?)</section>',
                      html, re.S)
    return found.group(1) if found else None


def test_a_report_shows_each_reader_their_scope_and_drills_to_the_records(org, login):
    mine, _item = _confirmed(org, org.east_rep, "300.00")
    theirs, _other = _confirmed(org, org.south_rep, "500.00")

    rep = login(org.east_rep)
    data = rep.get("/reports/data/orders.sales_customer.json").get_json()
    assert len(data["table"]) == 1 and data["table"][0][1] == "300.00"
    assert data["drill"][0].startswith("/reports/rows/orders.sales_customer?key=")
    page = rep.get("/reports/view/orders.sales_customer").get_data(as_text=True)
    assert re.search(r'id="zwt-report-total">.*?300\.00', page, re.S)
    rows = rep.get(data["drill"][0]).get_data(as_text=True)
    assert mine.code in rows and theirs.code not in rows
    # the other rep's customer, asked for by hand: none of their orders shows
    other = rep.get(f"/reports/rows/orders.sales_customer?key={theirs.customer_id}").get_data(as_text=True)
    assert theirs.code not in other and "0 条记录" in other

    manager = login(org.manager).get("/reports/data/orders.sales_customer.json").get_json()
    assert sorted(v for _k, v in manager["table"]) == ["300.00", "500.00"]
    month = company_today().strftime("%Y-%m")
    by_month = login(org.manager).get(f"/reports/rows/orders.sales_month?key={month}").get_data(as_text=True)
    assert mine.code in by_month and theirs.code in by_month

    # Marketing may not read orders: the reports are neither listed nor served
    marketing = login(make_user("Marketing", org.company))
    assert "orders.sales_customer" not in marketing.get("/reports/").get_data(as_text=True)
    for path in ("/reports/view/orders.sales_customer", "/reports/data/orders.sales_customer.json",
                 f"/reports/rows/orders.sales_customer?key={mine.customer_id}", "/reports/export/orders.sales_customer.csv"):
        assert marketing.get(path).status_code == 404, path
    # ReadOnly reads but may not export
    readonly = login(org.readonly)
    assert readonly.get("/reports/view/orders.sales_customer").status_code == 200
    assert readonly.get("/reports/export/orders.sales_customer.csv").status_code in (403, 404)
    exported = rep.get("/reports/export/orders.sales_customer.xlsx")
    assert exported.status_code == 200 and exported.mimetype.endswith("spreadsheetml.sheet")


def test_bad_filters_are_a_400_in_chinese_and_unknown_reports_404(org, login):
    client = login(org.manager)
    bad = client.get("/reports/view/orders.sales_month?start=昨天")
    assert bad.status_code == 400 and "2026-05-31" in bad.get_data(as_text=True) and "请" in bad.get_data(as_text=True)
    backwards = client.get("/reports/data/orders.sales_month.json?start=2026-05-02&end=2026-05-01")
    assert backwards.status_code == 400 and "早于" in backwards.get_json()["message"]
    assert client.get("/reports/view/customers.overview?by=password").status_code == 400
    assert client.get("/reports/rows/orders.sales_month?key=2026-5").status_code == 400
    assert client.get("/reports/rows/orders.sales_customer?key=x' or 1=1").status_code == 400
    assert client.get("/reports/rows/customers.overview?by=owner&key=99999999999").status_code == 400
    assert client.get("/reports/view/nothing.here").status_code == 404
    assert client.get("/reports/view/saved.99999999999").status_code == 404
    assert client.get("/reports/export/orders.sales_month.pdfx").status_code == 404
    # a report with a page of its own opens that page
    numbers = client.get("/reports/view/invoices.numbers")
    assert numbers.status_code == 302 and numbers.headers["Location"].endswith("/invoices_numbers/")


def test_favourites_and_a_chart_pinned_to_the_home_page(org, login):
    _confirmed(org, org.east_rep, "300.00")
    client = login(org.east_rep)
    assert _panel(client.get("/").get_data(as_text=True), "pinned-reports") is None
    client.post("/reports/favourite/orders.sales_owner", data={"action": "star"})
    centre = client.get("/reports/").get_data(as_text=True)
    favourites = re.search(r'id="zwt-report-favourites">(.*?)</ul>', centre, re.S).group(1)
    assert "orders.sales_owner" in favourites and "orders.sales_month" not in favourites

    start = (company_today() - dt.timedelta(days=30)).isoformat()
    done = client.post("/reports/favourite/orders.sales_month", data={"action": "pin", "start": start,
                                                                      "next": "/reports/view/orders.sales_month"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/reports/view/orders.sales_month")
    home = client.get("/").get_data(as_text=True)
    pinned = _panel(home, "pinned-reports")
    assert pinned and f"/reports/data/orders.sales_month.json?start={start}" in pinned
    assert "echarts.min.js" in home
    chart = client.get(f"/reports/data/orders.sales_month.json?start={start}").get_json()
    assert chart["table"][-1][1] == "300.00"
    # nobody else sees one's pins
    assert _panel(login(org.east_rep2).get("/").get_data(as_text=True), "pinned-reports") is None
    client.post("/reports/favourite/orders.sales_month", data={"action": "unpin"})
    assert _panel(client.get("/").get_data(as_text=True), "pinned-reports") is None
    assert client.post("/reports/favourite/orders.sales_month", data={"action": "explode"}).status_code == 400
    client.post("/reports/favourite/orders.sales_month", data={"action": "unstar"})
    assert db.session.scalar(select(func.count()).select_from(ReportFavourite).where(
        ReportFavourite.user_id == org.east_rep.id)) == 1
    # a report one may not read cannot be starred
    assert login(make_user("Marketing", org.company)).post(
        "/reports/favourite/orders.sales_month", data={"action": "star"}).status_code == 404


def test_an_admin_builds_a_report_without_code_and_others_see_it_in_their_scope(org, login):
    for _ in range(2):
        make_customer(org.east_rep, industry="healthcare")
    make_customer(org.south_rep, industry="healthcare")
    admin = login(org.admin)
    name = unique("按行业客户数")
    form = {"module": "customers", "group_by": "industry", "measure": "count", "chart": "pie", "name": name}
    preview = admin.post("/reports/build", data={**form, "preview": "1"})
    assert preview.status_code == 200 and "zwt-preview-option" in preview.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SavedReport).where(SavedReport.name == name)) == 0

    before = db.session.scalar(select(func.count()).select_from(SavedReport))
    for bad, field in (({"measure": "sum:password"}, "度量"), ({"group_by": "name"}, "分组"), ({"name": " "}, "名称"),
                       ({"module": "ab_user"}, "模块"), ({"chart": "radar"}, "图表")):
        refused = admin.post("/reports/build", data={**form, **bad, "save": "1"})
        assert refused.status_code == 400 and "请" in refused.get_data(as_text=True), bad
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SavedReport)) == before

    saved = admin.post("/reports/build", data={**form, "save": "1"})
    assert saved.status_code == 302
    report = db.session.scalar(select(SavedReport).where(SavedReport.name == name))
    report_id = report.id
    assert saved.headers["Location"].endswith(f"/reports/view/saved.{report_id}")
    assert admin.post("/reports/build", data={**form, "save": "1"}).status_code == 400   # the name is taken

    rep = login(org.east_rep)
    assert name in rep.get("/reports/").get_data(as_text=True)
    owners = dict(rep.get("/reports/data/customers.overview.json?by=owner").get_json()["table"])
    # their own, by name (customers in the shared pool, anyone's to claim, have no owner)
    assert owners[org.east_rep.display_name] == "2" and org.south_rep.display_name not in owners
    shown = dict(rep.get(f"/reports/data/saved.{report_id}.json").get_json()["table"])
    assert shown["医疗健康"] == "2"
    assert rep.get(f"/reports/rows/saved.{report_id}?key=healthcare").get_data(as_text=True).count('data-id="') == 2
    # only admins build and remove
    assert rep.get("/reports/build").status_code in (302, 403)
    assert rep.post("/reports/build", data={**form, "name": unique("x"), "save": "1"}).status_code in (302, 403)
    assert rep.post(f"/reports/remove/{report_id}").status_code in (302, 403)
    assert db.session.get(SavedReport, report_id) is not None
    rep.post(f"/reports/favourite/saved.{report_id}", data={"action": "star"})
    assert admin.post(f"/reports/remove/{report_id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(SavedReport, report_id) is None
    assert db.session.scalar(select(func.count()).select_from(ReportFavourite).where(
        ReportFavourite.report == f"saved.{report_id}")) == 0


def test_the_workbench_shows_what_needs_each_user_today(org, login):
    from app.modules.contracts.models import EXPIRING, Contract
    from app.modules.events.plan_models import EventTask
    from app.modules.events.planning import event_tasks
    from app.modules.inventory.planning_models import SafetyStock
    from tests.modules.collections.test_reports import _invoice
    from tests.modules.contracts.helpers import make_contract
    from tests.modules.events.helpers import event
    from tests.modules.inventory.helpers import product, warehouse

    contract = make_contract(org.east_rep)
    with unit_of_work(None):
        row = db.session.get(Contract, contract.id)
        row.status, row.ends_on = EXPIRING, company_today() + dt.timedelta(days=10)
    overdue = _invoice(org, total="800.00", issued_days_ago=40, due_days_ago=10, owner=org.east_rep)
    marketer = make_user("Marketing", org.company)
    made = event(marketer, opened=False)
    event_tasks.create(marketer, EventTask(event_id=made.id, title="确认场地", owner_id=marketer.id,
                                           starts_on=company_today(), due_on=company_today()))
    item, wh = product(), warehouse()
    with unit_of_work(None):
        db.session.add(SafetyStock(product_id=item.id, warehouse_id=wh.id, warning_line=Decimal("10"), alerted_at=utcnow()))

    rep_home = login(org.east_rep).get("/").get_data(as_text=True)
    assert contract.code in _panel(rep_home, "contracts-expiring")
    assert overdue.code in _panel(rep_home, "receivables-overdue") and "10 天" in _panel(rep_home, "receivables-overdue")
    assert _panel(rep_home, "stock-alerts") is None and "确认场地" not in (_panel(rep_home, "event-tasks") or "")
    other_home = login(org.south_rep).get("/").get_data(as_text=True)
    assert contract.code not in (_panel(other_home, "contracts-expiring") or "")
    assert overdue.code not in (_panel(other_home, "receivables-overdue") or "")
    marketing_home = login(marketer).get("/").get_data(as_text=True)
    assert "确认场地" in _panel(marketing_home, "event-tasks")
    warehouse_home = login(make_user("Warehouse", org.company)).get("/").get_data(as_text=True)
    assert item.name in _panel(warehouse_home, "stock-alerts")
