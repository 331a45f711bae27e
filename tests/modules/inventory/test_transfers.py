"""调拨单: sending moves every line out and into transit (or none, naming the product short), arriving
moves them in; between bins of one warehouse it is done at once; only a draft changes; the screens and API
for the Warehouse role, read-only for Purchasing, refused to Sales."""
from decimal import Decimal

import pytest
from flask import current_app
from sqlalchemy import select

from app.core.errors import DomainError
from app.extensions import db
from app.modules.inventory import service, transfer_service
from app.modules.inventory.models import StockLevel, StockMove
from app.modules.inventory.transfer_models import StockTransfer, StockTransferLine
from tests.factories import make_user
from tests.modules.inventory.helpers import product, warehouse


def _level(item, wh, bin_id=None):
    db.session.expire_all()
    row = db.session.execute(select(StockLevel.on_hand, StockLevel.in_transit).where(
        StockLevel.product_id == item.id, StockLevel.warehouse_id == wh.id,
        StockLevel.bin_key == (bin_id or 0))).first()
    return tuple(row) if row else (0, 0)


def _draft(actor, source, target, lines, from_bin=None, to_bin=None):
    transfer = transfer_service.create(actor, StockTransfer(from_warehouse_id=source.id, to_warehouse_id=target.id,
                                                            from_bin_id=from_bin, to_bin_id=to_bin))
    for item, qty in lines:
        transfer_service.save_line(actor, StockTransferLine(transfer_id=transfer.id, product_id=item.id, quantity=qty))
    return transfer


def test_a_transfer_goes_out_into_transit_and_arrives(org):
    shanghai, beijing = warehouse(), warehouse()
    paper, toner = product(), product()
    service.receive(org.admin, paper.id, shanghai.id, 10)
    service.receive(org.admin, toner.id, shanghai.id, 4)
    transfer = _draft(org.admin, shanghai, beijing, [(paper, 6), (toner, "1.5")])
    assert transfer.code.startswith("DB-") and transfer.status == "draft"

    transfer_service.send(org.admin, transfer.id)
    assert _level(paper, shanghai) == (4, 6) and _level(toner, shanghai) == (Decimal("2.5"), Decimal("1.5"))
    assert _level(paper, beijing) == (0, 0)
    assert db.session.get(StockTransfer, transfer.id).status == "in_transit"
    availability = {row["warehouse"]: row for row in service.availability(paper.id)}
    assert availability[shanghai.name]["in_transit"] == 6

    transfer_service.arrive(org.admin, transfer.id)
    assert _level(paper, shanghai) == (4, 0) and _level(paper, beijing) == (6, 0)
    moves = db.session.execute(select(StockMove.kind, StockMove.warehouse_id, StockMove.quantity).where(
        StockMove.product_id == paper.id, StockMove.doc_ref == transfer.code).order_by(StockMove.id)).all()
    assert moves == [("transfer_out", shanghai.id, -6), ("transfer_in", beijing.id, 6)]
    done = db.session.get(StockTransfer, transfer.id)
    assert done.status == "arrived" and done.sent_at and done.arrived_at


def test_a_shortage_on_any_line_sends_nothing_and_names_the_product(org):
    source, target = warehouse(), warehouse()
    plenty, scarce = product(), product()
    service.receive(org.admin, plenty.id, source.id, 10)
    service.receive(org.admin, scarce.id, source.id, 1)
    transfer = _draft(org.admin, source, target, [(plenty, 5), (scarce, 2)])
    with pytest.raises(service.InsufficientStock) as refused:
        transfer_service.send(org.admin, transfer.id)
    assert scarce.name in refused.value.message and "库存不足" in refused.value.message
    assert _level(plenty, source) == (10, 0) and _level(scarce, source) == (1, 0)
    assert db.session.get(StockTransfer, transfer.id).status == "draft"


def test_between_bins_of_one_warehouse_it_is_done_at_once(org):
    wh, bins = warehouse(bins=2)
    item = product()
    service.receive(org.admin, item.id, wh.id, 5, bin_id=bins[0].id)
    transfer = _draft(org.admin, wh, wh, [(item, 5)], from_bin=bins[0].id, to_bin=bins[1].id)
    transfer_service.send(org.admin, transfer.id)
    assert _level(item, wh, bins[0].id) == (0, 0) and _level(item, wh, bins[1].id) == (5, 0)
    assert db.session.get(StockTransfer, transfer.id).status == "done"
    with pytest.raises(DomainError):
        _draft(org.admin, wh, wh, [(item, 1)], from_bin=bins[1].id, to_bin=bins[1].id)


