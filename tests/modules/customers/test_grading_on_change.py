"""A customer's grade follows its figures at once: when what it paid in the last 12 months or the
start of its cooperation changes (collections, the edit screen, the API, the service), it is
graded in the same transaction and the change is recorded with the figures that decided it."""
import datetime as dt
from decimal import Decimal

import pytest
from flask import current_app

from app.core.errors import DomainError
from app.extensions import db
from app.modules.customers import grading, service
from app.modules.customers.models import Customer
from app.modules.customers.service import local_today
from tests.factories import make_customer

LONG_AGO = dt.date(2018, 1, 1)


def _grade(customer):
    db.session.expire_all()
    return db.session.get(Customer, customer.id).grade


def _history(customer):
    return [(h.old_grade, h.new_grade, h.months) for h in grading.grade_history(customer.id)]


def _big_old_customer(owner):
    """Paid 2,000,000 and cooperating since 2018: graded A."""
    customer = make_customer(owner, cooperating_since=LONG_AGO)
    grading.record_amounts(None, customer.id, paid_12m="2000000")
    grading.regrade(None, [customer.id])
    return customer


def test_a_graded_customer_is_graded_again_as_soon_as_its_paid_amount_is_recorded(org):
    customer = make_customer(org.east_rep, cooperating_since=LONG_AGO)
    grading.record_amounts(None, customer.id, paid_12m="60000")
    assert _grade(customer) is None, "a customer not graded yet gets its first grade at the next run"
    grading.regrade(None, [customer.id])
    assert _grade(customer) == "C"
    grading.record_amounts(None, customer.id, paid_12m="1000")
    assert _grade(customer) == "D"
    assert [(old, new) for old, new, _m in _history(customer)] == [(None, "C"), ("C", "D")]


def test_amounts_other_than_the_paid_one_change_no_grade(org):
    customer = _big_old_customer(org.east_rep)
    before = _history(customer)
    grading.record_amounts(None, customer.id, total_outstanding="99", total_ordered="5000000")
    grading.record_amounts(None, customer.id, paid_12m="2000000.00")
    assert _grade(customer) == "A" and _history(customer) == before


def test_amounts_for_a_customer_that_does_not_exist_are_refused(org):
    with pytest.raises(DomainError):
        grading.record_amounts(None, 987_654_321, paid_12m="10")


def test_a_later_start_of_cooperation_saved_by_the_service_lowers_the_grade_at_once(org):
    customer = _big_old_customer(org.east_rep)
    assert _grade(customer) == "A"
    customer = db.session.get(Customer, customer.id)
    customer.cooperating_since = local_today()
    service.update_customer(org.east_rep, customer)
    assert _grade(customer) == "C"   # paid enough for A, but cooperating for 0 months
    last = grading.grade_history(customer.id)[-1]
    assert (last.old_grade, last.new_grade, last.months, last.paid_12m, last.actor_id) == (
        "A", "C", 0, Decimal("2000000.00"), org.east_rep.id)


def test_saving_a_customer_without_touching_its_figures_records_no_grade_change(org):
    customer = _big_old_customer(org.east_rep)
    before = _history(customer)
    customer = db.session.get(Customer, customer.id)
    customer.status = "dormant"
    service.update_customer(org.east_rep, customer)
    assert _grade(customer) == "A" and _history(customer) == before


def test_changing_the_start_of_cooperation_on_the_edit_screen_shows_the_new_grade(org, login):
    customer = _big_old_customer(org.east_rep)
    client = login(org.east_rep)
    resp = client.post(f"/customers/edit/{customer.id}", data={
        "name": customer.name, "kind": "company", "status": "active", "credit_limit": "0", "owner": str(org.east_rep.id),
        "cooperating_since": local_today().isoformat()})
    assert resp.status_code == 302
    assert _grade(customer) == "C"
    resp = client.post(f"/customers/edit/{customer.id}", data={
        "name": customer.name, "kind": "company", "status": "active", "credit_limit": "0", "owner": str(org.east_rep.id),
        "cooperating_since": LONG_AGO.isoformat()})
    assert resp.status_code == 302
    assert _grade(customer) == "A"
    assert [(old, new) for old, new, _m in _history(customer)] == [(None, "A"), ("A", "C"), ("C", "A")]


def test_changing_the_start_of_cooperation_through_the_api_answers_with_the_new_grade(org, api_token):
    customer = _big_old_customer(org.east_rep)
    client = current_app.test_client()
    headers = api_token(org.east_rep)
    resp = client.put(f"/api/v1/customers/{customer.id}", json={"cooperating_since": local_today().isoformat()},
                      headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert client.get(f"/api/v1/customers/{customer.id}", headers=headers).get_json()["result"]["grade"] == "C"


def test_a_refused_save_leaves_the_grade_and_its_history_as_they_were(org):
    customer = _big_old_customer(org.east_rep)
    other = make_customer(org.east_rep)
    before = _history(customer)
    customer = db.session.get(Customer, customer.id)
    customer.cooperating_since = local_today()
    customer.name = other.name   # a duplicate name: the save is refused
    with pytest.raises(DomainError):
        service.update_customer(org.east_rep, customer)
    db.session.rollback()
    assert _grade(customer) == "A" and _history(customer) == before
