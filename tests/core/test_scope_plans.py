"""On PostgreSQL the customer list, sorted and searched, is served by indexes in every data scope
(own with the shared pool, department, department and below, all): no plan reads the whole
customer table. Sequential scans are switched off so that a plan showing one has no index to use
(at a test's sizes the planner would otherwise prefer scanning a small table)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select, text

from app.core import listing
from app.core.scope import scope_clause
from tests.conftest import sampled
from tests.factories import make_user


def _plan(db, stmt) -> str:
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    return "\n".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql)))


@pytest.fixture
def scoped_people(app, org):
    return {"own": org.east_rep, "department": make_user("Manager", org.east),
            "department and below": org.manager, "all": org.admin}


def test_every_scope_lists_sorts_and_searches_customers_through_indexes(app, org, scoped_people):
    from app.core.registry import registry
    from app.extensions import db
    from app.modules.customers.models import Customer

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    spec = registry.get("customers")
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    for label, user in scoped_people.items():
        clause = scope_clause(spec, user)
        base = select(Customer.id) if clause is None else select(Customer.id).where(clause)
        statements = [base.order_by(Customer.id.desc()).limit(25)]
        statements += [base.order_by(getattr(Customer, column).desc()).limit(25) for column in spec.order_columns]
        statements += [base.where(listing.search_condition(spec, term, "postgresql")).order_by(Customer.id.desc())
                       .limit(25) for term in ("华信", "kh-2026", "13912345678")]
        for stmt in statements:
            plan = _plan(db, stmt)
            assert "Seq Scan on customer" not in plan, f"{label}:\n{plan}"
    db.session.rollback()


def test_the_own_scope_collects_its_rows_by_index_and_still_sees_the_pool(app, org):
    """Own scope with the shared pool: a page's two branches (owner, pool) are each an index scan,
    and a pooled customer of someone else is still in the list."""
    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.extensions import db
    from app.modules.customers.models import Customer
    from tests.factories import make_customer

    mine, theirs, pooled = (make_customer(org.east_rep), make_customer(org.south_rep), make_customer(org.south_rep))
    db.session.flush()
    pooled.pooled_at = db.session.scalar(select(Customer.created_at).where(Customer.id == pooled.id))
    pooled.owner_id = None   # as release_to_pool leaves it
    db.session.flush()
    spec = registry.get("customers")
    seen = set(db.session.scalars(select(Customer.id).where(scope_clause(spec, org.east_rep),
                                                            Customer.id.in_([mine.id, theirs.id, pooled.id]))))
    assert seen == {mine.id, pooled.id}
    datamodel = ModuleInterface.for_spec(spec)
    context = _as(app, org.east_rep)
    try:
        count, rows = datamodel.query(datamodel.get_filters([]), "id", "desc", 0, 100)
        assert {mine.id, pooled.id} <= {r.id for r in rows} and theirs.id not in {r.id for r in rows}
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = _plan(db, datamodel.page_keys(datamodel.get_filters([]), "id", "desc", 0, 25))
            # Two branches, each an index scan: the owner's rows by (owner_id, id), the pool's by
            # its own index or along the key, as its size decides.
            assert "Index Cond: (owner_id = " in plan and "pooled_at IS NOT NULL" in plan, plan
            assert "Seq Scan on customer" not in plan and " OR " not in plan, plan
    finally:
        context.pop()
    db.session.rollback()


# -- pages read as their keys first (datamodel.page_keys) ---------------------------------------------
def _as(app, user):
    """A request signed in as `user`, as the list's data layer sees it."""
    from flask import g
    from flask_login import login_user

    context = app.test_request_context()
    context.push()
    login_user(user)
    g.user = user
    return context


def _page_filters(datamodel, term=None):
    from app.extensions import db

    filters = datamodel.get_filters([])
    if term is not None:
        filters._add_filter(listing._Where("id", datamodel),
                            listing.search_condition(datamodel.spec, term, db.engine.dialect.name))
    return filters


@pytest.fixture
def crowded_list(app, org):
    """Customers of several people and departments, some in the shared pool, many with the same
    region and credit limit (so that the key decides their order), a marker in every name."""
    from app.extensions import db
    from app.modules.customers.models import Customer
    from tests.conftest import unique
    from tests.factories import make_customer

    marker = unique("键")
    owners = [org.east_rep, org.east_rep, org.east_rep2, org.south_rep, org.manager, org.admin]
    made = []
    for i in range(36):
        owner = owners[i % len(owners)]
        made.append(make_customer(owner, f"{marker}{'甲乙丙'[i % 3]}{i:02d}", region="华东" if i % 4 else None,
                                  credit_limit="5000.00" if i % 5 else "9000.00"))
    db.session.flush()
    for customer in made[::7]:
        customer.pooled_at = customer.created_at
        customer.owner_id = None
    db.session.flush()
    return marker, made


def test_pages_read_by_key_are_the_rows_and_counts_of_the_plain_query_in_every_scope(app, org, crowded_list,
                                                                                     scoped_people):
    """Every scope, every sortable column both ways, first, middle and last pages, with and
    without a search (a share of the combinations: tests.conftest.sampled): the page read by key (PostgreSQL) holds the same rows in the same order
    and the same capped count as FAB's plain query of the scope's OR."""
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.extensions import db

    marker, made = crowded_list
    spec = registry.get("customers")
    datamodel = ModuleInterface.for_spec(spec)
    for label, user in scoped_people.items():
        context = _as(app, user)
        try:
            for term, column, direction, page in sampled((marker, f"{marker}乙", None), ["id", *spec.order_columns],
                                                         ("asc", "desc"), (0, 1, 3, 40), label=label):
                args = (column, direction, page, 5)
                count, rows = datamodel.query(_page_filters(datamodel, term), *args)
                plain_count, plain = SQLAInterface.query(datamodel, _page_filters(datamodel, term), *args)
                where = f"{label}, search {term}, {column} {direction}, page {page}"
                assert [r.id for r in rows] == [r.id for r in plain], where
                assert count == plain_count, where
            # The search's rows of this scope are there at all (the comparison is not of empty pages).
            count, rows = datamodel.query(_page_filters(datamodel, marker), "id", "desc", 0, 50)
            assert count == len(rows) > 0, label
        finally:
            context.pop()
    db.session.rollback()


