"""The widgets FAB draws in the browser speak Chinese: the select boxes' messages and the date
picker's months, weekdays and buttons (bundled locale files, nothing from other hosts)."""
from __future__ import annotations

from playwright.sync_api import expect


def test_select_boxes_and_date_pickers_of_a_form_are_chinese(as_admin):
    page = as_admin
    page.goto("/contracts/add")
    # The customer box searches as you type: its hint and its "nothing found" are Chinese.
    page.locator("#customer + .select2").click()
    expect(page.locator(".select2-results__message")).to_contain_text("请再输入至少")
    page.locator(".select2-search__field").fill("不存在的客户zzz")
    expect(page.locator(".select2-results__message")).to_have_text("未找到结果", timeout=10_000)
    page.keyboard.press("Escape")
    # The department box's blank choice reads as Chinese, not FAB's "__None".
    expect(page.locator("#department + .select2 .select2-selection__rendered")).not_to_contain_text("__None")
    # The date picker: weekdays and the month title in Chinese, weeks starting on Monday.
    page.locator("#starts_on").click()
    picker = page.locator(".datepicker-days")
    expect(picker).to_be_visible()
    expect(picker.locator("th.dow").first).to_have_text("一")
    expect(picker.locator("th.datepicker-switch")).to_contain_text("年")
