"""收款登记: a payment settles the customer's open invoices oldest first, the rest stays as their credit and settles
later invoices; the same bank transfer is registered once however often it is submitted (also at once on
PostgreSQL); bad input changes nothing; the screens keep to roles and scope."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.errors import ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.collections import service
from app.modules.collections.models import Payment, PaymentAllocation
from app.modules.invoices import service as invoicing
from app.modules.invoices.models import Invoice
from tests.modules.invoices.test_invoices import confirmed_order


def _invoice(org, customer=None, lines=(("1", "1000.00", "0"),), days_ago=0):
    order = confirmed_order(org, customer=customer, lines=lines)
    invoice = invoicing.issue_from_orders(org.finance_user, [order.id], "ordinary")
    if days_ago:
        with unit_of_work(None):
            db.session.get(Invoice, invoice.id).issue_date = dt.date.today() - dt.timedelta(days=days_ago)
    return db.session.get(Invoice, invoice.id)


def _pay(org, customer_id, amount, bank_ref=None, **extra):
    return service.register(org.finance_user, Payment(customer_id=customer_id, amount=amount, bank_ref=bank_ref,
                                                      **extra))


def test_a_payment_settles_the_oldest_invoices_first_and_keeps_the_rest_as_credit(org):
    older = _invoice(org, days_ago=5)
    customer = older.customer
    newer = _invoice(org, customer=customer)
    payment = _pay(org, customer.id, "1500.00", "CMB20261205001")
    settled = dict(db.session.execute(select(PaymentAllocation.invoice_id, PaymentAllocation.amount)
                                      .where(PaymentAllocation.payment_id == payment.id)).all())
    assert settled == {older.id: Decimal("1000.00"), newer.id: Decimal("500.00")}
    assert payment.unallocated == 0 and payment.code.startswith("SK-")
    over = _pay(org, customer.id, "800.00", "CMB20261205002")
    assert over.unallocated == Decimal("300.00")                 # 500 settled the newer invoice, 300 is credit
    assert service.credit_of(customer.id) == Decimal("300.00")
    third = _invoice(org, customer=customer)
    assert service.allocate_credit(org.finance_user, customer.id) == Decimal("300.00")
    assert service.credit_of(customer.id) == 0
    assert dict(service.open_invoices(customer.id))[db.session.get(Invoice, third.id)] == Decimal("700.00")


def test_the_same_transfer_is_registered_once(org):
    invoice = _invoice(org)
    first = _pay(org, invoice.customer_id, "200.00", "ICBC-77")
    again = _pay(org, invoice.customer_id, "200.00", "ICBC-77")
    keyed = service.register(org.finance_user, Payment(customer_id=invoice.customer_id, amount="50"), "form-1")
    keyed_again = service.register(org.finance_user, Payment(customer_id=invoice.customer_id, amount="50"), "form-1")
    assert again.id == first.id and keyed_again.id == keyed.id
    assert db.session.scalar(select(func.count()).select_from(Payment).where(
        Payment.customer_id == invoice.customer_id)) == 2


def test_bad_input_is_refused_and_changes_nothing(org):
    invoice = _invoice(org)
    before = db.session.scalar(select(func.count()).select_from(Payment))
    for bad in ({"amount": "0"}, {"amount": "-5"}, {"amount": "abc"},
                {"amount": "10", "received_on": dt.date.today() + dt.timedelta(days=2)},
                {"amount": "10", "method": "barter"}):
        with pytest.raises(ValidationErrors):
            service.register(org.finance_user, Payment(customer_id=invoice.customer_id, **bad))
        db.session.rollback()
    with pytest.raises(ValidationErrors):
        service.register(org.south_rep, Payment(customer_id=invoice.customer_id, amount="10"))   # not their customer
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == before


def test_the_screens_register_and_keep_to_roles(org, login):
    invoice = _invoice(org)
    finance = login(org.finance_user)
    response = finance.post("/payments/add", data={"customer": str(invoice.customer_id), "amount": "1000.00",
                                                    "received_on": dt.date.today().isoformat(), "method": "transfer",
                                                    "bank_ref": "BOC-1", "owner": str(org.finance_user.id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    tab = finance.get(f"/invoices/show/{invoice.id}?tab=invoice_payments").get_data(as_text=True)
    assert "BOC-1" in tab
    assert login(org.east_rep).post("/payments/add", data={"customer": str(invoice.customer_id),
                                                           "amount": "5"}).status_code in (302, 403)
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.bank_ref == "BOC-1")) == 1


def test_two_submissions_of_one_transfer_at_once_register_it_once(org, app):
    if not db.engine.url.get_backend_name().startswith("postgresql"):
        pytest.skip("parallel writers need PostgreSQL")
    invoice = _invoice(org)
    customer_id, finance_id = invoice.customer_id, org.finance_user.id
    ids, barrier = [], threading.Barrier(4)

    def submit():
        with app.app_context():
            from app.core.org import User

            barrier.wait()
            try:
                ids.append(service.register(db.session.get(User, finance_id),
                                            Payment(customer_id=customer_id, amount="300", bank_ref="DUP-1")).id)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 4 and len(set(ids)) == 1
    assert db.session.scalar(select(func.sum(PaymentAllocation.amount)).where(
        PaymentAllocation.invoice_id == invoice.id)) == Decimal("300.00")


def test_a_reversal_approved_through_its_chain_opens_the_invoices_again(org):
    from app.workflow import engine
    from tests.factories import make_user
    from tests.workflow.helpers import task_of

    invoice = _invoice(org)
    clerk = make_user("Finance", manager=org.manager)
    payment = service.register(clerk, Payment(customer_id=invoice.customer_id, amount="1000", bank_ref="REV-1"))
    assert service.open_invoices(invoice.customer_id) == []
    run = engine.submit(clerk, "payments", payment.id)
    engine.approve(org.manager, task_of(run, org.manager).id, comment="同意")
    engine.approve(org.finance_user, task_of(run, org.finance_user).id, comment="同意退款")
    db.session.expire_all()
    reversed_ = db.session.get(Payment, payment.id)
    assert reversed_.status == "reversed" and reversed_.unallocated == 0
    assert dict(service.open_invoices(invoice.customer_id))[db.session.get(Invoice, invoice.id)] == invoice.total


def test_payments_feed_the_customers_figures_of_the_last_12_months(org):
    from app.modules.customers.api import Customer

    invoice = _invoice(org, lines=(("1", "5000.00", "0"),))
    _pay(org, invoice.customer_id, "3000.00", "FIG-1")
    _pay(org, invoice.customer_id, "1000.00", "FIG-2", received_on=dt.date.today() - dt.timedelta(days=400))
    db.session.expire_all()
    customer = db.session.get(Customer, invoice.customer_id)
    assert customer.paid_12m == Decimal("3000.00") and customer.total_paid == Decimal("4000.00")
    assert customer.total_outstanding == Decimal("1000.00")


def test_a_payment_leaving_the_last_12_months_is_taken_out_of_the_figure_by_the_nightly_refresh(org):
    from app.core.clock import company_today
    from app.core.jobs import cron_entries
    from app.core.registry import registry
    from app.modules.customers.api import Customer

    invoice = _invoice(org, lines=(("1", "9000.00", "0"),))
    _pay(org, invoice.customer_id, "2000.00", "AGE-1", received_on=company_today() - dt.timedelta(days=360))
    _pay(org, invoice.customer_id, "500.00", "AGE-2")
    db.session.expire_all()
    assert db.session.get(Customer, invoice.customer_id).paid_12m == Decimal("2500.00")
    assert service.refresh_aged(company_today()) >= 0                 # nothing of it has aged yet
    db.session.expire_all()
    assert db.session.get(Customer, invoice.customer_id).paid_12m == Decimal("2500.00")
    assert service.refresh_aged(company_today() + dt.timedelta(days=8), days=7) >= 1   # a week on: it has
    db.session.expire_all()
    customer = db.session.get(Customer, invoice.customer_id)
    assert customer.paid_12m == Decimal("500.00") and customer.total_paid == Decimal("2500.00")
    assert "collections.paid_12m" in {entry["name"] for entry in cron_entries(registry)}
