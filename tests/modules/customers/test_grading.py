"""Customer grades: admin-edited rules, evaluated set-based by the nightly job and on demand,
every change kept with the figures that caused it."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.errors import ValidationErrors
from app.core.notify import Notification
from app.extensions import db
from app.modules.customers import grading
from app.modules.customers.models import Customer, GradeChange, GradeRule
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.factories import make_customer

TODAY = dt.date(2026, 6, 15)


def _customer(owner, paid, since, **fields):
    customer = make_customer(owner, cooperating_since=since, **fields)
    grading.record_amounts(None, customer.id, paid_12m=paid)
    return customer


def _grade_of(customer):
    db.session.expire_all()
    return db.session.get(Customer, customer.id).grade


def test_shipped_rules_grade_by_paid_amount_and_months_of_cooperation(org):
    a = _customer(org.east_rep, "1000000", dt.date(2024, 6, 15))        # exactly 24 months, exactly 1,000,000
    rich_but_new = _customer(org.east_rep, "5000000", dt.date(2024, 6, 16))  # one day short of 24 months
    b = _customer(org.east_rep, "300000", dt.date(2025, 6, 1))
    c = _customer(org.east_rep, "50000", dt.date(2026, 6, 1))
    d = _customer(org.east_rep, "49999.99", dt.date(2020, 1, 1))
    changed = grading.regrade(None, [a.id, rich_but_new.id, b.id, c.id, d.id], today=TODAY)
    assert changed == 5
    assert [_grade_of(x) for x in (a, rich_but_new, b, c, d)] == ["A", "B", "B", "C", "D"]


def test_a_grade_change_is_recorded_with_the_figures_that_caused_it(org, admin_user):
    customer = _customer(org.east_rep, "350000", dt.date(2025, 1, 1))
    grading.regrade(None, [customer.id], today=TODAY)
    grading.record_amounts(None, customer.id, paid_12m="1200000.00")
    db.session.expire_all()
    db.session.get(Customer, customer.id).cooperating_since = dt.date(2023, 1, 1)
    db.session.commit()
    grading.regrade(admin_user, [customer.id], today=TODAY)
    history = grading.grade_history(customer.id)
    assert [(h.old_grade, h.new_grade) for h in history] == [(None, "B"), ("B", "A")]
    last = history[-1]
    assert last.paid_12m == Decimal("1200000.00") and last.months == 41 and last.actor_id == admin_user.id
    assert history[0].months == 17 and history[0].actor_id is None


def test_grading_again_changes_nothing_and_records_nothing(org):
    customers = [_customer(org.east_rep, "60000", dt.date(2025, 1, 1)) for _ in range(3)]
    ids = [c.id for c in customers]
    assert grading.regrade(None, ids, today=TODAY) == 3
    before = db.session.scalar(select(db.func.count()).select_from(GradeChange).where(GradeChange.customer_id.in_(ids)))
    assert grading.regrade(None, ids, today=TODAY) == 0
    after = db.session.scalar(select(db.func.count()).select_from(GradeChange).where(GradeChange.customer_id.in_(ids)))
    assert before == after == 3


def test_grading_in_small_batches_gives_the_same_grades(org):
    customers = [_customer(org.east_rep, paid, dt.date(2020, 1, 1)) for paid in ("0", "60000", "400000", "2000000")]
    ids = [c.id for c in customers]
    assert grading.regrade(None, ids, today=TODAY, batch=1) == 4
    assert [_grade_of(c) for c in customers] == ["D", "C", "B", "A"]


def test_changed_rules_apply_at_the_next_run(org, admin_user):
    rule = db.session.scalar(select(GradeRule).where(GradeRule.code == "C"))
    customer = _customer(org.east_rep, "40000", dt.date(2025, 1, 1))
    grading.regrade(None, [customer.id], today=TODAY)
    assert _grade_of(customer) == "D"
    try:
        rule.min_paid_12m = Decimal("30000")
        grading.update_rule(admin_user, rule)
        grading.regrade(None, [customer.id], today=TODAY)
        assert _grade_of(customer) == "C"
    finally:
        rule = db.session.scalar(select(GradeRule).where(GradeRule.code == "C"))
        rule.min_paid_12m = Decimal("50000")
        grading.update_rule(admin_user, rule)


def test_rule_validation_messages_and_nothing_saved(admin_user):
    with pytest.raises(ValidationErrors) as err:
        grading.create_rule(admin_user, GradeRule(code="a", name="", min_paid_12m="-5", min_months=-1, sort_order=5))
    assert set(err.value.errors) == {"code", "name", "min_paid_12m", "min_months"}
    assert "A" in err.value.errors["code"][0]  # "grade A already exists", after upper-casing
    assert db.session.scalar(select(db.func.count()).select_from(GradeRule).where(GradeRule.sort_order == 5)) == 0


def test_grade_changes_appear_on_the_customer_timeline_with_the_figures(org, login):
    customer = _customer(org.east_rep, "320000", dt.date(2024, 1, 1))
    grading.regrade(None, [customer.id])
    html = login(org.east_rep).get(f"/customer_timeline/{customer.id}/?kind=grade").get_data(as_text=True)
    assert "→ B" in html and "320,000.00" in html


def test_sales_user_can_grade_selected_customers_from_the_list(org, login):
    customer = _customer(org.east_rep, "70000", dt.date(2025, 1, 1))
    resp = login(org.east_rep).post("/customers/action_post", data={"action": "regrade", "rowid": [str(customer.id)]})
    assert resp.status_code == 302
    assert _grade_of(customer) == "C"


def test_only_admins_edit_grade_rules(org, login):
    for user in (org.manager, org.east_rep, org.finance_user):
        client = login(user)
        assert client.get("/grade_rules/list/").status_code in (302, 403)
        assert client.post("/grade_rules/add", data={"code": "Z", "name": "x", "min_paid_12m": "1",
                                                     "min_months": "0", "sort_order": "99"}).status_code in (302, 403)
    assert db.session.scalar(select(GradeRule).where(GradeRule.code == "Z")) is None
    admin = login(org.admin)
    assert admin.get("/grade_rules/list/").status_code == 200


def test_nightly_grading_runs_in_a_real_worker_and_tells_the_admin_who_asked(org, app, job_env, login):  # noqa: F811
    customer = _customer(org.east_rep, "2500000", dt.date(2019, 1, 1))
    resp = login(org.admin).post("/customer_settings/grade")
    assert resp.status_code == 302
    run_worker_burst(job_env)
    assert _grade_of(customer) == "A"
    db.session.expire_all()
    notes = db.session.scalars(select(Notification).where(Notification.user_id == org.admin.id)).all()
    assert any("grade" in n.title.lower() or "评级" in n.title for n in notes)
    # the cron entry is there too
    from app.core.registry import registry
    from app.core.jobs import cron_entries

    with app.app_context():
        names = {e["name"] for e in cron_entries(registry)}
    assert {"customers.grade", "customers.follow_up", "customers.pool_release"} <= names


def test_sales_user_cannot_start_grading_of_all_customers(org, login):
    assert login(org.east_rep).post("/customer_settings/grade").status_code in (302, 403)


@pytest.fixture
def admin_user(org):
    return org.admin


def test_amounts_from_collections_are_rounded_and_negative_ones_refused(org):
    customer = make_customer(org.east_rep)
    grading.record_amounts(None, customer.id, paid_12m="1234.565", total_outstanding="10")
    db.session.expire_all()
    stored = db.session.get(Customer, customer.id)
    assert stored.paid_12m == Decimal("1234.57") and stored.total_outstanding == Decimal("10.00")
    with pytest.raises(ValidationErrors):
        grading.record_amounts(None, customer.id, paid_12m="-1")


def test_customers_list_and_api_filter_by_grade(org, login, api_token):
    from flask import current_app

    top = _customer(org.east_rep, "3000000", dt.date(2018, 1, 1))
    low = _customer(org.east_rep, "0", dt.date(2018, 1, 1))
    grading.regrade(None, [top.id, low.id])
    html = login(org.east_rep).get("/customers/list/?_flt_0_grade=A&psize_CustomerView=100").get_data(as_text=True)
    assert top.name in html and low.name not in html
    q = "(filters:!((col:grade,opr:eq,value:A)),page_size:100)"
    rows = current_app.test_client().get(f"/api/v1/customers/?q={q}", headers=api_token(org.east_rep)).get_json()["result"]
    assert top.id in {r["id"] for r in rows} and low.id not in {r["id"] for r in rows}
    assert {r["grade"] for r in rows} == {"A"}