def test_the_count_of_a_scope_s_branches_is_capped_like_the_plain_count(app, org, scoped_people):
    """More rows than the cap: cap + 1 ("more than cap"), whichever branch holds them."""
    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.extensions import db
    from tests.conftest import unique
    from tests.factories import make_customer

    marker = unique("满")
    for i in range(7):
        make_customer(org.east_rep, f"{marker}{i}")
    pooled = make_customer(org.south_rep, f"{marker}池")
    db.session.flush()
    pooled.pooled_at = pooled.created_at
    pooled.owner_id = None
    db.session.flush()
    spec = registry.get("customers")
    datamodel = ModuleInterface.for_spec(spec)
    datamodel.spec = dataclasses.replace(spec, count_cap=5)
    context = _as(app, org.east_rep)
    try:
        assert datamodel.query_count(db.session.query(spec.model), _page_filters(datamodel, marker)) == 6
        datamodel.spec = spec
        count, rows = datamodel.query(_page_filters(datamodel, marker), "id", "desc", 0, 25)
        assert count == len(rows) == 8
        # A page past the end of an exact count is empty without reading it.
        assert datamodel.query(_page_filters(datamodel, marker), "id", "desc", 1, 25) == (8, [])
    finally:
        context.pop()
    db.session.rollback()


def test_every_scope_reads_a_page_s_keys_by_index(app, org, crowded_list, scoped_people):
    """PostgreSQL: the keys of page 1 and of a deep page, by default and sorted by every sortable
    column, searched or not, are read through indexes in every scope; a deep page of all customers
    reads only keys."""
    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.extensions import db

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    spec = registry.get("customers")
    datamodel = ModuleInterface.for_spec(spec)
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    for label, user in scoped_people.items():
        context = _as(app, user)
        try:
            for term in (None, "华信", "kh-2026", "13912345678"):
                for column in ["id", *spec.order_columns]:
                    for page in (0, 1999):
                        stmt = datamodel.page_keys(_page_filters(datamodel, term), column, "desc", page, 25)
                        plan = _plan(db, stmt)
                        assert "Seq Scan on customer" not in plan, f"{label}, {term}, {column}, {page}:\n{plan}"
            if label == "all":
                # Only the key is read (an index-only scan of the primary key at a million rows).
                deep = datamodel.page_keys(_page_filters(datamodel), "id", "desc", 1999, 25)
                assert [c.name for c in deep.selected_columns] == ["id"] and "JOIN" not in str(deep), str(deep)
                assert "OFFSET" in str(deep)
        finally:
            context.pop()
    db.session.rollback()


@pytest.mark.parametrize("module, quick, indexes", [
    ("customers", "status", {"own": "ix_customer_owner_id_status_sort",
                             "department": "ix_customer_department_id_status_sort"}),
    ("contracts", "status", {"own": "ix_contract_owner_id_status_sort",
                             "department": "ix_contract_department_id_status_sort"}),
    ("contacts", "period", {"own": "ix_contact_owner_id_created_at_sort",
                            "department": "ix_contact_department_id_created_at_sort"}),
])
def test_a_quick_filter_is_read_along_an_index_of_each_scope_branch(app, org, scoped_people, module, quick, indexes):
    """PostgreSQL: a list narrowed by its status or its period (the quick filters) reads each scope branch's
    matches from an index holding the branch's column and the filter's (lists_0007): not every row of the person's
    or the department's to keep the matching ones."""
    from app.core.datamodel import ModuleInterface
    from app.core.registry import registry
    from app.extensions import db

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    spec = registry.get(module)
    datamodel = ModuleInterface.for_spec(spec)
    if quick == "status":
        # Whatever the statistics of the test's few rows say, a branch's keys are read in order from an index that
        # matches the branch and the filter (only such an index needs neither a sort nor a filter).
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            db.session.execute(text(f"SET LOCAL {setting} = off"))
    else:
        # A period's keys are sorted after the index found them; the planner chooses that over walking the
        # branch's rows when it knows the branch holds many rows and the week a few: 3,000 contacts, one a day.
        from tests.factories import make_customer

        customer = make_customer(org.east_rep)
        db.session.flush()
        db.session.execute(text(
            "INSERT INTO contact (customer_id, name, is_primary, created_at, custom) SELECT :c, 'c' || g, false, "
            "CAST(:now AS timestamp) - g * interval '1 day', '{}' FROM generate_series(1, 3000) g"),
            {"c": customer.id, "now": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)})
        db.session.execute(text("ANALYZE contact"))
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
    for label, index in indexes.items():
        context = _as(app, scoped_people[label])
        try:
            if quick == "status":
                condition = getattr(spec.model, spec.status_column) == listing.status_choices(spec)[-1][0]
            else:
                condition = listing._period_condition(spec, "week")
            filters = datamodel.get_filters([])
            filters._add_filter(listing._Where("id", datamodel), condition)
            plan = _plan(db, datamodel.page_keys(filters, "id", "desc", 0, 25))
            assert index in plan, f"{label}:\n{plan}"
        finally:
            context.pop()
    db.session.rollback()
