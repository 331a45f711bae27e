"""The contacts and interactions lists searched and narrowed to a period: on PostgreSQL through
their indexes (bigrams of contact names and interaction subjects, the per-branch name indexes of
customers), and on both databases the rows of the plain query of the user's scope: a row of a
customer the user may not see never appears, whichever way the search is read (window, walk or
search indexes: app/core/listing_search.py)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select, text

from app.core import listing, listing_search
from tests.conftest import unique
from tests.core.test_scope_plans import _as, _page_filters, _plan, crowded_list, scoped_people  # noqa: F401 (fixtures)
from tests.factories import make_customer

LIST_INDEXES = ("ix_interaction_subject_bigram", "ix_contact_customer_id_id_sort", "ix_contact_name_bigram",
                "ix_customer_owner_id_name_sort", "ix_customer_department_id_name_sort",
                "ix_contact_owner_id_name_sort", "ix_contact_department_id_name_sort", "ix_contact_pooled_name_sort",
                "ix_contact_owner_id_phone_sort", "ix_contact_department_id_phone_sort",
                "ix_contact_pooled_phone_sort", "ix_interaction_owner_follow_up_sort",
                "ix_interaction_department_follow_up_sort", "ix_interaction_pooled_follow_up_sort",
                "ix_customer_owner_id_status_sort", "ix_customer_department_id_status_sort",
                "ix_customer_pooled_status_sort", "ix_contract_owner_id_status_sort",
                "ix_contract_department_id_status_sort", "ix_contact_owner_id_created_at_sort",
                "ix_contact_department_id_created_at_sort", "ix_contact_pooled_created_at_sort")


def _rows(html: str) -> str:
    """The list's rows (none: the list shows its empty state instead of a table)."""
    if "zwt-list-table" not in html:
        return ""
    table = html.index("zwt-list-table")
    return html[html.index("<tbody>", table):html.index("</tbody>", table)]


def _postgres_only():
    from app.extensions import db

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no such indexes, and scans its few thousand rows")


def _search(datamodel, term):
    from app.extensions import db

    filters = datamodel.get_filters([])
    filters._add_filter(listing._Search("id", datamodel),
                        listing.search_condition(datamodel.spec, term, db.engine.dialect.name))
    return filters


