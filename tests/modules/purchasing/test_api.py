"""/api/v1/purchasing/ for a phone app: an order's progress, placing, receiving (with stars), cancelling, a
supplier invoice with its match, and a payment recorded as paid — each refusal a 4xx with a Chinese message and
nothing written; roles and data scope as on the screens."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.purchasing import payables
from app.modules.purchasing.order_models import PurchaseOrder, PurchaseOrderLine
from app.workflow import engine
from tests.factories import make_department, make_user
from tests.conftest import unique
from tests.modules.purchasing.test_receipts import placed_order


@pytest.fixture
def buyer(org):
    return make_user("Purchasing", org.company)


def test_progress_receive_invoice_and_pay_through_the_api(app, api_token, buyer, org):
    order, line, _wh, _item = placed_order(buyer)                   # 10 at ¥20.00
    api, headers = app.test_client(), api_token(buyer)
    progress = api.get(f"/api/v1/purchasing/orders/{order.id}", headers=headers)
    assert progress.status_code == 200
    body = progress.get_json()
    assert body["status"] == "ordered" and body["status_label"] == "已下单"
    assert body["lines"][0]["left_to_receive"] == "10"
    refused = api.post(f"/api/v1/purchasing/orders/{order.id}/receive", headers=headers,
                       json={"lines": {str(line.id): {"accepted": "11"}}})
    assert refused.status_code == 400 and "10" in str(refused.get_json()["message"])
    assert db.session.get(PurchaseOrderLine, line.id).received == 0
    assert api.post(f"/api/v1/purchasing/orders/{order.id}/receive", headers=headers,
                    data="not json").status_code == 400
    done = api.post(f"/api/v1/purchasing/orders/{order.id}/receive", headers=headers,
                    json={"lines": {str(line.id): {"accepted": 10}}, "quality_rating": 5})
    assert done.status_code == 200 and done.get_json()["status"] == "received"
    assert done.get_json()["receipt"].startswith("RK-")
    number = unique("API-")
    invoice = api.post(f"/api/v1/purchasing/orders/{order.id}/invoices", headers=headers,
                       json={"number": number, "lines": {str(line.id): {"quantity": "10", "unit_price": "21.00"}}})
    assert invoice.status_code == 200 and invoice.get_json()["match_status"] == "difference"
    again = api.post(f"/api/v1/purchasing/orders/{order.id}/invoices", headers=headers,
                     json={"number": number, "lines": {str(line.id): {"quantity": "1"}}})
    assert again.status_code == 400 and "已登记" in str(again.get_json()["message"])
    invoice_id = invoice.get_json()["id"]
    payables.accept_differences(buyer, invoice_id, "涨价已确认")
    payment = payables.payment_for(buyer, invoice_id)
    assert api.post(f"/api/v1/purchasing/payments/{payment.id}/paid", headers=headers).status_code == 409
    engine.submit(buyer, "supplier_payments", payment.id)
    paid = api.post(f"/api/v1/purchasing/payments/{payment.id}/paid", headers=headers,
                    json={"reference": "BK-1"})
    assert paid.status_code == 200 and paid.get_json()["invoice_status"] == "paid"
    assert api.post("/api/v1/purchasing/payments/999999999/paid", headers=headers).status_code == 404


def test_steps_refused_by_state_role_and_scope(app, api_token, buyer, org):
    order, _line, _wh, _item = placed_order(buyer)
    api, headers = app.test_client(), api_token(buyer)
    assert api.post(f"/api/v1/purchasing/orders/{order.id}/close", headers=headers).status_code == 409
    assert api.post(f"/api/v1/purchasing/orders/{order.id}/cancel", headers=headers,
                    json={"reason": ""}).status_code == 400
    assert api.post(f"/api/v1/purchasing/orders/{order.id}/explode", headers=headers).status_code == 404
    cancelled = api.post(f"/api/v1/purchasing/orders/{order.id}/cancel", headers=headers, json={"reason": "停产"})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    with unit_of_work(None):
        db.session.get(PurchaseOrder, order.id).status = "approved"
    finance = api_token(org.finance_user)                            # reads purchase orders, writes none
    assert api.get(f"/api/v1/purchasing/orders/{order.id}", headers=finance).status_code == 200
    assert api.post(f"/api/v1/purchasing/orders/{order.id}/place", headers=finance).status_code == 403
    outsider = api_token(make_user("Manager", make_department(unique("销售三部"), org.company)))
    assert api.get(f"/api/v1/purchasing/orders/{order.id}", headers=outsider).status_code == 404
    assert api.get(f"/api/v1/purchasing/orders/{order.id}", headers=api_token(org.east_rep)).status_code in (
        401, 403)
    placed = api.post(f"/api/v1/purchasing/orders/{order.id}/place", headers=headers)
    assert placed.status_code == 200 and placed.get_json()["status"] == "ordered"
    assert Decimal(api.get(f"/api/v1/purchasing/orders/{order.id}", headers=headers).get_json()["amount"]) == \
        Decimal("200.00")
