"""Grading is set-based: per range of customer ids one statement grades every customer, writes
only the grades that changed and records each change with its figures; a customer whose paid
amount changes is graded again at once; runs at the same time never record a change twice."""
import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.modules.customers import grading
from app.modules.customers.models import Customer, CustomerGrade, GradeChange
from tests.factories import make_customer

TODAY = dt.date(2026, 6, 15)
# (paid in the last 12 months, cooperating since) → the grade of the shipped rules on TODAY
CASES = [("1000000", dt.date(2024, 6, 15), "A"), ("5000000", dt.date(2024, 6, 16), "B"),
         ("300000", dt.date(2025, 6, 15), "B"), ("299999.99", dt.date(2020, 1, 1), "C"),
         ("50000", dt.date(2026, 6, 1), "C"), ("49999.99", dt.date(2020, 1, 1), "D"), ("0", TODAY, "D")]


def _customers(org, cases=CASES):
    made = []
    for paid, since, _grade in cases:
        customer = make_customer(org.east_rep, cooperating_since=since)
        grading.record_amounts(None, customer.id, paid_12m=paid)
        made.append(customer)
    return made


def _grades(customers):
    db.session.expire_all()
    ids = [c.id for c in customers]
    found = dict(db.session.execute(select(CustomerGrade.customer_id, CustomerGrade.grade)
                                    .where(CustomerGrade.customer_id.in_(ids))).all())
    return [found.get(i) for i in ids]


def _history(customer):
    return [(h.old_grade, h.new_grade) for h in grading.grade_history(customer.id)]


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_batches_of_any_size_grade_every_customer_as_the_rules_say(org, batch):
    customers = _customers(org)
    assert grading.regrade(None, [c.id for c in customers], today=TODAY, batch=batch) == len(CASES)
    assert _grades(customers) == [grade for _p, _s, grade in CASES]


def test_a_full_run_grades_every_customer_and_records_the_figures(org, admin_user):
    customers = _customers(org)
    grading.regrade(admin_user, today=TODAY, batch=50)
    assert _grades(customers) == [grade for _p, _s, grade in CASES]
    first = grading.grade_history(customers[0].id)
    assert len(first) == 1 and first[0].old_grade is None and first[0].new_grade == "A"
    assert first[0].paid_12m == Decimal("1000000.00") and first[0].months == 24 and first[0].actor_id == admin_user.id
    assert grading.grade_history(customers[-1].id)[0].months == 0


def test_only_grades_that_change_are_written_and_recorded(org):
    customers = _customers(org)
    ids = [c.id for c in customers]
    grading.regrade(None, ids, today=TODAY)
    changes = db.session.scalar(select(func.count()).select_from(GradeChange).where(GradeChange.customer_id.in_(ids)))
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:   # the row versions tell which rows were rewritten
        versions = dict(db.session.execute(text("SELECT customer_id, xmin::text FROM customer_grade "
                                                "WHERE customer_id = ANY(:ids)"), {"ids": ids}).all())
    db.session.get(Customer, customers[5].id).paid_12m = Decimal("60000")   # D → C
    db.session.commit()
    assert grading.regrade(None, ids, today=TODAY) == 1
    assert _history(customers[5]) == [(None, "D"), ("D", "C")]
    after = db.session.scalar(select(func.count()).select_from(GradeChange).where(GradeChange.customer_id.in_(ids)))
    assert after == changes + 1
    if postgres:
        now = dict(db.session.execute(text("SELECT customer_id, xmin::text FROM customer_grade "
                                           "WHERE customer_id = ANY(:ids)"), {"ids": ids}).all())
        assert [i for i in ids if now[i] != versions[i]] == [customers[5].id]


def test_a_graded_customer_is_graded_again_as_soon_as_its_paid_amount_changes(org, admin_user):
    customer = make_customer(org.east_rep, cooperating_since=dt.date(2020, 1, 1))
    grading.record_amounts(None, customer.id, paid_12m="1000")
    assert _grades([customer]) == [None], "a customer not graded yet gets its first grade at the next run"
    grading.regrade(None, [customer.id])
    assert _grades([customer]) == ["D"]
    grading.record_amounts(admin_user, customer.id, paid_12m="2000000")
    assert _grades([customer]) == ["A"]
    last = grading.grade_history(customer.id)[-1]
    assert (last.old_grade, last.new_grade, last.paid_12m, last.actor_id) == ("D", "A", Decimal("2000000.00"),
                                                                              admin_user.id)
    # Other amounts, or the same paid amount again, change no grade and record nothing.
    grading.record_amounts(None, customer.id, paid_12m="2000000", total_outstanding="5")
    assert _history(customer) == [(None, "D"), ("D", "A")]


def test_runs_at_the_same_time_record_each_change_once(org, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    customers = _customers(org) + _customers(org)
    ids = [c.id for c in customers]
    errors = []

    def run(batch):
        try:
            with app.app_context():
                grading.regrade(None, ids, today=TODAY, batch=batch)
        except Exception as exc:   # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(batch,)) for batch in (1, 3, 100, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    recorded = db.session.execute(select(GradeChange.customer_id, func.count()).where(GradeChange.customer_id.in_(ids))
                                  .group_by(GradeChange.customer_id)).all()
    assert sorted(n for _id, n in recorded) == [1] * len(ids)
    assert _grades(customers) == [grade for _p, _s, grade in CASES] * 2


@pytest.fixture
def admin_user(org):
    return org.admin
