"""On PostgreSQL a list page's rows are fetched by the keys of the page, read once: the REST list
joins each contract to its customer, owner and department, and written as "IN (keys)" the planner
joined the whole table first and kept the page last (1.7 s at a million contracts)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.factories import make_customer


def test_the_rest_list_reads_its_page_by_key_and_returns_the_newest_rows(app, org, api_token):
    from app.extensions import db
    from app.modules.contracts.models import Contract
    from app.modules.contracts.service import create_contract

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite reads pages as FAB does")
    customer = make_customer(org.east_rep, "按键取页客户")
    made = [create_contract(org.east_rep, Contract(title=f"按键取页{i}", customer_id=customer.id, amount="100.00"))
            for i in range(3)]
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        resp = app.test_client().get("/api/v1/contracts/?q=(page:0,page_size:2)",
                                     headers=api_token(org.admin))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    newest = sorted((c.id for c in made), reverse=True)[:2]
    assert body["ids"] == newest and [row["title"] for row in body["result"]] == ["按键取页2", "按键取页1"]
    rows = [s for s in statements if "FROM contract" in s and "JOIN customer" in s and "count(" not in s]
    assert rows and all("contract.id = ANY (ARRAY(SELECT" in s for s in rows), rows
