"""Importing customers and commenting in a real browser: download the template, upload a file
with a bad row and see it listed, upload the corrected file, preview and import; comment on a
customer with an @mention and follow it."""
from __future__ import annotations

import csv
import io
import uuid

from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import ADMIN, log_in


def _customers_named(app, prefix: str) -> int:
    from app.extensions import db
    from app.modules.customers.models import Customer

    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(Customer).where(Customer.name.like(f"{prefix}%")))
        finally:
            db.session.remove()


def _csv_file(header, rows) -> dict:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return {"name": "客户导入.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode("gbk")}


def test_import_a_file_after_correcting_the_row_the_preview_pointed_out(page, app, zh, shot):
    log_in(page, *ADMIN)
    page.goto("/customers/import/")
    expect(page.locator(".panel-heading .panel-title").first).to_have_text(zh("Import customers"))
    with page.expect_download() as download:
        page.locator("#zwt-template-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    prefix = f"浏览器导入{uuid.uuid4().hex[:6]}"
    header = ["客户名称", "类型", "行业", "电话", "信用额度"]
    bad = [[f"{prefix}甲", "企业", "制造业", "13800000", "5000"], [f"{prefix}乙", "个人", "", "", ""]]
    page.set_input_files("#zwt-import-file", _csv_file(header, bad))
    page.locator("#zwt-import-upload").click()
    expect(page.locator("#zwt-import-rejected")).to_be_visible()
    problems = page.locator("#zwt-import-problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first).to_have_attribute("data-row", "2")
    expect(problems.first).to_contain_text("电话")
    shot("problems")
    assert _customers_named(app, prefix) == 0

    page.goto("/customers/import/")
    good = [[f"{prefix}甲", "企业", "制造业", f"1380{uuid.uuid4().int % 10**7:07d}", "5000"], bad[1]]
    page.set_input_files("#zwt-import-file", _csv_file(header, good))
    page.locator("#zwt-import-upload").click()
    expect(page.locator("#zwt-import-preview tbody tr")).to_have_count(2)
    shot("preview")
    page.locator("#zwt-import-commit button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text(zh("%(count)d %(things)s imported.", count=2,
                                                               things=zh("Customers")))
    assert _customers_named(app, prefix) == 2


def test_comment_with_a_mention_and_follow_a_customer(page, app, zh, shot):
    from app.core.org import User
    from app.extensions import db
    from tests.factories import make_customer, make_user

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        colleague = make_user("Manager")
        customer = make_customer(admin, f"浏览器评论{uuid.uuid4().hex[:6]}")
        customer_id, colleague_name = customer.id, colleague.username
        db.session.remove()

    log_in(page, *ADMIN)
    page.goto(f"/customers/show/{customer_id}")
    page.locator("#zwt-comments-tab").click()
    expect(page.locator("#zwt-no-comments")).to_be_visible()
    page.fill("#zwt-comment-body", f"@{colleague_name} 请本周内回访")
    page.locator("#zwt-comment-submit").click()
    page.locator("#zwt-comments-tab").click()
    comment = page.locator("#zwt-comment-list .zwt-comment")
    expect(comment).to_have_count(1)
    expect(comment.first.locator(".zwt-mention")).to_have_text(f"@{colleague_name}")
    expect(page.locator("#zwt-unfollow")).to_be_visible()  # commenting follows the record
    shot("commented")
    page.locator("#zwt-unfollow").click()
    page.locator("#zwt-comments-tab").click()
    expect(page.locator("#zwt-follow")).to_have_text(zh("Follow"))


def test_import_contracts_from_the_lists_import_button(page, app, zh, shot):
    from app.core.org import User
    from app.extensions import db
    from app.modules.contracts.models import Contract
    from tests.factories import make_customer

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        customer = make_customer(admin, f"浏览器合同客户{uuid.uuid4().hex[:6]}")
        code = customer.code
        db.session.remove()

    log_in(page, *ADMIN)
    page.goto("/contracts/list/")
    page.locator("#zwt-import").click()
    expect(page.locator(".panel-heading .panel-title").first).to_have_text(
        zh("Import %(things)s", things=zh("Contracts")))
    with page.expect_download() as download:
        page.locator("#zwt-template-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    prefix = f"浏览器合同{uuid.uuid4().hex[:6]}"
    header = ["合同名称", "客户", "合同金额", "签订日期", "负责人(用户名)"]
    rows = [[f"{prefix}甲", code, "￥12,000.00", "2026/5/1", "admin"], [f"{prefix}乙", code, "8000元", "", ""]]
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    page.set_input_files("#zwt-import-file", {"name": "合同.csv", "mimeType": "text/csv",
                                              "buffer": out.getvalue().encode("gbk")})
    page.locator("#zwt-import-upload").click()
    expect(page.locator("#zwt-import-preview tbody tr")).to_have_count(2)
    shot("contracts-preview")
    page.locator("#zwt-import-commit button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text(zh("%(count)d %(things)s imported.", count=2,
                                                               things=zh("Contracts")))
    with app.app_context():
        try:
            titles = db.session.scalars(select(Contract.title).where(Contract.title.like(f"{prefix}%"))).all()
        finally:
            db.session.remove()
    assert sorted(titles) == [f"{prefix}乙", f"{prefix}甲"]
