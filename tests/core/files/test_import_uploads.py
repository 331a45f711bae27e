"""The customer import's uploads wait in the file store: a worker on another machine (its own
instance folder, the same S3 store) imports a file the web process received."""
from __future__ import annotations

import os

from app.core.files import store
from tests.conftest import unique
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.modules.customers.test_import import ZH_HEADERS, _xlsx
from tests.modules.customers.test_import_job import _count, _upload, small_sync_limit  # noqa: F401 (fixture)


def test_a_worker_on_another_machine_imports_an_upload_from_the_store(org, login, app, job_env, small_sync_limit,
                                                                      s3_bucket, monkeypatch, tmp_path):
    url, endpoint = s3_bucket
    monkeypatch.setitem(app.config, "FILE_STORE", url)
    monkeypatch.setitem(app.config, "FILE_STORE_ENDPOINT", endpoint)
    marker = unique("异地导入")
    rows = [[f"{marker}-{i}", "企业", "", "", "", str(2000 + i), "", org.east_rep2.username, ""] for i in range(6)]
    client = login(org.manager)
    token = _upload(client, _xlsx(ZH_HEADERS, rows), "异地.xlsx")
    key = f"imports/{token}.xlsx"
    assert store().exists(key)

    elsewhere = dict(job_env)
    elsewhere.update(ZWT_INSTANCE_DIR=str(tmp_path / "other-machine"), FILE_STORE=url, FILE_STORE_ENDPOINT=endpoint,
                     AWS_ACCESS_KEY_ID=os.environ["AWS_ACCESS_KEY_ID"],
                     AWS_SECRET_ACCESS_KEY=os.environ["AWS_SECRET_ACCESS_KEY"],
                     AWS_DEFAULT_REGION=os.environ["AWS_DEFAULT_REGION"])
    (tmp_path / "other-machine").mkdir()
    run_worker_burst(elsewhere)

    status = client.get(f"/customers/import/{token}/status.json").get_json()
    assert status["status"] == "done" and status["created"] == 6
    assert _count(marker) == 6
    assert not store().exists(key)   # an imported file does not stay
