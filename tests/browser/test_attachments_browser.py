"""A sales rep drops a quotation on a customer's 附件 tab, watches it upload, and sees it listed;
the picture's thumbnail and preview come from the app's own origin."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def rep_with_customer(app):
    from app.extensions import db
    from tests.factories import make_customer, make_user

    with app.app_context():
        rep = make_user("Sales")
        customer = make_customer(rep, f"宁波附件{uuid.uuid4().hex[:8]}有限公司")
        data = SimpleNamespace(username=rep.username, customer_id=customer.id)
        db.session.remove()
    return data


def test_upload_a_file_on_the_attachments_tab_and_see_it_listed(page, rep_with_customer, shot, zh):
    data = rep_with_customer
    log_in(page, data.username, PASSWORD)
    page.goto(f"/customers/show/{data.customer_id}")
    page.locator("#zwt-attachments-tab").click()
    expect(page.locator("#zwt-no-files")).to_have_text(zh("No files yet."))
    expect(page.locator("#zwt-files-form")).to_be_visible()
    # The tab arrives when opened, its script after it: files chosen before the script has set the
    # form up would be posted without progress bars (the plain form's way).
    expect(page.locator('#zwt-files[data-ready="1"]')).to_have_count(1)

    page.set_input_files("#zwt-files-input", files=[
        {"name": "年度报价单.pdf", "mimeType": "application/pdf", "buffer": PDF},
        {"name": "伪装.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00\x03" + b"\x00" * 64},
    ])
    # Each file has its own progress line; the disguised program is refused by its content.
    rows = page.locator("#zwt-files-progress li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_class("text-success")
    expect(rows.nth(1)).to_have_class("text-danger")
    expect(rows.nth(1)).to_contain_text("伪装.pdf")
    shot("refused")

    page.reload()
    page.locator("#zwt-attachments-tab").click()
    listed = page.locator("#zwt-files-list tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first.locator(".zwt-files-name")).to_have_text("年度报价单.pdf")
    expect(page.locator("#zwt-attachments-tab .zwt-tab-badge")).to_have_text("1")
    with page.expect_download() as download:
        listed.first.locator(".zwt-files-download").click()
    assert download.value.suggested_filename == "年度报价单.pdf"
    shot("listed")

    page.once("dialog", lambda dialog: dialog.accept())
    listed.first.locator(".zwt-files-delete").click()
    page.locator("#zwt-attachments-tab").click()
    expect(page.locator("#zwt-no-files")).to_be_visible()
