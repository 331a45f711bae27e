"""Invoices: issued from orders (in parts, never beyond what is left, the last part taking exactly the rest) and from
a contract's payment plan, numbered per type without gaps, printed with the total in 人民币大写, voided through
发票作废审批 in the month of issue or reversed by a red-letter invoice afterwards; the generated screens never let
anyone type or edit one; roles and data scope on the screens."""
from __future__ import annotations

import datetime as dt
import html
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.errors import DomainError, ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.invoices import service
from app.modules.invoices.models import Invoice, InvoiceVoidReason
from app.modules.orders import service as orders
from app.modules.orders.models import SalesOrder, SalesOrderLine
from app.workflow import engine
from tests.core.printing.helpers import embedded_fonts, pdf_text
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.conftest import unique
from tests.factories import make_customer, make_user
from tests.modules.inventory.helpers import product
from tests.workflow.helpers import task_of


def _tax_id() -> str:
    return ("91310115" + unique("").upper().replace("T", "") + "0000000000")[:18]


def confirmed_order(org, owner=None, customer=None, lines=(("3", "100.00", "13"),), tax_id=True):
    """A confirmed order of `owner` (as confirming leaves it: the orders tests cover confirming)."""
    owner = owner or org.east_rep
    customer = customer or make_customer(owner, tax_id=_tax_id() if tax_id else None, address="上海市浦东新区世纪大道100号")
    order = orders.create(owner, SalesOrder(customer_id=customer.id))
    for quantity, price, rate in lines:
        orders.save_line(owner, SalesOrderLine(order_id=order.id, product_id=product().id, quantity=quantity,
                                               unit_price=price, tax_rate=rate))
    with unit_of_work(None):
        db.session.get(SalesOrder, order.id).status = "confirmed"
    db.session.expire_all()
    return db.session.get(SalesOrder, order.id)


def test_an_order_invoiced_in_parts_adds_up_to_the_fen_and_never_beyond(org):
    order = confirmed_order(org, lines=[("3", "33.33", "13")])           # 99.99 + 13.00 = 112.99
    [line] = order.lines
    first = service.issue_from_orders(org.finance_user, [order.id], "special", {line.id: "1"})
    assert (first.amount, first.tax, first.total) == (Decimal("33.33"), Decimal("4.33"), Decimal("37.66"))
    with pytest.raises(ValidationErrors) as refused:
        service.issue_from_orders(org.finance_user, [order.id], "special", {line.id: "2.5"})
    assert "2" in refused.value.errors["quantity"][0]
    db.session.rollback()
    rest = service.issue_from_orders(org.finance_user, [order.id], "special")
    assert rest.lines[0].quantity == 2
    assert first.total + rest.total == line.total and first.tax + rest.tax == line.tax
    summary = service.order_summary(db.session.get(SalesOrder, order.id))
    assert summary["uninvoiced"] == 0 and summary["invoiced"] == line.total
    with pytest.raises(ValidationErrors):
        service.issue_from_orders(org.finance_user, [order.id], "special")
    db.session.rollback()


def test_numbers_follow_each_types_series_without_gaps(org):
    codes = [service.issue_from_orders(org.finance_user, [confirmed_order(org).id], kind).code
             for kind in ("special", "special", "ordinary", "receipt", "special")]
    month = dt.date.today().strftime("%Y%m")
    specials = [c for c in codes if c.startswith("ZP")]
    assert [int(c[-6:]) for c in specials] == list(range(int(specials[0][-6:]), int(specials[0][-6:]) + 3))
    assert all(c.startswith(f"ZP{month}") for c in specials)
    assert codes[2].startswith(f"PP{month}") and codes[3].startswith("SJ")


