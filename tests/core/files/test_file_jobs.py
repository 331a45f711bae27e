"""The attachment jobs, run by a real RQ worker process (`run.py worker --burst`): image
thumbnails, and the files of deleted records removed from the store — on both backends."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.core import jobs
from app.core.files import store
from app.core.files.models import Attachment, Blob
from app.extensions import db
from tests.conftest import unique
from tests.core.files.test_attachments import PDF, png_bytes
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.factories import make_customer


@pytest.fixture(params=["folder", "s3"])
def worker_env(request, app, job_env, monkeypatch):  # noqa: F811
    """The worker's environment, naming the same file store as the app."""
    env = dict(job_env)
    if request.param == "s3":
        url, endpoint = request.getfixturevalue("s3_bucket")
        monkeypatch.setitem(app.config, "FILE_STORE", url)
        monkeypatch.setitem(app.config, "FILE_STORE_ENDPOINT", endpoint)
        import os

        env.update(FILE_STORE=url, FILE_STORE_ENDPOINT=endpoint, AWS_ACCESS_KEY_ID=os.environ["AWS_ACCESS_KEY_ID"],
                   AWS_SECRET_ACCESS_KEY=os.environ["AWS_SECRET_ACCESS_KEY"],
                   AWS_DEFAULT_REGION=os.environ["AWS_DEFAULT_REGION"])
    else:
        env.pop("FILE_STORE", None)
    return env


def _empty_queue(app):
    jobs.queue(app.config).empty()


def test_an_uploaded_image_gets_its_thumbnail_from_the_worker(org, login, app, worker_env):
    from PIL import Image

    _empty_queue(app)
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    photo = png_bytes((800, 400), (10, 120, 200))
    client.post(f"/attachments/customers/{customer.id}/upload", content_type="multipart/form-data",
                data={"files": [(io.BytesIO(photo), "门头照.png"), (io.BytesIO(PDF), "a.pdf")]})
    image, pdf = sorted(db.session.scalars(select(Attachment).where(
        Attachment.spec == "customers", Attachment.record_id == customer.id)), key=lambda a: a.file_name, reverse=True)
    assert image.file_name == "门头照.png" and image.thumbnail_key is None

    run_worker_burst(worker_env)
    db.session.expire_all()
    assert image.thumbnail_key == f"thumbs/{image.sha256}.png" and pdf.thumbnail_key is None
    thumb = Image.open(io.BytesIO(store().read(image.thumbnail_key)))
    assert max(thumb.size) <= 256 and thumb.size == (256, 128)
    resp = client.get(f"/attachments/{image.id}/thumbnail")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "image/png"
    page = client.get(f"/customers/show/{customer.id}?tab=attachments").get_data(as_text=True)
    assert f"/attachments/{image.id}/thumbnail" in page


def test_the_files_of_a_deleted_record_are_removed_by_the_worker(org, login, app, worker_env):
    from app.modules.customers.service import delete_customer

    _empty_queue(app)
    doomed, kept = make_customer(org.east_rep), make_customer(org.east_rep)
    client = login(org.east_rep)
    only_here = PDF + unique("only").encode()
    shared = PDF + unique("shared").encode()
    for customer, files in ((doomed, [("only.pdf", only_here), ("shared.pdf", shared)]), (kept, [("shared.pdf", shared)])):
        client.post(f"/attachments/customers/{customer.id}/upload", content_type="multipart/form-data",
                    data={"files": [(io.BytesIO(d), n) for n, d in files]})
    rows = {a.file_name: a.sha256 for a in db.session.scalars(select(Attachment).where(
        Attachment.spec == "customers", Attachment.record_id == doomed.id))}
    doomed_id = doomed.id
    delete_customer(org.east_rep, doomed)

    run_worker_burst(worker_env)
    db.session.expire_all()
    assert db.session.scalars(select(Attachment).where(Attachment.spec == "customers",
                                                       Attachment.record_id == doomed_id)).all() == []
    files = store()
    assert not files.exists(rows["only.pdf"]) and db.session.get(Blob, rows["only.pdf"]) is None
    # Content another record still uses stays.
    assert files.exists(rows["shared.pdf"]) and db.session.get(Blob, rows["shared.pdf"]) is not None
    assert client.get(f"/attachments/{db.session.scalar(select(Attachment.id).where(Attachment.record_id == kept.id))}"
                      "/download").data == shared


def test_a_deleted_attachment_goes_from_the_store_once_nothing_uses_its_content(org, login, app, worker_env):
    _empty_queue(app)
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    data = PDF + unique("gone").encode()
    client.post(f"/attachments/customers/{customer.id}/upload", content_type="multipart/form-data",
                data={"files": [(io.BytesIO(data), "a.pdf")]})
    attachment = db.session.scalar(select(Attachment).where(Attachment.record_id == customer.id,
                                                            Attachment.spec == "customers"))
    sha = attachment.sha256
    assert client.post(f"/attachments/{attachment.id}/delete").status_code == 302
    assert store().exists(sha)
    run_worker_burst(worker_env)
    db.session.expire_all()
    assert not store().exists(sha) and db.session.get(Blob, sha) is None


def test_the_hourly_sweep_is_registered_with_cron(app):
    from app.core.registry import registry

    with app.app_context():
        names = {entry["name"] for entry in jobs.cron_entries(registry)}
    assert "core.files_sweep" in names
