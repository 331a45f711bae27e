"""Follow-up reminders and the overdue list; customers without interaction for N days, the
shared pool (公海) that every sales user sees, and claiming from it."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.core import jobs
from app.core.audit import history_of
from app.core.clock import utcnow
from app.core.errors import DomainError, Forbidden
from app.core.notify import Notification
from app.core.scope import can_see
from app.extensions import db
from app.modules.customers import interactions, pool
from app.modules.customers.jobs import release_inactive_customers, send_follow_up_reminders
from app.modules.customers.models import Customer, Interaction
from app.modules.customers.service import update_customer
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.factories import make_customer


def _follow(client, url):
    """GET a ready-made list link and the list it redirects to (the test client serves each
    request in its one worker thread, so it cannot follow redirects itself)."""
    resp = client.get(url)
    assert resp.status_code == 302, resp.status_code
    return client.get(resp.headers["Location"])


def _fresh(customer):
    db.session.expire_all()
    return db.session.get(Customer, customer.id)


def _plan(user, customer, day):
    interactions.log_interaction(user, Interaction(customer_id=customer.id, kind="call", subject="约定回访",
                                                   next_follow_up_on=day))


def _reminders(user, customer):
    return [n for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))
            if n.link == f"/customers/show/{customer.id}"]


def _age(customer, days):
    """Pretend the customer was created, and last talked to, `days` days ago."""
    row = db.session.get(Customer, customer.id)
    row.created_at = utcnow() - dt.timedelta(days=days)
    row.last_interaction_at = row.created_at if row.last_interaction_at else None
    db.session.commit()


# -- reminders and the overdue list ------------------------------------------------------------
def test_follow_up_reminder_runs_in_a_real_worker_once_per_customer_and_day(org, app, job_env):  # noqa: F811
    due = make_customer(org.east_rep)
    moved = make_customer(org.east_rep)
    day = dt.date(2031, 3, 3)
    _plan(org.east_rep, due, day)
    _plan(org.east_rep, moved, day)
    _plan(org.east_rep, moved, day + dt.timedelta(days=2))  # rescheduled before the day came
    queue = jobs.queue(app.config)
    queue.enqueue(send_follow_up_reminders, day.isoformat())
    queue.enqueue(send_follow_up_reminders, day.isoformat())  # running twice changes nothing
    run_worker_burst(job_env)
    db.session.expire_all()
    assert len(_reminders(org.east_rep, due)) == 1
    assert _reminders(org.east_rep, moved) == []
    assert _reminders(org.manager, due) == []


def test_a_pooled_customer_gets_no_reminder(org):
    customer = make_customer(org.east_rep)
    day = dt.date(2032, 5, 5)
    _plan(org.east_rep, customer, day)
    _age(customer, 100)
    pool.release_to_pool(org.east_rep, [_fresh(customer)])
    assert send_follow_up_reminders(day.isoformat()) == 0


def test_my_follow_ups_lists_my_overdue_customers_only(org, login):
    mine = make_customer(org.east_rep)
    colleague = make_customer(org.east_rep2)
    for customer in (mine, colleague):  # planned earlier, now three days late
        db.session.get(Customer, customer.id).next_follow_up_on = dt.date.today() - dt.timedelta(days=3)
    db.session.commit()
    html = login(org.east_rep).get("/my_follow_ups/").get_data(as_text=True)
    assert mine.name in html and colleague.name not in html
    assert "3" in html


def test_overdue_filter_on_the_customers_list(org, login):
    late = make_customer(org.east_rep)
    on_time = make_customer(org.east_rep)
    _plan(org.east_rep, on_time, dt.date.today() + dt.timedelta(days=3))
    db.session.get(Customer, late.id).next_follow_up_on = dt.date.today() - dt.timedelta(days=2)
    db.session.commit()
    html = _follow(login(org.east_rep), "/customer_lists/overdue/").get_data(as_text=True)
    assert late.name in html and on_time.name not in html


# -- no interaction for N days -------------------------------------------------------------------
def test_customers_without_interaction_for_the_configured_days_are_flagged(org, login):
    quiet = make_customer(org.east_rep)
    talked = make_customer(org.east_rep)
    _age(quiet, 45)
    _age(talked, 45)
    interactions.log_interaction(org.east_rep, Interaction(customer_id=talked.id, kind="call", subject="刚通过电话"))
    assert pool.is_inactive(_fresh(quiet)) and not pool.is_inactive(_fresh(talked))
    client = login(org.east_rep)
    html = _follow(client, "/customer_lists/inactive/").get_data(as_text=True)
    assert quiet.name in html and talked.name not in html
    assert "zwt-inactive-flag" in client.get(f"/customers/show/{quiet.id}?tab=profile").get_data(as_text=True)


def test_the_number_of_days_is_an_admin_setting(org, login):
    customer = make_customer(org.east_rep)
    _age(customer, 20)
    assert not pool.is_inactive(_fresh(customer))
    try:
        pool.update_settings(org.admin, inactive_days=10, auto_release=False)
        assert pool.is_inactive(_fresh(customer))
        with pytest.raises(DomainError):
            pool.update_settings(org.admin, inactive_days="zero", auto_release=False)
        with pytest.raises(Forbidden):
            pool.update_settings(org.manager, inactive_days=5, auto_release=False)
        assert login(org.manager).post("/customer_settings/", data={"inactive_days": "5"}).status_code in (302, 403)
        assert pool.get_settings().inactive_days == 10
    finally:
        pool.update_settings(org.admin, inactive_days=30, auto_release=False)


# -- the shared pool -----------------------------------------------------------------------------
def test_release_to_pool_refuses_a_recently_contacted_customer_and_changes_nothing(org):
    quiet = make_customer(org.east_rep)
    recent = make_customer(org.east_rep)
    _age(quiet, 60)
    with pytest.raises(DomainError) as err:
        pool.release_to_pool(org.east_rep, [_fresh(quiet), _fresh(recent)])
    assert recent.name in err.value.message
    assert _fresh(quiet).pooled_at is None and _fresh(quiet).owner_id == org.east_rep.id


def test_pooled_customers_are_visible_to_every_sales_user_and_claimable(org, login):
    customer = make_customer(org.east_rep)
    _age(customer, 60)
    resp = login(org.east_rep).post("/customers/action_post", data={"action": "release_to_pool", "rowid": [str(customer.id)]})
    assert resp.status_code == 302
    fresh = _fresh(customer)
    assert fresh.owner_id is None and fresh.pooled_at is not None
    # The explicit exception in the data scope: a sales user of another department sees it ...
    assert can_see("customers", org.south_rep, customer.id)
    south = login(org.south_rep)
    html = _follow(south, "/customer_lists/pool/").get_data(as_text=True)
    assert customer.name in html
    assert south.get(f"/customers/show/{customer.id}").status_code == 200
    # ... but may not change it before claiming it
    with pytest.raises(DomainError) as err:
        fresh.notes = "改一下"
        update_customer(org.south_rep, fresh)
    assert err.value.code == "customers.in_pool"
    db.session.rollback()
    with pytest.raises(DomainError):
        interactions.log_interaction(org.south_rep, Interaction(customer_id=customer.id, kind="call", subject="抢先联系"))
    db.session.rollback()
    resp = south.post("/customers/action_post", data={"action": "claim", "rowid": [str(customer.id)]})
    assert resp.status_code == 302
    fresh = _fresh(customer)
    assert fresh.owner_id == org.south_rep.id and fresh.pooled_at is None and fresh.department_id == org.south.id
    claim_entry = history_of(fresh)[0]
    assert claim_entry.actor_id == org.south_rep.id and claim_entry.changes["owner_id"] == [None, org.south_rep.id]
    # The previous owner no longer sees it.
    assert not can_see("customers", org.east_rep, customer.id)
    timeline = south.get(f"/customer_timeline/{customer.id}/?kind=change").get_data(as_text=True)
    assert "从公海领取" in timeline or "Claimed from the shared pool" in timeline


def test_a_customer_claimed_by_someone_else_cannot_be_claimed_again(org):
    customer = make_customer(org.east_rep)
    _age(customer, 60)
    pool.release_to_pool(org.east_rep, [_fresh(customer)])
    stale = _fresh(customer)
    pool.claim(org.south_rep, [stale])
    with pytest.raises(DomainError) as err:
        pool.claim(org.east_rep2, [stale])
    assert err.value.code == "customers.not_in_pool"
    assert org.south_rep.display_name in err.value.message
    assert _fresh(customer).owner_id == org.south_rep.id


def test_read_only_users_see_the_pool_but_cannot_claim(org, login):
    customer = make_customer(org.east_rep)
    _age(customer, 60)
    pool.release_to_pool(org.east_rep, [_fresh(customer)])
    client = login(org.readonly)
    client.post("/customers/action_post", data={"action": "claim", "rowid": [str(customer.id)]})
    assert _fresh(customer).pooled_at is not None


def test_the_pool_is_in_the_api_for_other_sales_users_but_owned_customers_are_not(org, api_token):
    from flask import current_app

    pooled = make_customer(org.east_rep)
    owned = make_customer(org.east_rep)
    _age(pooled, 60)
    pool.release_to_pool(org.east_rep, [_fresh(pooled)])
    client, headers = current_app.test_client(), api_token(org.south_rep)
    assert client.get(f"/api/v1/customers/{pooled.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/customers/{owned.id}", headers=headers).status_code == 404
    listed = client.get("/api/v1/customers/?q=(filters:!((col:pooled_at,opr:in_pool,value:'1')),page_size:100)",
                        headers=headers).get_json()
    ids = {row["id"] for row in listed["result"]}
    assert pooled.id in ids and owned.id not in ids
    assert all(row["owner_id"] is None for row in listed["result"])


def test_nightly_auto_release_only_when_switched_on(org):
    customer = make_customer(org.east_rep)
    _age(customer, 90)
    assert release_inactive_customers() == 0
    assert _fresh(customer).pooled_at is None
    try:
        pool.update_settings(org.admin, inactive_days=30, auto_release=True)
        assert release_inactive_customers() >= 1
        fresh = _fresh(customer)
        assert fresh.pooled_at is not None and fresh.owner_id is None
        assert history_of(fresh)[0].actor_id is None  # done by the system
    finally:
        pool.update_settings(org.admin, inactive_days=30, auto_release=False)


def _flashes(client, resp):
    """The messages shown on the page an action redirects to."""
    assert resp.status_code == 302
    return client.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_late_claim_is_told_who_claimed_the_customer_and_changes_nothing(org, login):
    customer = make_customer(org.east_rep)
    _age(customer, 60)
    pool.release_to_pool(org.east_rep, [_fresh(customer)])
    first, late = login(org.south_rep), login(org.east_rep2)
    assert _flashes(first, first.post("/customers/action_post", data={"action": "claim", "rowid": [str(customer.id)]}))
    for post in (lambda: late.post("/customers/action_post", data={"action": "claim", "rowid": [str(customer.id)]}),
                 lambda: late.post(f"/customers/action/claim/{customer.id}")):
        html = _flashes(late, post())
        assert "已领取 0" not in html and "0 customers claimed" not in html
        assert org.south_rep.display_name in html and customer.name in html
        assert "已被" in html or "already claimed" in html
    fresh = _fresh(customer)
    assert fresh.owner_id == org.south_rep.id and fresh.department_id == org.south.id
    assert [e.actor_id for e in history_of(fresh)][:1] == [org.south_rep.id]


def test_a_bulk_claim_with_some_customers_taken_names_them_and_claims_none(org, login):
    taken, free = make_customer(org.east_rep), make_customer(org.east_rep)
    for customer in (taken, free):
        _age(customer, 60)
    pool.release_to_pool(org.east_rep, [_fresh(taken), _fresh(free)])
    pool.claim(org.south_rep, [taken.id])
    client = login(org.east_rep2)
    html = _flashes(client, client.post("/customers/action_post", data={
        "action": "claim", "rowid": [str(taken.id), str(free.id)]}))
    assert taken.name in html and org.south_rep.display_name in html
    assert _fresh(free).pooled_at is not None and _fresh(free).owner_id is None
    assert _fresh(taken).owner_id == org.south_rep.id


def test_claiming_an_id_that_never_was_in_the_pool_reveals_nothing(org):
    hidden = make_customer(org.south_rep)
    with pytest.raises(DomainError) as err:
        pool.claim(org.east_rep, [hidden.id])
    assert hidden.name not in err.value.message and org.south_rep.display_name not in err.value.message
    assert _fresh(hidden).owner_id == org.south_rep.id
