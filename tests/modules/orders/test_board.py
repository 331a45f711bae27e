"""订单看板: the orders the user may see by status; a move follows the order's own rules (confirm reserves stock,
a refused move says why and changes nothing), cancelling asks for the reason, readers cannot move cards."""
from decimal import Decimal

from app.extensions import db
from app.modules.inventory import service as stock
from app.modules.orders import service
from app.modules.orders.models import SalesOrder, SalesOrderLine
from tests.factories import make_customer, make_user
from tests.modules.inventory.helpers import product, warehouse


def _draft(org, owner, on_hand=10, qty="2"):
    wh, item = warehouse(), product()
    stock.receive(org.admin, item.id, wh.id, on_hand)
    order = service.create(owner, SalesOrder(customer_id=make_customer(owner).id, warehouse_id=wh.id))
    service.save_line(owner, SalesOrderLine(order_id=order.id, product_id=item.id, quantity=qty, unit_price="10"))
    return order


def _status(order) -> str:
    db.session.expire_all()
    return db.session.get(SalesOrder, order.id).status


def test_the_board_moves_cards_by_the_orders_rules(org, login):
    mine, theirs = _draft(org, org.east_rep), _draft(org, org.south_rep)
    short = _draft(org, org.east_rep, on_hand=1, qty="5")
    client = login(org.east_rep)
    page = client.get("/orders_board/").get_data(as_text=True)
    assert mine.code in page and theirs.code not in page and "备货中" in page

    assert client.post("/orders_board/move", data={"id": mine.id, "to": "confirmed"}).status_code == 200
    assert _status(mine) == "confirmed"
    refused = client.post("/orders_board/move", data={"id": short.id, "to": "confirmed"})
    assert refused.status_code == 409 and short.lines[0].product.name in refused.get_json()["message"]
    assert _status(short) == "draft"
    skip = client.post("/orders_board/move", data={"id": mine.id, "to": "completed"})
    assert skip.status_code == 409 and "不能从" in skip.get_json()["message"]
    assert client.post("/orders_board/move", data={"id": mine.id, "to": "shipped"}).status_code == 200
    assert _status(mine) == "shipped"
    cancel = client.post("/orders_board/move", data={"id": short.id, "to": "cancelled"})
    assert cancel.get_json()["redirect"] == f"/orders_cancel/?ids={short.id}" and _status(short) == "draft"
    assert client.post("/orders_board/move", data={"id": theirs.id, "to": "confirmed"}).status_code == 404
    assert client.post("/orders_board/move", data={"id": "x", "to": "confirmed"}).status_code == 404
    assert _status(theirs) == "draft"


def test_readers_see_the_board_but_move_nothing(org, login):
    order = _draft(org, org.east_rep)
    reader = login(org.readonly)
    assert order.code in reader.get("/orders_board/").get_data(as_text=True)
    assert reader.post("/orders_board/move", data={"id": order.id, "to": "confirmed"}).status_code in (302, 403)
    assert _status(order) == "draft"
    assert login(make_user("Marketing", org.company)).get("/orders_board/").status_code in (302, 403)


def test_the_customer_page_has_an_orders_tab_in_the_users_scope(org, login):
    order = _draft(org, org.east_rep)
    client = login(org.east_rep)
    html = client.get(f"/customers/show/{order.customer_id}?tab=orders").get_data(as_text=True)
    assert order.code in html and "该客户的全部订单" in html
    marketing = login(make_user("Marketing", org.company))        # reads customers, not orders
    page = marketing.get(f"/customers/show/{order.customer_id}?tab=orders")
    assert page.status_code == 200 and order.code not in page.get_data(as_text=True)
