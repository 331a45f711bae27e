"""Possible duplicates (same name, phone or tax id) and merging two customers into one: every
row that references the other customer moves to the survivor, in one transaction."""
import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from app.core import collab
from app.core.audit import AuditLog
from app.core.errors import DomainError, NotFound
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.contracts.models import Contract
from app.modules.customers import merging
from app.modules.customers.models import Contact, Customer, Interaction, Tag, customer_tags
from app.modules.customers.service import create_contact
from tests.conftest import unique
from tests.factories import make_customer


def _mobile() -> str:
    digits = "".join(ch for ch in unique("") if ch.isdigit())[-8:].rjust(8, "5")
    return "135" + digits


def _raw_duplicate(owner, name: str, **fields) -> Customer:
    """A duplicate as old data or another system leaves them (the service refuses to make one)."""
    with unit_of_work(None):
        customer = Customer(code=unique("KH-X"), name=name, owner_id=owner.id, department_id=owner.department_id,
                            kind="company", status="potential", credit_limit=Decimal("0"), **fields)
        db.session.add(customer)
    return customer


@pytest.fixture
def pair(org):
    """Two records of one company, both of east_rep: the older with a primary contact, the
    newer with a contact, an interaction, two tags (one shared), a contract, a comment and a
    follower."""
    keep = make_customer(org.east_rep, unique("华东机械"), phone=_mobile(), region="上海")
    gone = _raw_duplicate(org.east_rep, keep.name, region=None, address="嘉定区叶城路1号")
    create_contact(org.east_rep, Contact(customer_id=keep.id, name="老联系人", is_primary=True))
    create_contact(org.east_rep, Contact(customer_id=gone.id, name="新联系人", is_primary=True, phone=_mobile()))
    with unit_of_work(org.east_rep):
        shared, own = Tag(name=unique("重点")), Tag(name=unique("华东"))
        db.session.add_all([shared, own])
        db.session.flush()
        db.session.execute(insert(customer_tags), [{"customer_id": keep.id, "tag_id": shared.id},
                                                   {"customer_id": gone.id, "tag_id": shared.id},
                                                   {"customer_id": gone.id, "tag_id": own.id}])
        db.session.add(Interaction(customer_id=gone.id, kind="call", subject="首次电话", user_id=org.east_rep.id,
                                   occurred_at=dt.datetime(2026, 1, 5, 2, 0)))
        db.session.add(Contract(code=unique("HT-"), title="年度采购合同", customer_id=gone.id, amount=Decimal("1000"),
                                owner_id=org.east_rep.id, department_id=org.east.id))
    collab.add_comment(org.manager, "customers", gone.id, "这是重复录入的")
    collab.follow(org.manager, "customers", keep.id)
    return keep, gone, shared, own


