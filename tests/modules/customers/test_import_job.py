"""Large imports run as a background job in a real RQ worker against a real Redis: the page
polls its progress, and the job imports all rows, or none when a row has a problem."""
import io
import re

import pytest
from sqlalchemy import func, select

from app.core import jobs
from app.extensions import db
from app.modules.customers import importing
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.modules.customers.test_import import ZH_HEADERS, _csv, _xlsx


@pytest.fixture
def small_sync_limit(app, monkeypatch):
    """Files of more than 3 rows go to the job queue."""
    monkeypatch.setitem(app.config, "IMPORT_SYNC_ROWS", 3)


def _count(marker: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Customer).where(Customer.name.like(f"{marker}%")))


def _upload(client, data, filename):
    resp = client.post("/customers/import/upload", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    token = re.search(r"/customers/import/([\w-]+)/$", resp.headers["Location"]).group(1)
    return token


def test_a_large_file_is_imported_by_the_worker_while_the_page_shows_progress(org, login, job_env,
                                                                               small_sync_limit):
    marker = unique("后台导入")
    rows = [[f"{marker}-{i}", "企业", "", "", "", str(1000 + i), "", org.east_rep2.username, ""] for i in range(12)]
    client = login(org.manager)
    token = _upload(client, _xlsx(ZH_HEADERS, rows), "大文件.xlsx")
    page = client.get(f"/customers/import/{token}/").get_data(as_text=True)
    assert 'id="zwt-import-bar"' in page and "status.json" in page
    status = client.get(f"/customers/import/{token}/status.json").get_json()
    assert status["status"] == "queued" and status["rows"] == 12
    assert _count(marker) == 0

    run_worker_burst(job_env)
    status = client.get(f"/customers/import/{token}/status.json").get_json()
    assert status["status"] == "done" and status["created"] == 12 and status["processed"] == 12
    assert _count(marker) == 12
    owners = set(db.session.scalars(select(Customer.owner_id).where(Customer.name.like(f"{marker}%"))))
    assert owners == {org.east_rep2.id}
    done = client.get(f"/customers/import/{token}/").get_data(as_text=True)
    assert 'id="zwt-import-done"' in done and 'id="zwt-import-running" style="display:none"' in done


def test_a_large_file_with_one_bad_row_imports_nothing_and_lists_the_row(org, login, job_env, small_sync_limit):
    marker = unique("后台坏行")
    rows = [[f"{marker}-{i}", "", "", "", "", "", "", "", ""] for i in range(8)]
    rows[6][4] = "12345"  # row 8 of the sheet: not a phone number
    client = login(org.east_rep)
    token = _upload(client, _csv(ZH_HEADERS, rows, "gbk"), "坏行.csv")
    run_worker_burst(job_env)
    status = client.get(f"/customers/import/{token}/status.json").get_json()
    assert status["status"] == "rejected" and status["created"] == 0 and status["error_rows"] == 1
    page = client.get(f"/customers/import/{token}/").get_data(as_text=True)
    assert 'data-row="8"' in page and 'id="zwt-import-rejected"' in page
    assert _count(marker) == 0


def test_the_job_runs_as_the_uploader_and_only_once(org, app, login, job_env, small_sync_limit):
    marker = unique("只导一次")
    rows = [[f"{marker}-{i}", "", "", "", "", "", "", org.south_rep.username, ""] for i in range(5)]
    client = login(org.east_rep)  # own scope: may not hand customers to south_rep
    token = _upload(client, _csv(ZH_HEADERS, rows), "x.csv")
    jobs.queue(app.config).enqueue(importing.import_job, token)  # a second, late run
    run_worker_burst(job_env)
    status = client.get(f"/customers/import/{token}/status.json").get_json()
    assert status["status"] == "rejected" and status["error_rows"] == 5
    assert _count(marker) == 0

    rows = [[f"{marker}-ok-{i}", "", "", "", "", "", "", "", ""] for i in range(5)]
    token = _upload(client, _csv(ZH_HEADERS, rows), "y.csv")
    jobs.queue(app.config).enqueue(importing.import_job, token)
    run_worker_burst(job_env)
    assert _count(f"{marker}-ok") == 5  # not 10
    assert client.get(f"/customers/import/{token}/status.json").get_json()["created"] == 5