def test_only_a_draft_changes(org):
    source, target = warehouse(), warehouse()
    item = product()
    service.receive(org.admin, item.id, source.id, 3)
    transfer = _draft(org.admin, source, target, [(item, 2)])
    with pytest.raises(transfer_service.WrongState):
        transfer_service.arrive(org.admin, transfer.id)             # not sent yet
    transfer_service.send(org.admin, transfer.id)
    for attempt in (lambda: transfer_service.send(org.admin, transfer.id),
                    lambda: transfer_service.cancel(org.admin, transfer.id),
                    lambda: transfer_service.save_line(org.admin, StockTransferLine(
                        transfer_id=transfer.id, product_id=item.id, quantity=1))):
        with pytest.raises(transfer_service.WrongState):
            attempt()
    db.session.rollback()
    line = db.session.scalar(select(StockTransferLine).where(StockTransferLine.transfer_id == transfer.id))
    line.quantity = Decimal("1")
    with pytest.raises(transfer_service.WrongState):
        transfer_service.save_line(org.admin, line)
    db.session.rollback()
    assert _level(item, source) == (1, 2)
    empty = transfer_service.create(org.admin, StockTransfer(from_warehouse_id=source.id, to_warehouse_id=target.id))
    with pytest.raises(DomainError, match="先添加"):
        transfer_service.send(org.admin, empty.id)


def test_the_warehouse_runs_a_transfer_on_the_screens_and_others_read_or_are_refused(org, login, api_token):
    clerk_user = make_user("Warehouse", org.company)
    source, target = warehouse(), warehouse()
    item = product()
    service.receive(org.admin, item.id, source.id, 8)
    clerk = login(clerk_user)
    resp = clerk.post("/stock_transfers/add", data={"from_warehouse": str(source.id), "to_warehouse": str(target.id),
                                                    "note": "补货"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-500:]
    transfer = db.session.scalar(select(StockTransfer).where(StockTransfer.from_warehouse_id == source.id))
    same = clerk.post("/stock_transfers/add", data={"from_warehouse": str(source.id), "to_warehouse": str(source.id)})
    assert same.status_code == 200 and "调出位置与调入位置相同" in same.get_data(as_text=True)
    assert clerk.post("/stock_transfer_lines/add", data={"transfer": str(transfer.id), "product": str(item.id),
                                                         "quantity": "3"}).status_code == 302
    bad = clerk.post("/stock_transfer_lines/add", data={"transfer": str(transfer.id), "product": str(item.id),
                                                        "quantity": "-1"})
    assert bad.status_code == 200 and "大于零" in bad.get_data(as_text=True)
    page = clerk.get(f"/stock_transfers/show/{transfer.id}?tab=StockTransferLineView").get_data(as_text=True)
    assert item.sku in page
    assert clerk.post("/stock_transfers/action_post", data={"action": "send", "rowid": [str(transfer.id)]}
                      ).status_code == 302
    assert _level(item, source) == (5, 3)
    assert clerk.post("/stock_transfers/action_post", data={"action": "arrive", "rowid": [str(transfer.id)]}
                      ).status_code == 302
    assert _level(item, target) == (3, 0)

    buyer = login(make_user("Purchasing", org.company))
    assert buyer.get(f"/stock_transfers/show/{transfer.id}").status_code == 200
    assert buyer.get("/stock_transfers/add").status_code in (302, 403)
    sales = login(org.east_rep)
    assert sales.get("/stock_transfers/list/").status_code in (302, 403)

    client = current_app.test_client()
    made = client.post("/api/v1/stock_transfers/", json={"from_warehouse_id": source.id, "to_warehouse_id": target.id},
                       headers=api_token(clerk_user))
    assert made.status_code == 201, made.get_json()
    assert client.post("/api/v1/stock_transfers/", json={"from_warehouse_id": source.id, "to_warehouse_id": target.id},
                       headers=api_token(make_user("Purchasing", org.company))).status_code == 403
