"""盘点单: starting a count freezes its places (every move in or out refused, on the service, the page and the
API, until it ends), counts are recorded by barcode or SKU (added or replaced), a count finishes only when
every line is counted, the differences are posted as count moves only after 库存盘点审批 approves, a rejection
sends it back for a recount, cancelling frees the places; the screens for the Warehouse role."""
from decimal import Decimal
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.inventory import count_service, service
from app.modules.inventory.count_models import StockCount, StockCountLine
from app.modules.inventory.models import StockLevel, StockMove
from tests.factories import make_user
from tests.modules.inventory.helpers import product, warehouse

CHAIN = Path(__file__).resolve().parents[3] / "workflows" / "stock_count_approval.yaml"


@pytest.fixture
def place(org):
    """A warehouse with a zone of two bins: paper in the first, toner in the second."""
    wh, bins = warehouse(bins=2)
    paper, toner = product(), product()
    paper.barcode = f"69{paper.id:011d}"
    db.session.commit()
    service.receive(org.admin, paper.id, wh.id, 10, bin_id=bins[0].id)
    service.receive(org.admin, toner.id, wh.id, 5, bin_id=bins[1].id)
    clerk = make_user("Warehouse", org.company, org.manager)
    return wh, bins, paper, toner, clerk


def _on_hand(item, wh, bin_):
    db.session.expire_all()
    return db.session.scalar(select(StockLevel.on_hand).where(StockLevel.product_id == item.id,
                                                               StockLevel.warehouse_id == wh.id,
                                                               StockLevel.bin_key == bin_.id))


def _count(clerk, wh, bins):
    return count_service.create(clerk, StockCount(warehouse_id=wh.id, zone_id=bins[0].zone_id))


def test_a_count_freezes_its_places_and_posts_its_differences_after_approval(org, place):
    from app.workflow import engine, publishing
    from app.workflow.models import ApprovalTask

    publishing.publish(None, CHAIN.read_text(encoding="utf-8"))
    wh, bins, paper, toner, clerk = place
    count = _count(clerk, wh, bins)
    assert count.code.startswith("PD-") and count.status == "planned"
    service.ship(org.admin, paper.id, wh.id, 1, bin_id=bins[0].id)          # not frozen before it starts

    count_service.start(clerk, count.id)
    lines = {line.product_id: line.expected for line in db.session.scalars(
        select(StockCountLine).where(StockCountLine.count_id == count.id))}
    assert lines == {paper.id: 9, toner.id: 5}
    with pytest.raises(count_service.Frozen) as frozen:
        service.ship(org.admin, paper.id, wh.id, 1, bin_id=bins[0].id)
    assert count.code in frozen.value.message and "盘点" in frozen.value.message
    with pytest.raises(count_service.Frozen):
        service.receive(org.admin, toner.id, wh.id, 1, bin_id=bins[1].id)
    service.receive(org.admin, paper.id, wh.id, 3)                           # the warehouse without a bin moves
    other = warehouse()
    service.receive(org.admin, paper.id, other.id, 3)                       # and so do other warehouses
    assert _on_hand(paper, wh, bins[0]) == 9

    for _ in range(8):                                                       # eight scans of the paper
        count_service.record(clerk, count.id, paper.barcode, 1, bins[0].code, add=True)
    result = count_service.record(clerk, count.id, toner.sku, "6", bins[1].code, add=False)
    assert result["counted"] == 6 and result["counted_lines"] == 2
    with pytest.raises(ValidationErrors):
        count_service.record(clerk, count.id, "NO-SUCH-CODE", 1, bins[0].code)
    with pytest.raises(ValidationErrors):
        count_service.record(clerk, count.id, paper.sku, "-1", bins[0].code)

    count_service.finish(clerk, count.id)
    instance = engine.submit(clerk, "stock_counts", count.id)
    db.session.expire_all()
    assert db.session.get(StockCount, count.id).status == "in_approval"
    with pytest.raises(count_service.Frozen):                               # still frozen while in approval
        service.ship(org.admin, toner.id, wh.id, 1, bin_id=bins[1].id)
    task = db.session.scalar(select(ApprovalTask).where(ApprovalTask.instance_id == instance.id,
                                                        ApprovalTask.status == "pending"))
    assert task.assignee_id == org.manager.id
    engine.approve(org.manager, task.id, "同意")
    db.session.expire_all()
    posted = db.session.get(StockCount, count.id)
    assert posted.status == "posted" and posted.posted_at is not None
    assert _on_hand(paper, wh, bins[0]) == 8 and _on_hand(toner, wh, bins[1]) == 6
    moves = db.session.execute(select(StockMove.product_id, StockMove.kind, StockMove.quantity).where(
        StockMove.doc_ref == count.code).order_by(StockMove.product_id)).all()
    assert sorted(moves) == sorted([(paper.id, "count", Decimal(-1)), (toner.id, "count", Decimal(1))])
    service.ship(org.admin, toner.id, wh.id, 1, bin_id=bins[1].id)          # free again


