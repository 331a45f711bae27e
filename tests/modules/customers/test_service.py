"""Customer and contact rules, through the service functions every screen and API calls."""
import datetime as dt
import re
from decimal import Decimal

import pytest

from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.customers import service
from app.modules.customers.models import Contact, Customer
from tests.conftest import unique
from tests.factories import make_customer


def test_new_customer_gets_the_next_code_of_the_numbering_rule(org):
    first = make_customer(org.east_rep)
    second = make_customer(org.east_rep)
    year = dt.date.today().year
    assert re.fullmatch(rf"KH-{year}-\d{{5}}", first.code)
    assert int(second.code[-5:]) == int(first.code[-5:]) + 1


def test_owner_defaults_to_the_actor_and_department_to_the_owners(org):
    customer = service.create_customer(org.east_rep, Customer(name=unique("默认负责人"), kind="company"))
    assert customer.owner_id == org.east_rep.id
    assert customer.department_id == org.east.id


def test_duplicate_name_is_refused_with_the_existing_code(org):
    name = unique("上海华信精密机械有限公司")
    existing = make_customer(org.east_rep, name)
    with pytest.raises(ValidationErrors) as err:
        make_customer(org.south_rep, "  " + name.upper() + " ")
    assert existing.code in err.value.errors["name"][0]
    assert db.session.query(Customer).filter(Customer.name.ilike(name)).count() == 1


def test_duplicate_phone_on_a_contact_of_another_customer_is_refused(org):
    owner = make_customer(org.east_rep)
    service.create_contact(org.east_rep, Contact(customer_id=owner.id, name="王伟", phone="13912340001"))
    with pytest.raises(ValidationErrors) as err:
        make_customer(org.east_rep, phone="+86 139 1234 0001")
    assert owner.name in err.value.errors["phone"][0]


def test_bad_phone_and_email_and_negative_credit_limit_are_each_reported(org):
    with pytest.raises(ValidationErrors) as err:
        service.create_customer(org.east_rep, Customer(name=unique("坏数据"), phone="12345", email="not-mail",
                                                       credit_limit="-1", kind="company"))
    assert set(err.value.errors) == {"phone", "email", "credit_limit"}
    assert db.session.query(Customer).filter(Customer.name.like("坏数据%")).count() == 0


def test_credit_limit_is_decimal_rounded_half_up_to_cents(org):
    customer = make_customer(org.east_rep, credit_limit="1234.565")
    db.session.expire_all()
    stored = db.session.get(Customer, customer.id).credit_limit
    assert isinstance(stored, Decimal) and stored == Decimal("1234.57")


def test_a_refused_customer_gives_its_number_back(org):
    before = make_customer(org.east_rep)
    with pytest.raises(DomainError):
        service.create_customer(org.east_rep, Customer(name=before.name, kind="company"))
    after = make_customer(org.east_rep)
    assert int(after.code[-5:]) == int(before.code[-5:]) + 1


def test_sales_user_cannot_hand_a_customer_to_someone_else(org):
    with pytest.raises(DomainError) as err:
        service.create_customer(org.east_rep, Customer(name=unique("越权"), kind="company", owner_id=org.south_rep.id))
    assert err.value.field == "owner"


def test_manager_may_assign_within_the_department_tree_only(org):
    customer = service.create_customer(org.manager, Customer(name=unique("分配"), kind="company", owner_id=org.south_rep.id))
    assert customer.owner_id == org.south_rep.id
    with pytest.raises(DomainError):
        service.create_customer(org.manager, Customer(name=unique("分配"), kind="company", owner_id=org.finance_user.id))


def test_only_one_primary_contact_per_customer(org):
    customer = make_customer(org.east_rep)
    a = service.create_contact(org.east_rep, Contact(customer_id=customer.id, name="甲", is_primary=True))
    b = service.create_contact(org.east_rep, Contact(customer_id=customer.id, name="乙", is_primary=True))
    db.session.expire_all()
    assert db.session.get(Contact, a.id).is_primary is False
    assert db.session.get(Contact, b.id).is_primary is True


def test_contact_cannot_be_added_to_a_customer_the_user_cannot_see(org):
    others = make_customer(org.south_rep)
    with pytest.raises(DomainError):
        service.create_contact(org.east_rep, Contact(customer_id=others.id, name="偷偷加"))
    assert db.session.query(Contact).filter_by(customer_id=others.id).count() == 0


def test_deleting_a_customer_deletes_its_contacts(org):
    customer = make_customer(org.east_rep)
    contact = service.create_contact(org.east_rep, Contact(customer_id=customer.id, name="丙"))
    service.delete_customer(org.east_rep, customer)
    assert db.session.get(Contact, contact.id) is None


def test_mark_lost_sets_the_status_of_every_selected_customer(org):
    a, b = make_customer(org.east_rep), make_customer(org.east_rep)
    message = service.mark_lost(org.east_rep, [a, b])
    db.session.expire_all()
    assert {db.session.get(Customer, a.id).status, db.session.get(Customer, b.id).status} == {"lost"}
    assert "2" in message


def test_tax_id_is_normalised_and_a_second_customer_with_it_is_refused(org):
    tax_id = "91310115" + unique("").upper()[:10].ljust(10, "0")
    first = make_customer(org.east_rep, tax_id=" " + tax_id.lower()[:9] + "-" + tax_id.lower()[9:])
    assert first.tax_id == tax_id
    with pytest.raises(ValidationErrors) as err:
        make_customer(org.south_rep, tax_id=tax_id)
    assert first.code in err.value.errors["tax_id"][0]


def test_malformed_tax_id_is_refused(org):
    with pytest.raises(ValidationErrors) as err:
        make_customer(org.east_rep, tax_id="12345")
    assert set(err.value.errors) == {"tax_id"}
