"""Contract rules, through the service functions every screen, API and job calls."""
import datetime as dt
import re
from decimal import Decimal

import pytest

from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.contracts import service
from app.modules.contracts.models import Contract
from tests.conftest import unique
from tests.factories import make_customer
from tests.modules.contracts.helpers import approved, make_contract


def _count(**filters) -> int:
    db.session.expire_all()
    return db.session.query(Contract).filter_by(**filters).count()


def test_new_contract_is_a_draft_numbered_by_the_contract_rule(org):
    first = make_contract(org.east_rep)
    second = make_contract(org.east_rep)
    year = dt.date.today().year
    assert re.fullmatch(rf"HT-{year}-\d{{5}}", first.code)
    assert int(second.code[-5:]) == int(first.code[-5:]) + 1
    assert first.status == "draft" and first.standard_terms is True


def test_owner_defaults_to_the_actor_and_department_to_the_owners_not_the_customers(org):
    customer = make_customer(org.east_rep)
    contract = service.create_contract(org.finance_user, Contract(
        title=unique("财务起草"), customer_id=customer.id, amount=Decimal("1000")))
    assert contract.owner_id == org.finance_user.id
    assert contract.department_id == org.finance.id != customer.department_id


def test_missing_title_customer_and_amount_are_each_reported_and_nothing_is_written(org):
    before = _count()
    with pytest.raises(ValidationErrors) as err:
        service.create_contract(org.east_rep, Contract(title="  ", amount=None))
    assert set(err.value.errors) == {"title", "customer", "amount"}
    assert all(err.value.errors[f] for f in ("title", "customer", "amount"))
    assert _count() == before


def test_negative_or_unreadable_amount_is_refused(org):
    customer = make_customer(org.east_rep)
    for amount in ("-0.01", "lots"):
        with pytest.raises(ValidationErrors) as err:
            service.create_contract(org.east_rep, Contract(title=unique("金额"), customer_id=customer.id, amount=amount))
        assert set(err.value.errors) == {"amount"}, amount
    assert _count(customer_id=customer.id) == 0


def test_amount_is_decimal_rounded_half_up_to_cents(org):
    contract = make_contract(org.east_rep, amount="123456.785")
    db.session.expire_all()
    stored = db.session.get(Contract, contract.id).amount
    assert isinstance(stored, Decimal) and stored == Decimal("123456.79")


def test_end_date_before_start_date_is_refused_next_to_the_end_date(org):
    with pytest.raises(ValidationErrors) as err:
        make_contract(org.east_rep, starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 2, 28))
    assert set(err.value.errors) == {"ends_on"}
    same_day = make_contract(org.east_rep, starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 1))
    assert same_day.id is not None


def test_sales_user_cannot_make_a_contract_with_a_customer_they_cannot_see(org):
    theirs = make_customer(org.south_rep)
    before = make_contract(org.east_rep)
    with pytest.raises(DomainError) as err:
        make_contract(org.east_rep, customer=theirs)
    assert err.value.field == "customer" and theirs.name not in err.value.message
    assert _count(customer_id=theirs.id) == 0
    # The refused contract gave its number back.
    assert int(make_contract(org.east_rep).code[-5:]) == int(before.code[-5:]) + 1


def test_manager_may_make_contracts_with_customers_of_the_department_only(org):
    east = make_customer(org.east_rep)
    finance = make_customer(org.admin, department_id=org.finance.id)
    assert make_contract(org.manager, customer=east).customer_id == east.id
    with pytest.raises(DomainError):
        make_contract(org.manager, customer=finance)


def test_sales_user_cannot_hand_a_contract_to_someone_else(org):
    customer = make_customer(org.east_rep)
    with pytest.raises(DomainError) as err:
        make_contract(org.south_rep, customer=customer, actor=org.east_rep)
    assert err.value.field == "owner"
    assert _count(customer_id=customer.id) == 0


def test_a_new_contract_cannot_start_in_another_status(org):
    customer = make_customer(org.east_rep)
    for status in ("approved", "signed", "in_approval"):
        with pytest.raises(DomainError) as err:
            make_contract(org.east_rep, customer=customer, status=status)
        assert err.value.field == "status"
    assert _count(customer_id=customer.id) == 0
    assert make_contract(org.east_rep, customer=customer, status="draft").status == "draft"


def test_an_update_cannot_change_the_status(org):
    contract = make_contract(org.east_rep)
    contract.status = "approved"
    with pytest.raises(DomainError) as err:
        service.update_contract(org.east_rep, contract)
    assert err.value.code == "contracts.status_not_writable"
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == "draft"


