"""银行流水: a bank statement imported through the frame's import (all rows or none, a reference imported once),
matched by a real worker to customers by the invoice number in the memo, the payer or the amount and registered
as their payments; the rest waits in the queue to be registered by hand or ignored; only finance sees it."""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.clock import company_today
from app.core.errors import ValidationErrors
from app.extensions import db
from app.modules.collections import bank
from app.modules.collections.models import BankLine, Payment
from app.modules.invoices.models import Invoice
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.factories import unique
from tests.modules.collections.test_reports import _invoice, _pay


def _file(client, rows) -> bytes:
    headers = next(csv.reader(io.StringIO(client.get("/bank_lines/import/template.csv").data.decode("utf-8-sig"))))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers[:6])
    writer.writerows(rows)
    return out.getvalue().encode("gbk")


def _import(client, rows):
    page = client.post("/bank_lines/import/upload", data={"file": (io.BytesIO(_file(client, rows)), "流水.csv")},
                       content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    found = re.search(r"/bank_lines/import/([\w-]+)/commit", html)
    if not found:
        return page, None
    return page, client.post(f"/bank_lines/import/{found.group(1)}/commit")


def _line(ref) -> BankLine:
    db.session.expire_all()
    return db.session.scalar(select(BankLine).where(BankLine.bank_ref == ref))


def _odd_amount() -> str:
    return f"{random.randint(70000, 99999)}.{random.randint(10, 99)}"


def test_an_imported_statement_is_matched_by_memo_payer_and_amount_and_the_rest_waits(org, login, app, job_env):
    by_memo = _invoice(org, total="1200.00", issued_days_ago=5)
    by_payer = _invoice(org, total="800.00", issued_days_ago=5)
    odd = _odd_amount()
    by_amount = _invoice(org, total=odd, issued_days_ago=5)
    today = company_today().isoformat()
    refs = [unique("B") for _ in range(4)]
    rows = [[today, "1200.00", "某某贸易（不是客户名）", "6222000011112222", refs[0], f"付 {by_memo.code} 货款"],
            [today, "800.00", by_payer.customer.name, "", refs[1], "货款"],
            [today, odd, "张三个人", "", refs[2], ""],
            [today, "333.33", unique("不认识的公司"), "", refs[3], "往来款"]]
    finance = login(org.finance_user)
    preview, done = _import(finance, rows)
    assert done is not None and done.status_code == 302, preview.get_data(as_text=True)[-2000:]
    assert _line(refs[0]).status == "new"
    run_worker_burst(job_env)                         # the matching job the import queued
    first, second, third, fourth = (_line(ref) for ref in refs)
    assert (first.status, first.customer_id) == ("matched", by_memo.customer_id)
    assert (second.status, second.customer_id) == ("matched", by_payer.customer_id)
    assert (third.status, third.customer_id) == ("matched", by_amount.customer_id)
    assert fourth.status == "unmatched" and fourth.payment_id is None and fourth.note
    assert db.session.get(Invoice, by_memo.id).paid == Decimal("1200.00")
    assert db.session.get(Payment, second.payment_id).bank_ref == refs[1]
    # the clerk registers the last one for the customer it belongs to
    page = finance.get(f"/bank_lines_register/{fourth.id}")
    assert page.status_code == 200 and "333.33" in page.get_data(as_text=True)
    assert finance.post(f"/bank_lines_register/{fourth.id}", data={"customer": ""}).status_code == 400
    done = finance.post(f"/bank_lines_register/{fourth.id}", data={"customer": str(by_payer.customer_id)})
    assert done.status_code == 302
    assert _line(refs[3]).status == "matched" and _line(refs[3]).customer_id == by_payer.customer_id
    assert finance.post(f"/bank_lines_register/{fourth.id}",
                        data={"customer": str(by_payer.customer_id)}).status_code == 409   # not twice


def test_a_file_with_a_reference_seen_before_or_a_debit_is_refused_whole(org, login):
    finance = login(org.finance_user)
    today = company_today().isoformat()
    seen = unique("B")
    _preview, done = _import(finance, [[today, "10.00", "甲", "", seen, ""]])
    assert done.status_code == 302
    before = db.session.scalar(select(func.count()).select_from(BankLine))
    again = unique("B")
    for rows in ([[today, "10.00", "乙", "", again, ""], [today, "20.00", "丙", "", seen, ""]],      # imported before
                 [[today, "10.00", "乙", "", again, ""], [today, "20.00", "丙", "", again, ""]],     # twice in the file
                 [[today, "-50.00", "丁", "", again, ""]],                                          # a debit
                 [["昨天", "50.00", "戊", "", again, ""]],                                          # no date
                 [[(company_today() + dt.timedelta(days=3)).isoformat(), "50.00", "己", "", again, ""]]):  # future
        preview, done = _import(finance, rows)
        assert done is None and preview.status_code in (200, 400)
        assert "zwt-import-commit" not in preview.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(BankLine)) == before


def test_a_transfer_already_registered_is_not_registered_again_and_ignored_lines_leave_the_queue(org, login):
    invoice = _invoice(org, total="500.00", issued_days_ago=2)
    ref = unique("B")
    payment = _pay(org, invoice.customer_id, "500.00", ref=ref)
    finance = login(org.finance_user)
    other = unique("B")
    _preview, done = _import(finance, [[company_today().isoformat(), "500.00", "甲", "", ref, ""],
                                       [company_today().isoformat(), "1.23", "银行利息", "", other, "结息"]])
    assert done.status_code == 302
    payments = db.session.scalar(select(func.count()).select_from(Payment))
    bank.match(org.finance_user, [_line(ref).id, _line(other).id])
    assert _line(ref).payment_id == payment.id and _line(ref).status == "matched"
    assert db.session.scalar(select(func.count()).select_from(Payment)) == payments
    assert _line(other).status == "unmatched"
    assert bank.ignore(org.finance_user, [_line(other).id]) == 1
    assert _line(other).status == "ignored"
    with pytest.raises(Exception):
        bank.register_for(org.finance_user, _line(other).id, invoice.customer_id)
    db.session.rollback()


def test_only_finance_sees_the_bank_statements(org, login):
    finance = login(org.finance_user)
    ref = unique("B")
    _preview, done = _import(finance, [[company_today().isoformat(), "9.99", "甲", "", ref, ""]])
    line = _line(ref)
    assert finance.get("/bank_lines/list/").status_code == 200
    for user in (org.east_rep, org.manager):
        client = login(user)
        assert client.get("/bank_lines/list/").status_code in (302, 403)
        assert client.get(f"/bank_lines_register/{line.id}").status_code in (302, 403)
        assert client.get(f"/api/v1/bank_lines/{line.id}").status_code in (401, 403)
    with pytest.raises(ValidationErrors):
        bank.create_line(org.finance_user, BankLine(booked_on=dt.date.today(), amount="0"))
    db.session.rollback()
