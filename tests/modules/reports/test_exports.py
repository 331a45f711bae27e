"""The records behind a report's group exported by a real RQ worker: the page shows the progress and then the
download; the file holds exactly the reader's records, names instead of ids; the notification centre has the link;
nobody else may fetch it; a reader who may not export, or a bad group, starts nothing."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.core.notify import Notification
from app.extensions import db
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.factories import make_user
from tests.modules.orders.test_analysis import _confirmed


def test_the_rows_behind_a_group_are_exported_by_a_worker(org, login, app, job_env):
    mine, _item = _confirmed(org, org.east_rep, "300.00")
    theirs, _other = _confirmed(org, org.south_rep, "500.00")
    rep = login(org.east_rep)
    rows_page = rep.get(f"/reports/rows/orders.sales_customer?key={mine.customer_id}").get_data(as_text=True)
    assert "/reports/rows/orders.sales_customer/export" in rows_page
    started = rep.post("/reports/rows/orders.sales_customer/export", data={"key": str(mine.customer_id), "fmt": "xlsx"})
    assert started.status_code == 302
    status_url = started.headers["Location"]
    job_id = status_url.rstrip("/").rsplit("/", 1)[1]
    page = rep.get(status_url).get_data(as_text=True)
    assert "progress-bar" in page and "通知中心" in page
    assert rep.get(status_url + "?format=json").get_json()["url"] == ""
    run_worker_burst(job_env)

    state = rep.get(status_url + "?format=json").get_json()
    assert state["percent"] == 100 and state["rows"] == 1 and state["url"].endswith(f"/exports/{job_id}/file")
    download = rep.get(state["url"])
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    values = [c for row in load_workbook(io.BytesIO(download.data)).active.iter_rows(values_only=True) for c in row]
    assert mine.code in values and theirs.code not in values
    assert org.east_rep.display_name in values          # the owner by name, not by id
    db.session.expire_all()
    note = db.session.scalar(select(Notification).where(Notification.user_id == org.east_rep.id)
                             .order_by(Notification.id.desc()))
    assert "导出完成" in note.title and note.link.endswith(f"/exports/{job_id}/file")

    # nobody else fetches it
    other = login(org.east_rep2)
    assert other.get(status_url).status_code == 404 and other.get(state["url"]).status_code == 404
    assert rep.get("/reports/exports/nothing-here").status_code == 404


def test_no_export_job_for_who_may_not_or_a_bad_group(org, login, app):
    from app.core import jobs

    queue = jobs.queue(app.config)
    before = queue.count
    marketing = login(make_user("Marketing", org.company))
    assert marketing.post("/reports/rows/orders.sales_customer/export", data={"key": "1", "fmt": "xlsx"}).status_code == 404
    readonly = login(org.readonly)
    assert readonly.post("/reports/rows/orders.sales_customer/export",
                         data={"key": "1", "fmt": "xlsx"}).status_code in (403, 404)
    rep = login(org.east_rep)
    bad = rep.post("/reports/rows/orders.sales_month/export", data={"key": "2026-13", "fmt": "xlsx"})
    assert bad.status_code == 303
    assert "2026-05" in rep.get(bad.headers["Location"]).get_data(as_text=True)
    assert rep.post("/reports/rows/orders.sales_month/export", data={"key": "2026-05", "fmt": "exe"}).status_code == 404
    assert queue.count == before


def test_an_exported_file_names_choices_in_chinese_and_never_runs_a_formula(org, app):
    """Every cell as a reader sees it: a status by its label, an owner by name, and text that a spreadsheet would
    take for a formula written so that it shows and never runs."""
    import csv

    from flask_babel import force_locale

    from app.core import reports
    from app.core.files import store
    from app.modules.reports import exports
    from app.modules.reports.catalogue import saved_spec
    from app.modules.reports.models import SavedReport
    from tests.conftest import unique
    from tests.factories import make_customer

    rep = make_user("Sales", org.east)
    formula = f"=HYPERLINK(\"http://x\",\"{unique('f')}\")"
    make_customer(rep, name=formula, status="active")
    make_customer(rep, name=unique("plain"), status="lost")
    report = saved_spec(SavedReport(id=0, name="t", module="customers", group_by="owner_id", measure="count"))
    with app.test_request_context(), force_locale("zh_CN"):
        made = exports.export_rows(None, rep, report, reports.Params(), str(rep.id), "csv")
        text = store().read(made["key"]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert made["rows"] == 2 and len(rows) == 3
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + formula in cells and formula not in cells
    assert "活跃" in cells and "流失" in cells and "active" not in cells
    assert rep.display_name in cells
