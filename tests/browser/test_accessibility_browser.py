"""axe-core on the main pages (login, home, list, detail, form, approvals) in the light and the dark
theme, at desktop and phone size: a serious or critical violation fails the test and names the
rule and the elements."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from tests.browser.conftest import ADMIN, log_in, new_context

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture(scope="module")
def records(app):
    from app.core.org import User
    from app.extensions import db
    from tests.factories import make_customer
    from tests.modules.contracts.helpers import make_contract

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == ADMIN[0]))
        customer = make_customer(admin, f"无障碍客户{uuid.uuid4().hex[:6]}", phone="13900002222")
        contract = make_contract(admin, customer)
        ids = customer.id, contract.id
        db.session.remove()
    return ids


def _serious(axe, page) -> list[str]:
    results = axe.run(page)
    return [f"{page.url} [{v['impact']}] {v['id']}: {v['help']} — "
            + ", ".join(str(node["target"]) for node in v["nodes"][:5])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_main_pages_have_no_serious_accessibility_problems(browser, live_server, axe, records, size, theme):
    customer_id, contract_id = records
    context, watch = new_context(browser, live_server)
    context.add_cookies([{"name": "zwt_theme", "value": theme, "url": live_server}])
    page = context.new_page()
    page.set_viewport_size(SIZES[size])
    problems = []
    try:
        page.goto("/login/")
        problems += _serious(axe, page)
        log_in(page, *ADMIN)
        for path in ("/", "/customers/list/", f"/customers/show/{customer_id}", "/customers/add",
                     f"/contracts/show/{contract_id}", f"/contracts/edit/{contract_id}", "/approvals/"):
            response = page.goto(path)
            assert response.status == 200, path
            problems += _serious(axe, page)
        # the open search dialog and user menu are checked too
        page.goto("/customers/list/")
        page.keyboard.press("Control+k")
        page.wait_for_timeout(200)
        problems += _serious(axe, page)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    assert not watch.problems(), "\n".join(watch.problems())