def test_finishing_needs_every_line_and_a_rejection_sends_it_back_for_a_recount(org, place):
    from app.workflow import engine, publishing
    from app.workflow.models import ApprovalTask

    publishing.publish(None, CHAIN.read_text(encoding="utf-8"))
    wh, bins, paper, toner, clerk = place
    count = count_service.create(clerk, StockCount(warehouse_id=wh.id, bin_id=bins[0].id))
    count_service.start(clerk, count.id)
    other = count_service.create(clerk, StockCount(warehouse_id=wh.id))
    with pytest.raises(count_service.Frozen, match=count.code):              # the whole warehouse overlaps
        count_service.start(clerk, other.id)
    with pytest.raises(DomainError, match="1"):
        count_service.finish(clerk, count.id)
    count_service.record(clerk, count.id, paper.sku, 10)                     # the bin is the count's own
    count_service.finish(clerk, count.id)
    instance = engine.submit(clerk, "stock_counts", count.id)
    task = db.session.scalar(select(ApprovalTask).where(ApprovalTask.instance_id == instance.id,
                                                        ApprovalTask.status == "pending"))
    engine.reject(org.manager, task.id, "请复盘")
    db.session.expire_all()
    assert db.session.get(StockCount, count.id).status == "counted"          # back to the counter, still frozen
    with pytest.raises(count_service.Frozen):
        service.ship(org.admin, paper.id, wh.id, 1, bin_id=bins[0].id)
    count_service.recount(clerk, count.id)
    count_service.cancel(clerk, count.id)
    assert _on_hand(paper, wh, bins[0]) == 10                                # nothing posted
    service.ship(org.admin, paper.id, wh.id, 1, bin_id=bins[0].id)          # free again


def test_the_screens_and_api_refuse_moves_in_a_frozen_place_and_the_scan_page_counts(org, place, login, api_token):
    wh, bins, paper, toner, clerk = place
    client = login(clerk)
    resp = client.post("/stock_counts/add", data={"warehouse": str(wh.id), "zone": str(bins[0].zone_id)})
    assert resp.status_code == 302
    count = db.session.scalar(select(StockCount).where(StockCount.warehouse_id == wh.id))
    assert client.post("/stock_counts/action_post", data={"action": "start", "rowid": [str(count.id)]}
                       ).status_code == 302
    db.session.expire_all()
    assert db.session.get(StockCount, count.id).status == "counting"

    page = client.post("/inventory/operations/", data={"operation": "ship", "product_id": str(paper.id),
                                                      "warehouse_id": str(wh.id), "bin": bins[0].code, "quantity": "1"})
    assert page.status_code == 409 and count.code in page.get_data(as_text=True)
    api = current_app.test_client().post("/api/v1/stock/ship", json={
        "product_id": paper.id, "warehouse_id": wh.id, "bin": bins[0].code, "quantity": "1"}, headers=api_token(clerk))
    assert api.status_code == 409 and count.code in api.get_json()["message"]

    scan = client.get(f"/inventory/counts/{count.id}/scan").get_data(as_text=True)
    assert "zwt-count-form" in scan and "zwt-count-bin" in scan
    saved = client.post(f"/inventory/counts/{count.id}/scan", json={"code": paper.barcode, "bin": bins[0].code})
    assert saved.status_code == 200 and saved.get_json()["counted"] == "1"
    wrong_bin = client.post(f"/inventory/counts/{count.id}/scan", json={"code": paper.barcode, "bin": "Z-9"})
    assert wrong_bin.status_code == 400 and wrong_bin.get_json()["field"] == "bin"
    assert client.post(f"/inventory/counts/{count.id}/scan", data="x").status_code == 400
    lines = client.get(f"/stock_counts/show/{count.id}?tab=StockCountLineView").get_data(as_text=True)
    assert paper.sku in lines and toner.sku in lines

    sales = login(org.east_rep)
    assert sales.get("/stock_counts/list/").status_code in (302, 403)
    assert sales.post(f"/inventory/counts/{count.id}/scan", json={"code": paper.barcode}).status_code in (302, 403)
    buyer = login(make_user("Purchasing", org.company))
    assert buyer.get(f"/stock_counts/show/{count.id}").status_code == 200
    assert buyer.post(f"/inventory/counts/{count.id}/scan", json={"code": paper.barcode}).status_code in (302, 403)
    db.session.expire_all()
    line = db.session.scalar(select(StockCountLine).where(StockCountLine.count_id == count.id,
                                                          StockCountLine.product_id == paper.id))
    assert line.counted == 1
