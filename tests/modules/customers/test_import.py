"""Importing customers from Excel and CSV: the template, the preview with each row's problems,
the all-or-nothing import, the encodings Excel in China writes, and who may import."""
import csv
import io
import re

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.core.audit import AuditLog
from app.extensions import db
from app.modules.customers import importing
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.factories import make_customer

ZH_HEADERS = ["客户名称", "类型", "行业", "地区", "电话", "信用额度", "税号", "负责人(用户名)", "备注"]


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Customer))


def _xlsx(header, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv(header, rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _mobile() -> str:
    digits = "".join(ch for ch in unique("") if ch.isdigit())[-8:].rjust(8, "7")
    return "137" + digits


def _tax_id() -> str:
    return ("91310115" + unique("").upper().replace("T", "") + "0000000000")[:18]


def _upload(client, data: bytes, filename: str):
    return client.post("/customers/import/upload", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _token(html: str) -> str:
    return re.search(r"/customers/import/([\w-]+)/commit", html).group(1)


def _zh_labels():
    with force_locale("zh_CN"):
        return importing.headers()


# -- the template ------------------------------------------------------------------------------
def test_the_templates_have_the_chinese_customer_labels_as_headers(org, login):
    client = login(org.east_rep)
    headers = _zh_labels()
    assert headers[0] == "客户名称" and "负责人(用户名)" in headers and "税号" in headers
    xlsx = client.get("/customers/import/template.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(xlsx.data))
    sheet = wb.worksheets[0]
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == headers
    assert sheet.data_validations.dataValidation  # choice columns are drop-down lists
    assert len(wb.worksheets) == 2  # and a sheet explaining each column
    body = client.get("/customers/import/template.csv").data
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel then reads the Chinese as UTF-8
    assert next(csv.reader(io.StringIO(body.decode("utf-8-sig")))) == headers


# -- preview and import ------------------------------------------------------------------------
def test_a_good_file_is_previewed_then_imported_whole_with_codes_owners_and_history(org, login):
    names = [unique("导入甲"), unique("导入乙"), unique("导入丙")]
    data = _xlsx(ZH_HEADERS, [
        [names[0], "企业", "制造业", "江苏 苏州", _mobile(), "50,000.50", _tax_id(), "", "首批"],
        [names[1], "个人", "", "", "", "", "", org.east_rep2.username, ""],
        [names[2], "company", "IT & software", "", "021-55556666", 1200, None, org.east_rep.username.upper(), ""],
    ])
    client = login(org.manager)
    before = _count()
    resp = _upload(client, data, "客户.xlsx")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="zwt-import-commit"' in html and all(n in html for n in names)
    assert _count() == before  # a preview writes nothing

    token = _token(html)
    resp = client.post(f"/customers/import/{token}/commit")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/customers/list/")
    assert _count() == before + 3
    first, second, third = (db.session.scalar(select(Customer).where(Customer.name == n)) for n in names)
    assert first.code.startswith("KH-") and first.kind == "company" and first.industry == "manufacturing"
    assert str(first.credit_limit) == "50000.50" and first.owner_id == org.manager.id  # empty owner: the importer
    assert second.kind == "person" and second.owner_id == org.east_rep2.id and second.department_id == org.east.id
    assert third.industry == "it" and third.phone == "021-55556666" and third.owner_id == org.east_rep.id
    sequence = [int(c.code.rsplit("-", 1)[1]) for c in (first, second, third)]
    assert sequence == list(range(sequence[0], sequence[0] + 3))  # numbered in file order, no gaps
    created = db.session.scalar(select(AuditLog).where(AuditLog.table_name == "customer",
                                                        AuditLog.record_id == str(first.id)))
    assert created.action == "create" and created.actor_id == org.manager.id

    # The same upload cannot be imported twice.
    assert client.post(f"/customers/import/{token}/commit").status_code == 302
    assert _count() == before + 3


def test_a_file_with_bad_rows_lists_every_problem_by_row_and_imports_nothing(org, login):
    existing = make_customer(org.east_rep, phone=_mobile(), tax_id=_tax_id())
    theirs_phone = _mobile()
    good = unique("好行")
    rows = [
        [good, "企业", "", "", _mobile(), "", "", "", ""],                     # row 2: fine
        ["", "企业", "", "", "", "", "", "", "没有名称"],                        # 3: missing name
        [unique("坏电话"), "", "", "", "12345", "", "", "", ""],                 # 4: bad phone
        [unique("坏金额"), "", "", "", "", "很多钱", "", "", ""],                 # 5: bad amount
        [unique("坏选项"), "公司法人", "外太空", "", "", "", "", "", ""],         # 6: unknown choices
        [existing.name, "", "", "", "", "", "", "", ""],                        # 7: name of a customer
        [unique("重复电话"), "", "", "", existing.phone, "", "", "", ""],         # 8: phone of a customer
        [unique("重复税号"), "", "", "", "", "", existing.tax_id.lower(), "", ""],  # 9: tax id of a customer
        [good, "", "", "", "", "", "", "", ""],                                  # 10: same name as row 2
        [unique("同号"), "", "", "", theirs_phone, "", "", "", ""],               # 11: fine
        [unique("同号二"), "", "", "", theirs_phone, "", "", "", ""],             # 12: same phone as row 11
        [unique("越权"), "", "", "", "", "", "", org.south_rep.username, ""],   # 13: owner out of scope
        [unique("无此人"), "", "", "", "", "", "", "nobody-" + unique(""), ""],  # 14: unknown owner
    ]
    client = login(org.east_rep)
    before = _count()
    resp = _upload(client, _csv(ZH_HEADERS, rows), "bad.csv")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="zwt-import-rejected"' in html and 'id="zwt-import-commit"' not in html
    listed = {int(r) for r in re.findall(r'data-row="(\d+)"', html)}
    assert listed == set(range(3, 15)) - {11}
    assert existing.code in html  # the duplicate names the existing customer
    assert "第 2 行" in html or "Row 2" in html  # the in-file duplicate names the first row
    assert _count() == before

    # Importing the same rows (as the background job does) writes nothing either.
    result = importing.run_import(org.east_rep, _write(rows), "csv", commit=True)
    assert not result.committed and result.created == 0 and result.error_rows == 11
    assert _count() == before


def _write(rows, header=ZH_HEADERS, encoding="utf-8-sig", suffix="csv"):
    import tempfile
    from pathlib import Path

    handle = tempfile.NamedTemporaryFile(delete=False, suffix=f".{suffix}")
    handle.write(_csv(header, rows, encoding) if suffix == "csv" else _xlsx(header, rows))
    handle.close()
    return Path(handle.name)


def test_problems_are_listed_in_chinese(org, app):
    with app.test_request_context(), force_locale("zh_CN"):
        result = importing.run_import(org.east_rep, _write([["", "", "", "", "123", "", "", "", ""]]), "csv",
                                      commit=False)
    [problem] = result.problems
    assert any(m.startswith("客户名称") and "请" in m for m in problem.messages), problem.messages
    assert any(m.startswith("电话") for m in problem.messages), problem.messages


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_files_in_utf8_with_or_without_bom_and_in_gbk_are_read(org, encoding):
    name = unique("编码测试")
    result = importing.run_import(org.east_rep, _write([[name, "企业", "批发零售", "广东 深圳", "", "", "", "", "备注"]],
                                                       encoding=encoding), "csv", commit=True)
    assert result.committed, [p.messages for p in result.problems]
    customer = db.session.scalar(select(Customer).where(Customer.name == name))
    assert customer.region == "广东 深圳" and customer.notes == "备注"


def test_english_headers_and_a_subset_of_columns_are_accepted(org):
    name = unique("英文表头")
    with force_locale("en"):
        header = [importing.header_of("name"), importing.header_of("phone"), importing.header_of("owner")]
    result = importing.run_import(org.east_rep, _write([[name, _mobile(), org.east_rep.username]], header=header),
                                  "csv", commit=True)
    assert result.committed and result.created == 1


def test_duplicates_across_batches_are_found_and_large_files_commit_in_one_transaction(org):
    marker = unique("批量")
    rows = [[f"{marker}-{i:05d}", "", "", "", "", "", "", "", ""] for i in range(importing.BATCH * 2 + 10)]
    rows.append([f"{marker}-00003", "", "", "", "", "", "", "", ""])  # same as a row two batches back
    before = _count()
    result = importing.run_import(org.east_rep, _write(rows, suffix="xlsx"), "xlsx", commit=True)
    assert result.error_rows == 1 and result.problems[0].row == len(rows) + 1 and "5" in result.problems[0].messages[0]
    assert _count() == before  # the rows of earlier batches were written and then rolled back
    result = importing.run_import(org.east_rep, _write(rows[:-1], suffix="xlsx"), "xlsx", commit=True)
    assert result.committed and result.created == len(rows) - 1 and _count() == before + len(rows) - 1


# -- file problems -----------------------------------------------------------------------------
@pytest.mark.parametrize("filename,data,expected", [
    ("客户.txt", b"name\n", "xlsx"),
    ("客户.csv", b"", None),
    ("客户.xlsx", b"not a workbook", "Excel"),
    ("客户.csv", "公司名字,电话\n某公司,13900000000\n".encode(), "公司名字"),
    ("客户.csv", "电话,备注\n13900000000,x\n".encode(), "客户名称"),
])
def test_unreadable_files_and_unknown_headers_are_refused_with_a_message(org, login, filename, data, expected):
    client = login(org.east_rep)
    resp = _upload(client, data, filename)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="zwt-import-error"' in html
    if expected:
        assert expected in html


# -- permissions -------------------------------------------------------------------------------
def test_users_who_may_only_read_customers_cannot_import(org, login):
    client = login(org.finance_user)  # Finance: read and export customers, no write
    page = client.get("/customers/import/")
    assert page.status_code == 200 and 'id="zwt-import-form"' not in page.get_data(as_text=True)
    before = _count()
    resp = _upload(client, _csv(ZH_HEADERS, [[unique("越权导入"), "", "", "", "", "", "", "", ""]]), "x.csv")
    assert resp.status_code in (302, 403)
    assert _count() == before


def test_an_upload_belongs_to_its_uploader(org, login):
    client = login(org.east_rep)
    html = _upload(client, _csv(ZH_HEADERS, [[unique("他人的文件"), "", "", "", "", "", "", "", ""]]), "x.csv")
    token = _token(html.get_data(as_text=True))
    other = login(org.east_rep2)
    before = _count()
    assert other.post(f"/customers/import/{token}/commit").status_code == 404
    assert other.get(f"/customers/import/{token}/status.json").status_code == 404
    assert _count() == before


def test_a_second_submit_while_the_first_is_importing_imports_nothing(org, login):
    client = login(org.east_rep)
    html = _upload(client, _csv(ZH_HEADERS, [[unique("双击"), "", "", "", "", "", "", "", ""]]), "x.csv")
    token = _token(html.get_data(as_text=True))
    state = importing.load_state(token, org.east_rep)
    assert importing.claim_commit(state)  # the first request is still running
    before = _count()
    assert client.post(f"/customers/import/{token}/commit").status_code == 302
    assert _count() == before
