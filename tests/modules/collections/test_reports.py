"""对账分析 and 催收提醒: a customer's statement (page, PDF, e-mail), the aging by customer, owner and department, the
collection rate and DSO by month, settling a payment by hand, what a voided or reversed invoice gives back,
the reminders sent once each by a real worker, and the warnings on a customer's page and their draft orders —
each in the user's data scope, bad input answered with a message and nothing changed."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.clock import company_today
from app.core.errors import ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.collections import dunning, reports, service
from app.modules.collections.models import DunningRule, Payment, PaymentAllocation
from app.modules.invoices import service as invoicing
from app.modules.invoices.models import Invoice
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.factories import unique
from tests.modules.invoices.test_invoices import confirmed_order


def _invoice(org, customer=None, total="1000.00", issued_days_ago=0, due_days_ago=None, owner=None):
    order = confirmed_order(org, owner=owner, customer=customer, lines=(("1", total, "0"),))
    invoice = invoicing.issue_from_orders(org.finance_user, [order.id], "ordinary")
    with unit_of_work(None):
        row = db.session.get(Invoice, invoice.id)
        row.issue_date = company_today() - dt.timedelta(days=issued_days_ago)
        row.due_date = company_today() - dt.timedelta(days=issued_days_ago - 30 if due_days_ago is None
                                                      else due_days_ago)
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def _pay(org, customer_id, amount, days_ago=0, ref=None):
    return service.register(org.finance_user, Payment(
        customer_id=customer_id, amount=amount, bank_ref=ref or unique("BANK"),
        received_on=company_today() - dt.timedelta(days=days_ago)))


def test_an_invoice_is_due_after_the_configured_days_unless_its_instalment_says_when(org, app):
    order = confirmed_order(org)
    invoice = invoicing.issue_from_orders(org.finance_user, [order.id], "ordinary")
    assert invoice.due_date == invoice.issue_date + dt.timedelta(days=app.config["INVOICE_PAYMENT_DAYS"])
    assert invoice.paid == 0


def test_the_statement_runs_from_the_opening_balance_through_each_line_to_the_closing_one(org):
    before = _invoice(org, total="1000.00", issued_days_ago=40)
    customer = before.customer
    _pay(org, customer.id, "400.00", days_ago=35)                       # before the period: opening 600
    inside = _invoice(org, customer=customer, total="300.00", issued_days_ago=10)
    paid = _pay(org, customer.id, "500.00", days_ago=5)
    voided_like = _invoice(org, customer=customer, total="99.00", issued_days_ago=3)
    with unit_of_work(None):
        db.session.get(Invoice, voided_like.id).status = "voided"        # a voided invoice never counts
    start, end = company_today() - dt.timedelta(days=20), company_today()
    result = reports.statement(org.finance_user, customer.id, start, end)
    assert result.opening == Decimal("600.00")
    assert [(line.code, line.debit, line.credit, line.balance) for line in result.lines] == [
        (inside.code, Decimal("300.00"), Decimal("0"), Decimal("900.00")),
        (paid.code, Decimal("0"), Decimal("500.00"), Decimal("400.00"))]
    assert (result.invoiced, result.received, result.closing) == (Decimal("300.00"), Decimal("500.00"),
                                                                   Decimal("400.00"))
    # What is still owed equals the closing balance: 1300 invoiced, 900 received.
    assert service.outstanding_of(customer.id) == Decimal("400.00")
    with pytest.raises(ValidationErrors):
        reports.statement(org.finance_user, customer.id, end, start)


def test_the_statement_page_pdf_and_mail_keep_to_scope_and_refuse_bad_dates(org, login):
    from pypdf import PdfReader

    from app.core.notify import MailMessage
    from app.modules.customers.api import Contact

    invoice = _invoice(org, total="2345.00", issued_days_ago=2)
    customer = invoice.customer
    with unit_of_work(None):
        db.session.add(Contact(customer_id=customer.id, name="王会计", email=f"{unique('ap')}@example.com",
                               is_primary=True))
    finance = login(org.finance_user)
    page = finance.get(f"/collections_statement/{customer.id}")
    assert page.status_code == 200 and invoice.code in page.get_data(as_text=True)
    assert "2,345.00" in page.get_data(as_text=True)
    pdf = finance.get(f"/collections_statement/{customer.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "对账单" in text and customer.name in text and "2,345.00" in text
    bad = finance.get(f"/collections_statement/{customer.id}?start=2026-13-45")
    assert bad.status_code == 400 and "2026-03-01" in bad.get_data(as_text=True)
    assert finance.get(f"/collections_statement/{customer.id}.pdf?end=soon").status_code == 400
    mails = db.session.scalar(select(func.count()).select_from(MailMessage))
    sent = finance.post(f"/collections_statement/{customer.id}/mail")
    assert sent.status_code == 302
    mail = db.session.scalars(select(MailMessage).order_by(MailMessage.id.desc())).first()
    assert db.session.scalar(select(func.count()).select_from(MailMessage)) == mails + 1
    assert invoice.code in mail.body and "王会计" not in mail.to
    # a sales rep of another region sees neither the customer's statement nor its PDF
    other = login(org.south_rep)
    assert other.get(f"/collections_statement/{customer.id}").status_code == 404
    assert other.get(f"/collections_statement/{customer.id}.pdf").status_code == 404
    assert login(org.east_rep).post(f"/collections_statement/{customer.id}/mail").status_code in (302, 403)
    assert db.session.scalar(select(func.count()).select_from(MailMessage)) == mails + 1


def test_the_aging_puts_each_amount_in_its_bucket_by_customer_owner_and_department(org, login):
    first = _invoice(org, total="100.00", issued_days_ago=40, due_days_ago=-5)      # not yet due
    customer = first.customer
    _invoice(org, customer=customer, total="200.00", issued_days_ago=50, due_days_ago=20)     # 1–30
    _invoice(org, customer=customer, total="300.00", issued_days_ago=80, due_days_ago=45)     # 31–60
    _invoice(org, customer=customer, total="400.00", issued_days_ago=100, due_days_ago=75)    # 61–90
    _invoice(org, customer=customer, total="500.00", issued_days_ago=150, due_days_ago=120)   # over 90
    part = _invoice(org, customer=customer, total="600.00", issued_days_ago=200, due_days_ago=170)
    _pay(org, customer.id, "600.00")                                  # settles the oldest: the 600 one
    assert db.session.get(Invoice, part.id).paid == Decimal("600.00")
    rows, grand = reports.aging(org.finance_user, "customer", limit=100000)
    [row] = [r for r in rows if r.key == customer.id]
    assert (row.current, row.d30, row.d60, row.d90, row.over90) == tuple(
        Decimal(v) for v in ("100.00", "200.00", "300.00", "400.00", "500.00"))
    assert row.total == Decimal("1500.00") and grand.total >= row.total
    owners, _grand = reports.aging(org.finance_user, "owner", limit=100000)
    assert sum((r.total for r in owners), Decimal(0)) == grand.total
    for bucket in ("current", "d30", "d60", "d90", "over90"):     # the grand total is each bucket's sum
        assert sum((getattr(r, bucket) for r in rows), Decimal(0)) == getattr(grand, bucket), bucket
    top, same = reports.aging(org.finance_user, "customer", limit=1)
    assert len(top) == 1 and same == grand and top[0].total == max(r.total for r in rows)
    # the rep who owns the orders sees their own; another rep sees none of it
    mine, _ = reports.aging(org.east_rep, "customer", limit=100000)
    assert customer.id in {r.key for r in mine}
    theirs, _ = reports.aging(org.south_rep, "customer", limit=100000)
    assert customer.id not in {r.key for r in theirs}
    finance = login(org.finance_user)
    page = finance.get("/collections_aging/?by=department")
    assert page.status_code == 200
    assert finance.get("/collections_aging/?by=planet").status_code == 400
    assert finance.get("/collections_aging/?as_of=yesterday").status_code == 400
    csv = finance.get("/collections_aging/export.csv?by=customer").get_data(as_text=True)
    assert "90天以上" in csv and customer.name in csv
    assert finance.get("/collections_aging/chart.json").status_code == 200
    assert login(org.readonly).get("/collections_aging/export.csv").status_code in (302, 403)


def test_the_collection_rate_and_dso_follow_what_was_invoiced_and_received(org, login):
    from app.modules.customers.api import Customer

    invoice = _invoice(org, total="1000.00", issued_days_ago=0)
    _pay(org, invoice.customer_id, "250.00")
    admin_rows = reports.by_month(org.finance_user, 3)
    this = admin_rows[-1]
    assert this.month == f"{company_today():%Y-%m}" and len(admin_rows) == 3
    assert this.closing == this.opening + this.invoiced - this.received
    assert this.rate == (this.received * 100 / (this.opening + this.invoiced)).quantize(Decimal("0.1"))
    # A rep who owns only this invoice: 1000 invoiced, 250 received.
    rep = invoice.owner
    mine = reports.by_month(rep, 1)[-1]
    assert mine.invoiced >= Decimal("1000.00")
    finance = login(org.finance_user)
    assert finance.get("/collections_rate/?months=6").status_code == 200
    assert finance.get("/collections_rate/?months=abc").status_code == 200          # falls back to 12
    assert "应收周转天数" in finance.get("/collections_rate/export.csv").get_data(as_text=True)
    assert db.session.get(Customer, invoice.customer_id).total_outstanding == Decimal("750.00")


def test_on_postgresql_the_rate_reads_kept_monthly_totals_that_agree_with_the_rows(org, monkeypatch):
    from app.core.chart_cache import maintain

    if db.engine.dialect.name != "postgresql":
        pytest.skip("kept totals are a PostgreSQL feature; SQLite sums the rows")
    maintain.ensure()
    old = _invoice(org, total="700.00", issued_days_ago=75)
    kept = _invoice(org, total="1000.00", issued_days_ago=0, owner=old.owner)
    voided = _invoice(org, total="333.00", issued_days_ago=0, owner=old.owner)
    _pay(org, old.customer_id, "100.00", days_ago=70)
    reversed_payment = _pay(org, kept.customer_id, "55.00")
    with unit_of_work(None):
        db.session.get(Invoice, voided.id).status = "voided"
        db.session.get(Payment, reversed_payment.id).status = "reversed"
    db.session.expire_all()

    def both(actor, months):
        from_kept = reports.by_month(actor, months)
        with monkeypatch.context() as patch:
            patch.setattr(reports, "_kept_months", lambda *args: None)
            from_rows = reports.by_month(actor, months)
        return from_kept, from_rows

    for actor in (org.finance_user, old.owner):
        for months in (1, 6):
            from_kept, from_rows = both(actor, months)
            assert from_kept == from_rows
    # The rep's own invoices: the voided one counts nowhere.
    from_kept, _ = both(old.owner, 6)
    assert sum(m.invoiced for m in from_kept) + from_kept[0].opening == Decimal("1700.00")
    assert reports._kept_months("invoices", "invoiced_by_month", old.owner) is not None
    maintain.fold()
    assert both(old.owner, 1)[0] == both(old.owner, 1)[1]


def test_a_payment_is_settled_by_hand_and_a_wrong_split_changes_nothing(org, login):
    older = _invoice(org, total="1000.00", issued_days_ago=20)
    customer = older.customer
    newer = _invoice(org, customer=customer, total="800.00", issued_days_ago=1)
    payment = _pay(org, customer.id, "800.00")
    assert db.session.get(Invoice, older.id).paid == Decimal("800.00")           # oldest first
    service.allocate(org.finance_user, payment.id, {str(newer.id): "800.00"})     # the customer meant the newer
    db.session.expire_all()
    assert db.session.get(Invoice, older.id).paid == 0 and db.session.get(Invoice, newer.id).paid == Decimal("800")
    other = _invoice(org, total="50.00")
    for bad in ({str(newer.id): "900.00"}, {str(older.id): "500", str(newer.id): "400"},
                {str(other.id): "10"}, {str(newer.id): "-1"}, {str(newer.id): "lots"}):
        with pytest.raises(ValidationErrors):
            service.allocate(org.finance_user, payment.id, bad)
        db.session.rollback()
        db.session.expire_all()
        assert db.session.get(Invoice, newer.id).paid == Decimal("800.00")
        assert db.session.get(Invoice, older.id).paid == 0
    finance = login(org.finance_user)
    assert finance.get(f"/payments_allocate/{payment.id}").status_code == 200
    refused = finance.post(f"/payments_allocate/{payment.id}", data={f"invoice_{older.id}": "900"})
    assert refused.status_code == 400 and "900.00" in refused.get_data(as_text=True)
    done = finance.post(f"/payments_allocate/{payment.id}", data={f"invoice_{older.id}": "300",
                                                                  f"invoice_{newer.id}": "500"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).unallocated == 0
    assert (db.session.get(Invoice, older.id).paid, db.session.get(Invoice, newer.id).paid) == (
        Decimal("300.00"), Decimal("500.00"))
    assert login(org.south_rep).get(f"/payments_allocate/{payment.id}").status_code in (403, 404, 302)


def test_a_reversed_invoice_gives_what_payments_settled_on_it_back_as_credit(org):
    invoice = _invoice(org, total="700.00", issued_days_ago=3)
    payment = _pay(org, invoice.customer_id, "700.00")
    assert service.credit_of(invoice.customer_id) == 0
    invoicing.red_letter(org.finance_user, invoice.id, "客户退货")
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).unallocated == Decimal("700.00")
    assert db.session.get(Invoice, invoice.id).paid == 0
    assert service.credit_of(invoice.customer_id) == Decimal("700.00")
    assert db.session.scalar(select(func.count()).select_from(PaymentAllocation).where(
        PaymentAllocation.payment_id == payment.id)) == 0


def test_each_reminder_is_sent_once_by_the_worker_and_the_job_is_scheduled(org, app, job_env):
    from app.core import jobs
    from app.core.notify import MailMessage, Notification
    from app.core.registry import registry
    from app.modules.customers.api import Contact

    days = 400 + int(unique("d")[-3:], 16) % 3000      # a rule no other test or shipped rule reaches on the same day
    with unit_of_work(None):
        rule = DunningRule(name=unique("逾期催收"), days=days, notify_owner=True, mail_contact=True, active=True)
        db.session.add(rule)
    invoice = _invoice(org, total="1234.00", issued_days_ago=days + 30, due_days_ago=days)
    email = f"{unique('pay')}@example.com"
    with unit_of_work(None):
        db.session.add(Contact(customer_id=invoice.customer_id, name="李出纳", email=email, is_primary=True))
    queue = jobs.queue(app.config)
    from app.modules.collections.jobs import send_reminders

    queue.enqueue(send_reminders)
    queue.enqueue(send_reminders)                    # run twice: sent once
    run_worker_burst(job_env)
    db.session.expire_all()
    mails = db.session.scalars(select(MailMessage).where(MailMessage.to == email)).all()
    assert len(mails) == 1 and invoice.code in mails[0].body and "1,234.00" in mails[0].body
    notes = db.session.scalars(select(Notification).where(Notification.user_id == invoice.owner_id,
                                                          Notification.title.contains(rule.name))).all()
    assert len(notes) == 1
    dunning.send_reminders()                          # and once more in this process: still nothing new
    assert len(db.session.scalars(select(MailMessage).where(MailMessage.to == email)).all()) == 1
    assert "collections.reminders" in {entry["name"] for entry in jobs.cron_entries(registry)}


def test_a_rule_is_checked_before_it_is_saved(org, login):
    with pytest.raises(ValidationErrors):
        dunning.save_rule(org.admin, DunningRule(name="", days=3))
    db.session.rollback()
    with pytest.raises(ValidationErrors):
        dunning.save_rule(org.admin, DunningRule(name=unique("r"), days=99999))
    db.session.rollback()
    admin = login(org.admin)
    before = db.session.scalar(select(func.count()).select_from(DunningRule))
    refused = admin.post("/dunning_rules/add", data={"name": unique("r"), "days": "abc"})
    assert refused.status_code in (200, 400)
    assert db.session.scalar(select(func.count()).select_from(DunningRule)) == before
    assert login(org.finance_user).post("/dunning_rules/add", data={"name": unique("r"), "days": "5"}
                                        ).status_code in (302, 403)
    assert db.session.scalar(select(func.count()).select_from(DunningRule)) == before


def test_a_customer_over_the_limit_or_with_old_debt_is_flagged_on_their_page_and_draft_orders(org, login):
    from app.modules.customers.api import Customer
    from app.modules.orders import service as orders
    from app.modules.orders.models import SalesOrder

    invoice = _invoice(org, total="5000.00", issued_days_ago=150, due_days_ago=120)
    customer_id = invoice.customer_id
    with unit_of_work(None):
        db.session.get(Customer, customer_id).credit_limit = Decimal("1000.00")
    service.refresh_customer(None, customer_id)
    finance = login(org.finance_user)
    page = finance.get(f"/customers/show/{customer_id}").get_data(as_text=True)
    assert "zwt-detail-flag" in page and "5,000.00" in page and "90" in page
    draft = orders.create(invoice.owner, SalesOrder(customer_id=customer_id))
    order_page = login(invoice.owner).get(f"/orders/show/{draft.id}").get_data(as_text=True)
    assert "zwt-detail-flag" in order_page
    tab = finance.get(f"/customers/show/{customer_id}/tab/receivables").get_data(as_text=True)
    assert invoice.code in tab
    clean = _invoice(org, total="10.00")
    assert "zwt-detail-flag" not in finance.get(f"/customers/show/{clean.customer_id}").get_data(as_text=True)
