"""The home page shows the signed-in user's own work — approvals waiting, follow-ups due, recent
customers and contracts, unread notifications — each only when the user may read that module;
and the app has a favicon."""
from __future__ import annotations

import datetime as dt
import re

from flask_babel import force_locale, gettext
from markupsafe import escape

from app.core import notify
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.models import Customer
from app.modules.customers.service import local_today
from app.workflow import engine
from tests.factories import make_customer, make_user
from tests.modules.contracts.helpers import make_contract


def shown(app, msgid, **params) -> str:
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return str(escape(gettext(msgid, **params)))


def panel(html: str, key: str) -> str | None:
    """The markup of one home panel, or None when the page has no such panel."""
    found = re.search(rf'<section class="zwt-card zwt-home-panel" id="zwt-home-{re.escape(key)}"[^>]*>(.*?)</section>',
                      html, re.S)
    return found.group(1) if found else None


def follow_up(customer, day: dt.date) -> None:
    with unit_of_work(None):
        db.session.get(Customer, customer.id).next_follow_up_on = day


def test_a_sales_user_sees_their_follow_ups_customers_contracts_and_notices_and_nobody_elses(app, org, login):
    rep = org.east_rep
    overdue = make_customer(rep, name="逾期跟进客户")
    follow_up(overdue, local_today() - dt.timedelta(days=3))
    later = make_customer(rep, name="下周跟进客户")
    follow_up(later, local_today() + dt.timedelta(days=5))
    far = make_customer(rep, name="下月跟进客户")
    follow_up(far, local_today() + dt.timedelta(days=30))
    contract = make_contract(rep, customer=overdue, title="首页合同")
    others = make_customer(org.east_rep2, name="同事的客户")
    follow_up(others, local_today())
    make_contract(org.east_rep2, customer=others, title="同事的合同")
    with unit_of_work(None) as uow:
        notify.notify(uow, [rep], "首页通知标题", mail=False)

    resp = login(rep).get("/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert shown(app, "Hello, %(name)s", name=rep.display_name) in html

    follow_ups = panel(html, "follow-ups")
    assert follow_ups is not None and shown(app, "My follow-ups") in follow_ups
    assert "逾期跟进客户" in follow_ups and shown(app, "%(n)d days overdue", n=3) in follow_ups
    assert "下周跟进客户" in follow_ups
    assert "下月跟进客户" not in follow_ups and "同事的客户" not in follow_ups
    assert re.search(r'zwt-home-count">1<', follow_ups)          # due by today: the overdue one

    customers = panel(html, "recent-customers")
    assert customers is not None and overdue.code in customers and f'/customers/show/{overdue.id}"' in customers
    assert "同事的客户" not in customers
    contracts = panel(html, "recent-contracts")
    assert contracts is not None and "首页合同" in contracts and contract.code in contracts
    assert "同事的合同" not in contracts

    notices = panel(html, "notifications")
    assert notices is not None and "首页通知标题" in notices
    approvals = panel(html, "approvals")
    assert approvals is not None and shown(app, "Nothing waits for your approval.") in approvals
    # No empty promises of modules that do not exist.
    assert "Customers, contracts, orders, invoices and collections in one place" not in html
    assert shown(app, "Customers, contracts, orders, invoices and collections in one place.") not in html


def test_the_manager_sees_the_approval_waiting_for_them_with_a_link_to_the_task(app, org, login):
    contract = make_contract(org.east_rep, title="待审批的首页合同")
    run = engine.submit(org.east_rep, "contracts", contract.id)
    from tests.workflow.helpers import task_of

    task = task_of(run, org.manager)
    html = login(org.manager).get("/").get_data(as_text=True)
    approvals = panel(html, "approvals")
    assert approvals is not None
    assert f'href="/approvals/task/{task.id}"' in approvals and "待审批的首页合同" in approvals
    assert re.search(r'zwt-home-count">1<', approvals)


def test_panels_follow_permissions_a_warehouse_user_gets_no_contracts_panel(app, org, login):
    clerk = make_user("Warehouse", org.company)
    html = login(clerk).get("/").get_data(as_text=True)
    assert panel(html, "recent-contracts") is None          # Warehouse may not read contracts
    assert panel(html, "recent-customers") is not None
    assert panel(html, "notifications") is not None


def test_the_admin_sees_every_panel_of_their_own_work(app, org, login):
    html = login(org.admin).get("/").get_data(as_text=True)
    for key in ("approvals", "follow-ups", "recent-customers", "recent-contracts", "notifications"):
        assert panel(html, key) is not None, key


def test_visitors_are_sent_to_the_login_page(app):
    resp = app.test_client().get("/")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]


def test_the_favicon_is_served_and_linked_from_every_page(app, org, login):
    client = app.test_client()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"     # an .ico file
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data
    for html in (client.get("/login/").get_data(as_text=True), login(org.east_rep).get("/").get_data(as_text=True)):
        assert re.search(r'<link rel="icon" href="/static/favicon\.svg(\?v=[0-9a-f]+)?"', html)


def test_every_panel_count_is_asked_in_one_statement_beside_the_top_bar_badge(app, org, login):
    from sqlalchemy import event as sa_event

    rep = org.east_rep
    follow_up(make_customer(rep, name="计数跟进客户"), local_today())
    make_contract(rep, title="计数合同")
    client = login(rep)
    client.get("/")
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", seen)
    try:
        html = client.get("/").get_data(as_text=True)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", seen)
    counting = [s for s in statements if "count(" in s.lower()]
    # the badge's statement (unread notifications and approvals waiting) and one for every other panel's count
    assert len(counting) == 2, counting
    assert re.search(r'zwt-home-count">1<', panel(html, "follow-ups"))
    assert re.search(r'zwt-home-count">1<', panel(html, "recent-contracts"))
    assert shown(app, "Nothing waits for your approval.") in panel(html, "approvals")