def test_what_the_order_and_buyer_allow(org):
    draft = orders.create(org.east_rep, SalesOrder(customer_id=make_customer(org.east_rep).id))
    with pytest.raises(DomainError) as refused:
        service.issue_from_orders(org.finance_user, [draft.id], "ordinary")
    assert draft.code in refused.value.message
    db.session.rollback()
    no_tax_id = confirmed_order(org, tax_id=False)
    with pytest.raises(ValidationErrors) as refused:
        service.issue_from_orders(org.finance_user, [no_tax_id.id], "special")
    assert "buyer_tax_id" in refused.value.errors
    db.session.rollback()
    assert service.issue_from_orders(org.finance_user, [no_tax_id.id], "ordinary").buyer_tax_id is None
    one, other = confirmed_order(org), confirmed_order(org)
    with pytest.raises(ValidationErrors):
        service.issue_from_orders(org.finance_user, [one.id, other.id], "ordinary")
    db.session.rollback()
    customer = one.customer
    two = confirmed_order(org, customer=customer)
    both = service.issue_from_orders(org.finance_user, [one.id, two.id], "ordinary",
                                     buyer={"buyer_bank_account": "工商银行上海分行 6222 0000 1111"})
    assert len(both.lines) == 2 and both.total == one.total + two.total
    assert both.buyer_bank_account == "工商银行上海分行 6222 0000 1111" and both.buyer_name == customer.name
    for bad in ("2099-01-01", "2000-01-01", "not a date"):
        with pytest.raises(ValidationErrors):
            service.issue_from_orders(org.finance_user, [confirmed_order(org).id], "ordinary", issue_date=bad)
        db.session.rollback()


def test_a_closed_month_takes_no_invoice(org, app):
    last_month = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    app.config["INVOICE_CLOSED_THROUGH"] = f"{last_month:%Y-%m}"
    app.config["INVOICE_BACKDATE_DAYS"] = 40
    try:
        with pytest.raises(ValidationErrors) as refused:
            service.issue_from_orders(org.finance_user, [confirmed_order(org).id], "ordinary",
                                      issue_date=last_month.isoformat())
        assert "issue_date" in refused.value.errors
    finally:
        app.config["INVOICE_CLOSED_THROUGH"] = ""
        app.config["INVOICE_BACKDATE_DAYS"] = 10
    db.session.rollback()


def test_the_pdf_reads_back_with_the_total_in_capitals(org, login):
    order = confirmed_order(org, lines=[("2", "1000.00", "13"), ("1", "100.05", "6")])
    invoice = service.issue_from_orders(org.finance_user, [order.id], "special")
    assert invoice.total == Decimal("2366.05")            # 2000 + 260 + 100.05 + 6.00
    response = login(org.finance_user).get(f"/printing/invoices/{invoice.id}/pdf")
    assert response.status_code == 200, response.status_code
    text = pdf_text(response.data).replace(" ", "").replace("\n", "")
    assert invoice.code in text and "贰仟叁佰陆拾陆元零伍分" in text and "增值税专用发票" in text
    db.session.expire_all()
    again = db.session.get(Invoice, invoice.id)
    assert again.print_count == 1 and again.printed_by_id == org.finance_user.id and again.printed_at is not None
    fonts = embedded_fonts(response.data)
    assert any("WenQuanYi" in name and embedded for name, embedded in fonts.items()), fonts


def _one_line(data: bytes) -> str:
    return pdf_text(data).replace(" ", "").replace("\n", "")


def test_each_invoice_type_prints_with_its_own_default_template(org, login):
    from app.core.printing import service as printing
    from app.core.printing.models import PrintTemplate

    client = login(org.finance_user)
    texts = {}
    for kind in ("special", "ordinary", "receipt"):
        invoice = service.issue_from_orders(org.finance_user, [confirmed_order(org).id], kind)
        response = client.get(f"/printing/invoices/{invoice.id}/pdf")
        assert response.status_code == 200
        texts[kind] = (invoice, _one_line(response.data))
    assert "增值税专用发票" in texts["special"][1] and "销售方名称" in texts["special"][1]
    assert "增值税普通发票" in texts["ordinary"][1] and "增值税专用发票" not in texts["ordinary"][1]
    receipt, receipt_text = texts["receipt"]
    assert "收据" in receipt_text and "交款单位" in receipt_text and "税额" not in receipt_text
    assert receipt.code in receipt_text and "叁佰叁拾玖元整" in receipt_text        # 300 + 39 in 人民币大写

    # An admin's new default for 收据 prints receipts only; the 专票 keeps its own.
    marker = unique("自定义收据")
    body = printing.shipped_body(printing.document_of(printing.spec_named("invoices"), "invoice"), "receipt")
    mine = printing.create_template(org.admin, "invoices", "invoice", marker, body.replace("收据</h1>", f"{marker}</h1>"),
                                    make_default=True, variant="receipt")
    try:
        assert marker in _one_line(client.get(f"/printing/invoices/{receipt.id}/pdf").data)
        assert marker not in _one_line(client.get(f"/printing/invoices/{texts['special'][0].id}/pdf").data)
        shipped = db.session.scalars(select(PrintTemplate).where(
            PrintTemplate.module == "invoices", PrintTemplate.variant == "special")).all()
        assert [row.is_default for row in shipped].count(True) == 1      # the other type's default is untouched
        # Choosing a template by hand still wins over the type's default: the 专票 in the receipt's layout.
        forced = client.get(f"/printing/invoices/{texts['special'][0].id}/pdf?template={mine.id}")
        assert marker in _one_line(forced.data) and "交款单位" in _one_line(forced.data)
    finally:
        standard = db.session.scalar(select(PrintTemplate).where(
            PrintTemplate.module == "invoices", PrintTemplate.variant == "receipt", PrintTemplate.id != mine.id)
            .order_by(PrintTemplate.id))
        printing.set_default(org.admin, standard.id)
        printing.delete_template(org.admin, mine.id)
    with pytest.raises(DomainError):
        printing.create_template(org.admin, "invoices", "invoice", unique("坏"), body, variant="no-such-type")
    db.session.rollback()