def test_update_saves_changes_and_keeps_the_code(org):
    contract = make_contract(org.east_rep, amount="1000")
    code = contract.code
    contract.amount, contract.title, contract.standard_terms = Decimal("2000.5"), "设备采购合同（修订）", False
    service.update_contract(org.east_rep, contract)
    db.session.expire_all()
    saved = db.session.get(Contract, contract.id)
    assert (saved.code, saved.amount, saved.title, saved.standard_terms) == (code, Decimal("2000.50"), "设备采购合同（修订）", False)


def test_moving_a_contract_to_a_customer_the_user_cannot_see_is_refused(org):
    contract = make_contract(org.east_rep)
    contract.customer_id = make_customer(org.south_rep).id
    with pytest.raises(DomainError) as err:
        service.update_contract(org.east_rep, contract)
    assert err.value.field == "customer"


def test_a_contract_stays_editable_when_its_customer_moves_to_someone_else(org):
    customer = make_customer(org.east_rep)
    contract = make_contract(org.east_rep, customer=customer)
    from app.modules.customers.service import update_customer

    customer.owner_id, customer.owner, customer.department_id = org.south_rep.id, None, org.south.id
    update_customer(org.manager, customer)
    contract = db.session.get(Contract, contract.id)
    contract.notes = "客户已移交华南组，合同仍由原负责人跟进。"
    service.update_contract(org.east_rep, contract)
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).notes.startswith("客户已移交")


def test_only_drafts_can_be_deleted(org):
    draft = make_contract(org.east_rep)
    other = approved(make_contract(org.east_rep))
    with pytest.raises(DomainError) as err:
        service.delete_contract(org.east_rep, other)
    assert other.code in err.value.message
    assert _count(id=other.id) == 1
    service.delete_contract(org.east_rep, draft)
    assert _count(id=draft.id) == 0


def test_approved_contracts_are_marked_signed_today_unless_a_signing_date_was_entered(org):
    today = approved(make_contract(org.east_rep))
    earlier = approved(make_contract(org.east_rep, signed_on=dt.date(2026, 1, 5)))
    message = service.mark_signed(org.east_rep, [today, earlier])
    db.session.expire_all()
    assert "2" in message
    assert db.session.get(Contract, today.id).status == "signed"
    assert db.session.get(Contract, today.id).signed_on is not None
    assert db.session.get(Contract, earlier.id).signed_on == dt.date(2026, 1, 5)


def test_marking_signed_refuses_the_whole_selection_when_one_is_not_approved(org):
    ok = approved(make_contract(org.east_rep))
    draft = make_contract(org.east_rep)
    with pytest.raises(DomainError) as err:
        service.mark_signed(org.east_rep, [ok, draft])
    assert draft.code in err.value.message and ok.code not in err.value.message
    db.session.expire_all()
    assert db.session.get(Contract, ok.id).status == "approved"
    assert db.session.get(Contract, ok.id).signed_on is None


def test_only_signed_contracts_are_archived(org):
    signed = approved(make_contract(org.east_rep))
    service.mark_signed(org.east_rep, [signed])
    still_approved = approved(make_contract(org.east_rep))
    with pytest.raises(DomainError):
        service.archive(org.east_rep, [signed, still_approved])
    service.archive(org.east_rep, [signed])
    db.session.expire_all()
    assert db.session.get(Contract, signed.id).status == "archived"
    assert db.session.get(Contract, still_approved.id).status == "approved"


def test_a_signed_contract_keeps_its_terms_but_may_change_hands(org):
    contract = approved(make_contract(org.east_rep, amount="80000"))
    service.mark_signed(org.east_rep, [contract])
    contract.amount = Decimal("90000")
    with pytest.raises(DomainError) as err:
        service.update_contract(org.east_rep, contract)
    assert err.value.field == "amount"
    contract = db.session.get(Contract, contract.id)
    contract.customer_id = make_customer(org.east_rep).id
    with pytest.raises(DomainError) as err:
        service.update_contract(org.east_rep, contract)
    assert err.value.field == "customer"
    contract = db.session.get(Contract, contract.id)
    contract.owner_id, contract.notes = org.east_rep2.id, "移交给同组同事"
    service.update_contract(org.manager, contract)
    db.session.expire_all()
    saved = db.session.get(Contract, contract.id)
    assert (saved.amount, saved.owner_id, saved.status) == (Decimal("80000.00"), org.east_rep2.id, "signed")


def test_sales_user_cannot_hand_their_contract_to_someone_else_by_changing_the_owner_id(org):
    contract = make_contract(org.east_rep)
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert contract.owner.id == org.east_rep.id  # the relation is loaded, as on every screen
    contract.owner_id = org.south_rep.id
    with pytest.raises(DomainError) as err:
        service.update_contract(org.east_rep, contract)
    assert err.value.field == "owner"
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).owner_id == org.east_rep.id
