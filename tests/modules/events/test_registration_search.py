"""The registrations list filtered by a part of the mobile number: the matching rows, and on PostgreSQL a condition
on the number's digits that their trigram index (events_0004) serves, instead of the digits' bigrams."""
from __future__ import annotations

import pytest
from sqlalchemy import event as sa_event, text

from app.extensions import db
from app.modules.events import service
from tests.modules.events.helpers import event, phone


def test_registrations_filtered_by_a_part_of_the_mobile_number(app, org, login):
    from tests.factories import make_user

    marketer = make_user("Marketing", org.company)
    made = event(marketer, capacity=20)
    numbers = [phone() for _ in range(3)]
    names = [f"搜号{i}" for i in range(3)]
    for name, number in zip(names, numbers):
        service.register(None, made.id, {"name": name, "phone": number})
    part = numbers[1][4:11]
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    client = login(marketer)
    sa_event.listen(db.engine, "before_cursor_execute", seen)
    try:
        page = client.get(f"/event_registrations/list/?_flt_2_phone={part}")
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", seen)
    shown = page.get_data(as_text=True)
    assert page.status_code == 200
    assert names[1] in shown and names[0] not in shown and names[2] not in shown
    if db.engine.dialect.name == "postgresql":
        listing = [s for s in statements if "event_registration" in s and f"%{part}%" in s]
        assert listing and all("replace(replace(event_registration.phone" in s for s in listing), listing
        assert not any("zwt_bigrams(event_registration.phone" in s for s in listing)


def test_the_digits_condition_is_the_trigram_index(app, ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's")
    from app.core import global_search

    assert ("event_registration", "phone") in global_search._trigram_phone_columns()
    with db.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(conn.execute(text(
            "EXPLAIN SELECT id FROM event_registration WHERE replace(replace(phone, '-', ''), ' ', '') "
            "LIKE '%0004242%'")).scalars())
    assert "ix_event_registration_phone_trgm_search" in plan, plan
