"""Purchase orders (采购订单): lines whose unit price includes tax, summed to the fen; made from a quote; sent
through 采购订单审批 by amount tier; placed, cancelled with a reason, closed — each only from the states that allow
it; roles and data scope."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.clock import company_today
from app.core.errors import DomainError, ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.purchasing import order_service
from app.modules.purchasing.order_models import PurchaseOrder, PurchaseOrderLine
from app.workflow import engine
from app.core.org import Department
from tests.conftest import unique
from tests.factories import make_department, make_user
from tests.workflow.helpers import task_of
from tests.modules.inventory.helpers import product
from tests.modules.purchasing.helpers import quote, supplier


@pytest.fixture
def head(org):
    """The head of a purchasing department: the first step of 采购订单审批 for its buyers."""
    return make_user("Manager", org.company)


@pytest.fixture
def buyer(org, head):
    department = make_department(unique("采购部"), org.company)
    with unit_of_work(None):
        db.session.get(Department, department.id).head_id = head.id
    return make_user("Purchasing", department, head)


def _order(buyer, lines=(("3", "113.00", "13"),)):
    order = order_service.create(buyer, PurchaseOrder(supplier_id=supplier(buyer).id))
    for quantity, price, rate in lines:
        order_service.save_line(buyer, PurchaseOrderLine(order_id=order.id, product_id=product().id,
                                                         quantity=quantity, unit_price=price, tax_rate=rate))
    return db.session.get(PurchaseOrder, order.id)


@pytest.mark.parametrize("quantity, price, rate, amount, tax", [
    ("3", "113.00", "13", "339.00", "39.00"),
    ("1", "0.01", "13", "0.01", "0.00"),
    ("7", "33.33", "6", "233.31", "13.21"),          # 233.31 × 6 / 106 = 13.206…
    ("2.5", "99.99", "13", "249.98", "28.76"),        # 249.975 → 249.98; × 13 / 113 = 28.758…
    ("10", "100.00", "0", "1000.00", "0.00"),
])
def test_a_lines_amount_and_tax_round_half_up_to_the_fen(quantity, price, rate, amount, tax):
    assert order_service.line_figures(Decimal(quantity), Decimal(price), Decimal(rate)) == (Decimal(amount),
                                                                                           Decimal(tax))


def test_an_orders_figures_are_the_sums_of_its_lines(buyer):
    order = _order(buyer, lines=[("3", "113.00", "13"), ("7", "33.33", "6")])
    assert order.code.startswith("CG-") and order.status == "draft"
    assert (order.amount, order.tax, order.untaxed) == (Decimal("572.31"), Decimal("52.21"), Decimal("520.10"))
    for fields, field in (({"quantity": "0"}, "quantity"), ({"unit_price": "-1"}, "unit_price"),
                          ({"tax_rate": "101"}, "tax_rate"),
                          ({"delivery_date": company_today() - dt.timedelta(days=1)}, "delivery_date")):
        values = {"order_id": order.id, "product_id": product().id, "quantity": "1", "unit_price": "1", **fields}
        with pytest.raises(ValidationErrors) as refused:
            order_service.save_line(buyer, PurchaseOrderLine(**values))
        assert field in refused.value.errors
        db.session.rollback()
    assert db.session.get(PurchaseOrder, order.id).amount == Decimal("572.31")


def test_an_order_from_a_quote_takes_its_price_minimum_and_lead_time(buyer):
    item = product()
    offered = quote(buyer, supplier(buyer), item, "45.20", lead_days=9, min_quantity="20")
    order = order_service.from_quote(buyer, offered.id, "5")
    [line] = order.lines
    assert (line.product_id, line.quantity, line.unit_price) == (item.id, Decimal("20"), Decimal("45.20"))
    assert order.expected_date == company_today() + dt.timedelta(days=9) and order.quote_id == offered.id
    old = quote(buyer, supplier(buyer), item, "1.00", valid_to=company_today() - dt.timedelta(days=1))
    with pytest.raises(DomainError):
        order_service.from_quote(buyer, old.id)
    db.session.rollback()


def test_the_lifecycle_on_every_path(org, buyer, head):
    order = _order(buyer)
    with pytest.raises(DomainError):
        order_service.place(buyer, order.id)                       # not approved yet
    db.session.rollback()
    empty = order_service.create(buyer, PurchaseOrder(supplier_id=supplier(buyer).id))
    with pytest.raises(DomainError):
        engine.submit(buyer, "purchase_orders", empty.id)          # no lines: nothing to approve
    db.session.rollback()
    run = engine.submit(buyer, "purchase_orders", order.id)
    assert db.session.get(PurchaseOrder, order.id).status == "in_approval"
    with pytest.raises(DomainError):                               # changed while in approval
        order_service.save_line(buyer, PurchaseOrderLine(order_id=order.id, product_id=product().id,
                                                         quantity="1", unit_price="1"))
    db.session.rollback()
    engine.approve(head, task_of(run, head).id, comment="同意")      # ¥339: the department head alone
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).status == "approved"
    placed = order_service.place(buyer, order.id)
    assert placed.status == "ordered" and placed.ordered_at is not None
    with pytest.raises(DomainError):
        order_service.close(buyer, order.id)                       # nothing received yet
    db.session.rollback()
    with pytest.raises(ValidationErrors):
        order_service.cancel(buyer, order.id, "  ")
    db.session.rollback()
    cancelled = order_service.cancel(buyer, order.id, "供应商停产")
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "供应商停产"
    with pytest.raises(DomainError):
        order_service.cancel(buyer, order.id, "再取消一次")
    db.session.rollback()


def test_an_order_over_50000_also_goes_to_finance(org, buyer, head):
    order = _order(buyer, lines=[("100", "600.00", "13")])            # ¥60,000
    run = engine.submit(buyer, "purchase_orders", order.id)
    engine.approve(head, task_of(run, head).id, comment="同意")
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).status == "in_approval"
    engine.approve(org.finance_user, task_of(run, org.finance_user).id, comment="同意")
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).status == "approved"


def test_the_screens_keep_to_roles(org, login, buyer):
    order = _order(buyer)
    client = login(buyer)
    page = client.get(f"/purchase_orders/show/{order.id}")
    assert page.status_code == 200 and order.code in page.get_data(as_text=True)
    cancel = client.get(f"/purchase_orders_cancel/?ids={order.id}")
    assert cancel.status_code == 200 and order.code in cancel.get_data(as_text=True)
    refused = client.post("/purchase_orders_cancel/", data={"ids": str(order.id), "reason": ""})
    assert refused.status_code == 400
    done = client.post("/purchase_orders_cancel/", data={"ids": str(order.id), "reason": "重复下单"})
    assert done.status_code == 302
    assert db.session.scalar(select(PurchaseOrder.status).where(PurchaseOrder.id == order.id)) == "cancelled"
    finance = login(org.finance_user)
    assert order.code in finance.get("/purchase_orders/list/").get_data(as_text=True)
    assert finance.get("/purchase_orders/add").status_code in (302, 403)
    assert login(org.east_rep).get("/purchase_orders/list/").status_code in (302, 403)