def test_admins_make_a_template_for_one_invoice_type_on_the_templates_screen(org, login):
    from app.core.printing.models import PrintTemplate

    admin = login(org.admin)
    index = admin.get("/print-templates/").get_data(as_text=True)
    assert "适用于" in index and "收据" in index and "增值税专用发票" in index
    new = admin.get("/print-templates/new?module=invoices&document=invoice&variant=receipt").get_data(as_text=True)
    assert 'value="receipt" selected' in new and "交款单位" in new
    name = unique("简版收据")
    body = new.split('name="body" rows="24" spellcheck="false" style="font-family:monospace">', 1)[1].split("</textarea>")[0]
    saved = admin.post("/print-templates/new", data={"module": "invoices", "document": "invoice", "variant": "receipt",
                                                    "name": name, "body": html.unescape(body)})
    assert saved.status_code == 302
    row = db.session.scalar(select(PrintTemplate).where(PrintTemplate.name == name))
    assert row.variant == "receipt" and not row.is_default
    refused = admin.post("/print-templates/new", data={"module": "invoices", "document": "invoice", "variant": "x",
                                                      "name": unique("坏"), "body": "<p>x</p>"})
    assert refused.status_code == 400 and "该单据没有这一类型" in refused.get_data(as_text=True)
    assert admin.post(f"/print-templates/{row.id}/delete").status_code == 302


def test_a_batch_of_mixed_types_prints_each_with_its_types_template(org, login, job_env):
    made = [service.issue_from_orders(org.finance_user, [confirmed_order(org).id], kind,
                                      buyer={"buyer_bank_account": "招商银行 6225 8801 2345"})
            for kind in ("special", "receipt")]
    client = login(org.finance_user)
    page = client.get("/invoices_print/?ids=" + ",".join(str(i.id) for i in made)).get_data(as_text=True)
    assert "各按其类型的默认模板" in page
    resp = client.post("/printing/invoices/batch", data={"ids": ",".join(str(i.id) for i in made),
                                                         "document": "invoice", "template": ""})
    assert resp.status_code == 302
    job_id = resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    run_worker_burst(job_env)
    status = client.get(f"/printing/batches/{job_id}/status").get_json()
    assert status["printed"] == 2, status
    pages = [_one_line(client.get(status["download_url"]).data)]
    assert "增值税专用发票" in pages[0] and "交款单位" in pages[0]


def test_an_instalment_is_invoiced_at_the_contracts_tax_rate(org):
    from app.modules.contracts.models import Contract, ContractInstalment
    from tests.modules.contracts.helpers import make_contract

    contract = make_contract(org.east_rep, amount="11300.00")
    with unit_of_work(None):
        db.session.add(ContractInstalment(contract_id=contract.id, seq=1, name="首期", basis="date",
                                          due_on=dt.date.today(), amount=Decimal("11300.00")))
        db.session.get(Contract, contract.id).status = "signed"
    instalment = db.session.scalars(select(ContractInstalment).where(
        ContractInstalment.contract_id == contract.id)).one()
    part = service.issue_from_instalment(org.finance_user, instalment.id, "ordinary", amount="5000")
    assert part.total == Decimal("5000.00") and part.contract_id == contract.id
    with pytest.raises(ValidationErrors):
        service.issue_from_instalment(org.finance_user, instalment.id, "ordinary", amount="6300.01")
    db.session.rollback()
    rest = service.issue_from_instalment(org.finance_user, instalment.id, "ordinary")
    assert rest.total == Decimal("6300.00")
    assert service.contract_summary(db.session.get(Contract, contract.id))["uninvoiced"] == 0


