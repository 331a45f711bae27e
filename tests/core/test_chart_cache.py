"""Charts from kept totals: on PostgreSQL every chart a module declares is served from totals per
group, owner and department that triggers keep current in the writer's transaction; they show
what a GROUP BY over the table shows, for every data scope, at once after any write, before and
after the minute job folds the changes, however often the job runs. List filters and SQLite
group directly."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from flask import g
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_login import login_user
from sqlalchemy import select, text

from app.core import chart_cache
from app.core.chart_cache import maintain
from app.core.clock import utcnow
from app.core.datamodel import ModuleInterface
from app.core.registry import registry
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.factories import make_customer, make_user
from tests.modules.contracts.helpers import make_contract

@pytest.fixture
def pg(app, ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("kept totals are a PostgreSQL feature; SQLite groups directly")
    maintain.ensure()
    return app


def _chart(module, name):
    spec = registry.get(module)
    return spec, next(c for c in spec.charts if c.name == name)


def _as(app, user, fn):
    """fn() inside a request of `user` (the data scope reads the signed-in user)."""
    with app.test_request_context():
        login_user(user)
        g.user = user
        return fn()


def _live(app, user, module, name):
    spec, chart = _chart(module, name)
    return _as(app, user, lambda: ModuleInterface.for_spec(spec).chart_rows(chart))


def _kept(app, user, module, name):
    spec, chart = _chart(module, name)
    rows = _as(app, user, lambda: chart_cache.aggregate_rows(spec, chart))
    assert rows is not None, "the aggregate is built"
    return rows


def _same(app, user, module, name):
    kept, live = _kept(app, user, module, name), _live(app, user, module, name)
    spec, chart = _chart(module, name)
    if chart.period == "month":
        assert kept == live
    else:   # equal counts may come in any order
        assert dict(kept) == dict(live) and len(kept) == len(live)
    return dict(kept)


def _count(app, user, industry):
    return _same(app, user, "customers", "by_industry").get(industry, 0)


def test_kept_totals_equal_a_group_by_for_every_scope(pg, org):
    make_customer(org.east_rep, industry="it")
    make_customer(org.east_rep2, industry="retail")
    make_customer(org.south_rep, industry=None)
    make_customer(org.admin, industry="finance", department_id=org.finance.id)
    make_contract(org.east_rep, amount="1234.50")
    make_contract(org.south_rep, amount="99.99")
    for user in (org.admin, org.manager, org.east_rep, org.finance_user, org.readonly):
        for module, name in (("customers", "by_industry"), ("customers", "by_month"),
                             ("contracts", "by_status"), ("contracts", "amount_by_month")):
            _same(pg, user, module, name)
    # A sales user's chart counts their own customers only (the scope is applied to the totals).
    assert _count(pg, org.east_rep, "it") == 1 and _count(pg, org.east_rep, "retail") == 0
    # Nothing in scope is an empty chart, not one grouped directly.
    newcomer = make_user("Sales", org.east, org.manager)
    assert _kept(pg, newcomer, "contracts", "by_status") == []


def test_every_kind_of_write_shows_at_once_before_and_after_folding(pg, org):
    industry = unique("行业")
    rep, manager = org.east_rep, org.manager
    customer = make_customer(rep, industry=industry)
    assert _count(pg, rep, industry) == 1 and _count(pg, manager, industry) == 1
    assert _count(pg, org.south_rep, industry) == 0
    other = unique("行业")
    with unit_of_work(None):
        db.session.get(Customer, customer.id).industry = other
    assert _count(pg, rep, industry) == 0 and _count(pg, rep, other) == 1
    maintain.fold()
    assert _count(pg, rep, industry) == 0 and _count(pg, rep, other) == 1
    # Into the shared pool: no owner, visible to every sales user.
    with unit_of_work(None):
        row = db.session.get(Customer, customer.id)
        row.owner_id, row.pooled_at = None, utcnow()
    assert _count(pg, org.south_rep, other) == 1 and _count(pg, rep, other) == 1
    # To another department's owner: out of the manager's subtree.
    with unit_of_work(None):
        row = db.session.get(Customer, customer.id)
        row.owner_id, row.department_id, row.pooled_at = org.finance_user.id, org.finance.id, None
    assert _count(pg, rep, other) == 0 and _count(pg, manager, other) == 0
    assert _count(pg, org.finance_user, other) == 1
    maintain.fold()
    with unit_of_work(None):
        db.session.delete(db.session.get(Customer, customer.id))
    assert _count(pg, org.finance_user, other) == 0
    maintain.fold()
    assert _count(pg, org.admin, other) == 0
    assert db.session.scalar(text("SELECT count(*) FROM chart_aggregate WHERE group_key = :k"),
                             {"k": "=" + other}) == 0, "a group with no rows left is removed"


def test_summed_amounts_follow_changes_of_the_amount(pg, org):
    contract = make_contract(org.east_rep, amount="1000.00")
    month = contract.created_at.strftime("%Y-%m")

    def amount():
        return _same(pg, org.east_rep, "contracts", "amount_by_month").get(month, 0)

    before = amount()
    with unit_of_work(None):
        contract = db.session.merge(contract)
        contract.amount = Decimal("1500.25")
    assert amount() == before + Decimal("500.25")
    maintain.fold()
    assert amount() == before + Decimal("500.25")


def test_a_write_rolled_back_changes_no_total(pg, org):
    industry = unique("行业")
    make_customer(org.east_rep, industry=industry)
    with pytest.raises(RuntimeError):
        with unit_of_work(None):
            db.session.add(Customer(name=unique("客户"), code=unique("KH"), kind="company", status="potential",
                                    credit_limit=Decimal("0"), owner_id=org.east_rep.id, industry=industry))
            db.session.flush()
            raise RuntimeError("no")
    assert _count(pg, org.admin, industry) == 1
    # its owner's, the total over every owner and its department's (east's)
    kept = ("SELECT coalesce(sum(n), 0) FROM {} WHERE module = 'customers' AND chart = 'by_industry' "
            "AND group_key = :k AND owner_id = :o")
    assert sum(db.session.scalar(text(kept.format(table)), {"k": "=" + industry, "o": owner})
               for table in ("chart_delta", "chart_aggregate") for owner in (org.east_rep.id, -1)) == 3


def test_folds_run_twice_or_at_once_count_each_change_once(pg, org):
    industry = unique("行业")
    for _ in range(5):
        make_customer(org.east_rep, industry=industry)

    def fold():
        with pg.app_context():
            maintain.fold()

    threads = [threading.Thread(target=fold) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    maintain.fold()
    assert _count(pg, org.admin, industry) == 5
    assert maintain.fold() == 0, "nothing left to fold"


def test_writers_and_folds_at_the_same_time_end_exact(pg, org):
    industry = unique("行业")
    owners = [org.east_rep.id, org.east_rep2.id, org.south_rep.id]
    errors = []

    def write(owner_id):
        try:
            with pg.app_context():
                for i in range(8):
                    with unit_of_work(None):
                        db.session.add(Customer(name=unique("客户"), code=unique("KH"), kind="company",
                                                status="potential", credit_limit=Decimal("0"),
                                                owner_id=owner_id, industry=industry))
                    if i % 3 == 0:
                        with unit_of_work(None):
                            row = db.session.scalar(select(Customer).where(Customer.industry == industry,
                                                                           Customer.owner_id == owner_id).limit(1))
                            row.owner_id = owners[(owners.index(owner_id) + 1) % len(owners)]
                db.session.remove()
        except Exception as exc:   # surfaced below
            errors.append(exc)

    def fold():
        with pg.app_context():
            for _ in range(6):
                maintain.fold()

    threads = [threading.Thread(target=write, args=(o,)) for o in owners]
    threads += [threading.Thread(target=fold) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for user in (org.admin, org.manager, org.east_rep, org.south_rep):
        _same(pg, user, "customers", "by_industry")
    assert _count(pg, org.admin, industry) == 24
    maintain.fold()
    assert _count(pg, org.admin, industry) == 24


def test_a_changed_declaration_is_grouped_directly_until_its_totals_are_rebuilt(pg, org):
    industry = unique("行业")
    make_customer(org.east_rep, industry=industry)
    spec, chart = _chart("customers", "by_industry")
    with unit_of_work(None):
        db.session.execute(text("UPDATE chart_state SET signature = 'old' WHERE module = 'customers'"))
    assert _as(pg, org.admin, lambda: chart_cache.aggregate_rows(spec, chart)) is None
    # The chart still answers, grouped directly.
    rows = _as(pg, org.admin, lambda: chart_cache.chart_rows(ModuleInterface.for_spec(spec), chart))
    assert dict(rows)[industry] == 1
    assert maintain.ensure() == ["customer"]
    assert maintain.ensure() == [], "a second run finds nothing to rebuild"
    assert _count(pg, org.admin, industry) == 1


def test_the_minute_job_is_registered_and_runs_again_harmlessly(pg, org):
    from app.core.chart_cache.jobs import CRON, refresh_chart_totals

    entry = CRON[0](pg.config)
    assert entry["interval"] <= 60 and entry["func"] is refresh_chart_totals
    industry = unique("行业")
    make_customer(org.east_rep, industry=industry)
    assert refresh_chart_totals() >= 1
    assert refresh_chart_totals() == 0
    assert _count(pg, org.admin, industry) == 1


def test_charts_that_cannot_be_kept_are_told_apart():
    customers, contacts = registry.get("customers"), registry.get("contacts")
    assert all(chart_cache.served(customers, c) for c in customers.charts)
    by_grade = type(customers.charts[0])(name="by_grade", title="", group_by="grade")
    assert not chart_cache.served(customers, by_grade), "grade is not a column of the customer table"
    by_customer = type(customers.charts[0])(name="x", title="", group_by="customer_id")
    assert chart_cache.served(contacts, by_customer), "contacts carry copies of their customer's scope columns"
    shipments = registry.get("order_shipments")
    by_order = type(customers.charts[0])(name="x", title="", group_by="order_id")
    assert not chart_cache.served(shipments, by_order), "shipments are scoped through their order"
    leaving_out = type(customers.charts[0])(name="x", title="", group_by="industry", exclude=(("nothing", ("a",)),))
    assert not chart_cache.served(customers, leaving_out), "rows left out by a column the table does not have"


def test_list_filters_and_sqlite_are_grouped_directly(app, ctx, org, monkeypatch):
    industry = unique("行业")
    customer = make_customer(org.east_rep, industry=industry)
    spec, chart = _chart("customers", "by_industry")
    datamodel = ModuleInterface.for_spec(spec)
    filters = datamodel.get_filters(["name"])
    filters.add_filter("name", FilterEqual, customer.name)
    called = []
    monkeypatch.setattr(chart_cache, "aggregate_rows", lambda *a, **k: called.append(1))
    rows = _as(app, org.east_rep, lambda: chart_cache.chart_rows(datamodel, chart, filters))
    assert rows == [(industry, 1)] and not called
    if db.engine.dialect.name != "postgresql":
        rows = _as(app, org.east_rep, lambda: chart_cache.chart_rows(datamodel, chart))
        assert dict(rows)[industry] == 1 and not called
        assert maintain.ensure() == [] and maintain.fold() == 0


def test_the_chart_page_counts_a_new_customer_at_once(app, ctx, org, login):
    if db.engine.dialect.name == "postgresql":
        maintain.ensure()
    client = login(org.manager)

    def total():
        table = client.get("/customers/chart/by_month.json").get_json()["table"]
        return sum(int(v) for _, v in table)

    before = total()
    make_customer(org.east_rep2)
    assert total() == before + 1


def test_the_top_groups_over_every_owner_count_changes_not_yet_folded(pg, org):
    """Who sees every row reads a top-N chart from the first folded totals plus the groups with unfolded changes:
    a customer whose order lifts them to the top shows first at once, before and after the fold."""
    from app.modules.orders import analysis
    from tests.modules.invoices.test_invoices import confirmed_order

    spec = registry.get("orders")
    chart = next(c for c in spec.report_totals if c.name == "analysis_by_customer")
    maintain.fold()
    order = confirmed_order(org, lines=[("1", "987654321.98", "0")])
    for _fold in (False, True):
        if _fold:
            maintain.fold()
        kept = _as(pg, org.admin, lambda: chart_cache.aggregate_rows(spec, chart))
        assert kept[0] == (order.customer_id, Decimal("987654321.98")), kept[:3]
        assert len(kept) <= chart.limit
    direct = analysis.rows("by_customer", org.admin, analysis.Filters(date_from=dt.date(1900, 1, 1)))
    assert direct[0] == kept[0]


def test_the_top_groups_read_every_group_when_a_bulk_load_left_many_changes_unfolded(pg, org, monkeypatch):
    """More groups with unfolded changes than a list of candidates should hold (a bulk load before the minute job
    ran; a million customers' orders once asked PostgreSQL for a million parameters and failed): the chart reads
    every group instead, and its top is still right."""
    from app.modules.orders import analysis
    from tests.modules.invoices.test_invoices import confirmed_order

    spec = registry.get("orders")
    chart = next(c for c in spec.report_totals if c.name == "analysis_by_customer")
    maintain.fold()
    first = confirmed_order(org, lines=[("1", "998765432.98", "0")])
    second = confirmed_order(org, lines=[("1", "998765431.98", "0")])
    monkeypatch.setattr(chart_cache, "CANDIDATES_MAX", 1)
    asked = []
    monkeypatch.setattr(chart_cache, "_top_candidates", lambda *a, _was=chart_cache._top_candidates: asked.append(
        _was(*a)) or asked[-1])
    kept = _as(pg, org.admin, lambda: chart_cache.aggregate_rows(spec, chart))
    assert asked == [None], "two changed groups are more than one candidate list may hold"
    assert kept[:2] == [(first.customer_id, Decimal("998765432.98")), (second.customer_id, Decimal("998765431.98"))]
    direct = analysis.rows("by_customer", org.admin, analysis.Filters(date_from=dt.date(1900, 1, 1)))
    # Groups tied at the last place may be cut differently; all above it are the same, and so are the amounts.
    last = min(v for _, v in kept)
    assert {k: v for k, v in direct if v > last} == {k: v for k, v in kept if v > last}
    assert sorted(v for _, v in direct) == sorted(v for _, v in kept) and len(kept) <= chart.limit


def _orders_top(pg, user, chart):
    spec = registry.get("orders")
    return _as(pg, user, lambda: chart_cache.aggregate_rows(spec, chart))


def _order(owner, customer, total, department=None, status="confirmed"):
    from app.modules.orders.models import SalesOrder

    with unit_of_work(None):
        order = SalesOrder(code=unique("SO"), customer_id=customer.id, order_date=dt.date(2026, 3, 1), status=status,
                           total=Decimal(total), owner_id=owner.id,
                           department_id=department.id if department is not None else owner.department_id)
        db.session.add(order)
    return order


def test_a_department_managers_top_groups_come_from_the_department_totals_and_equal_a_group_by(pg, org, monkeypatch):
    """A department manager's top customers are read in order from the totals kept per department (their
    department and the two below it), with their own order kept under another department, changes not yet folded
    and a cancelled order: the same top as a GROUP BY over the orders in their scope, before and after the fold;
    a top that needs more than the rounds allowed is summed over every group, with the same result."""
    import dataclasses
    import random

    from app.modules.orders import analysis

    spec = registry.get("orders")
    chart = dataclasses.replace(next(c for c in spec.report_totals if c.name == "analysis_by_customer"), limit=3)

    rng = random.Random(11)
    owners = {}
    for person in (org.east_rep, org.east_rep2, org.south_rep):
        for _n in range(6):
            owners[make_customer(person).id] = person
    customers = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(list(owners))))}
    for customer_id, person in owners.items():
        for _n in range(rng.randint(1, 2)):
            _order(person, customers[customer_id], f"{rng.randint(100, 999999)}.{rng.randint(10, 99)}")
    outsider = make_customer(org.finance_user)
    _order(org.finance_user, outsider, "99999999.00")                                   # not in the manager's scope
    maintain.fold()
    mine = make_customer(org.manager)
    _order(org.manager, mine, "5000000.00", department=org.finance)                      # theirs, under finance
    lifted = list(owners)[-1]
    _order(owners[lifted], customers[lifted], "7000000.00")                              # not folded yet
    first = list(owners)[0]
    _order(owners[first], customers[first], "9000000.00", status="cancelled")            # never counted
    read = []
    monkeypatch.setattr(chart_cache, "_department_top", lambda *a, _was=chart_cache._department_top: read.append(
        _was(*a)) or read[-1])
    for folded in (False, True):
        if folded:
            maintain.fold()
        kept = _orders_top(pg, org.manager, chart)
        assert read[-1] is not None, "read from the department totals"
        direct = analysis.rows("by_customer", org.manager, analysis.Filters(date_from=dt.date(1900, 1, 1)))
        assert kept == direct[:3], (kept, direct[:4])
        assert kept[0][0] == lifted and kept[1] == (mine.id, Decimal("5000000.00"))
        assert outsider.id not in dict(kept)
    # A manager of one department (no department below it) reads its totals alone, in order.
    east_manager = make_user("Manager", org.east)
    kept = _orders_top(pg, east_manager, chart)
    assert read[-1] is not None and kept[0][0] != lifted
    assert kept == analysis.rows("by_customer", east_manager, analysis.Filters(date_from=dt.date(1900, 1, 1)))[:3]
    # A sales person's and an admin's charts are read as before, and still equal a GROUP BY.
    for user in (org.east_rep, org.admin):
        direct = analysis.rows("by_customer", user, analysis.Filters(date_from=dt.date(1900, 1, 1)))
        assert _orders_top(pg, user, chart) == direct[:3]
    monkeypatch.setattr(chart_cache, "TOP_ROUNDS", 0)
    direct = analysis.rows("by_customer", org.manager, analysis.Filters(date_from=dt.date(1900, 1, 1)))
    assert _orders_top(pg, org.manager, chart) == direct[:3] and read[-1] is None
