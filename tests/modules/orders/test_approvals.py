"""Orders that need approval before confirming: over the customer's credit limit (open orders + this one) →
订单信用审批 (manager, then Finance); a discount beyond 10% → 订单折扣超限审批. Confirming refuses until approved,
an order in approval does not change, an approved order that changes is asked again, and an order that needs
nothing is told to confirm."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.errors import DomainError
from app.extensions import db
from app.modules.inventory import service as stock
from app.modules.orders import service
from app.modules.orders.models import SalesOrder, SalesOrderLine
from app.workflow import engine
from app.workflow.models import ApprovalInstance
from tests.factories import make_customer
from tests.modules.inventory.helpers import product, warehouse
from tests.workflow.helpers import task_of


def _order(org, credit_limit="1000.00", price="600.00", discount="0", qty="1"):
    wh, item = warehouse(), product()
    stock.receive(org.admin, item.id, wh.id, 100)
    customer = make_customer(org.east_rep, credit_limit=credit_limit)
    order = service.create(org.east_rep, SalesOrder(customer_id=customer.id, warehouse_id=wh.id))
    line = service.save_line(org.east_rep, SalesOrderLine(order_id=order.id, product_id=item.id, quantity=qty,
                                                          unit_price=price, discount=discount, tax_rate="0"))
    return db.session.get(SalesOrder, order.id), line


def _fresh(order) -> SalesOrder:
    db.session.expire_all()
    return db.session.get(SalesOrder, order.id)


def _run(order) -> ApprovalInstance:
    db.session.expire_all()
    return db.session.scalar(select(ApprovalInstance).where(ApprovalInstance.document == "orders",
                                                            ApprovalInstance.record_id == order.id)
                             .order_by(ApprovalInstance.id.desc()).limit(1))


def test_an_order_over_the_credit_limit_is_approved_by_manager_and_finance_before_confirming(org):
    first, _line = _order(org, credit_limit="1000.00", price="600.00")
    service.confirm(org.east_rep, first.id)                         # 600 of 1000: within the limit
    second = service.create(org.east_rep, SalesOrder(customer_id=first.customer_id, warehouse_id=first.warehouse_id))
    service.save_line(org.east_rep, SalesOrderLine(order_id=second.id, product_id=first.lines[0].product_id,
                                                   quantity="1", unit_price="600.00", tax_rate="0"))
    with pytest.raises(DomainError) as refused:                     # 600 open + 600 = 200 over
        service.confirm(org.east_rep, second.id)
    assert refused.value.code == "orders.approval_needed" and "200.00" in refused.value.message
    db.session.rollback()
    assert _fresh(second).status == "draft"

    engine.submit(org.east_rep, "orders", second.id)
    run = _run(_fresh(second))
    assert _fresh(second).approval == "in_approval" and _fresh(second).credit_excess == Decimal("200.00")
    with pytest.raises(DomainError):                                # in approval: no change
        service.save_line(org.east_rep, SalesOrderLine(order_id=second.id, product_id=first.lines[0].product_id,
                                                       quantity="1", unit_price="1", tax_rate="0"))
    db.session.rollback()
    with pytest.raises(DomainError):
        service.cancel(org.east_rep, second.id, "不要了")
    db.session.rollback()
    engine.approve(org.manager, task_of(run, org.manager).id)
    engine.approve(org.finance_user, task_of(run, org.finance_user).id)
    assert _fresh(second).approval == "approved"
    service.confirm(org.east_rep, second.id)
    assert _fresh(second).status == "confirmed"


def test_a_discount_beyond_the_limit_goes_through_the_discount_chain_and_a_change_asks_again(org):
    order, line = _order(org, credit_limit="0", price="100.00", discount="15")
    assert service.chain_of(order.id) == "order_discount_approval"
    engine.submit(org.east_rep, "orders", order.id)
    run = _run(order)
    engine.approve(org.manager, task_of(run, org.manager).id)
    assert _fresh(order).approval == "approved"
    line = db.session.get(SalesOrderLine, line.id)
    line.quantity = "2"
    service.save_line(org.east_rep, line)                          # changed after approval: asked again
    assert _fresh(order).approval == "draft"
    with pytest.raises(DomainError):
        service.confirm(org.east_rep, order.id)
    db.session.rollback()


def test_an_order_that_needs_no_approval_is_told_to_confirm(org):
    order, _line = _order(org, credit_limit="0", price="100.00")
    with pytest.raises(DomainError) as refused:
        engine.submit(org.east_rep, "orders", order.id)
    assert refused.value.code == "orders.no_approval_needed"
    db.session.rollback()
    assert _fresh(order).approval == "draft"
    service.confirm(org.east_rep, order.id)
    assert _fresh(order).status == "confirmed"