def _rows(model, **where):
    db.session.expire_all()
    stmt = select(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return list(db.session.scalars(stmt))


# -- finding duplicates ------------------------------------------------------------------------
def test_possible_duplicates_are_grouped_by_name_phone_and_tax_id_within_the_users_scope(org, login):
    name = unique("重复名")
    mine = make_customer(org.east_rep, name)
    twin = _raw_duplicate(org.east_rep, name)
    phone = _mobile()
    by_phone = [make_customer(org.east_rep, phone=phone), _raw_duplicate(org.east_rep, unique("同号"), phone=phone)]
    tax_id = ("91440300" + unique("").upper().replace("T", "") + "0000000000")[:18]
    by_tax = [make_customer(org.south_rep, tax_id=tax_id), _raw_duplicate(org.south_rep, unique("同税号"), tax_id=tax_id)]

    groups = {g["key"]: g for g in merging.duplicate_groups(org.east_rep, "name", limit=1000)}
    assert {c.id for c in groups[name.lower()]["customers"]} == {mine.id, twin.id}
    groups = {g["key"]: g for g in merging.duplicate_groups(org.east_rep, "phone", limit=1000)}
    assert {c.id for c in groups[phone]["customers"]} == {c.id for c in by_phone}
    assert tax_id not in {g["key"] for g in merging.duplicate_groups(org.east_rep, "tax_id", limit=1000)}  # not theirs
    assert tax_id in {g["key"] for g in merging.duplicate_groups(org.manager, "tax_id", limit=1000)}

    html = login(org.east_rep).get("/customers/duplicates/?kind=phone").get_data(as_text=True)
    assert phone in html and by_phone[1].name in html
    assert 'class="btn btn-sm btn-warning zwt-merge-open"' not in html  # sales may not delete, so not merge
    manager_html = login(org.manager).get("/customers/duplicates/?kind=tax_id").get_data(as_text=True)
    assert tax_id in manager_html and "zwt-merge-open" in manager_html


# -- merging -----------------------------------------------------------------------------------
def test_merging_moves_everything_of_the_other_customer_and_records_it_in_both_histories(org, pair):
    keep, gone, shared, own = pair
    gone_id, gone_code, keep_id = gone.id, gone.code, keep.id
    survivor, moved = merging.merge_customers(org.manager, keep.id, gone.id, take_from_other=["address", "region"])

    assert db.session.scalar(select(Customer.id).where(Customer.id == gone_id)) is None
    assert survivor.address == "嘉定区叶城路1号" and survivor.region is None  # region taken as it was: empty
    assert {c.name for c in _rows(Contact, customer_id=keep_id)} == {"老联系人", "新联系人"}
    assert [c.name for c in _rows(Contact, customer_id=keep_id) if c.is_primary] == ["老联系人"]
    assert [i.subject for i in _rows(Interaction, customer_id=keep_id)] == ["首次电话"]
    assert [c.title for c in _rows(Contract, customer_id=keep_id)] == ["年度采购合同"]
    tags = set(db.session.scalars(select(customer_tags.c.tag_id).where(customer_tags.c.customer_id == keep_id)))
    assert tags == {shared.id, own.id}  # the shared tag once
    assert [c.body for c in collab.comments_on(org.manager, "customers", keep_id)] == ["这是重复录入的"]
    assert collab.is_following(org.manager, "customers", keep_id)
    assert moved["contact"] == 1 and moved["interaction"] == 1 and moved["contract"] == 1 and moved["comments"] == 1

    for record_id in (keep_id, gone_id):
        merge = db.session.scalar(select(AuditLog).where(AuditLog.table_name == "customer", AuditLog.action == "merge",
                                                         AuditLog.record_id == str(record_id)))
        assert merge.actor_id == org.manager.id and merge.changes["code"] == [gone_code, keep.code]


def test_merging_through_the_screens_asks_first_and_keeps_the_chosen_values(org, login, pair):
    keep, gone, _shared, _own = pair
    gone_code = gone.code
    client = login(org.manager)
    page = client.get(f"/customers/duplicates/merge?id={gone.id}&id={keep.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="zwt-merge-form"' in html and "嘉定区叶城路1号" in html
    assert re.search(r"data-confirm=\"[^\"]+\"", html)
    assert len(_rows(Customer, id=gone.id)) == 1  # the page itself changes nothing

    resp = client.post("/customers/duplicates/merge", data={
        "first": str(gone.id), "second": str(keep.id), "survivor": str(keep.id),
        "take_address": str(gone.id), "take_phone": str(keep.id)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/customers/show/{keep.id}")
    assert _rows(Customer, id=gone.id) == []
    assert _rows(Customer, id=keep.id)[0].address == "嘉定区叶城路1号"
    history = client.get(f"/customers/show/{keep.id}?tab=history").get_data(as_text=True).split('id="History"')[1]
    assert gone_code in history and ("合并" in history or "Merged" in history)


def test_a_refused_merge_changes_nothing(org, pair):
    keep, gone, _shared, _own = pair
    other = make_customer(org.east_rep2, phone=_mobile())
    with unit_of_work(None):
        db.session.get(Customer, gone.id).phone = other.phone  # old data: a phone another customer uses
    with pytest.raises(DomainError):
        merging.merge_customers(org.manager, keep.id, gone.id, take_from_other=["phone"])
    db.session.rollback()
    assert len(_rows(Customer, id=gone.id)) == 1
    assert {c.name for c in _rows(Contact, customer_id=gone.id)} == {"新联系人"}
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "merge",
                                                                               AuditLog.record_id == str(gone.id))) == 0


def test_only_users_who_may_delete_customers_can_merge_and_only_customers_they_see(org, login, pair):
    keep, gone, _shared, _own = pair
    rep = login(org.east_rep)  # sales: no delete permission
    assert rep.get(f"/customers/duplicates/merge?id={keep.id}&id={gone.id}").status_code in (302, 403)
    rep.post("/customers/duplicates/merge", data={"first": keep.id, "second": gone.id, "survivor": keep.id})
    assert len(_rows(Customer, id=gone.id)) == 1

    theirs = make_customer(org.south_rep)
    with pytest.raises(NotFound):
        merging.merge_customers(org.east_rep, keep.id, theirs.id)
    with pytest.raises(DomainError):
        merging.merge_customers(org.manager, keep.id, keep.id)
    other_manager_view = login(org.finance_user)  # reads all customers, may not delete
    assert other_manager_view.post("/customers/duplicates/merge", data={
        "first": keep.id, "second": theirs.id, "survivor": keep.id}).status_code in (302, 403)
    assert len(_rows(Customer, id=theirs.id)) == 1


def test_every_table_with_a_foreign_key_to_customers_is_found(app):
    tables = {table.name for table, _column in merging.referencing_columns()}
    assert {"contact", "interaction", "customer_tags", "contract"} <= tables