def test_voiding_in_the_month_goes_through_approval_and_gives_the_amounts_back(org):
    order = confirmed_order(org)
    invoice = service.issue_from_orders(org.finance_user, [order.id], "ordinary")
    reason = db.session.scalars(select(InvoiceVoidReason).order_by(InvoiceVoidReason.id)).first()
    with pytest.raises(ValidationErrors):
        service.ask_void(org.finance_user, invoice.id, None)
    db.session.rollback()
    clerk = make_user("Finance")          # another finance clerk asks; the submitter never approves their own
    run = service.ask_void(clerk, invoice.id, reason.id, "客户名称写错")
    assert db.session.get(Invoice, invoice.id).void_state == "in_approval"
    engine.approve(org.finance_user, task_of(run, org.finance_user).id, comment="同意作废")
    db.session.expire_all()
    voided = db.session.get(Invoice, invoice.id)
    assert voided.status == "voided" and voided.voided_at is not None and voided.void_reason_id == reason.id
    assert service.order_summary(db.session.get(SalesOrder, order.id))["uninvoiced"] == order.total
    again = service.issue_from_orders(org.finance_user, [order.id], "ordinary")
    assert again.code != invoice.code and int(again.code[-6:]) == int(invoice.code[-6:]) + 1


def test_after_the_month_only_a_red_letter_invoice_reverses_it(org):
    order = confirmed_order(org)
    invoice = service.issue_from_orders(org.finance_user, [order.id], "special")
    with unit_of_work(None):
        db.session.get(Invoice, invoice.id).issue_date = dt.date.today().replace(day=1) - dt.timedelta(days=3)
    reason = db.session.scalars(select(InvoiceVoidReason)).first()
    with pytest.raises(DomainError) as refused:
        service.ask_void(org.finance_user, invoice.id, reason.id)
    assert "红字" in refused.value.message
    db.session.rollback()
    with pytest.raises(ValidationErrors):
        service.red_letter(org.finance_user, invoice.id, "")
    db.session.rollback()
    red = service.red_letter(org.finance_user, invoice.id, "客户退货")
    assert red.red and red.code.startswith("HZ") and red.total == -invoice.total and red.original_id == invoice.id
    assert db.session.get(Invoice, invoice.id).status == "reversed"
    assert service.order_summary(db.session.get(SalesOrder, order.id))["uninvoiced"] == order.total
    with pytest.raises(DomainError):
        service.red_letter(org.finance_user, invoice.id, "再冲一次")
    db.session.rollback()


def test_the_screens_never_type_an_invoice_and_keep_to_roles_and_scope(org, login, api_token):
    mine = service.issue_from_orders(org.finance_user, [confirmed_order(org, owner=org.east_rep).id], "ordinary")
    theirs = service.issue_from_orders(org.finance_user, [confirmed_order(org, owner=org.south_rep).id], "ordinary")
    rep = login(org.east_rep)
    listed = rep.get("/invoices/list/").get_data(as_text=True)
    assert mine.code in listed and theirs.code not in listed
    assert rep.get(f"/invoices/show/{theirs.id}").status_code in (302, 404)
    assert rep.get(f"/invoices_issue/orders?ids={mine.order_id}").status_code in (302, 403)
    assert rep.get(f"/invoices_void/{mine.id}").status_code in (302, 403)
    finance = login(org.finance_user)
    page = finance.get(f"/invoices_issue/orders?ids={confirmed_order(org).id}")
    assert page.status_code == 200 and "开具发票" in page.get_data(as_text=True)
    before = db.session.scalar(select(db.func.count()).select_from(Invoice))
    refused = finance.post(f"/invoices/edit/{mine.id}", data={"buyer_name": "改名"})
    assert refused.status_code == 405 and "不能在此录入" in refused.get_data(as_text=True)
    assert finance.get("/invoices/add").status_code == 405
    headers = api_token(org.finance_user)
    from flask import current_app

    api = current_app.test_client()
    response = api.post("/api/v1/invoices/", json={"buyer_name": "手填"}, headers=headers)
    assert response.status_code in (400, 403, 405, 409)
    assert db.session.scalar(select(db.func.count()).select_from(Invoice)) == before
    assert db.session.get(Invoice, mine.id).buyer_name != "改名"
    order_tab = login(org.east_rep).get(f"/orders/show/{mine.order_id}?tab=invoices").get_data(as_text=True)
    assert mine.code in order_tab


