"""用户统计 (权限管理 ▸ User's Statistics) draws with the bundled ECharts from JSON aggregated in SQL,
for admins only; FAB's Google Charts page is gone."""
from __future__ import annotations

from tests.conftest import menu_links


def test_the_admin_opens_user_statistics_drawn_with_the_bundled_echarts(app, org, login):
    admin = login(org.admin)
    home = admin.get("/").get_data(as_text=True)
    assert "/user_stats/" in menu_links(admin, home)     # in the menu
    assert "userstatschartview" not in home.lower()
    page = admin.get("/user_stats/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/vendor/echarts/echarts.min.js" in html
    assert "gstatic" not in html and "google" not in html.lower()
    for name in ("logins", "roles", "departments", "failed"):
        assert f'data-chart-url="/user_stats/data/{name}"' in html


def test_user_statistics_data_counts_users_by_role_with_role_names_in_chinese(app, org, login):
    data = login(org.admin).get("/user_stats/data/roles").get_json()
    table = dict(data["table"])
    assert table["销售"] >= 3 and "Sales" not in table    # org has three sales users
    assert data["option"]["series"][0]["type"] == "pie"
    logins = login(org.admin).get("/user_stats/data/logins").get_json()
    assert logins["option"]["series"][0]["type"] == "bar" and logins["table"]


def test_fab_google_charts_page_is_gone_and_others_may_not_see_statistics(app, org, login):
    admin = login(org.admin)
    assert admin.get("/userstatschartview/chart/").status_code == 404
    rep = login(org.east_rep)
    assert rep.get("/user_stats/").status_code in (302, 403)
    assert rep.get("/user_stats/data/roles").status_code in (302, 403)
    assert admin.get("/user_stats/data/nothing").status_code == 404
