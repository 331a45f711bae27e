"""On PostgreSQL a department manager's interactions and contacts pages, and their searches, read
each scope branch from the child's own (department_id, <list order>, id) or (owner_id, …) index,
not along the list's order with a look-up of the customer per row. Sequential scans are switched
off so that a plan showing one has no index to use."""
import datetime as dt

import pytest
from sqlalchemy import text

from app.core import listing
from app.core.datamodel import ModuleInterface
from app.core.registry import registry
from app.extensions import db
from app.modules.customers.models import Interaction
from tests.core.test_scope_plans import _as, _plan
from tests.factories import make_customer


def _filters(datamodel, term=None):
    filters = datamodel.get_filters([])
    if term is not None:
        filters._add_filter(listing._Where("id", datamodel),
                            listing.search_condition(datamodel.spec, term, db.engine.dialect.name))
    return filters


@pytest.mark.parametrize("module, order, index", [
    ("interactions", "occurred_at", "ix_interaction_department_occurred_sort"),
    ("contacts", "id", "ix_contact_department_id_id_sort"),
])
def test_a_department_managers_child_page_and_search_use_the_childs_department_index(app, org, module, order, index):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    customer = make_customer(org.east_rep)
    db.session.add(Interaction(customer_id=customer.id, subject="报价跟进", kind="call",
                               occurred_at=dt.datetime(2026, 3, 2, 9, 0)))
    db.session.flush()
    datamodel = ModuleInterface.for_spec(registry.get(module))
    context = _as(app, org.manager)
    try:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        for term in (None, "报价"):
            plan = _plan(db, datamodel.page_keys(_filters(datamodel, term), order, "desc", 0, 25))
            # the page: a range of the child's department index (this one, or at these few rows one
            # of the child's other department-led sort indexes); a search: that or the words' index
            # filtered on the row's own department, as the planner sizes them; never the customer
            if term is None:
                assert index in plan or "Index Cond: (department_id = ANY" in plan, plan
            else:
                assert "department_id = ANY" in plan or index in plan, plan
            assert "Seq Scan" not in plan and " on customer" not in plan, plan
    finally:
        db.session.rollback()
        context.pop()
