"""掌务通 works without the internet: no page asks another host for anything (scripts, styles,
fonts, charts, images). The admin opens every page of the menu, one record's page and the add
form of every list, the charts, the statistics and the API description, and every request each
page makes is recorded."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
# Pages the menu does not list but users reach: the API description, their own menus' pages.
EXTRA_PAGES = ["/", "/swagger/v1", "/users/userinfo/", "/user_stats/", "/notifications/"]
SKIP = re.compile(r"^/(logout|lang)/|/delete/|/download/|/export|\.(csv|xlsx|pdf)(\?|$)")


@pytest.fixture(scope="module")
def records(app):
    """A customer and a contract, so every list has a row to open."""
    from app.core.org import User
    from app.extensions import db
    from tests.factories import make_customer
    from tests.modules.contracts.helpers import make_contract

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        customer = make_customer(admin, "离线检查客户有限公司")
        make_contract(admin, customer=customer, title="离线检查合同")
        db.session.remove()


def _same_site_links(page, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        if not href or not href.startswith("/") or href.startswith("//") or SKIP.search(href):
            continue
        path = href.split("#", 1)[0]
        if path and path not in out:
            out.append(path)
    return out


def test_no_page_of_the_menu_loads_anything_from_another_host(browser, live_server, admin_cookies, records):
    from tests.browser.conftest import new_context

    context, watch = new_context(browser, live_server)
    context.add_cookies(admin_cookies)
    requests: list[tuple[str, str]] = []
    page = context.new_page()
    page.on("request", lambda request: requests.append((page.url, request.url)))
    try:
        page.goto("/", wait_until="networkidle")
        menu = _same_site_links(page, "#zwt-sidebar a[href], .zwt-topbar a[href]")
        assert len(menu) > 15, f"the admin's menu has only {menu}"
        to_visit = list(dict.fromkeys(EXTRA_PAGES + menu))
        visited = []
        while to_visit:
            path = to_visit.pop(0)
            if path in visited:
                continue
            visited.append(path)
            # Each page until its load event: what its scripts ask for later is recorded while the next page loads.
            response = page.goto(path, wait_until="load")
            assert response is not None and response.status < 500, f"{path} answered {response and response.status}"
            if "/list/" in path:
                # One record's page and the add form of every list.
                for link in _same_site_links(page, "a[href*='/show/']")[:1] + _same_site_links(page, "a[href*='/add']")[:1]:
                    if link not in visited and link not in to_visit:
                        to_visit.append(link)
            if "/chart" in path or path.startswith("/user_stats"):
                page.wait_for_selector("[data-rendered='1']", timeout=10_000)
    finally:
        context.close()
    assert any("/show/" in p for p in visited) and any("/add" in p for p in visited), visited
    assert "/user_stats/" in visited
    foreign = sorted({f"{page_url} → {url}" for page_url, url in requests
                      if urlsplit(url).scheme in ("http", "https")
                      and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != live_server})
    assert foreign == [], "pages asked other hosts:\n" + "\n".join(foreign)
    assert watch.problems() == [], "\n".join(watch.problems())


# Markup that fetches from another host: src=, href= of stylesheets and icons, url() in styles.
_REMOTE = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:https?:)?//""",
                     re.I)


def test_no_template_or_stylesheet_of_the_app_names_another_host():
    files = [p for pattern in ("app/**/templates/**/*.html", "app/static/css/**/*.css", "app/static/js/**/*.js")
             for p in ROOT.glob(pattern)]
    assert len(files) > 20
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in files
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if _REMOTE.search(line) and "<a " not in line]
    assert found == [], "\n".join(found)
