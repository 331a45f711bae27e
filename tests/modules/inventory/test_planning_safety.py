"""Safety stock: lines set by hand or computed from shipments, one alert per breach to the warehouse and
purchasing roles (again only after recovery), the nightly job in a real worker, and the lines' screen."""
import datetime as dt
import types
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from app.core.notify import Notification
from app.extensions import db
from app.modules.inventory import service
from tests.conftest import unique
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.factories import make_user
from tests.modules.inventory.helpers import product, warehouse
from app.modules.inventory import planning_jobs, safety
from app.modules.inventory.planning_models import SafetyStock


@pytest.fixture
def alerted(org):
    """A warehouse clerk, a buyer and a salesperson: who gets the alerts and who does not."""
    return types.SimpleNamespace(clerk=make_user("Warehouse", org.company), buyer=make_user("Purchasing", org.company),
                                 sales=org.east_rep)


def _alerts(user, line):
    db.session.expire_all()
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.link == f"/safety_stock/show/{line.id}")).all()


def _line(line_id):
    db.session.expire_all()
    return db.session.get(SafetyStock, line_id)


def test_a_line_from_history_is_mean_times_lead_time_plus_factor_times_deviation():
    # 4 days: 2, 4, 6, 8 → mean 5, σ √5; lead time 4 days, factor 1.65: 20 + 1.65 × √5 × 2 = 27.38 → 28
    line, reorder = safety.line_from_history({"d1": Decimal(2), "d2": Decimal(4), "d3": Decimal(6), "d4": Decimal(8)},
                                             4, 4, Decimal("1.65"))
    assert (line, reorder) == (Decimal(28), Decimal(20))
    # steady sales: no deviation, the line is a lead time's demand; no sales: nothing
    assert safety.line_from_history({f"d{i}": Decimal(3) for i in range(10)}, 10, 7, Decimal("1.65")) == (21, 21)
    assert safety.line_from_history({}, 30, 7, Decimal("1.65")) == (0, 0)


def test_compute_reads_the_shipments_of_the_history_days(org):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 100)
    service.ship(org.admin, item.id, wh.id, 10)
    service.ship(org.admin, item.id, wh.id, 20)
    line = safety.set_line(org.admin, item.id, wh.id, 0, history_days=30, lead_time_days=7)
    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    safety.compute_lines(org.admin, [line], today=tomorrow)
    line = _line(line.id)
    # 30 shipped on one day of 30: mean 1, σ √29; 7 + 1.65 × √29 × √7 = 30.5 → 31; reorder 7
    assert (line.warning_line, line.reorder_qty, line.method) == (Decimal(31), Decimal(7), "computed")
    assert line.computed_at is not None


def test_a_breach_alerts_warehouse_and_purchasing_once_and_again_after_recovery(org, alerted):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 20)
    line = safety.set_line(org.admin, item.id, wh.id, 10, reorder_qty=30)
    service.ship(org.admin, item.id, wh.id, 8)                  # 12: above the line
    assert _alerts(alerted.clerk, line) == [] and _line(line.id).alerted_at is None
    service.ship(org.admin, item.id, wh.id, 5)                  # 7: below → alert
    notes = _alerts(alerted.clerk, line)
    assert len(notes) == 1 and len(_alerts(alerted.buyer, line)) == 1
    assert "7" in notes[0].body and "10" in notes[0].body and "30" in notes[0].body
    assert _alerts(alerted.sales, line) == []
    service.ship(org.admin, item.id, wh.id, 1)                  # still below: no second alert
    service.adjust(org.admin, item.id, wh.id, "-1")
    assert len(_alerts(alerted.clerk, line)) == 1 and _line(line.id).alerted_at is not None
    service.receive(org.admin, item.id, wh.id, 10)              # 15: recovered, quietly
    assert len(_alerts(alerted.clerk, line)) == 1 and _line(line.id).alerted_at is None
    service.ship(org.admin, item.id, wh.id, 6)                  # 9: a new breach alerts again
    assert len(_alerts(alerted.clerk, line)) == 2 and len(_alerts(alerted.buyer, line)) == 2


def test_reservations_and_transfers_count_and_a_refused_move_alerts_nothing(org, alerted):
    wh, other, item = warehouse(), warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 10)
    line = safety.set_line(org.admin, item.id, wh.id, 5)
    service.reserve(org.admin, "order", unique("SO"), item.id, wh.id, 6)   # available 4 < 5
    assert len(_alerts(alerted.clerk, line)) == 1
    with pytest.raises(service.InsufficientStock):
        service.ship(org.admin, item.id, wh.id, 5)
    assert len(_alerts(alerted.clerk, line)) == 1
    far = safety.set_line(org.admin, item.id, other.id, 1)      # nothing there yet: alerts when set
    assert len(_alerts(alerted.clerk, far)) == 1
    service.transfer(org.admin, item.id, wh.id, other.id, 2)
    assert _line(far.id).alerted_at is None                     # the transfer arrived: recovered


