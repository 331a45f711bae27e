"""Orders made from a signed contract: its customer and lines at its prices, never more than it leaves unordered
(a cancelled order gives its quantities back), refused for a contract not in force or out of the user's scope;
the order's progress bar."""
from decimal import Decimal

import pytest

from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.contracts import lines as contract_lines, service as contracts
from app.modules.contracts.models import Contract, ContractLine
from app.modules.orders import service
from app.modules.orders.models import SalesOrder, SalesOrderLine
from tests.modules.contracts.helpers import approved, make_contract
from tests.modules.inventory.helpers import product


def _signed_contract(owner, *items):
    contract = make_contract(owner)
    for item, quantity, price in items:
        contract_lines.save_line(owner, ContractLine(contract_id=contract.id, product_id=item.id, quantity=quantity,
                                                     unit_price=price, discount="10", tax_rate="13"))
    approved(contract)
    contracts.mark_signed(owner, [db.session.get(Contract, contract.id)])
    return db.session.get(Contract, contract.id)


def test_an_order_takes_what_the_contract_leaves_and_no_more(org):
    printer, paper = product(), product()
    contract = _signed_contract(org.east_rep, (printer, "10", "2000.00"), (paper, "100", "25.00"))
    first = service.from_contract(org.east_rep, contract.id)
    assert (first.customer_id, first.contract_id) == (contract.customer_id, contract.id)
    assert {(l.product_id, l.quantity, l.unit_price, l.discount) for l in first.lines} == {
        (printer.id, Decimal("10"), Decimal("2000.00"), Decimal("10")),
        (paper.id, Decimal("100"), Decimal("25.00"), Decimal("10"))}

    line = next(l for l in first.lines if l.product_id == printer.id)
    line.quantity = "4"                                       # the clerk orders 4 printers now
    service.save_line(org.east_rep, line)
    with pytest.raises(ValidationErrors) as refused:          # one more than is left
        service.save_line(org.east_rep, SalesOrderLine(order_id=first.id, product_id=printer.id, quantity="7",
                                                       unit_price="2000.00"))
    assert "6" in refused.value.errors["quantity"][0]
    db.session.rollback()
    with pytest.raises(ValidationErrors) as refused:          # a product the contract does not sell
        service.save_line(org.east_rep, SalesOrderLine(order_id=first.id, product_id=product().id, quantity="1",
                                                       unit_price="1"))
    assert "product" in refused.value.errors
    db.session.rollback()

    second = service.from_contract(org.east_rep, contract.id)
    assert [(l.product_id, l.quantity) for l in second.lines] == [(printer.id, Decimal("6"))]
    with pytest.raises(DomainError) as refused:               # all ordered
        service.from_contract(org.east_rep, contract.id)
    assert refused.value.code == "orders.contract_fully_ordered"
    db.session.rollback()
    service.cancel(org.east_rep, second.id, "客户推迟")          # a cancelled order gives its quantities back
    third = service.from_contract(org.east_rep, contract.id)
    assert [(l.product_id, l.quantity) for l in third.lines] == [(printer.id, Decimal("6"))]


def test_only_a_contract_in_force_and_in_scope_makes_an_order(org, login):
    paper = product()
    draft = make_contract(org.east_rep)
    with pytest.raises(DomainError):
        service.from_contract(org.east_rep, draft.id)
    db.session.rollback()
    contract = _signed_contract(org.east_rep, (paper, "5", "10.00"))
    with pytest.raises(DomainError):
        service.from_contract(org.south_rep, contract.id)
    db.session.rollback()

    client = login(org.east_rep)
    page = client.get(f"/orders_from_contract/{contract.id}")
    assert page.status_code == 200 and "尚未下单" in page.get_data(as_text=True)
    made = client.post(f"/orders_from_contract/{contract.id}")
    assert made.status_code == 302 and made.headers["Location"].startswith("/orders/show/")
    again = client.post(f"/orders_from_contract/{contract.id}")
    assert again.status_code == 409 and "已全部下单" in again.get_data(as_text=True)
    assert login(org.south_rep).get(f"/orders_from_contract/{contract.id}").status_code == 404
    assert db.session.query(SalesOrder).filter_by(contract_id=contract.id).count() == 1


def test_the_order_page_shows_its_progress(org, login):
    paper = product()
    contract = _signed_contract(org.east_rep, (paper, "5", "10.00"))
    order = service.from_contract(org.east_rep, contract.id)
    html = login(org.east_rep).get(f"/orders/show/{order.id}").get_data(as_text=True)
    bar = html[html.index('id="zwt-lifecycle"'):]
    bar = bar[:bar.index("</ol>")]
    assert 'zwt-step-current" data-status="draft"' in bar and 'data-status="completed"' in bar
    assert contract.code in html
