"""Importing contracts through the frame's import (/contracts/import/): the template, GBK CSV,
the preview's problems by row number, relations given by a human key (a customer by code or name,
an owner by user name), all or nothing, the background job, one import per upload, and who may
import."""
import csv
import io
import re
from decimal import Decimal

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, update

from app.core import jobs
from app.extensions import db
from app.modules.contracts.models import Contract
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.factories import make_customer

HEADERS = ["合同名称", "客户", "合同金额", "标准条款", "签订日期", "开始日期", "结束日期", "负责人(用户名)", "状态", "备注"]


def _csv(rows, header=HEADERS, encoding="gbk") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(rows, header=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(client, data: bytes, filename: str = "合同.csv"):
    return client.post("/contracts/import/upload", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _token(html: str) -> str:
    found = re.search(r"/contracts/import/([\w-]+)/commit", html)
    assert found, re.sub(r"<[^>]+>", " ", html[html.find("<main"):])[:3000]
    return found.group(1)


def _count(marker: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Contract).where(Contract.title.like(f"{marker}%")))


def _problems(html: str) -> dict:
    """{row number: text of its problems} from the preview's table."""
    found = {}
    for number, body in re.findall(r'<tr data-row="(\d+)">(.*?)</tr>', html, re.S):
        found[int(number)] = re.sub(r"<[^>]+>", " ", body)
    return found


# -- the template ------------------------------------------------------------------------------
def test_the_template_has_chinese_headers_and_drop_downs(org, login):
    client = login(org.east_rep)
    resp = client.get("/contracts/import/template.xlsx")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.data))
    sheet = wb.worksheets[0]
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:len(HEADERS)] == HEADERS   # custom fields follow
    lists = {str(v.sqref).split(":")[0][0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["D"] == '"是,否"'            # 标准条款: yes / no
    assert lists["I"] == '"草稿"'             # 状态: an imported contract is a draft
    assert len(wb.worksheets) == 2
    body = client.get("/contracts/import/template.csv").data
    assert body.startswith(b"\xef\xbb\xbf")
    assert next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[:len(HEADERS)] == HEADERS
    page = client.get("/contracts/list/").get_data(as_text=True)
    assert 'id="zwt-import"' in page and "/contracts/import/" in page   # the list's 导入 button


# -- a good file -------------------------------------------------------------------------------
def test_a_gbk_file_is_previewed_then_imported_as_drafts_with_customers_and_owners_by_key(org, login):
    marker = unique("导入合同")
    by_code = make_customer(org.east_rep)
    by_name = make_customer(org.east_rep2, name=unique("按名称"))
    rows = [
        [f"{marker}-1", by_code.code, "￥1,234.50", "是", "2026/3/1", "2026-03-01", "2027年2月28日", "", "草稿", "首单"],
        [f"{marker}-2", by_name.name, "50000元", "否", "", "", "", org.east_rep2.username, "", ""],
        [f"{marker}-3", by_code.code.lower(), "1234.5", "", "", "", "", org.east_rep.username, "draft", ""],
    ]
    client = login(org.manager)
    resp = _upload(client, _csv(rows))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="zwt-import-commit"' in html, _problems(html) or html[-3000:]
    assert _count(marker) == 0    # a preview writes nothing

    resp = client.post(f"/contracts/import/{_token(html)}/commit")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/contracts/list/")
    first, second, third = (db.session.scalar(select(Contract).where(Contract.title == f"{marker}-{i}"))
                            for i in (1, 2, 3))
    assert first.code.startswith("HT-") and first.status == "draft" and first.customer_id == by_code.id
    assert first.amount == Decimal("1234.50") and isinstance(first.amount, Decimal)
    assert str(first.signed_on) == "2026-03-01" and str(first.ends_on) == "2027-02-28"
    assert first.owner_id == org.manager.id and first.standard_terms is True   # empty owner: the importer
    assert second.customer_id == by_name.id and second.owner_id == org.east_rep2.id
    assert second.amount == Decimal("50000.00") and second.standard_terms is False
    assert second.department_id == org.east.id
    assert third.customer_id == by_code.id and third.amount == Decimal("1234.50")


# -- problems ----------------------------------------------------------------------------------
def test_every_problem_is_listed_by_row_and_nothing_is_written(org, login):
    marker = unique("坏合同")
    mine = make_customer(org.east_rep)
    twin = unique("同名客户")
    twins = [make_customer(org.east_rep, name=twin), make_customer(org.east_rep)]
    twins[1].name = twin      # two customers of one name (from before the duplicate rules)
    db.session.execute(update(Customer).where(Customer.id == twins[1].id).values(name=twin))
    db.session.commit()
    hidden = make_customer(org.south_rep)     # another region's customer: east_rep cannot see it
    rows = [
        [f"{marker}-ok", mine.code, "1000", "", "", "", "", "", "", ""],                         # 2: fine
        [f"{marker}-a", "没有这个客户" + marker, "1000", "", "", "", "", "", "", ""],              # 3: unknown customer
        [f"{marker}-b", twin, "1000", "", "", "", "", "", "", ""],                               # 4: ambiguous name
        [f"{marker}-c", hidden.code, "1000", "", "", "", "", "", "", ""],                        # 5: not visible
        [f"{marker}-d", mine.code, "1000", "", "", "", "", "nobody-" + marker, "", ""],          # 6: unknown user
        [f"{marker}-e", mine.code, "1000", "", "", "", "", org.south_rep.username, "", ""],      # 7: may not assign
        [f"{marker}-f", mine.code, "很多钱", "", "", "", "", "", "", ""],                          # 8: bad amount
        [f"{marker}-g", mine.code, "1000", "", "", "2026-05-01", "2026-04-01", "", "", ""],      # 9: ends before start
        [f"{marker}-h", mine.code, "1000", "", "明天", "", "", "", "", ""],                        # 10: bad date
        [f"{marker}-i", mine.code, "1000", "", "", "", "", "", "已批准", ""],                      # 11: not a draft
        [f"{marker}-j", mine.code, "1000", "也许", "", "", "", "", "", ""],                         # 12: not yes/no
        ["", mine.code, "1000", "", "", "", "", "", "", ""],                                       # 13: no title
    ]
    client = login(org.east_rep)
    resp = _upload(client, _csv(rows))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="zwt-import-rejected"' in html and 'id="zwt-import-commit"' not in html
    problems = _problems(html)
    assert set(problems) == set(range(3, 14))
    assert "客户" in problems[3] and "没有这个客户" in problems[3]
    assert twins[0].code in problems[4] and twins[1].code in problems[4]    # the candidates are named
    assert "找不到" in problems[5]                                          # as if it did not exist
    assert problems[6].startswith(" 6 ") or "负责人" in problems[6]
    assert "nobody-" in problems[6]
    assert "不能" in problems[7]
    assert "合同金额" in problems[8] and "结束日期" in problems[9] and "签订日期" in problems[10]
    assert "状态" in problems[11] and "标准条款" in problems[12] and "合同名称" in problems[13]
    assert _count(marker) == 0


def test_a_row_the_service_refuses_at_import_time_rolls_back_the_whole_file(org, app, monkeypatch):
    """The rows pass every check; the service refuses the last one when it is written (as it
    would when something changed since the preview): nothing of the file is written, and the
    row is listed with the service's message."""
    from pathlib import Path

    from app.core.errors import DomainError
    from app.core.importing.run import run_import
    from app.core.registry import registry
    from app.modules.contracts import service

    real = service.contracts.create

    def create(actor, contract):
        if contract.title.endswith("-x"):
            raise DomainError("contracts.test", "该合同被拒绝。", field="title")
        return real(actor, contract)

    monkeypatch.setattr(service.contracts, "create", staticmethod(create))
    marker = unique("全有全无")
    customer = make_customer(org.east_rep)
    rows = [[f"{marker}-{i}", customer.code, "100", "", "", "", "", "", "", ""] for i in range(5)]
    rows.append([f"{marker}-x", customer.code, "100", "", "", "", "", "", "", ""])
    path = Path(app.config["INSTANCE_DIR"]) / f"{marker}.csv"
    path.write_bytes(_csv(rows, encoding="utf-8-sig"))
    with app.test_request_context(), force_locale("zh_CN"):
        checked = run_import(registry.get("contracts"), org.east_rep, path, "csv", commit=False)
        assert checked.error_rows == 0 and checked.rows == 6
        result = run_import(registry.get("contracts"), org.east_rep, path, "csv", commit=True)
    assert not result.committed and result.created == 0 and result.error_rows == 1
    assert result.problems[0].row == 7 and "该合同被拒绝" in result.problems[0].messages[0]
    assert _count(marker) == 0


# -- who may import ----------------------------------------------------------------------------
def test_users_who_may_only_read_contracts_cannot_import(org, login):
    marker = unique("越权合同")
    customer = make_customer(org.east_rep)
    writer = login(org.east_rep)
    html = _upload(writer, _csv([[marker, customer.code, "100", "", "", "", "", "", "", ""]])).get_data(as_text=True)
    token = _token(html)

    client = login(org.finance_user)   # Finance: read contracts, no write
    page = client.get("/contracts/import/")
    assert page.status_code == 200 and 'id="zwt-import-form"' not in page.get_data(as_text=True)
    assert 'id="zwt-import"' not in client.get("/contracts/list/").get_data(as_text=True)
    assert client.get("/contracts/import/template.xlsx").status_code in (302, 403)
    assert client.get("/contracts/import/template.csv").status_code in (302, 403)
    assert _upload(client, _csv([[marker, customer.code, "100", "", "", "", "", "", "", ""]])).status_code in (302, 403)
    assert client.post(f"/contracts/import/{token}/commit").status_code in (302, 403)
    assert _count(marker) == 0


def test_an_upload_for_one_module_cannot_be_committed_through_another(org, login):
    client = login(org.east_rep)
    customer = make_customer(org.east_rep)
    html = _upload(client, _csv([[unique("串门"), customer.code, "100", "", "", "", "", "", "", ""]])).get_data(as_text=True)
    token = _token(html)
    assert client.post(f"/customers/import/{token}/commit").status_code == 404
    assert client.get(f"/customers/import/{token}/status.json").status_code == 404


def test_a_double_submit_imports_once(org, login):
    marker = unique("双击合同")
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    html = _upload(client, _csv([[marker, customer.code, "100", "", "", "", "", "", "", ""]])).get_data(as_text=True)
    token = _token(html)
    assert client.post(f"/contracts/import/{token}/commit").status_code == 302
    assert client.post(f"/contracts/import/{token}/commit").status_code == 302
    assert _count(marker) == 1


# -- large files -------------------------------------------------------------------------------
@pytest.fixture
def small_sync_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_SYNC_ROWS", 3)


def _queued(client, data, filename):
    resp = _upload(client, data, filename)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    return re.search(r"/contracts/import/([\w-]+)/$", resp.headers["Location"]).group(1)


def test_a_large_file_is_imported_once_by_the_worker(org, app, login, job_env, small_sync_limit):
    marker = unique("后台合同")
    customer = make_customer(org.east_rep)
    rows = [[f"{marker}-{i}", customer.name, str(100 + i), "", "", "", "", "", "", ""] for i in range(8)]
    client = login(org.east_rep)
    token = _queued(client, _xlsx(rows), "合同.xlsx")
    assert client.get(f"/contracts/import/{token}/status.json").get_json()["status"] == "queued"
    assert 'id="zwt-import-bar"' in client.get(f"/contracts/import/{token}/").get_data(as_text=True)
    jobs.queue(app.config).enqueue("app.core.importing.job.import_job", token)   # a second, late run
    run_worker_burst(job_env)
    status = client.get(f"/contracts/import/{token}/status.json").get_json()
    assert status["status"] == "done" and status["created"] == 8 and status["processed"] == 8
    assert _count(marker) == 8
    assert 'id="zwt-import-done"' in client.get(f"/contracts/import/{token}/").get_data(as_text=True)


def test_a_large_file_with_a_bad_row_imports_nothing_in_the_worker(org, login, job_env, small_sync_limit):
    marker = unique("后台坏合同")
    customer = make_customer(org.east_rep)
    rows = [[f"{marker}-{i}", customer.code, "100", "", "", "", "", "", "", ""] for i in range(6)]
    rows[4][1] = "没有这个客户" + marker      # row 6 of the sheet
    client = login(org.east_rep)
    token = _queued(client, _csv(rows), "合同.csv")
    run_worker_burst(job_env)
    status = client.get(f"/contracts/import/{token}/status.json").get_json()
    assert status["status"] == "rejected" and status["created"] == 0 and status["error_rows"] == 1
    assert 'data-row="6"' in client.get(f"/contracts/import/{token}/").get_data(as_text=True)
    assert _count(marker) == 0


def test_headers_in_english_are_read(org, login):
    from app.core.importing.columns import columns_of
    from app.core.registry import registry

    with force_locale("en"):
        english = [c.header() for c in columns_of(registry.get("contracts"))]
    assert english[0] == "Contract title" and "Owner (user name)" in english
    marker = unique("英文合同")
    customer = make_customer(org.east_rep)
    client = login(org.east_rep)
    html = _upload(client, _csv([[marker, customer.code, "100", "Y", "", "", "", "", "Draft", ""]], header=english,
                                encoding="utf-8")).get_data(as_text=True)
    client.post(f"/contracts/import/{_token(html)}/commit")
    assert _count(marker) == 1


def test_cells_are_read_as_people_type_them():
    from app.core.importing.columns import parse_boolean, parse_date, parse_decimal

    for text in ("1,234.50", "¥1,234.50", "￥1,234.5", "1234.5元", " 1 234.50 "):
        assert parse_decimal(text) == Decimal("1234.50"), text
    for text in ("2026-03-31", "2026/3/31", "2026.3.31", "2026年3月31日", "20260331", "2026-03-31 00:00:00"):
        assert str(parse_date(text)) == "2026-03-31", text
    assert [parse_boolean(t) for t in ("是", "Y", "true", "TRUE", "1")] == [True] * 5
    assert [parse_boolean(t) for t in ("否", "n", "False", "0")] == [False] * 4
    for bad, parse in (("很多", parse_decimal), ("明天", parse_date), ("也许", parse_boolean)):
        with pytest.raises(ValueError):
            parse(bad)


def test_an_owner_is_found_by_name_when_only_one_user_has_it(org, login):
    from tests.factories import make_user

    marker = unique("按姓名")
    customer = make_customer(org.manager)
    only = make_user("Sales", org.east)
    twins = [make_user("Sales", org.east), make_user("Sales", org.east)]
    only.last_name, only.first_name = "独", marker
    for twin in twins:
        twin.last_name, twin.first_name = "同", marker
    db.session.commit()
    rows = [[f"{marker}-1", customer.code, "100", "", "", "", "", f"独{marker}", "", ""],
            [f"{marker}-2", customer.code, "100", "", "", "", "", f"同{marker}", "", ""]]
    html = _upload(login(org.manager), _csv(rows)).get_data(as_text=True)
    problems = _problems(html)
    assert set(problems) == {3} and "不止一位" in problems[3]
    html = _upload(login(org.manager), _csv(rows[:1])).get_data(as_text=True)
    login(org.manager).post(f"/contracts/import/{_token(html)}/commit")
    contract = db.session.scalar(select(Contract).where(Contract.title == f"{marker}-1"))
    assert contract.owner_id == only.id