def test_parallel_issuers_take_every_number_once(org, app):
    if not db.engine.url.get_backend_name().startswith("postgresql"):
        pytest.skip("parallel writers need PostgreSQL's row locks (SQLite serialises the whole database)")
    order_ids = [confirmed_order(org).id for _ in range(8)]
    finance_id = org.finance_user.id
    codes, failures = [], []

    def issue(order_id):
        with app.app_context():
            from app.core.org import User

            try:
                codes.append(service.issue_from_orders(db.session.get(User, finance_id), [order_id], "ordinary").code)
            except Exception as exc:   # noqa: BLE001 — reported below
                failures.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(order_id,)) for order_id in order_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    numbers = sorted(int(code[-6:]) for code in codes)
    assert len(set(codes)) == 8 and numbers == list(range(numbers[0], numbers[0] + 8))


def test_printing_a_range_names_every_incomplete_invoice_and_prints_the_rest(org, login):
    complete = service.issue_from_orders(org.finance_user, [confirmed_order(org).id], "special",
                                         buyer={"buyer_bank_account": "招商银行 6225 8801 2345"})
    no_bank = service.issue_from_orders(org.finance_user, [confirmed_order(org).id], "special")
    client = login(org.finance_user)
    page = client.get(f"/invoices_print/?ids={complete.id},{no_bank.id}").get_data(as_text=True)
    assert "2 张发票" in page and no_bank.code in page and "开户行及账号" in page
    assert f'name="ids" value="{complete.id}"' in page            # only the complete one goes to the printer
    ranged = client.get(f"/invoices_print/?from_code={complete.code}&to_code={complete.code}").get_data(as_text=True)
    assert "1 张发票" in ranged
    bad = client.get("/invoices_print/?from_date=yesterday")
    assert bad.status_code == 400
    hidden = login(org.south_rep).get(f"/invoices_print/?ids={complete.id}").get_data(as_text=True)
    assert complete.code not in hidden                              # outside their data scope


def test_the_check_names_what_disagrees_with_the_customer_and_the_arithmetic(org, login):
    from app.modules.customers.api import Customer
    from app.modules.invoices import checks

    order = confirmed_order(org)
    good = service.issue_from_orders(org.finance_user, [order.id], "special")
    assert checks.differences(good) == []
    with unit_of_work(None):
        db.session.get(Customer, order.customer_id).name = "改名后的客户有限公司"
        db.session.get(Invoice, good.id).tax = good.tax + Decimal("0.05")
    db.session.expire_all()
    found = checks.differences(db.session.get(Invoice, good.id))
    assert any("改名后的客户有限公司" in text for text in found)
    assert any("合计" in text or "明细" in text for text in found), found
    client = login(org.finance_user)
    page = client.get(f"/invoices_check/?ids={good.id}").get_data(as_text=True)
    assert good.code in page and "改名后的客户有限公司" in page
    tab = client.get(f"/invoices/show/{good.id}").get_data(as_text=True)
    assert "改名后的客户有限公司" in tab


def test_the_numbering_report_lists_used_voided_red_and_missing_numbers(org, login):
    from app.modules.invoices import numbers

    made = [service.issue_from_orders(org.finance_user, [confirmed_order(org).id], "receipt") for _ in range(4)]
    with unit_of_work(None):
        db.session.get(Invoice, made[1].id).status = "voided"          # as 发票作废审批 leaves it
        db.session.delete(db.session.get(Invoice, made[2].id))         # a number lost (a restored backup, say)
    red = service.red_letter(org.finance_user, made[3].id, "退货")
    period = made[0].issue_date.strftime("%Y")
    rows = dict(numbers.report("receipt", period)["rows"])
    assert rows[made[0].code] == "issued" and rows[made[1].code] == "voided"
    assert rows[made[2].code] == "missing" and rows[made[3].code] == "reversed"
    assert dict(numbers.report("red", red.issue_date.strftime("%Y%m"))["rows"])[red.code] == "red"
    page = login(org.finance_user).get(f"/invoices_numbers/?series=receipt&period={period}")
    assert page.status_code == 200 and made[2].code in page.get_data(as_text=True)
    assert login(org.finance_user).get("/invoices_numbers/?series=receipt&period=20xx").status_code == 400
