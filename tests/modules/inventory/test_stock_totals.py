"""The largest stocks and each warehouse's stock value (库存分析, the reports centre) agree with a GROUP BY over the
stock levels after any moves — on PostgreSQL from the totals kept per product × warehouse, with changes not yet
folded and after the fold, after a cost changes, and when the places that led shrink before the fold."""
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.extensions import db
from app.modules.inventory import analysis, service, stock_totals
from app.core import jobs
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401  (the worker and its environment)
from tests.modules.inventory.helpers import product, warehouse

D = Decimal


def _truth(warehouse_id):
    """{(product, warehouse): (on hand, reserved, value)} grouped from stock_level, places holding stock."""
    rows = db.session.execute(text(
        "SELECT s.product_id, s.warehouse_id, SUM(s.on_hand), SUM(s.reserved), SUM(s.on_hand) * COALESCE(p.cost, 0) "
        "FROM stock_level s JOIN product p ON p.id = s.product_id WHERE s.warehouse_id = :w "
        "GROUP BY s.product_id, s.warehouse_id, p.cost HAVING SUM(s.on_hand) > 0"), {"w": warehouse_id}).all()
    return {(p, w): (D(h), D(r), D(v).quantize(D("0.01"))) for p, w, h, r, v in rows}


def _ranked(truth, limit):
    return sorted(truth, key=lambda key: (-truth[key][2], -key[0], -key[1]))[:limit]


def _check(wh, limit=50):
    truth = _truth(wh.id)
    filters = analysis.Filters(warehouse_id=wh.id, days=30)
    rows = analysis.stock_overview(filters, limit=limit)
    assert [(r["product_id"], r["warehouse_id"]) for r in rows] == _ranked(truth, limit)
    for r in rows:
        assert (r["on_hand"], r["reserved"], r["value"]) == truth[(r["product_id"], r["warehouse_id"])]
    by_quantity = analysis.stock_overview(filters, limit=limit, by_value=False)
    assert [(r["product_id"], r["warehouse_id"]) for r in by_quantity] == sorted(
        truth, key=lambda key: (-truth[key][0], -key[0], -key[1]))[:limit]
    values = dict(analysis.value_by_warehouse(filters))
    assert values == ({wh.name: sum((v for _h, _r, v in truth.values()), D(0))} if truth else {})
    return rows


def _priced(cost):
    item = product()
    item.cost = D(cost)
    db.session.commit()
    return item


def test_largest_stocks_and_warehouse_values_agree_with_the_levels_through_moves_and_folds(org):
    wh, bins = warehouse(bins=2)
    other = warehouse()
    a, b, c = _priced("10.00"), _priced("3.50"), _priced("100.00")
    service.receive(org.admin, a.id, wh.id, 40, bin_id=bins[0].id)
    service.receive(org.admin, a.id, wh.id, 15, bin_id=bins[1].id)      # two bins: one place of 55
    service.receive(org.admin, b.id, wh.id, 300)
    service.receive(org.admin, c.id, other.id, 9)
    service.reserve(org.admin, "order", "SO-T1", a.id, wh.id, 5, bin_id=bins[0].id)
    _check(wh)
    _check(other)
    stock_totals.fold()
    _check(wh)
    service.ship(org.admin, b.id, wh.id, 290)                            # b falls behind a before the fold
    service.transfer(org.admin, a.id, wh.id, other.id, 20, from_bin=bins[0].id)
    _check(wh)
    _check(other)
    stock_totals.fold()
    stock_totals.fold()                                                  # nothing left: changes nothing
    assert [(r["product_id"], r["on_hand"]) for r in _check(wh)] == [(a.id, D(35)), (b.id, D(10))]
    _check(other)


def test_a_new_cost_revalues_the_stock_before_and_after_the_fold(org):
    wh = warehouse()
    a, b = _priced("1.00"), _priced("2.00")
    service.receive(org.admin, a.id, wh.id, 100)
    service.receive(org.admin, b.id, wh.id, 100)
    stock_totals.fold()
    assert [r["product_id"] for r in _check(wh)] == [b.id, a.id]
    db.session.get(type(a), a.id).cost = D("5.00")
    db.session.commit()
    assert [r["product_id"] for r in _check(wh)] == [a.id, b.id]
    service.receive(org.admin, b.id, wh.id, 200)                         # 300 × 2 > 100 × 5, not folded yet
    assert [r["product_id"] for r in _check(wh)] == [b.id, a.id]
    stock_totals.fold()
    _check(wh)


def test_places_that_led_and_shrank_before_the_fold_give_way_to_the_next(org):
    wh = warehouse()
    items = [_priced("1.00") for _ in range(4)]
    for item, qty in zip(items, (100, 90, 80, 70)):
        service.receive(org.admin, item.id, wh.id, qty)
    stock_totals.fold()
    service.ship(org.admin, items[0].id, wh.id, 95)                     # 5 left
    service.ship(org.admin, items[1].id, wh.id, 86)                     # 4 left
    rows = _check(wh, limit=2)
    assert [r["product_id"] for r in rows] == [items[2].id, items[3].id]


def test_on_postgresql_writes_leave_changes_that_the_minute_job_folds_in_a_real_worker(org, app, job_env):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the totals are kept on PostgreSQL; SQLite groups the levels")
    wh = warehouse()
    item = _priced("2.00")
    service.receive(org.admin, item.id, wh.id, 12)
    service.ship(org.admin, item.id, wh.id, 2)

    def pending():
        return db.session.execute(text("SELECT COALESCE(SUM(on_hand), 0) FROM stock_total_delta "
                                       "WHERE product_id = :p"), {"p": item.id}).scalar()

    assert pending() == D(10)
    entries = {job.name: job for job in jobs.build_cron(app).get_jobs()}
    assert entries["inventory.stock_totals"].interval == 60
    entries["inventory.stock_totals"].enqueue(jobs.redis_connection(app.config))   # as the scheduler does when due
    run_worker_burst(job_env)
    db.session.commit()
    kept = db.session.execute(text("SELECT on_hand, value FROM stock_total WHERE product_id = :p AND warehouse_id = :w"),
                              {"p": item.id, "w": wh.id}).one()
    assert (kept.on_hand, kept.value) == (D(10), D("20.0000")) and pending() == 0
    _check(wh)
