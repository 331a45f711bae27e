"""The contact and interaction forms choose their customer by typing: the page carries no list
of customers, the look-up offers only customers the user sees, and a customer outside the
user's scope sent by hand is refused with nothing written."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from tests.conftest import unique
from tests.factories import make_customer


@pytest.mark.parametrize("module", ["contacts", "interactions"])
def test_the_add_form_carries_no_customer_list_and_the_look_up_is_scoped(app, ctx, org, login, module):
    token = unique("选客")
    mine = make_customer(org.east_rep, name=f"{token}我的")
    theirs = make_customer(org.south_rep, name=f"{token}别人的")
    db.session.commit()
    client = login(org.east_rep)
    form = client.get(f"/{module}/add").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="customer"[^>]*>(.*?)</select>', form, re.S)
    assert select is not None and f"/relation-search/{module}/customer" in select.group(0)
    assert len(re.findall(r"<option", select.group(1))) <= 1 and token not in form
    found = client.get(f"/relation-search/{module}/customer", query_string={"q": token}).get_json()
    ids = {row["id"] for row in found["results"]}
    assert mine.id in ids and theirs.id not in ids


def test_a_contact_for_a_customer_out_of_scope_is_refused(app, ctx, org, login):
    from app.modules.customers.models import Contact

    theirs = make_customer(org.south_rep, name=unique("别人的客户"))
    db.session.commit()
    name = unique("越权联系人")
    resp = login(org.east_rep).post("/contacts/add", data={"customer": str(theirs.id), "name": name})
    assert resp.status_code in (200, 400, 403, 409)
    assert db.session.query(Contact).filter_by(name=name).count() == 0
