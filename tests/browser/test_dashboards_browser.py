"""Dashboards in the browser: every chart of every shipped dashboard draws (as the admin, who sees them all), the
wall display too; an admin composes a dashboard by dragging reports onto it and saving; the reports centre's
chart opens the rows behind a bar when clicked. No script error, nothing from another host (the page fixture)."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, log_in


def _shipped(app):
    from sqlalchemy import select

    from app.extensions import db
    from app.modules.reports.models import Dashboard

    with app.app_context():
        found = [(d.id, d.code) for d in db.session.scalars(select(Dashboard).where(Dashboard.code.isnot(None))
                                                              .order_by(Dashboard.id))]
        db.session.remove()
    return found


def test_every_chart_of_every_shipped_dashboard_draws(app, page, shot):
    shipped = _shipped(app)
    assert {code for _id, code in shipped} == {"management", "sales", "finance", "warehouse", "purchasing"}
    log_in(page, *ADMIN)
    for dashboard_id, code in shipped:
        page.goto(f"/dashboards/{dashboard_id}")
        charts = page.locator(".zwt-widget .zwt-chart")
        assert charts.count() > 0, code
        for n in range(charts.count()):
            expect(charts.nth(n)).to_have_attribute("data-rendered", "1")
            assert charts.nth(n).get_attribute("data-error") is None, code
        shot(f"dashboard-{code}")
    page.goto(f"/dashboards/{shipped[0][0]}?wall=1")
    expect(page.locator("#zwt-wall")).to_be_visible()
    expect(page.locator("#zwt-wall .zwt-chart").first).to_have_attribute("data-rendered", "1")
    assert page.locator(".zwt-sidebar, nav.navbar").count() == 0 or not page.locator("nav.navbar").first.is_visible()
    assert page.locator('meta[http-equiv="refresh"]').count() == 1


def test_an_admin_composes_a_dashboard_by_dragging_reports(app, page, shot):
    from tests.conftest import unique

    log_in(page, *ADMIN)
    page.goto("/dashboards/new")
    name = unique("区域经营看板")
    page.fill("#name", name)
    target = page.locator("#zwt-layout-target")
    page.locator('.zwt-source-item[data-report="orders.sales_month"]').drag_to(target)
    page.locator('.zwt-source-item[data-report="invoices.summary"]').drag_to(target)
    expect(target.locator(".zwt-layout-item")).to_have_count(2)
    # the invoice summary dragged above the sales: the order changes
    target.locator('.zwt-layout-item[data-report="invoices.summary"]').drag_to(
        target.locator('.zwt-layout-item[data-report="orders.sales_month"]'), target_position={"x": 10, "y": 2})
    expect(target.locator(".zwt-layout-item").first).to_have_attribute("data-report", "invoices.summary")
    target.locator('.zwt-layout-item[data-report="invoices.summary"] .zwt-kind').select_option("number")
    page.locator('.zwt-source-item[data-report="customers.grades"]').focus()
    page.keyboard.press("Enter")
    expect(target.locator(".zwt-layout-item")).to_have_count(3)
    target.locator('.zwt-layout-item[data-report="customers.grades"] .zwt-remove').click()
    shot("dashboard-compose")
    page.locator("#zwt-dashboard-form [type=submit]").click()
    expect(page.locator(".zwt-widget")).to_have_count(2)
    expect(page.locator(".zwt-widget").first).to_have_attribute("data-report", "invoices.summary")
    expect(page.locator(".zwt-widget-number [data-kpi]")).to_have_count(1)
    expect(page.locator(".zwt-widget .zwt-chart")).to_have_attribute("data-rendered", "1")


def test_a_click_on_a_bar_opens_the_rows_behind_it(app, page):
    from sqlalchemy import select

    from app.core.org import User
    from app.extensions import db
    from tests.factories import make_customer

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == ADMIN[0]))
        make_customer(admin)
        db.session.remove()
    log_in(page, *ADMIN)
    page.goto("/reports/view/customers.overview?by=status")
    chart = page.locator("#chart-report")
    expect(chart).to_have_attribute("data-rendered", "1")
    first = page.locator("#zwt-report-table tbody a").first
    expected = first.get_attribute("href")
    box = chart.bounding_box()
    # a pie: its first slice starts at twelve o'clock, clockwise
    page.mouse.click(box["x"] + box["width"] / 2 + 12, box["y"] + box["height"] / 2 - box["height"] * 0.22)
    page.wait_for_url("**/reports/rows/customers.overview**")
    assert page.url.endswith(expected.split("/reports", 1)[1]) or "key=" in page.url
    expect(page.locator("#zwt-drill-rows")).to_be_visible()


def test_charts_do_not_animate_for_a_user_who_asked_for_reduced_motion(app, browser, live_server, admin_cookies):
    from sqlalchemy import select

    from app.core.org import User
    from app.extensions import db
    from tests.browser.conftest import new_context
    from tests.factories import make_customer

    with app.app_context():
        make_customer(db.session.scalar(select(User).where(User.username == ADMIN[0])))
        db.session.remove()

    def animated(reduced: bool) -> bool:
        context, watch = new_context(browser, live_server, reduced_motion="reduce" if reduced else "no-preference")
        try:
            context.add_cookies(admin_cookies)
            page = context.new_page()
            page.goto("/reports/view/customers.overview?by=status")
            expect(page.locator("#chart-report")).to_have_attribute("data-rendered", "1")
            return page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-report'))"
                                 ".getOption().animation")
        finally:
            context.close()
            assert not watch.problems(), "\n".join(watch.problems())

    assert animated(False) is not False
    assert animated(True) is False