def test_nightly_job_in_a_real_worker_alerts_lines_the_moves_did_not_and_only_once(org, app, alerted, job_env):  # noqa: F811
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 3)
    # A line written behind the screens' back: no move checked it.
    db.session.execute(insert(SafetyStock).values(product_id=item.id, warehouse_id=wh.id, warning_line=5,
                                                  reorder_qty=10, method="manual", history_days=90, lead_time_days=7,
                                                  safety_factor=Decimal("1.65"), updated_at=dt.datetime(2026, 1, 1)))
    db.session.commit()
    line = db.session.scalar(select(SafetyStock).where(SafetyStock.product_id == item.id))
    assert line.alerted_at is None
    from app.core import jobs

    queue = jobs.queue(app.config)
    queue.enqueue(planning_jobs.check_safety_stock)
    queue.enqueue(planning_jobs.check_safety_stock)             # run twice: still one alert
    run_worker_burst(job_env)
    assert len(_alerts(alerted.clerk, line)) == 1 and len(_alerts(alerted.buyer, line)) == 1
    assert _line(line.id).alerted_at is not None
    entry = planning_jobs.CRON[0](app.config)
    assert entry["name"] == "inventory.safety_stock" and entry["func"] is planning_jobs.check_safety_stock


def test_warehouse_edits_lines_and_computes_them_sales_may_not(org, login, alerted):
    wh, item = warehouse(), product()
    clerk = login(alerted.clerk)
    assert clerk.get("/safety_stock/list/").status_code == 200
    resp = clerk.post("/safety_stock/add", data={"product": str(item.id), "warehouse": str(wh.id), "warning_line": "4",
                                                 "reorder_qty": "12", "history_days": "90", "lead_time_days": "7",
                                                 "safety_factor": "1.65"})
    assert resp.status_code == 302
    line = db.session.scalar(select(SafetyStock).where(SafetyStock.product_id == item.id))
    assert (line.warning_line, line.reorder_qty, line.method) == (4, 12, "manual")
    again = clerk.post("/safety_stock/add", data={"product": str(item.id), "warehouse": str(wh.id), "warning_line": "1",
                                                  "reorder_qty": "1", "history_days": "90", "lead_time_days": "7",
                                                  "safety_factor": "1.65"})
    assert again.status_code == 200 and "已有安全库存" in again.get_data(as_text=True)
    assert clerk.post("/safety_stock/action_post", data={"action": "compute", "rowid": [str(line.id)]}).status_code == 302
    assert _line(line.id).method == "computed"
    assert clerk.get(f"/relation-search/safety_stock/product?q={item.sku}").get_json()["results"][0]["id"] == item.id
    sales = login(alerted.sales)
    assert sales.get("/safety_stock/list/").status_code in (302, 403)
    assert sales.post("/safety_stock/action_post", data={"action": "compute", "rowid": [str(line.id)]}).status_code \
        in (302, 403)
    assert login(org.manager).get("/safety_stock/list/").status_code == 200


def test_parallel_shipments_crossing_the_line_alert_once(app, org, alerted):
    from tests.modules.inventory.test_concurrency import _ids, _parallel

    if db.engine.dialect.name != "postgresql":
        pytest.skip("parallel workers need PostgreSQL")
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 10)
    line = safety.set_line(org.admin, item.id, wh.id, 8)
    place = _ids(wh, item)
    results = _parallel(app, lambda i: service.ship(None, place[1].id, place[0].id, 1, doc_ref=f"SO-{i}"), 6)
    assert results == ["ok"] * 6                                    # 10 → 4, below 8 from the third on
    assert len(_alerts(alerted.clerk, line)) == 1 and len(_alerts(alerted.buyer, line)) == 1


def test_the_api_sets_lines_for_purchasing_and_refuses_sales(org, alerted, api_token):
    wh, item = warehouse(), product()
    from flask import current_app

    client = current_app.test_client()
    body = {"product_id": item.id, "warehouse_id": wh.id, "warning_line": "6", "reorder_qty": "24",
            "history_days": 60, "lead_time_days": 5, "safety_factor": "2"}
    assert client.post("/api/v1/safety_stock/", json=body, headers=api_token(alerted.sales)).status_code in (401, 403)
    buyer = api_token(alerted.buyer)
    resp = client.post("/api/v1/safety_stock/", json=body, headers=buyer)
    assert resp.status_code == 201, resp.get_json()
    line = db.session.scalar(select(SafetyStock).where(SafetyStock.product_id == item.id))
    assert (line.warning_line, line.reorder_qty, line.lead_time_days) == (6, 24, 5)
    assert len(_alerts(alerted.clerk, line)) == 1                   # nothing in stock yet: below at once
    bad = client.post("/api/v1/safety_stock/", json={**body, "product_id": product().id, "warning_line": "-1"},
                      headers=buyer)
    assert bad.status_code == 400 and "零或正数" in str(bad.get_json())
    twice = client.post("/api/v1/safety_stock/", json=body, headers=buyer)
    assert twice.status_code == 400 and "已有安全库存" in str(twice.get_json())
    listed = client.get("/api/v1/safety_stock/", headers=buyer).get_json()
    assert any(row["product_id"] == item.id for row in listed["result"])


def test_demo_lines_alert_a_few_places(org, alerted):
    wh, item = warehouse(), product()
    service.receive(org.admin, item.id, wh.id, 30)
    assert safety.load_demo_lines(org.admin, limit=100000).endswith("safety stock lines")
    line = db.session.scalar(select(SafetyStock).where(SafetyStock.product_id == item.id))
    assert line is not None and line.reorder_qty >= 20
    assert safety.load_demo_lines(org.admin, limit=100000) == "0 safety stock lines"   # a second run adds none
