"""Supplier invoices matched three ways (ordered, received, invoiced), 付款单 with 付款审批 above its threshold,
paid once recorded and never beyond what the invoice owes; voiding; the payables aging; roles on the screens."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.clock import company_today
from app.core.errors import DomainError, ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.purchasing import payables, receipts
from app.modules.purchasing.order_models import PurchaseOrder, PurchaseOrderLine
from app.modules.purchasing.payable_models import SupplierInvoice, SupplierInvoiceLine, SupplierPayment
from app.workflow import engine
from tests.conftest import unique
from tests.factories import make_department, make_user
from tests.modules.purchasing.test_receipts import placed_order
from tests.workflow.helpers import task_of


@pytest.fixture
def buyer(org):
    return make_user("Purchasing", org.company)


def _received(buyer, quantity="10", accepted="6", rejected="1"):
    order, line, _wh, _item = placed_order(buyer, quantity)          # 10 ordered at ¥20.00, 13 %
    receipts.receive(buyer, order.id, {line.id: {"accepted": accepted, "rejected": rejected, "reason": "破损"}})
    return db.session.get(PurchaseOrder, order.id), db.session.get(PurchaseOrderLine, line.id)


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_invoice_matching_the_order_and_the_receipts(buyer):
    order, line = _received(buyer)
    invoice = payables.register_invoice(buyer, order.id, "No.0001", {line.id: {"quantity": "6"}})
    assert invoice.code.startswith("CF-") and invoice.match_status == "matched" and invoice.status == "open"
    assert (invoice.amount, invoice.tax, invoice.expected) == (Decimal("120.00"), Decimal("13.81"),
                                                               Decimal("120.00"))
    assert invoice.due_date == invoice.invoice_date + dt.timedelta(days=30)
    assert db.session.get(PurchaseOrderLine, line.id).invoiced == Decimal(6)
    row = db.session.scalars(select(SupplierInvoiceLine).where(SupplierInvoiceLine.invoice_id == invoice.id)).one()
    assert (row.received_open, row.quantity_diff, row.price_diff, row.flagged) == (Decimal(6), 0, 0, False)


def test_differences_are_flagged_and_block_payment_until_accepted(buyer):
    order, line = _received(buyer)
    payables.register_invoice(buyer, order.id, "No.0001", {line.id: {"quantity": "4"}})   # 2 received are left
    invoice = payables.register_invoice(buyer, order.id, "No.0002",
                                        {line.id: {"quantity": "5", "unit_price": "21.00"}})
    row = db.session.scalars(select(SupplierInvoiceLine).where(SupplierInvoiceLine.invoice_id == invoice.id)).one()
    assert (row.received_open, row.quantity_diff, row.price_diff, row.flagged) == (
        Decimal(2), Decimal(3), Decimal("1.00"), True)
    assert invoice.match_status == "difference"
    assert (invoice.amount, invoice.expected, invoice.difference) == (Decimal("105.00"), Decimal("40.00"),
                                                                      Decimal("65.00"))
    with pytest.raises(ValidationErrors) as refused:
        payables.payment_for(buyer, invoice.id)
    assert "differs" in refused.value.errors["invoice"][0] or "不符" in refused.value.errors["invoice"][0] \
        or invoice.code in refused.value.errors["invoice"][0]
    db.session.rollback()
    with pytest.raises(ValidationErrors):
        payables.accept_differences(buyer, invoice.id, " ")
    db.session.rollback()
    accepted = payables.accept_differences(buyer, invoice.id, "运费已电话确认")
    assert accepted.match_status == "accepted" and accepted.match_note == "运费已电话确认"
    payment = payables.payment_for(buyer, invoice.id)
    assert payment.code.startswith("FK-") and payment.amount == Decimal("105.00") and payment.status == "draft"


def test_a_price_within_the_tolerance_is_no_difference(buyer, app):
    order, line = _received(buyer)
    app.config["PURCHASE_PRICE_TOLERANCE"] = 5
    try:
        invoice = payables.register_invoice(buyer, order.id, "No.0001",
                                            {line.id: {"quantity": "6", "unit_price": "20.90"}})
    finally:
        app.config.pop("PURCHASE_PRICE_TOLERANCE")
    assert invoice.match_status == "matched"


def test_bad_invoices_are_refused_and_write_nothing(buyer):
    order, line = _received(buyer)
    payables.register_invoice(buyer, order.id, "No.0001", {line.id: {"quantity": "1"}})
    before = (_count(SupplierInvoice), _count(SupplierInvoiceLine))
    for number, lines, field in (
            ("No.0001", {line.id: {"quantity": "1"}}, "number"),                      # registered already
            ("", {line.id: {"quantity": "1"}}, "number"),
            ("No.0002", {line.id: {"quantity": "abc"}}, f"quantity_{line.id}"),
            ("No.0002", {line.id: {"quantity": "1", "unit_price": "-3"}}, f"unit_price_{line.id}"),
            ("No.0002", {line.id: {"quantity": ""}}, "lines"),
            ("No.0002", {999999: {"quantity": "1"}}, "lines")):
        with pytest.raises(ValidationErrors) as refused:
            payables.register_invoice(buyer, order.id, number, lines)
        assert field in refused.value.errors, (number, lines)
        db.session.rollback()
    with pytest.raises(ValidationErrors) as refused:
        payables.register_invoice(buyer, order.id, "No.0003", {line.id: {"quantity": "1"}},
                                  invoice_date=company_today() + dt.timedelta(days=2))
    assert "invoice_date" in refused.value.errors
    db.session.rollback()
    draft, draft_line, _wh, _item = placed_order(buyer)
    with unit_of_work(None):
        db.session.get(PurchaseOrder, draft.id).status = "draft"
    with pytest.raises(DomainError):
        payables.register_invoice(buyer, draft.id, "No.0004", {draft_line.id: {"quantity": "1"}})
    db.session.rollback()
    assert (_count(SupplierInvoice), _count(SupplierInvoiceLine)) == before
    assert db.session.get(PurchaseOrderLine, line.id).invoiced == Decimal(1)


def test_a_small_payment_is_approved_at_once_and_paid_once(buyer):
    order, line = _received(buyer)
    invoice = payables.register_invoice(buyer, order.id, "No.0001", {line.id: {"quantity": "6"}})   # ¥120
    first = payables.create_payment(buyer, SupplierPayment(invoice_id=invoice.id, amount="100"))
    with pytest.raises(ValidationErrors) as refused:                  # 20 is left beside the first
        payables.create_payment(buyer, SupplierPayment(invoice_id=invoice.id, amount="30"))
    assert "20.00" in refused.value.errors["amount"][0]
    db.session.rollback()
    with pytest.raises(DomainError):
        payables.record_paid(buyer, first.id)                         # not approved yet
    db.session.rollback()
    engine.submit(buyer, "supplier_payments", first.id)               # under ¥20,000: no step applies
    db.session.expire_all()
    assert db.session.get(SupplierPayment, first.id).status == "approved"
    paid = payables.record_paid(buyer, first.id, reference="BK202612060001")
    assert paid.status == "paid" and paid.paid_on == company_today() and paid.reference == "BK202612060001"
    db.session.expire_all()
    after = db.session.get(SupplierInvoice, invoice.id)
    assert (after.paid, after.status, after.owed) == (Decimal("100.00"), "part_paid", Decimal("20.00"))
    with pytest.raises(DomainError):
        payables.record_paid(buyer, first.id)                         # never twice
    db.session.rollback()
    rest = payables.payment_for(buyer, invoice.id)
    assert rest.amount == Decimal("20.00")
    engine.submit(buyer, "supplier_payments", rest.id)
    payables.record_paid(buyer, rest.id)
    db.session.expire_all()
    assert db.session.get(SupplierInvoice, invoice.id).status == "paid"
    with pytest.raises(ValidationErrors):
        payables.payment_for(buyer, invoice.id)                       # owes nothing
    db.session.rollback()


def test_a_payment_over_the_threshold_waits_for_finance(org, buyer):
    order, line = placed_order(buyer, "2000")[:2]                     # ¥40,000
    receipts.receive(buyer, order.id, {line.id: {"accepted": "2000"}})
    invoice = payables.register_invoice(buyer, order.id, unique("No."), {line.id: {"quantity": "2000"}})
    payment = payables.payment_for(buyer, invoice.id)
    run = engine.submit(buyer, "supplier_payments", payment.id)
    db.session.expire_all()
    assert db.session.get(SupplierPayment, payment.id).status == "in_approval"
    with pytest.raises(DomainError):
        payables.update_payment(buyer, db.session.get(SupplierPayment, payment.id))   # locked in approval
    db.session.rollback()
    engine.approve(org.finance_user, task_of(run, org.finance_user).id, comment="同意")
    db.session.expire_all()
    assert db.session.get(SupplierPayment, payment.id).status == "approved"


def test_voiding_frees_the_quantities_unless_payments_exist(buyer):
    order, line = _received(buyer)
    invoice = payables.register_invoice(buyer, order.id, "No.0001", {line.id: {"quantity": "6"}})
    payment = payables.payment_for(buyer, invoice.id)
    with pytest.raises(DomainError):
        payables.void_invoice(buyer, invoice.id, "开错了")
    db.session.rollback()
    payables.cancel_payment(buyer, payment.id)
    with pytest.raises(ValidationErrors):
        payables.void_invoice(buyer, invoice.id, "")
    db.session.rollback()
    voided = payables.void_invoice(buyer, invoice.id, "开错了")
    assert voided.status == "voided"
    assert db.session.get(PurchaseOrderLine, line.id).invoiced == 0
    again = payables.register_invoice(buyer, order.id, "No.0002", {line.id: {"quantity": "6"}})
    assert again.match_status == "matched"


def test_the_payables_aging_by_supplier(org, buyer):
    today = company_today()
    order, line = _received(buyer, quantity="100", accepted="100", rejected="0")
    for number, quantity, due in (("A-1", "10", today + dt.timedelta(days=5)),        # not yet due: 200
                                  ("A-2", "20", today - dt.timedelta(days=10)),       # 1–30: 400
                                  ("A-3", "30", today - dt.timedelta(days=75)),       # 61–90: 600
                                  ("A-4", "5", today - dt.timedelta(days=120))):      # over 90: 100
        payables.register_invoice(buyer, order.id, number, {line.id: {"quantity": quantity}},
                                  invoice_date=min(today, due), due_date=due)
    rows, grand = payables.aging(buyer)
    mine = next(row for row in rows if row.key == order.supplier_id)
    assert (mine.current, mine.d30, mine.d60, mine.d90, mine.over90, mine.total) == (
        Decimal("200.00"), Decimal("400.00"), 0, Decimal("600.00"), Decimal("100.00"), Decimal("1300.00"))
    assert grand.total >= Decimal("1300.00")
    outsider = make_user("Manager", make_department(unique("采购二部"), org.company))   # another department
    assert all(row.key != order.supplier_id for row in payables.aging(outsider)[0])


def test_the_screens_keep_to_roles(org, login, buyer):
    order, line = _received(buyer)
    client = login(buyer)
    form = client.get(f"/supplier_invoice_new/{order.id}")
    assert form.status_code == 200 and order.code in form.get_data(as_text=True)
    before = _count(SupplierInvoice)
    refused = client.post(f"/supplier_invoice_new/{order.id}", data={"number": "", f"quantity_{line.id}": "6"})
    assert refused.status_code == 400 and _count(SupplierInvoice) == before
    number = unique("No.")
    done = client.post(f"/supplier_invoice_new/{order.id}",
                       data={"number": number, f"quantity_{line.id}": "6", f"unit_price_{line.id}": "20.00"})
    assert done.status_code == 302
    invoice = db.session.scalars(select(SupplierInvoice).where(SupplierInvoice.number == number)).one()
    page = client.get(f"/supplier_invoices/show/{invoice.id}")
    assert page.status_code == 200 and number in page.get_data(as_text=True)
    assert client.get("/supplier_invoices/add").status_code in (302, 403, 404, 405)  # made from an order only
    aging = login(org.finance_user).get("/purchase_payables/")
    assert aging.status_code == 200 and order.supplier.name in aging.get_data(as_text=True)
    csv = login(org.finance_user).get("/purchase_payables/export.csv")
    assert csv.status_code == 200 and "120.00" in csv.get_data(as_text=True)
    assert login(org.finance_user).get("/purchase_payables/?as_of=not-a-day").status_code == 400
    warehouse = make_user("Warehouse", org.company)
    assert login(warehouse).get("/purchase_payables/").status_code in (302, 403)
    assert login(warehouse).get(f"/supplier_invoice_new/{order.id}").status_code in (302, 403)
    assert login(org.finance_user).get(f"/supplier_invoice_new/{order.id}").status_code == 200
