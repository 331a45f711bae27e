"""Attachments (附件) on a record, as a sales rep, their manager and others use them: through the
show page's tab, its download links and the REST API, on the folder store and the S3 store."""
from __future__ import annotations

import io
import zipfile
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.core.audit import AuditLog
from app.core.files import store
from app.core.files.models import Attachment, Blob
from app.extensions import db
from tests.conftest import unique
from tests.factories import make_customer, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes(size=(40, 30), colour=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(params=["folder", "s3"])
def backend(request, app, monkeypatch):
    """The app's FILE_STORE: its instance folder, then a bucket on the suite's S3 server."""
    if request.param == "s3":
        url, endpoint = request.getfixturevalue("s3_bucket")
        monkeypatch.setitem(app.config, "FILE_STORE", url)
        monkeypatch.setitem(app.config, "FILE_STORE_ENDPOINT", endpoint)
    return request.param


def _upload(client, customer, *files):
    return client.post(f"/attachments/customers/{customer.id}/upload",
                       data={"files": [(io.BytesIO(data), name) for name, data in files]},
                       content_type="multipart/form-data")


def _live(customer):
    db.session.expire_all()
    return list(db.session.scalars(select(Attachment).where(
        Attachment.spec == "customers", Attachment.record_id == customer.id, Attachment.deleted.is_(False))
        .order_by(Attachment.id)))


def test_a_rep_uploads_several_files_and_sees_them_listed_on_the_tab(org, login, backend):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    resp = _upload(client, customer, ("报价单.pdf", PDF), ("名片.png", png_bytes()))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/customers/show/{customer.id}?tab=attachments")
    files = _live(customer)
    assert [f.file_name for f in files] == ["报价单.pdf", "名片.png"]
    assert [f.content_type for f in files] == ["application/pdf", "image/png"]
    page = client.get(f"/customers/show/{customer.id}?tab=attachments").get_data(as_text=True)
    assert 'id="zwt-files"' in page and "报价单.pdf" in page and "名片.png" in page
    assert org.east_rep.display_name in page
    assert store().read(files[0].sha256) == PDF


def test_the_script_sends_one_file_as_the_request_body(org, login, backend):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    resp = client.post(f"/attachments/customers/{customer.id}/upload", data=PDF,
                       headers={"X-File-Name": "%E5%90%88%E5%90%8C.pdf", "Accept": "application/json",
                                "Content-Type": "application/octet-stream"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["result"][0]["file_name"] == "合同.pdf"
    assert [f.file_name for f in _live(customer)] == ["合同.pdf"]


def test_download_gives_back_the_file_with_safe_headers(org, login, backend):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    _upload(client, customer, ("报价单.pdf", PDF))
    attachment = _live(customer)[0]
    resp = client.get(f"/attachments/{attachment.id}/download")
    assert resp.status_code == 200 and resp.data == PDF
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf" in resp.headers["Content-Disposition"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    preview = client.get(f"/attachments/{attachment.id}/download?inline=1")
    assert preview.headers["Content-Disposition"].startswith("inline;") and preview.data == PDF


@pytest.mark.parametrize("name, data", [
    ("page.html", b"<html><body><script>alert(document.cookie)</script></body></html>"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'),
])
def test_html_and_svg_are_never_served_as_pages(org, login, name, data):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    assert _upload(client, customer, (name, data)).status_code == 302
    attachment = _live(customer)[0]
    for url in (f"/attachments/{attachment.id}/download", f"/attachments/{attachment.id}/download?inline=1"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.data == data
        assert resp.headers["Content-Type"].startswith("text/plain")
        assert resp.headers["Content-Disposition"].startswith("attachment;")
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        csp = [p.strip() for p in resp.headers["Content-Security-Policy"].split(";")]
        assert "sandbox" in csp and "default-src 'none'" in csp


def test_an_exe_renamed_pdf_is_refused_with_a_clear_message(org, login, backend):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode"
    resp = _upload(client, customer, ("发票.pdf", exe))
    assert resp.status_code == 400
    assert "“发票.pdf”" in resp.get_data(as_text=True) and "已拒绝" in resp.get_data(as_text=True)
    assert _live(customer) == []
    api = client.post(f"/attachments/customers/{customer.id}/upload", data=exe,
                      headers={"X-File-Name": "a.pdf", "Accept": "application/json"})
    assert api.status_code == 400 and api.get_json()["error"] == "files.type_refused"


def test_office_documents_are_known_by_their_content(org, login):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    gbk_csv = "名称,金额\n华东公司,100\n".encode("gbk")
    _upload(client, customer, ("合同.bin", docx.getvalue()), ("清单.csv", gbk_csv))
    kinds = {f.file_name: f.content_type for f in _live(customer)}
    assert kinds == {"合同.bin": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     "清单.csv": "text/csv; charset=gbk"}


def test_a_file_over_the_limit_is_refused_with_413_and_nothing_is_stored(org, login, app, monkeypatch, backend):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
    blobs_before = db.session.scalar(select(db.func.count()).select_from(Blob))
    resp = _upload(client, customer, ("大文件.pdf", big))
    assert resp.status_code == 413
    assert "“大文件.pdf”" in resp.get_data(as_text=True) and "1 MB" in resp.get_data(as_text=True)
    raw = client.post(f"/attachments/customers/{customer.id}/upload", data=big,
                      headers={"X-File-Name": "big.pdf", "Accept": "application/json"})
    assert raw.status_code == 413 and "1 MB" in raw.get_json()["message"]
    assert _live(customer) == []
    assert db.session.scalar(select(db.func.count()).select_from(Blob)) == blobs_before
    import hashlib

    assert not store().exists(hashlib.sha256(big).hexdigest())


def test_a_request_over_the_servers_limit_is_refused_in_chinese(org, login, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    resp = _upload(client, customer, ("a.pdf", b"%PDF-1.4\n" + b"0" * 100_000))
    assert resp.status_code == 413 and "上传" in resp.get_data(as_text=True)
    assert _live(customer) == []


def test_identical_content_is_stored_once(org, login, backend):
    first, second = make_customer(org.east_rep), make_customer(org.east_rep)
    client = login(org.east_rep)
    data = PDF + unique("same").encode()
    _upload(client, first, ("a.pdf", data))
    _upload(client, second, ("b.pdf", data))
    a, b = _live(first)[0], _live(second)[0]
    assert a.sha256 == b.sha256
    assert db.session.scalar(select(db.func.count()).select_from(Blob).where(Blob.sha256 == a.sha256)) == 1


def test_each_upload_and_delete_is_on_the_records_history(org, login):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    _upload(client, customer, ("报价单.pdf", PDF))
    attachment = _live(customer)[0]
    assert client.post(f"/attachments/{attachment.id}/delete").status_code == 302
    entries = list(db.session.scalars(select(AuditLog).where(
        AuditLog.table_name == "customer", AuditLog.record_id == str(customer.id)).order_by(AuditLog.id)))
    assert entries[-2].changes == {"附件": [None, "报价单.pdf"]} and entries[-2].actor_id == org.east_rep.id
    assert entries[-1].changes == {"附件": ["报价单.pdf", None]}
    page = client.get(f"/customers/show/{customer.id}?tab=history").get_data(as_text=True)
    history = page[page.index('id="History"'):]
    assert "报价单.pdf" in history


def test_only_the_uploader_or_someone_who_may_delete_removes_a_file(org, login, backend):
    customer = make_customer(org.east_rep)
    _upload(login(org.manager), customer, ("经理的.pdf", PDF))
    _upload(login(org.east_rep), customer, ("我的.pdf", PDF + b"x"))
    managers, reps = _live(customer)
    rep = login(org.east_rep)
    page = rep.get(f"/customers/show/{customer.id}?tab=attachments").get_data(as_text=True)
    assert f"/attachments/{reps.id}/delete" in page and f"/attachments/{managers.id}/delete" not in page
    assert rep.post(f"/attachments/{managers.id}/delete").status_code == 403
    assert rep.post(f"/attachments/{reps.id}/delete").status_code == 302
    assert login(org.manager).post(f"/attachments/{managers.id}/delete").status_code == 302
    assert _live(customer) == []


def test_read_only_users_download_but_may_not_upload(org, login):
    customer = make_customer(org.east_rep)
    _upload(login(org.east_rep), customer, ("报价单.pdf", PDF))
    attachment = _live(customer)[0]
    reader = login(org.readonly)
    page = reader.get(f"/customers/show/{customer.id}?tab=attachments").get_data(as_text=True)
    assert "报价单.pdf" in page and 'id="zwt-files-form"' not in page
    assert reader.get(f"/attachments/{attachment.id}/download").data == PDF
    assert _upload(reader, customer, ("x.pdf", PDF)).status_code == 403
    assert len(_live(customer)) == 1


def test_a_record_outside_the_users_scope_is_not_found_everywhere(org, login, api_token):
    customer = make_customer(org.east_rep)
    _upload(login(org.east_rep), customer, ("报价单.pdf", PDF))
    attachment = _live(customer)[0]
    other = login(org.south_rep)     # a rep of another group: own customers only
    assert other.get(f"/customers/show/{customer.id}").status_code == 404
    assert other.get(f"/attachments/{attachment.id}/download").status_code == 404
    assert other.get(f"/attachments/{attachment.id}/download?inline=1").status_code == 404
    assert other.post(f"/attachments/{attachment.id}/delete").status_code == 404
    assert _upload(other, customer, ("x.pdf", PDF)).status_code == 404
    headers = api_token(org.south_rep)
    api = other.application.test_client()
    assert api.get(f"/api/v1/attachments/?spec=customers&record={customer.id}", headers=headers).status_code == 404
    assert api.get(f"/api/v1/attachments/{attachment.id}/download", headers=headers).status_code == 404
    assert api.delete(f"/api/v1/attachments/{attachment.id}", headers=headers).status_code == 404


def test_a_user_without_read_permission_is_refused(org, login, api_token):
    from tests.modules.contracts.helpers import make_contract

    contract = make_contract(org.east_rep)
    outsider = make_user("Marketing", org.sales)   # customers yes, contracts no
    client = login(outsider)
    assert client.post(f"/attachments/contracts/{contract.id}/upload", data={"files": [(io.BytesIO(PDF), "a.pdf")]},
                       content_type="multipart/form-data").status_code in (403, 404)
    resp = client.application.test_client().get(f"/api/v1/attachments/?spec=contracts&record={contract.id}",
                                                 headers=api_token(outsider))
    assert resp.status_code in (403, 404)


def test_the_api_lists_uploads_downloads_and_deletes(org, app, api_token, backend):
    customer = make_customer(org.east_rep)
    headers = api_token(org.east_rep)
    client = app.test_client()
    resp = client.post("/api/v1/attachments/", headers=headers, content_type="multipart/form-data",
                       data={"spec": "customers", "record": str(customer.id), "file": (io.BytesIO(PDF), "报价单.pdf")})
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()["result"][0]
    assert created["file_name"] == "报价单.pdf" and created["content_type"] == "application/pdf"
    listed = client.get(f"/api/v1/attachments/?spec=customers&record={customer.id}", headers=headers).get_json()
    assert listed["count"] == 1 and listed["result"][0]["id"] == created["id"]
    assert listed["result"][0]["uploader"]["username"] == org.east_rep.username
    download = client.get(created["download_url"], headers=headers)
    assert download.data == PDF and download.headers["X-Content-Type-Options"] == "nosniff"
    bad = client.post("/api/v1/attachments/", headers=headers, content_type="multipart/form-data",
                      data={"spec": "customers", "record": str(customer.id), "file": (io.BytesIO(b"MZ\x90\x00"), "a.pdf")})
    assert bad.status_code == 400 and bad.get_json()["error"] == "files.type_refused"
    assert client.delete(f"/api/v1/attachments/{created['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/attachments/?spec=customers&record={customer.id}", headers=headers).get_json()["count"] == 0
    assert client.get("/api/v1/attachments/?spec=customers&record=1").status_code == 401


def test_the_api_is_in_the_openapi_description(app, org, api_token):
    spec = app.test_client().get("/api/v1/_openapi", headers=api_token(org.admin)).get_json()
    paths = spec["paths"]
    assert "/api/v1/attachments/" in paths and {"get", "post"} <= set(paths["/api/v1/attachments/"])
    assert "delete" in paths["/api/v1/attachments/{pk}"]


class _Endless:
    """A request body that claims and would deliver 2 GB: counts what the server reads."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, n=-1):
        n = 64 * 1024 if n is None or n < 0 else min(n, 1024 * 1024)
        self.read_bytes += n
        return b"%PDF" + b"0" * (n - 4) if self.read_bytes == n else b"0" * n

    def readline(self, n=-1):
        return self.read(n)


@pytest.mark.parametrize("declared", [2 * 1024 ** 3, None])
def test_a_2_gb_upload_is_refused_without_reading_it(org, login, app, monkeypatch, declared):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    body = _Endless()
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=f"/attachments/customers/{customer.id}/upload", method="POST",
                             headers={"X-File-Name": "huge.pdf", "Accept": "application/json"},
                             content_type="application/octet-stream", data=b"").get_environ()
    environ["wsgi.input"] = body
    if declared is None:   # sent in chunks, no length announced: stopped by the running count
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(declared)
    environ["HTTP_COOKIE"] = f"session={client.get_cookie('session').value}"
    status, headers, chunks = [], [], []
    chunks = app.wsgi_app(environ, lambda s, h, exc_info=None: status.append(s) or headers.extend(h))
    data = b"".join(chunks)
    import json

    resp = SimpleNamespace(status_code=int(status[0].split()[0]), get_json=lambda: json.loads(data))
    assert resp.status_code == 413 and "1 MB" in resp.get_json()["message"]
    assert body.read_bytes <= 3 * 1024 * 1024
    assert _live(customer) == []


def _ole(stream_name: str) -> bytes:
    """A compound file's first sector and a directory entry naming its content stream."""
    name = stream_name.encode("utf-16-le") + b"\0\0"
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + name.ljust(64, b"\0") + b"\0" * 448


def test_old_office_files_are_known_by_their_content_stream(org, login):
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    _upload(client, customer, ("旧合同.doc", _ole("WordDocument")), ("旧报表.dat", _ole("Workbook")))
    assert {f.file_name: f.content_type for f in _live(customer)} == {
        "旧合同.doc": "application/msword", "旧报表.dat": "application/vnd.ms-excel"}
    # An installer is a compound file too, but holds no document.
    assert _upload(client, customer, ("setup.doc", _ole("\x05SummaryInformation"))).status_code == 400
