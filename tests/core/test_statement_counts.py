"""How many SQL statements a sales person's list and detail pages run, once the page is warm.

Counting statements is deterministic (unlike timing), so a page that starts reading per row or
twice per request fails here. Statements on the user's identity, roles, permissions and data
scopes are counted apart: the per-user permission cache answers them without SQL when warm.
CEILINGS are what the pages run today; TARGETS are the issue's limits (6 per list page, 10 per
detail page). A detail page draws its Detail tab and reads every tab's count in one statement;
the other tabs are drawn when opened (their fragment is counted too).
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.factories import make_customer
from tests.modules.contracts.helpers import make_contract

PERMISSION_TABLES = re.compile(r"\bFROM (ab_role|ab_user_role|ab_permission\w*|ab_view_menu|role_scope)\b", re.I)
CEILINGS = {"customer list": 5, "contract list": 5, "customer detail": 10, "contract detail": 10}
TARGETS = {"customer list": 6, "contract list": 6, "customer detail": 10, "contract detail": 10}
ROWS = 30   # more than a page: per-row statements would show as 25 more


def _count(client, url: str) -> tuple[int, list[str]]:
    client.get(url).close()                       # warm: caches filled, session loaded
    seen: list[str] = []

    def _after(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "after_cursor_execute", _after)
    try:
        resp = client.get(url)
        assert resp.status_code == 200, url
        resp.close()
    finally:
        event.remove(db.engine, "after_cursor_execute", _after)
    counted = [s for s in seen if not PERMISSION_TABLES.search(s)]
    return len(counted), counted


@pytest.fixture
def pages(org, login):
    from app.modules.customers import interactions, service as customers_service
    from app.modules.customers.models import Contact, Interaction

    customers = [make_customer(org.east_rep) for _ in range(ROWS)]
    contracts = [make_contract(org.east_rep, customers[i % 3]) for i in range(ROWS)]
    # the first customer's timeline names contacts and the people who logged its interactions
    contact = customers_service.create_contact(org.east_rep, Contact(customer_id=customers[0].id, name="统计联系人"))
    for subject in ("电话沟通", "上门拜访"):
        interactions.log_interaction(org.east_rep, Interaction(customer_id=customers[0].id, contact_id=contact.id,
                                                               kind="call", subject=subject))
    db.session.commit()
    client = login(org.east_rep)
    return client, {
        "customer list": "/customers/list/",
        "contract list": "/contracts/list/",
        "customer detail": f"/customers/show/{customers[0].id}",
        "contract detail": f"/contracts/show/{contracts[0].id}",
    }


@pytest.mark.parametrize("page", list(CEILINGS))
def test_a_page_runs_no_more_statements_than_it_does_today(pages, page):
    client, urls = pages
    count, statements = _count(client, urls[page])
    assert count <= CEILINGS[page], f"{page}: {count} statements\n" + "\n".join(s[:160] for s in statements)


def test_a_list_page_does_not_read_per_row(pages, org):
    """25 rows or 30: the same number of statements."""
    client, urls = pages
    full, _ = _count(client, urls["customer list"] + "?psize_CustomerView=25")
    small, _ = _count(client, urls["customer list"] + "?psize_CustomerView=10")
    assert full == small


@pytest.mark.parametrize("page", list(TARGETS))
def test_a_page_meets_the_statement_target(pages, page):
    client, urls = pages
    count, statements = _count(client, urls[page])
    assert count <= TARGETS[page], f"{page}: {count} statements\n" + "\n".join(s[:160] for s in statements)


@pytest.mark.parametrize("who", ["admin", "manager", "east_rep"])
def test_a_customers_page_meets_the_target_for_every_role(org, login, who):
    customer = make_customer(org.east_rep)
    for _ in range(3):
        make_contract(org.east_rep, customer)
    db.session.commit()
    count, statements = _count(login(getattr(org, who)), f"/customers/show/{customer.id}")
    assert count <= TARGETS["customer detail"], f"{who}: {count} statements\n" + "\n".join(s[:160] for s in statements)


@pytest.mark.parametrize("key", ["ContactView", "ContractView", "timeline", "comments", "history"])
def test_a_tab_drawn_when_opened_meets_the_detail_target(pages, key):
    client, urls = pages
    count, statements = _count(client, f"{urls['customer detail']}/tab/{key}")
    assert count <= TARGETS["customer detail"], f"{key}: {count} statements\n" + "\n".join(s[:160] for s in statements)


def test_the_stock_lists_read_their_products_warehouses_and_bins_once_not_per_row(org, login):
    """A list whose rows name other records (a stock level's product, warehouse and bin, in its columns and its
    label) reads each kind once for the page, whichever way the page's rows were read."""
    from app.modules.inventory import service
    from tests.factories import make_user
    from tests.modules.inventory.helpers import product, warehouse

    keeper = make_user("Warehouse", org.company)
    for _ in range(ROWS // 3):
        wh, bins = warehouse(bins=3)
        item = product()
        for place in bins:
            service.receive(keeper, item.id, wh.id, 5, bin_id=place.id)
    db.session.commit()
    client = login(keeper)
    for url in ("/stock_levels/list/", "/stock_moves/list/"):
        count, statements = _count(client, url)
        assert count <= 8, f"{url}: {count} statements:\n" + "\n".join(statements)


@pytest.mark.parametrize("page", ["customer list", "contract detail"])
def test_a_warm_page_asks_redis_once(pages, page):
    """The kept values' tokens, the permission cache's version and the browser session's record
    travel in one round trip to Redis (each was one of its own)."""
    import redis.client

    client, urls = pages
    client.get(urls[page]).close()
    trips: list[str] = []
    plain, piped = redis.client.Redis.execute_command, redis.client.Pipeline.execute

    def command(self, *args, **options):
        trips.append(str(args[0]))
        return plain(self, *args, **options)

    def pipeline(self, *args, **options):
        trips.append("PIPELINE")
        return piped(self, *args, **options)

    redis.client.Redis.execute_command, redis.client.Pipeline.execute = command, pipeline
    try:
        resp = client.get(urls[page])
    finally:
        redis.client.Redis.execute_command, redis.client.Pipeline.execute = plain, piped
    assert resp.status_code == 200
    assert trips == ["PIPELINE"], trips


@pytest.mark.parametrize("url", ["/contracts/list/", "/api/v1/contracts/?q=(page:0,page_size:25)"])
def test_a_contract_list_reads_its_customers_names_not_their_tags_or_owners(pages, app, org, api_token, url):
    """The customer a contract row names is read for its name: not with the customer's own tags
    (a statement of their own), owner and department."""
    client, _urls = pages
    headers = {}
    if url.startswith("/api/"):
        client, headers = app.test_client(), api_token(org.east_rep)
    client.get(url, headers=headers).close()
    seen: list[str] = []

    def _after(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "after_cursor_execute", _after)
    try:
        assert client.get(url, headers=headers).status_code == 200
    finally:
        event.remove(db.engine, "after_cursor_execute", _after)
    assert seen and not [s for s in seen if "customer_tags" in s], seen
    reads_customers = [s for s in seen if "customer" in s and "contract" in s and "ab_user" in s]
    assert not [s for s in reads_customers if "customer.owner_id = ab_user" in s.replace("ab_user_1", "ab_user")], \
        reads_customers


@pytest.mark.parametrize("url", ["/customers/list/", "/contracts/list/"])
def test_a_list_reads_of_the_owner_and_department_it_names_only_their_names(pages, org, url):
    """A row's owner and department are read for their names: not a user's password hash, logins
    or times, and the page's rows still come in one statement."""
    client, _urls = pages
    count, statements = _count(client, url)
    rows = [s for s in statements if " AS ab_user_1_" in s]
    assert len(rows) == 1, statements
    owner = set(re.findall(r"ab_user_1\.(\w+) AS ", rows[0]))           # the columns selected
    department = set(re.findall(r"department_1\.(\w+) AS ", rows[0]))
    assert owner == {"id", "first_name", "last_name", "username"}, owner
    assert department == {"id", "name"}, department
    if url.startswith("/contracts/"):
        customer = set(re.findall(r"customer_1\.(\w+) AS ", rows[0]))
        assert customer == {"id", "name", "pooled_at", "owner_id", "department_id"}, customer
        assert "customer_grade" not in rows[0]
    html = client.get(url).get_data(as_text=True)
    assert org.east_rep.display_name in html and org.east_rep.department.name in html
