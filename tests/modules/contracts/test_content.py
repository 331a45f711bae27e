"""A contract's content: type (admin list), the customer's contact, lines whose total is the contract amount
(rounded half up to the fen), and the payment plan that must add up to it exactly before approval."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.contracts import lines, service
from app.modules.contracts.models import Contract, ContractInstalment, ContractLine, ContractType
from app.workflow import engine
from app.workflow.models import ApprovalInstance
from tests.factories import make_customer
from tests.modules.contracts.helpers import make_contract
from tests.modules.inventory.helpers import product
from tests.workflow.helpers import publish_chain, step, user_rule


@pytest.mark.parametrize("quantity, price, discount, rate, expected", [
    ("1", "0.005", "0", "13", ("0.01", "0.00", "0.01")),              # half a fen rounds up
    ("3", "33.33", "0", "13", ("99.99", "13.00", "112.99")),
    ("2", "19.99", "15", "6", ("33.98", "2.04", "36.02")),            # 33.983 → 33.98; 2.0388 → 2.04
    ("0.5", "1234.56", "10", "13", ("555.55", "72.22", "627.77")),
    ("12", "0.125", "0", "13", ("1.50", "0.20", "1.70")),             # 0.195 → 0.20
    ("1", "99.995", "0", "0", ("100.00", "0.00", "100.00")),
    ("3", "100", "100", "13", ("0.00", "0.00", "0.00")),              # given away
])
def test_line_figures_round_half_up_to_the_fen(quantity, price, discount, rate, expected):
    assert lines.line_figures(Decimal(quantity), Decimal(price), Decimal(discount), Decimal(rate)) == \
        tuple(Decimal(e) for e in expected)


def _line(actor, contract, item, quantity, **extra):
    return lines.save_line(actor, ContractLine(contract_id=contract.id, product_id=item.id, quantity=quantity, **extra))


def _fresh(contract) -> Contract:
    db.session.expire_all()
    return db.session.get(Contract, contract.id)


def test_the_contract_amount_is_the_total_of_its_lines(org):
    printer, paper = product(), product()
    printer.list_price, printer.tax_rate = Decimal("1999.00"), Decimal("13")
    db.session.commit()
    contract = make_contract(org.east_rep, amount="1.00")
    _line(org.east_rep, contract, printer, "2")
    _line(org.east_rep, contract, paper, "3", unit_price="25.50", discount="10", tax_rate="13")
    contract = _fresh(contract)
    assert contract.amount == Decimal("3998.00") + Decimal("519.74") + Decimal("77.80")
    by_product = {line.product_id: line for line in contract.lines}
    assert by_product[printer.id].unit_price == Decimal("1999.00")

    contract.amount = Decimal("100.00")          # typed over the lines: refused, with the lines' total
    with pytest.raises(ValidationErrors) as refused:
        service.update_contract(org.east_rep, contract)
    assert "4,595.54" in refused.value.errors["amount"][0]
    db.session.rollback()

    lines.delete_line(org.east_rep, _fresh(contract).lines[0])
    assert _fresh(contract).amount == Decimal("77.80")


def test_bad_lines_are_refused_field_by_field_and_write_nothing(org):
    paper = product()
    contract = make_contract(org.east_rep)
    for bad, field in (({"quantity": "0"}, "quantity"), ({"quantity": "abc"}, "quantity"),
                       ({"discount": "120"}, "discount"), ({"unit_price": "-1"}, "unit_price"),
                       ({"tax_rate": "x"}, "tax_rate")):
        with pytest.raises(ValidationErrors) as refused:
            lines.save_line(org.east_rep, ContractLine(contract_id=contract.id, product_id=paper.id,
                                                       **{"quantity": "1", "unit_price": "1", **bad}))
        assert field in refused.value.errors
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ContractLine).where(
        ContractLine.contract_id == contract.id)) == 0
    assert _fresh(contract).amount == Decimal("50000.00")


def _instalment(actor, contract, name, **fields):
    return lines.save_instalment(actor, ContractInstalment(contract_id=contract.id, name=name, **fields))


def test_percentages_of_a_whole_plan_add_up_to_the_amount_exactly(org):
    contract = make_contract(org.east_rep, amount="100.00")
    for name, percent in (("预付款", "33.3333"), ("到货款", "33.3333"), ("尾款", "33.3334")):
        _instalment(org.east_rep, contract, name, basis="signing", days=0, percent=percent)
    plan = _fresh(contract).instalments
    assert [i.amount for i in plan] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sum(i.amount for i in plan) == Decimal("100.00")
    assert lines.plan_message(_fresh(contract)) is None


def test_a_plan_that_does_not_add_up_cannot_go_into_approval_and_says_the_difference(org):
    publish_chain([step("finance", user_rule(org.finance_user))])
    contract = make_contract(org.east_rep, amount="50000.00")
    _instalment(org.east_rep, contract, "预付款", basis="signing", days=5, percent="30")
    _instalment(org.east_rep, contract, "尾款", basis="delivery", days=30, amount="30000.00")
    with pytest.raises(DomainError) as refused:
        engine.submit(org.east_rep, "contracts", contract.id)
    assert refused.value.code == "contracts.plan_mismatch"
    assert "¥5,000.00" in refused.value.message and "¥45,000.00" in refused.value.message
    db.session.rollback()
    assert _fresh(contract).status == "draft"
    assert db.session.scalar(select(func.count()).select_from(ApprovalInstance).where(
        ApprovalInstance.document == "contracts", ApprovalInstance.record_id == contract.id)) == 0

    last = _fresh(contract).instalments[-1]
    last.amount = "35000.00"
    lines.save_instalment(org.east_rep, last)
    engine.submit(org.east_rep, "contracts", contract.id)
    assert _fresh(contract).status == "in_approval"


def test_a_contract_submitted_without_a_plan_is_paid_in_full_at_signing(org):
    publish_chain([step("finance", user_rule(org.finance_user))])
    contract = make_contract(org.east_rep, amount="1234.56")
    engine.submit(org.east_rep, "contracts", contract.id)
    [whole] = _fresh(contract).instalments
    assert (whole.basis, whole.days, whole.amount) == ("signing", 0, Decimal("1234.56"))


def test_lines_and_plan_are_locked_once_in_approval(org):
    publish_chain([step("finance", user_rule(org.finance_user))])
    paper = product()
    contract = make_contract(org.east_rep)
    _line(org.east_rep, contract, paper, "1", unit_price="50000.00")
    engine.submit(org.east_rep, "contracts", contract.id)
    with pytest.raises(lines.NotEditable):
        _line(org.east_rep, contract, paper, "1", unit_price="10.00")
    db.session.rollback()
    with pytest.raises(lines.NotEditable):
        lines.delete_line(org.east_rep, _fresh(contract).lines[0])
    db.session.rollback()
    with pytest.raises(lines.NotEditable):
        _instalment(org.east_rep, contract, "加一笔", basis="date", due_on=None, amount="1")
    db.session.rollback()
    assert len(_fresh(contract).lines) == 1


@pytest.mark.parametrize("fields, field", [
    ({"basis": "date"}, "due_on"),
    ({"basis": "signing", "days": ""}, "days"),
    ({"basis": "signing", "days": "-3"}, "days"),
    ({"basis": "weekly", "days": "3"}, "basis"),
    ({"basis": "signing", "days": "3", "percent": "120"}, "percent"),
    ({"basis": "signing", "days": "3"}, "amount"),
])
def test_bad_instalments_say_which_field(org, fields, field):
    contract = make_contract(org.east_rep)
    with pytest.raises(ValidationErrors) as refused:
        _instalment(org.east_rep, contract, "预付款", **fields)
    assert field in refused.value.errors
    db.session.rollback()
    assert _fresh(contract).instalments == []


def test_the_contact_must_be_one_of_the_customers_and_the_type_in_use(org):
    from app.modules.customers.models import Contact

    customer, other = make_customer(org.east_rep), make_customer(org.east_rep)
    mine = Contact(customer_id=customer.id, name="王经理")
    theirs = Contact(customer_id=other.id, name="李总")
    retired = ContractType(name="停用类型", notice_days=30, reminder_days="30", active=False, sort_order=99)
    db.session.add_all([mine, theirs, retired])
    db.session.commit()
    sales = db.session.scalar(select(ContractType).where(ContractType.name == "销售合同"))
    contract = make_contract(org.east_rep, customer, contact_id=mine.id, type_id=sales.id)
    assert (contract.contact_id, contract.type.name) == (mine.id, "销售合同")
    with pytest.raises(ValidationErrors) as refused:
        make_contract(org.east_rep, customer, contact_id=theirs.id, type_id=retired.id)
    assert set(refused.value.errors) >= {"contact", "type"}
    db.session.rollback()


def test_types_are_kept_by_admins_and_one_in_use_is_not_deleted(org):
    made = service.save_type(org.admin, ContractType(name="  租赁合同 ", notice_days=45, reminder_days="7，30, 15"))
    assert (made.name, made.reminder_days) == ("租赁合同", "30,15,7")
    with pytest.raises(ValidationErrors) as refused:
        service.save_type(org.admin, ContractType(name="租赁合同", reminder_days="下周"))
    assert set(refused.value.errors) == {"name", "reminder_days"}
    db.session.rollback()
    make_contract(org.east_rep, type_id=made.id)
    with pytest.raises(DomainError) as refused:
        service.delete_type(org.admin, db.session.get(ContractType, made.id))
    assert refused.value.code == "contracts.type_in_use"
    db.session.rollback()
    assert db.session.get(ContractType, made.id) is not None


def test_lines_through_the_api_follow_the_contracts_scope(org, app, api_token):
    paper = product()
    contract = make_contract(org.east_rep)
    client = app.test_client()
    made = client.post("/api/v1/contract_lines/", headers=api_token(org.east_rep),
                       json={"contract_id": contract.id, "product_id": paper.id, "quantity": "4",
                             "unit_price": "12.50", "tax_rate": "13"})
    assert made.status_code == 201, made.get_json()
    assert _fresh(contract).amount == Decimal("56.50")
    refused = client.post("/api/v1/contract_lines/", headers=api_token(org.south_rep),
                          json={"contract_id": contract.id, "product_id": paper.id, "quantity": "1",
                                "unit_price": "1"})
    assert refused.status_code in (400, 404)
    assert _fresh(contract).amount == Decimal("56.50")
    listed = client.get("/api/v1/contract_lines/", headers=api_token(org.south_rep)).get_json()
    assert all(row["id"] != made.get_json()["id"] for row in listed["result"])
    bad = client.post("/api/v1/contract_instalments/", headers=api_token(org.east_rep),
                      json={"contract_id": contract.id, "name": "尾款", "basis": "date"})
    assert bad.status_code == 400 and "due_on" in str(bad.get_json())


def test_the_contract_page_has_lines_and_plan_tabs_and_the_forms_work(org, login):
    from app.modules.customers.models import Contact

    paper = product()
    import uuid

    phone = f"139{uuid.uuid4().int % 10 ** 8:08d}"
    customer, other = make_customer(org.east_rep), make_customer(org.south_rep)
    db.session.add_all([Contact(customer_id=customer.id, name="王经理", phone=phone),
                        Contact(customer_id=other.id, name="别家联系人")])
    db.session.commit()
    contract = make_contract(org.east_rep, customer)
    _line(org.east_rep, contract, paper, "2", unit_price="10.00")
    client = login(org.east_rep)
    page = client.get(f"/contracts/show/{contract.id}").get_data(as_text=True)
    assert "合同明细" in page and "回款计划" in page
    added = client.post("/contract_instalments/add", data={
        "contract": str(contract.id), "seq": "1", "name": "预付款", "basis": "signing", "days": "7",
        "percent": "100", "amount": ""})
    assert added.status_code == 302, added.get_data(as_text=True)[:2000]
    assert [(i.name, i.amount) for i in _fresh(contract).instalments] == [("预付款", Decimal("20.00"))]
    bad = client.post("/contract_instalments/add", data={"contract": str(contract.id), "name": "尾款",
                                                          "basis": "date", "due_on": ""})
    assert bad.status_code == 200 and "请填写到期日期" in bad.get_data(as_text=True)
    assert len(_fresh(contract).instalments) == 1

    form = client.get("/contracts/add").get_data(as_text=True)
    assert 'data-zwt-with="customer"' in form and "销售合同" in form
    found = client.get(f"/contracts/customers/contacts.json?customer={customer.id}").get_json()["results"]
    assert [row["text"] for row in found] == [f"王经理（{phone}）"]
    assert client.get(f"/contracts/customers/contacts.json?customer={other.id}").get_json()["results"] == []
    assert client.get("/contracts/customers/contacts.json?customer=99999999999").get_json()["results"] == []


def test_contract_types_are_for_admins(org, login):
    assert "销售合同" in login(org.admin).get("/contract_types/list/").get_data(as_text=True)
    assert login(org.east_rep).get("/contract_types/list/").status_code in (302, 403)
    assert login(org.manager).post("/contract_types/add", data={"name": "越权类型", "notice_days": "30",
                                                                 "reminder_days": "30"}).status_code in (302, 403)
    assert db.session.scalar(select(ContractType).where(ContractType.name == "越权类型")) is None


def test_the_contract_document_prints_its_lines_total_in_words_and_plan(org, login):
    from tests.core.printing.helpers import pdf_text

    printer = product()
    printer.name = "激光打印机"
    db.session.commit()
    contract = make_contract(org.east_rep)
    _line(org.east_rep, contract, printer, "2", unit_price="1500.00", tax_rate="13")
    _instalment(org.east_rep, contract, "预付款", basis="signing", days=7, percent="30")
    _instalment(org.east_rep, contract, "尾款", basis="delivery", days=30, percent="70")
    resp = login(org.east_rep).get(f"/printing/contracts/{contract.id}/pdf")
    assert resp.status_code == 200
    text = pdf_text(resp.data).replace(" ", "").replace("\n", "")
    assert "激光打印机" in text and "3,390.00" in text and "叁仟叁佰玖拾元整" in text
    assert "付款计划" in text and "合同签订后7天内" in text and "1,017.00" in text and "2,373.00" in text
