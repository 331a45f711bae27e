"""询价单: one product asked of several suppliers — each e-mailed at its contact, suspended ones refused — their
answers entered as quotes of the request and compared side by side; closing; roles."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.errors import DomainError, ValidationErrors
from app.core.notify import MailMessage
from app.extensions import db
from app.modules.purchasing import quotes, rfq, service
from app.modules.purchasing.models import SupplierContact, SupplierQuote
from app.modules.purchasing.rfq_models import QuoteRequest
from tests.conftest import unique
from tests.factories import make_user
from tests.modules.inventory.helpers import product
from tests.modules.purchasing.helpers import quote, supplier


@pytest.fixture
def buyer(org):
    return make_user("Purchasing", org.company)


def _with_mail(buyer):
    made = supplier(buyer)
    address = unique("rfq") + "@supplier.example.com"
    service.supplier_contacts.create(buyer, SupplierContact(supplier_id=made.id, name="李经理", email=address))
    return made, address


def test_suppliers_are_asked_and_their_answers_compared(buyer):
    item = product()
    (first, address), (second, _other) = _with_mail(buyer), _with_mail(buyer)
    silent = supplier(buyer)                                           # no contact: asked, not e-mailed
    asked = rfq.create(buyer, QuoteRequest(product_id=item.id, quantity="50"))
    assert asked.code.startswith("XJ-") and asked.status == "open"
    made = rfq.invite(buyer, asked.id, [first.id, second.id, silent.id])
    assert sorted(row.mailed_to is not None for row in made) == [False, True, True]
    mail = db.session.scalars(select(MailMessage).where(MailMessage.to == address)).one()
    assert asked.code in mail.subject and "50" in mail.body and item.sku in mail.body
    with pytest.raises(ValidationErrors):                             # asked already
        rfq.invite(buyer, asked.id, [first.id])
    db.session.rollback()
    quote(buyer, supplier(buyer), item, "1.00")                        # outside the request: not compared
    rfq.answer(buyer, asked.id, first.id, {"price": "12.50", "lead_days": "10", "min_quantity": "20"})
    rfq.answer(buyer, asked.id, second.id, {"price": "11.00", "lead_days": "30"})
    with pytest.raises(ValidationErrors) as refused:
        rfq.answer(buyer, asked.id, silent.id, {"price": "abc"})
    assert "price" in refused.value.errors
    db.session.rollback()
    with pytest.raises(ValidationErrors):
        rfq.answer(buyer, asked.id, supplier(buyer).id, {"price": "9"})   # never asked
    db.session.rollback()
    offers = quotes.compare(buyer, item.id, Decimal(50), "cheapest", request_id=asked.id)
    assert [(o.quote.supplier_id, o.cost, o.best) for o in offers] == [
        (second.id, Decimal("550.00"), True), (first.id, Decimal("625.00"), False)]
    fastest = quotes.compare(buyer, item.id, Decimal(50), "fastest", request_id=asked.id)
    assert fastest[0].quote.supplier_id == first.id
    rfq.close(buyer, asked.id)
    with pytest.raises(DomainError):
        rfq.answer(buyer, asked.id, silent.id, {"price": "10"})
    db.session.rollback()
    with pytest.raises(DomainError):
        rfq.delete(buyer, db.session.get(QuoteRequest, asked.id))       # has answers
    db.session.rollback()


def test_suspended_suppliers_are_not_asked_and_bad_requests_refused(buyer):
    item = product()
    stopped = supplier(buyer, status="suspended")
    asked = rfq.create(buyer, QuoteRequest(product_id=item.id, quantity="5"))
    with pytest.raises(ValidationErrors) as refused:
        rfq.invite(buyer, asked.id, [stopped.id])
    assert "suppliers" in refused.value.errors
    db.session.rollback()
    for fields, field in (({"quantity": "0"}, "quantity"), ({"quantity": "x"}, "quantity"),
                          ({"product_id": None}, "product")):
        with pytest.raises(ValidationErrors) as refused:
            rfq.create(buyer, QuoteRequest(**{"product_id": item.id, "quantity": "1", **fields}))
        assert field in refused.value.errors
        db.session.rollback()


def test_suggestions_are_suppliers_that_quoted_the_product(buyer):
    item = product()
    known = supplier(buyer)
    quote(buyer, known, item, "8.00")
    asked = rfq.create(buyer, QuoteRequest(product_id=item.id, quantity="5"))
    assert known.id in [s.id for s in rfq.suggestions(asked)]
    rfq.invite(buyer, asked.id, [known.id])
    assert known.id not in [s.id for s in rfq.suggestions(db.session.get(QuoteRequest, asked.id))]


def test_the_workspace_and_roles(org, login, buyer):
    item = product()
    first, _address = _with_mail(buyer)
    client = login(buyer)
    made = client.post("/quote_requests/add", data={"product": str(item.id), "quantity": "12"})
    assert made.status_code == 302
    asked = db.session.scalars(select(QuoteRequest).where(QuoteRequest.product_id == item.id)).one()
    page = client.get(f"/quote_request_work/{asked.id}")
    assert page.status_code == 200 and asked.code in page.get_data(as_text=True)
    assert client.post(f"/quote_request_work/{asked.id}", data={"step": "invite"}).status_code == 400
    assert client.post(f"/quote_request_work/{asked.id}",
                       data={"step": "invite", "supplier": str(first.id)}).status_code == 302
    refused = client.post(f"/quote_request_work/{asked.id}",
                          data={"step": f"answer_{first.id}", f"price_{first.id}": "-1"})
    assert refused.status_code == 400
    done = client.post(f"/quote_request_work/{asked.id}",
                       data={"step": f"answer_{first.id}", f"price_{first.id}": "7.70", f"currency_{first.id}": "CNY",
                             f"lead_days_{first.id}": "3"})
    assert done.status_code == 302
    answer = db.session.scalars(select(SupplierQuote).where(SupplierQuote.request_id == asked.id)).one()
    assert answer.price == Decimal("7.70")
    compare = client.get(f"/supplier_quotes_compare/?request={asked.id}")
    assert compare.status_code == 200 and first.name in compare.get_data(as_text=True)
    assert client.get("/supplier_quotes_compare/?request=999999999").status_code == 404
    finance = login(org.finance_user)                                  # reads quotes, keeps none
    assert finance.get(f"/quote_requests/show/{asked.id}").status_code == 200
    assert finance.get(f"/quote_request_work/{asked.id}").status_code in (302, 403)
    assert login(org.east_rep).get("/quote_requests/list/").status_code in (302, 403)
