"""A search's pages and count (datamodel.search_keys): on PostgreSQL read from a bounded window of
each data-scope branch along the list's order, or collected from the search indexes when the
window holds too few matches; on SQLite by FAB's plain query. Either way they are the rows and the
capped count of the plain query of the scope, in every scope, and a search shows no page past the
count cap: the list says so in the user's language."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from app.core import listing, listing_search
from tests.conftest import sampled
from tests.core.test_scope_plans import _as, crowded_list, scoped_people  # noqa: F401 (fixtures)


def _search(datamodel, term):
    from app.extensions import db

    filters = datamodel.get_filters([])
    filters._add_filter(listing._Search("id", datamodel),
                        listing.search_condition(datamodel.spec, term, db.engine.dialect.name))
    return filters


@pytest.mark.parametrize("window, walk, margin", [(4, 4, 1.5), (10_000, 10_000, 1.5), (4, 10_000, 0)],
                         ids=["collected", "window", "walked"])
def test_a_search_s_pages_are_the_plain_query_s_rows_in_every_scope(app, org, crowded_list, scoped_people,
                                                                    monkeypatch, window, walk, margin):
    """Window 4: most branches hold more rows than the window, so their matches are collected from
    the search indexes; window 10,000: every branch's window holds all its rows; window 4 and a
    walk of 10,000 taken whatever the window found: the matches are the first rows of the walk.
    Every sortable column both ways, pages inside the cap, a common and a rarer term (a share of the combinations:
    tests.conftest.sampled)."""
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.extensions import db

    monkeypatch.setattr(listing_search, "WINDOW", window)
    monkeypatch.setattr(listing_search, "WALK", walk)
    monkeypatch.setattr(listing_search, "WALK_MARGIN", margin)
    monkeypatch.setattr(listing_search, "COLLECT_COST", 1e9 if margin == 0 else listing_search.COLLECT_COST)
    marker, made = crowded_list
    spec = registry.get("customers")
    datamodel = ModuleInterface.for_spec(spec)
    datamodel.spec = dataclasses.replace(spec, count_cap=12)
    for label, user in scoped_people.items():
        context = _as(app, user)
        try:
            for term, column, direction, page in sampled((marker, f"{marker}乙"), ["id", *spec.order_columns],
                                                         ("asc", "desc"), (0, 1, 2), label=label):
                args = (column, direction, page, 5)
                count, rows = datamodel.query(_search(datamodel, term), *args)
                plain_count, plain = SQLAInterface.query(datamodel, _search(datamodel, term), *args)
                where = f"{label}, search {term}, {column} {direction}, page {page}"
                # The cap (12) cuts the third page of five short, as the list shows it.
                assert [r.id for r in rows] == [r.id for r in plain][:max(0, 12 - page * 5)], where
                assert count == min(plain_count, 13), where
            count, rows = datamodel.query(_search(datamodel, marker), "id", "desc", 0, 50)
            assert 0 < len(rows) <= 12 and count == (13 if len(rows) == 12 else len(rows)), label
        finally:
            context.pop()
    db.session.rollback()


def test_a_search_shows_no_page_past_the_count_cap(app, org, crowded_list):
    """Past the cap a search reads nothing, and the list page says why in Chinese, with a way back."""
    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.extensions import db

    marker, made = crowded_list
    spec = registry.get("customers")
    datamodel = ModuleInterface.for_spec(spec)
    datamodel.spec = dataclasses.replace(spec, count_cap=6)
    context = _as(app, org.admin)
    try:
        count, rows = datamodel.query(_search(datamodel, marker), "id", "desc", 2, 3)
        assert count == 7 and rows == []
        count, rows = datamodel.query(_search(datamodel, marker), "id", "desc", 1, 3)
        assert count == 7 and len(rows) == 3
    finally:
        context.pop()
    db.session.rollback()


def test_the_list_page_past_a_search_s_cap_tells_the_user(app, org, crowded_list, login):
    from app.core.registry import registry
    from app.extensions import db

    marker, made = crowded_list
    db.session.commit()
    spec = registry.get("customers")
    cap = spec.count_cap
    object.__setattr__(spec, "count_cap", 6)
    try:
        client = login(org.admin)
        name = "CustomerView"
        page = client.get(f"/customers/list/?q={marker}&page_{name}=2&psize_{name}=5")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'id="zwt-search-cap"' in html and "条" in html and "回到第一页" in html
        first = client.get(f"/customers/list/?q={marker}&psize_{name}=5").get_data(as_text=True)
        assert 'id="zwt-search-cap"' not in first and made[-1].name in first
    finally:
        object.__setattr__(spec, "count_cap", cap)


def test_a_contract_search_finds_by_code_and_title_only_within_the_scope(app, org):
    """Contracts, searched by their code and by a part of their title: each person finds their
    own, a manager their department's, nobody another department's."""
    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.extensions import db
    from app.modules.contracts.models import Contract
    from app.modules.contracts.service import create_contract
    from tests.conftest import unique
    from tests.factories import make_customer

    word = unique("约")
    made = {}
    for owner in (org.east_rep, org.east_rep2, org.south_rep):
        customer = make_customer(owner)
        made[owner.id] = create_contract(owner, Contract(title=f"{word}采购合同", customer_id=customer.id,
                                                         amount="100.00", standard_terms=True))
    db.session.flush()
    spec = registry.get("contracts")
    datamodel = ModuleInterface.for_spec(spec)
    east = {made[org.east_rep.id].id, made[org.east_rep2.id].id}
    expected = {org.east_rep: {made[org.east_rep.id].id}, org.manager: east | {made[org.south_rep.id].id},
                org.admin: set(c.id for c in made.values())}
    for user, ids in expected.items():
        context = _as(app, user)
        try:
            for term in (word, f"{word}采购"):
                count, rows = datamodel.query(_search(datamodel, term), "id", "desc", 0, 25)
                assert {r.id for r in rows} == ids and count == len(ids), (user.username, term)
            mine = made[org.east_rep.id]
            count, rows = datamodel.query(_search(datamodel, mine.code.lower()), "id", "desc", 0, 25)
            assert [r.id for r in rows] == ([mine.id] if mine.id in ids else []), user.username
        finally:
            context.pop()
    db.session.rollback()


def test_a_contact_or_interaction_page_brings_the_records_its_columns_name(app, org):
    """PostgreSQL (pages read by key): a contacts or interactions page reads the customer, contact
    and user its columns show together with its rows, not one statement per row."""
    from sqlalchemy import event

    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.extensions import db
    from app.modules.customers.models import Contact, Interaction
    from tests.factories import make_customer

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite lists are read by FAB's own query")
    for i in range(6):
        customer = make_customer(org.east_rep)
        contact = Contact(customer_id=customer.id, name=f"联系人{i}", phone=f"1390000{i:04d}")
        db.session.add(contact)
        db.session.flush()
        db.session.add(Interaction(customer_id=customer.id, contact_id=contact.id, kind="call", subject="回访",
                                   occurred_at=customer.created_at, user_id=org.east_rep.id))
    db.session.flush()
    context = _as(app, org.east_rep)
    try:
        for module, related in (("contacts", ("customer",)), ("interactions", ("customer", "contact", "user"))):
            spec = registry.get(module)
            datamodel = ModuleInterface.for_spec(spec)
            column = spec.base_order[0] if spec.base_order else "id"
            datamodel.query(datamodel.get_filters([]), column, "desc", 0, 25)  # the user's roles, read once
            db.session.expire_all()
            statements = []

            def seen(conn, cursor, statement, *args):
                statements.append(statement)

            event.listen(db.engine, "before_cursor_execute", seen)
            try:
                count, rows = datamodel.query(datamodel.get_filters([]), column, "desc", 0, 25)
                names = [[getattr(getattr(row, name), "id", None) for name in related] for row in rows]
            finally:
                event.remove(db.engine, "before_cursor_execute", seen)
            assert len(rows) >= 6 and all(all(n) for n in names[:6]), module
            assert len(statements) <= 4, (module, len(statements), statements)
    finally:
        context.pop()
    db.session.rollback()


def test_contacts_searched_and_sorted_are_those_of_the_customers_each_scope_sees(app, org, crowded_list,
                                                                               scoped_people):
    """Contacts take their scope from their customer (own, the department's, the shared pool's):
    read branch by branch, searched or sorted, a page holds the plain query's rows."""
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.core.scope import scope_clause
    from app.extensions import db
    from app.modules.customers.models import Contact, Customer

    marker, made = crowded_list
    for i, customer in enumerate(made):
        db.session.add(Contact(customer_id=customer.id, name=f"{marker}联系{i:02d}", phone=f"1380000{i:04d}"))
    db.session.flush()
    spec = registry.get("contacts")
    datamodel = ModuleInterface.for_spec(spec)
    customers = registry.get("customers")
    for label, user in scoped_people.items():
        clause = scope_clause(customers, user)
        among = select(Customer.id).where(Customer.id.in_([c.id for c in made]))
        visible = set(db.session.scalars(among if clause is None else among.where(clause)))
        context = _as(app, user)
        try:
            for term in (marker, None):
                for column in ("id", "name", "phone"):
                    for page in (0, 2):
                        filters = _search(datamodel, term) if term else datamodel.get_filters([])
                        count, rows = datamodel.query(filters, column, "desc", page, 5)
                        plain_count, plain = SQLAInterface.query(
                            datamodel, _search(datamodel, term) if term else datamodel.get_filters([]),
                            column, "desc", page, 5)
                        assert [r.id for r in rows] == [r.id for r in plain], (label, term, column, page)
                        assert count == min(plain_count, spec.count_cap + 1), (label, term, column, page)
            count, rows = datamodel.query(_search(datamodel, marker), "id", "desc", 0, 50)
            assert {r.customer_id for r in rows} == visible and count == len(visible), label
        finally:
            context.pop()
    db.session.rollback()
