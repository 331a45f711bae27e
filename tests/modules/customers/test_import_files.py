"""Every malformed file given to the customer import is refused with a clear Chinese message (a
4xx, never a 500) and writes nothing: no customer, no history, no upload left behind."""
import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditLog
from app.extensions import db
from app.modules.customers import importing
from tests.modules.customers.test_import import ZH_HEADERS, _count, _csv, _upload, _xlsx


def _audit_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog))


def _uploads(app) -> set:
    folder = importing._upload_dir()
    return {p.name for p in folder.iterdir()}


def _zip_bomb() -> bytes:
    """A .xlsx-looking zip whose one sheet unpacks to far more than it weighs."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (300 * 1024 * 1024) + b"/>")
    return out.getvalue()


def _broken_sheet_xlsx() -> bytes:
    """A real workbook whose sheet XML is cut off half-way."""
    good = _xlsx(ZH_HEADERS, [["某公司", "", "", "", "", "", "", "", ""]] * 50)
    source, out = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in source.infolist():
            data = source.read(item.filename)
            zf.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    return out.getvalue()


MALFORMED = {
    "binary named .csv": ("客户.csv", bytes(range(256)) * 64),
    "png named .csv": ("客户.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(200)) * 10),
    "xlsx named .csv": ("客户.csv", None),   # filled in below: a real workbook
    "utf-16 csv": ("客户.csv", "\ufeff客户名称,电话\n某公司,13900000000\n".encode("utf-16-le")),
    "gbk with broken bytes": ("客户.csv", "客户名称\n某公司\n".encode("gbk") + b"\xff\xfe\xfd\x81\n"),
    "nul bytes in a csv": ("客户.csv", "客户名称,备注\n某公司,a\x00b\n".encode()),
    "nul bytes late in a csv": ("客户.csv", ("客户名称\n" + "某公司{}\n" * 1).encode() + b"x" * 70000 + b"\x00\n"),
    "a cell larger than csv allows": ("客户.csv", ("客户名称,备注\n某公司," + "长" * 200000 + "\n").encode()),
    "header only csv": ("客户.csv", _csv(ZH_HEADERS, [])),
    "header only xlsx": ("客户.xlsx", _xlsx(ZH_HEADERS, [])),
    "wrong headers": ("客户.csv", "foo,bar\n1,2\n".encode()),
    "text named .xlsx": ("客户.xlsx", "客户名称\n某公司\n".encode()),
    "zip that is no workbook": ("客户.xlsx", None),
    "zip bomb": ("客户.xlsx", None),
    "sheet cut half-way": ("客户.xlsx", None),
    "empty file": ("客户.csv", b""),
    "blank lines only": ("客户.csv", b"\n\n \n"),
}


@pytest.fixture(scope="module")
def files():
    out = dict(MALFORMED)
    out["xlsx named .csv"] = ("客户.csv", _xlsx(ZH_HEADERS, [["某公司", "", "", "", "", "", "", "", ""]]))
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("readme.txt", "hello")
    out["zip that is no workbook"] = ("客户.xlsx", plain_zip.getvalue())
    out["zip bomb"] = ("客户.xlsx", _zip_bomb())
    out["sheet cut half-way"] = ("客户.xlsx", _broken_sheet_xlsx())
    return out


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_file_gets_a_chinese_message_and_writes_nothing(org, login, app, files, case):
    filename, data = files[case]
    client = login(org.east_rep)
    before, audit_before, uploads_before = _count(), _audit_rows(), _uploads(app)
    resp = _upload(client, data, filename)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400, (case, resp.status_code)
    message = re.search(r'id="zwt-import-error">(.*?)</p>', html, re.S)
    assert message, case
    text = message.group(1)
    assert re.search(r"[\u4e00-\u9fff]", text), (case, text)
    assert not re.search(r"\b(line|field|Error|codec|byte|NUL|larger)\b", text), (case, text)
    assert _count() == before and _audit_rows() == audit_before
    assert _uploads(app) <= uploads_before, case   # the refused upload is not kept


def test_an_oversized_file_is_refused_before_it_is_read(org, login, monkeypatch):
    from app.core.importing import state as uploads

    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 256 * 1024)
    client = login(org.east_rep)
    before = _count()
    resp = _upload(client, _csv(ZH_HEADERS, [["某公司" + str(i), "", "", "", "", "", "", "", ""]
                                             for i in range(40000)]), "客户.csv")
    assert resp.status_code in (400, 413)
    assert "MB" in resp.get_data(as_text=True) and _count() == before
