"""On PostgreSQL the customer list, sorted and searched, is served by indexes in every data scope
(own with the shared pool, department, department and below, all): no plan reads the whole
customer table. Sequential scans are switched off so that a plan showing one has no index to use
(at a test's sizes the planner would otherwise prefer scanning a small table)."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app.core import listing
from app.core.scope import scope_clause
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
    """Own scope with the shared pool: both branches are index scans (owner, pooled_at), and a
    pooled customer of someone else is still in the list."""
    from app.core.registry import registry
    from app.extensions import db
    from app.modules.customers.models import Customer
    from tests.factories import make_customer

    mine, theirs, pooled = (make_customer(org.east_rep), make_customer(org.south_rep), make_customer(org.south_rep))
    db.session.flush()
    pooled.pooled_at = db.session.scalar(select(Customer.created_at).where(Customer.id == pooled.id))
    db.session.flush()
    spec = registry.get("customers")
    seen = set(db.session.scalars(select(Customer.id).where(scope_clause(spec, org.east_rep),
                                                            Customer.id.in_([mine.id, theirs.id, pooled.id]))))
    assert seen == {mine.id, pooled.id}
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = _plan(db, select(Customer.id).where(scope_clause(spec, org.east_rep)).order_by(Customer.id.desc())
                     .limit(25))
        assert "Index Cond: (owner_id = " in plan and "Index Cond: (pooled_at IS NOT NULL)" in plan, plan
        assert "Seq Scan on customer" not in plan, plan
    db.session.rollback()