def test_the_list_indexes_are_built_and_valid(app, ctx):
    from app.extensions import db

    _postgres_only()
    rows = dict(db.session.execute(text(
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = ANY(:names)"), {"names": list(LIST_INDEXES)}).all())
    assert rows == {name: True for name in LIST_INDEXES}


@pytest.mark.parametrize("module, term, index", [("interactions", "采购", "ix_interaction_subject_bigram"),
                                                 ("contacts", "海燕", "ix_contact_name_bigram")])
def test_a_subject_or_contact_name_search_finds_its_candidates_in_the_bigram_index(app, ctx, module, term, index):
    """The search box's condition as the search indexes read it (step 3 of listing_search): the
    bigram index, not a scan of ten million subjects."""
    from app.core.registry import registry
    from app.extensions import db

    _postgres_only()
    spec = registry.get(module)
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = _plan(db, select(spec.model.id).where(listing.search_condition(spec, term, "postgresql")))
    assert index in plan and "Seq Scan" not in plan, plan
    db.session.rollback()


def test_a_search_sorted_by_name_reads_an_owner_s_window_from_the_owner_s_name_index(app, org):
    """Own scope, sorted by name: the window's keys are a range of (owner_id, name, id), not every
    customer of the owner sorted."""
    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.extensions import db

    _postgres_only()
    spec = registry.get("customers")
    datamodel = ModuleInterface.for_spec(spec)
    context = _as(app, org.east_rep)
    try:
        # The planner knows the table as it is at a million rows in the small: many customers of other owners, a
        # few of this one (whatever earlier tests left), so that walking every name to keep the owner's costs more.
        db.session.execute(text(
            "INSERT INTO customer (code, name, kind, status, credit_limit, created_at, updated_at, owner_id) "
            "SELECT 'PLAN-' || g, '计划' || g, 'company', 'active', 0, now(), now(), :other "
            "FROM generate_series(1, 3000) g"), {"other": org.south_rep.id})
        db.session.execute(text("ANALYZE customer"))
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        db.session.execute(text("SET LOCAL enable_bitmapscan = off"))
        # The window is read in its order from an index, not sorted: only an index that matches its WHERE and
        # ORDER BY does that.
        db.session.execute(text("SET LOCAL enable_sort = off"))
        statements = []
        from sqlalchemy import event

        def seen(conn, cursor, statement, parameters, *args):
            statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            datamodel.search_keys(_search(datamodel, "科技"), "name", "asc")
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        statement, parameters = next((s, p) for s, p in statements if "zwt_window_0" in s)
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "ix_customer_owner_id_name_sort" in plan, plan
    finally:
        context.pop()
    db.session.rollback()


@pytest.mark.parametrize("module, column, names", [
    ("contacts", "name", ("ix_contact_owner_id_name_sort", "ix_contact_department_id_name_sort")),
    ("contacts", "phone", ("ix_contact_owner_id_phone_sort", "ix_contact_department_id_phone_sort")),
    ("interactions", "next_follow_up_on", ("ix_interaction_owner_follow_up_sort",
                                           "ix_interaction_department_follow_up_sort")),
])
def test_a_child_list_sorted_by_a_column_reads_each_scope_branch_in_that_order(app, org, scoped_people, module,
                                                                                 column, names):
    """Contacts by name or phone, interactions by next follow-up: in the own and the department
    scope the page's keys come in order from the branch's own index (owner's, department's), not
    from every row of the branch sorted."""
    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.extensions import db

    _postgres_only()
    datamodel = ModuleInterface.for_spec(registry.get(module))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_sort = off"))
    for label, index in zip(("own", "department"), names):
        context = _as(app, scoped_people[label])
        try:
            for way in ("asc", "desc"):
                plan = _plan(db, datamodel.page_keys(_page_filters(datamodel), column, way, 0, 25))
                assert index in plan, f"{label}, {column} {way}:\n{plan}"
        finally:
            context.pop()
    db.session.rollback()


@pytest.fixture
def timelines(app, org, crowded_list):
    """Interactions on every crowded customer: a subject with the marker on each, one this week and
    one a year ago (created now, both)."""
    from app.extensions import db
    from app.modules.customers.models import Interaction

    marker, made = crowded_list
    now = dt.datetime.utcnow().replace(microsecond=0)
    for i, customer in enumerate(made):
        for when in (now - dt.timedelta(minutes=i), now - dt.timedelta(days=370 + i)):
            db.session.add(Interaction(customer_id=customer.id, kind="call", subject=f"{marker}回访{i:02d}",
                                       occurred_at=when, user_id=customer.owner_id or org.admin.id))
    db.session.flush()
    return marker, made


@pytest.mark.parametrize("window, walk, margin", [(3, 3, 1.5), (3, 10_000, 0), (10_000, 10_000, 1.5)],
                         ids=["collected", "walked", "window"])
def test_interactions_searched_are_those_of_the_customers_each_scope_sees(app, org, timelines, scoped_people,
                                                                          monkeypatch, window, walk, margin):
    """Interactions take their scope from their customer: searched by subject, in list order or
    by kind, each page is the plain query's, and no interaction of a customer outside the scope
    is among the matches, however the search is read."""
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.core.scope import scope_clause
    from app.extensions import db
    from app.modules.customers.models import Customer

    monkeypatch.setattr(listing_search, "WINDOW", window)
    monkeypatch.setattr(listing_search, "WALK", walk)
    monkeypatch.setattr(listing_search, "WALK_MARGIN", margin)
    monkeypatch.setattr(listing_search, "COLLECT_COST", 1e9 if margin == 0 else listing_search.COLLECT_COST)
    marker, made = timelines
    spec = registry.get("interactions")
    datamodel = ModuleInterface.for_spec(spec)
    datamodel.spec = dataclasses.replace(spec, count_cap=30)
    customers = registry.get("customers")
    for label, user in scoped_people.items():
        clause = scope_clause(customers, user)
        among = select(Customer.id).where(Customer.id.in_([c.id for c in made]))
        visible = set(db.session.scalars(among if clause is None else among.where(clause)))
        context = _as(app, user)
        try:
            for column, direction in (("occurred_at", "desc"), ("kind", "asc"), ("occurred_at", "asc")):
                for page in (0, 1):
                    count, rows = datamodel.query(_search(datamodel, marker), column, direction, page, 10)
                    plain_count, plain = SQLAInterface.query(datamodel, _search(datamodel, marker), column,
                                                             direction, page, 10)
                    where = (label, column, direction, page)
                    assert [r.id for r in rows] == [r.id for r in plain][:max(0, 30 - page * 10)], where
                    assert count == min(plain_count, 31), where
            count, rows = datamodel.query(_search(datamodel, marker), "occurred_at", "desc", 0, 100)
            assert {r.customer_id for r in rows} <= visible, label
            assert len(rows) == min(30, 2 * len(visible)), label
        finally:
            context.pop()
    db.session.rollback()


def test_this_week_s_interactions_are_those_that_happened_this_week_in_the_user_s_scope(app, org, login):
    """本周 / 本月 on the interactions list read when they happened (the list's own order), not when
    they were written down; another sales person's interactions never appear."""
    from app.extensions import db
    from app.modules.customers.models import Interaction

    mine, theirs = make_customer(org.east_rep, unique("本周客户")), make_customer(org.south_rep, unique("别人客户"))
    now = dt.datetime.utcnow().replace(microsecond=0)
    subjects = {key: unique(key) for key in ("today", "long-ago", "theirs")}
    db.session.add_all([
        # recorded a year late: it happened today
        Interaction(customer_id=mine.id, kind="call", subject=subjects["today"], occurred_at=now,
                    created_at=now - dt.timedelta(days=400), user_id=org.east_rep.id),
        # written down today about a visit of last year
        Interaction(customer_id=mine.id, kind="visit", subject=subjects["long-ago"],
                    occurred_at=now - dt.timedelta(days=400), created_at=now, user_id=org.east_rep.id),
        Interaction(customer_id=theirs.id, kind="call", subject=subjects["theirs"], occurred_at=now,
                    user_id=org.south_rep.id),
    ])
    db.session.commit()
    client = login(org.east_rep)
    for period in ("week", "month"):
        resp = client.get(f"/interactions/list/?period={period}")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert subjects["today"] in html, period
        assert subjects["long-ago"] not in html and subjects["theirs"] not in html, period
    resp = client.get(f"/interactions/list/?period=week&q={subjects['theirs']}")
    assert resp.status_code == 200 and subjects["theirs"] not in _rows(resp.get_data(as_text=True))
    resp = client.get(f"/interactions/list/?period=week&q={subjects['today']}")
    assert resp.status_code == 200 and subjects["today"] in _rows(resp.get_data(as_text=True))
