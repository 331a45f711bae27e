"""Parallel workers on PostgreSQL: exactly the available quantity ships, reservations stay consistent."""
import threading
from types import SimpleNamespace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.modules.inventory.models import StockMove
from app.modules.inventory import service
from tests.modules.inventory.helpers import product, warehouse
from tests.modules.inventory.test_service import _level, _moves



def _parallel(app, work, count):
    """Runs work(i) in `count` threads at once, each with its own app context and connection."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                work(i)
                results[i] = "ok"
            except service.InsufficientStock as exc:
                results[i] = exc.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _ids(*records):
    """Plain ids, so the workers never read the test's own session."""
    return [SimpleNamespace(id=record.id) for record in records]


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("parallel workers need PostgreSQL")


def test_two_shipments_of_the_last_units_at_once(app, org, postgres):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 5)
    wh, item = _ids(wh, item)
    results = _parallel(app, lambda i: service.ship(None, item.id, wh.id, 5, doc_ref=f"SO-{i}"), 2)
    assert sorted(results, key=lambda r: r != "ok")[0] == "ok"
    refused = [r for r in results if r != "ok"]
    assert len(refused) == 1 and "库存不足" in refused[0]
    assert _level(item.id, wh.id).on_hand == 0
    assert sum(m.quantity for m in _moves(item.id)) == 0


def test_many_parallel_moves_lose_nothing_and_never_go_negative(app, org, postgres):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 20)
    wh, item = _ids(wh, item)
    results = _parallel(app, lambda i: (service.receive(None, item.id, wh.id, 1) if i % 2
                                        else service.ship(None, item.id, wh.id, 3)), 16)
    shipped = sum(1 for i, r in enumerate(results) if i % 2 == 0 and r == "ok")
    assert _level(item.id, wh.id).on_hand == 20 + 8 - 3 * shipped >= 0
    assert sum(m.quantity for m in _moves(item.id)) == _level(item.id, wh.id).on_hand


def test_parallel_reservations_never_exceed_on_hand(app, org, postgres):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 10)
    wh, item = _ids(wh, item)
    results = _parallel(app, lambda i: service.reserve(None, "order", f"R{i}", item.id, wh.id, 3), 8)
    assert results.count("ok") == 3
    level = _level(item.id, wh.id)
    assert (level.on_hand, level.reserved) == (10, Decimal(9))


def test_a_first_receipt_into_an_empty_bin_while_a_count_starts_waits_and_is_refused(app, org):
    """The count locks its warehouse while it takes its lines: a receipt that makes a new stock level there
    waits for it, then sees the places frozen — never a level the count did not list."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks between connections: PostgreSQL")
    from app.core.errors import DomainError
    from app.core.transaction import unit_of_work
    from app.modules.inventory import count_service
    from app.modules.inventory.count_models import StockCount

    wh, bins = warehouse(bins=2)
    paper, toner = product(), product()
    service.receive(org.admin, paper.id, wh.id, 10, bin_id=bins[0].id)
    count = count_service.create(org.admin, StockCount(warehouse_id=wh.id, zone_id=bins[0].zone_id))
    ids = SimpleNamespace(admin=org.admin.id, count=count.id, toner=toner.id, wh=wh.id, bin=bins[1].id)
    started, release, outcome = threading.Event(), threading.Event(), {}

    def counter():
        with app.app_context():
            from app.core.org import User

            actor = db.session.get(User, ids.admin)
            with unit_of_work(actor):
                count_service.start(actor, ids.count)
                started.set()
                release.wait(20)
            db.session.remove()

    def receiver():
        with app.app_context():
            from app.core.org import User

            try:
                service.receive(db.session.get(User, ids.admin), ids.toner, ids.wh, 3, bin_id=ids.bin)
                outcome["result"] = "received"
            except DomainError as exc:
                outcome["result"] = exc.code
            finally:
                db.session.remove()

    first = threading.Thread(target=counter)
    first.start()
    assert started.wait(20)
    second = threading.Thread(target=receiver)
    second.start()
    second.join(2)
    assert second.is_alive(), "the receipt did not wait for the count to take its lines"
    release.set()
    first.join(20)
    second.join(20)
    assert outcome["result"] != "received"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(StockMove).where(
        StockMove.product_id == toner.id)) == 0
