"""Transferring customers to another owner: one from its page or many from the list, within
whom the user may assign to, recorded in the history, the new owner notified."""
import re

import pytest
from sqlalchemy import select

from app.core.audit import history_of
from app.core.errors import DomainError
from app.core.notify import Notification
from app.extensions import db
from app.modules.customers import pool
from app.modules.customers.models import Customer
from tests.factories import make_customer


def _owner(customer):
    db.session.expire_all()
    return db.session.get(Customer, customer.id).owner_id


def test_manager_transfers_several_customers_and_the_new_owner_is_told(org, login):
    first, second = make_customer(org.east_rep), make_customer(org.east_rep2)
    client = login(org.manager)
    resp = client.post("/customers/action_post", data={"action": "transfer", "rowid": [str(first.id), str(second.id)]})
    assert resp.status_code == 302 and "/customer_bulk/transfer" in resp.headers["Location"]
    form = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert first.name in form and second.name in form and org.south_rep.username in form
    ids = re.search(r'name="ids" value="([^"]+)"', form).group(1)
    resp = client.post("/customer_bulk/transfer", data={"ids": ids, "owner": str(org.south_rep.id), "note": "华南区域调整"})
    assert resp.status_code == 302
    assert _owner(first) == _owner(second) == org.south_rep.id
    fresh = db.session.get(Customer, first.id)
    assert fresh.department_id == org.south.id
    entry = history_of(fresh)[0]
    assert entry.actor_id == org.manager.id and entry.changes["owner_id"] == [org.east_rep.id, org.south_rep.id]
    notes = db.session.scalars(select(Notification).where(Notification.user_id == org.south_rep.id)).all()
    assert any("2" in n.title and "华南区域调整" in n.body for n in notes)


def test_a_single_customer_is_transferred_from_its_page(org, login):
    customer = make_customer(org.east_rep)
    client = login(org.manager)
    page = client.get(f"/customers/show/{customer.id}").get_data(as_text=True)
    assert "/customers/action/transfer/" in page
    resp = client.post(f"/customers/action/transfer/{customer.id}")
    assert resp.status_code == 302 and f"ids={customer.id}" in resp.headers["Location"]
    client.post("/customer_bulk/transfer", data={"ids": str(customer.id), "owner": str(org.east_rep2.id)})
    assert _owner(customer) == org.east_rep2.id


def test_sales_user_may_not_hand_customers_to_a_colleague(org, login):
    customer = make_customer(org.east_rep)
    with pytest.raises(DomainError) as err:
        pool.transfer(org.east_rep, [customer], org.east_rep2.id)
    assert err.value.field == "owner"
    client = login(org.east_rep)
    form = client.get(f"/customer_bulk/transfer?ids={customer.id}").get_data(as_text=True)
    assert org.east_rep2.username not in form  # only whom they may assign to is offered
    resp = client.post("/customer_bulk/transfer", data={"ids": str(customer.id), "owner": str(org.east_rep2.id)})
    assert resp.status_code == 200 and "zwt-field-error" in resp.get_data(as_text=True)
    assert _owner(customer) == org.east_rep.id


def test_transfer_without_choosing_an_owner_is_refused(org):
    customer = make_customer(org.east_rep)
    with pytest.raises(DomainError) as err:
        pool.transfer(org.manager, [customer], "")
    assert err.value.code == "customers.no_new_owner"


def test_customers_outside_the_users_scope_are_not_transferred(org, login):
    south = make_customer(org.south_rep)
    client = login(org.east_rep)
    resp = client.post("/customer_bulk/transfer", data={"ids": str(south.id), "owner": str(org.east_rep.id)})
    assert resp.status_code == 302  # nothing selected that they may see: back to the list
    assert _owner(south) == org.south_rep.id


def test_read_only_users_cannot_transfer(org, login):
    customer = make_customer(org.east_rep)
    client = login(org.finance_user)
    client.post("/customer_bulk/transfer", data={"ids": str(customer.id), "owner": str(org.finance_user.id)})
    assert _owner(customer) == org.east_rep.id


def _notices(user):
    db.session.expire_all()
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


@pytest.mark.parametrize("count", [1, 3])
def test_a_transfer_tells_the_new_and_the_previous_owner_once_each(org, login, count):
    customers = [make_customer(org.east_rep) for _ in range(count)]
    before_new, before_old = len(_notices(org.south_rep)), len(_notices(org.east_rep))
    client = login(org.manager)
    resp = client.post("/customer_bulk/transfer", data={"ids": ",".join(str(c.id) for c in customers),
                                                        "owner": str(org.south_rep.id)})
    assert resp.status_code == 302
    told_new = _notices(org.south_rep)[before_new:]
    assert len(told_new) == 1, [n.title for n in told_new]
    assert all(c.name in told_new[0].body for c in customers)
    told_old = _notices(org.east_rep)[before_old:]
    assert len(told_old) == 1, [n.title for n in told_old]
    assert all(c.name in told_old[0].title + told_old[0].body for c in customers)
    assert len(_notices(org.manager)) == 0   # the one who did it hears nothing
    for customer in customers:
        assert [e.action for e in history_of(db.session.get(Customer, customer.id))] == ["update", "create"]
