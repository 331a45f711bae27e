"""Contacts and interactions carry their customer's owner, department and pool time, kept equal
by the database's triggers whoever writes, and their data scope is read on those columns: the
same rows as "the customer is in my scope", never one more."""
import datetime as dt

from sqlalchemy import select, text, update

from app.core.registry import registry
from app.core.scope import scope_clause
from app.extensions import db
from app.modules.customers import merging, pool
from app.modules.customers.models import Contact, Customer, Interaction
from tests.factories import make_customer


def _child(customer, name="联系人"):
    contact = Contact(customer_id=customer.id, name=name)
    interaction = Interaction(customer_id=customer.id, subject="拜访", kind="visit",
                              occurred_at=dt.datetime(2020, 1, 6, 10, 0))
    db.session.add_all([contact, interaction])
    db.session.commit()
    return contact.id, interaction.id


def _columns(model, row_id):
    db.session.expire_all()
    return tuple(db.session.execute(select(model.owner_id, model.department_id, model.pooled_at)
                                    .where(model.id == row_id)).one())


def _of(customer_id):
    return tuple(db.session.execute(select(Customer.owner_id, Customer.department_id, Customer.pooled_at)
                                    .where(Customer.id == customer_id)).one())


def _to_pool(customer):
    """As pool.release_to_pool does (the service refuses a customer this new)."""
    db.session.execute(update(Customer).where(Customer.id == customer.id)
                       .values(owner_id=None, pooled_at=dt.datetime(2026, 1, 5, 9, 0)))
    db.session.commit()


def _in_step(customer_id, contact_id, interaction_id):
    expected = _of(customer_id)
    assert _columns(Contact, contact_id) == expected
    assert _columns(Interaction, interaction_id) == expected
    return expected


def test_children_copy_their_customer_on_insert_and_follow_transfer_pool_and_department(org):
    customer = make_customer(org.east_rep)
    contact_id, interaction_id = _child(customer)
    assert _in_step(customer.id, contact_id, interaction_id)[:2] == (org.east_rep.id, org.east.id)

    pool.transfer(org.manager, [db.session.get(Customer, customer.id)], org.south_rep.id)
    assert _in_step(customer.id, contact_id, interaction_id)[:2] == (org.south_rep.id, org.south.id)

    _to_pool(customer)
    assert _in_step(customer.id, contact_id, interaction_id)[2] is not None

    pool.claim(org.east_rep2, [db.session.get(Customer, customer.id)])
    owner, _dept, pooled = _in_step(customer.id, contact_id, interaction_id)
    assert owner == org.east_rep2.id and pooled is None

    db.session.execute(update(Customer).where(Customer.id == customer.id).values(department_id=org.finance.id))
    db.session.commit()
    assert _in_step(customer.id, contact_id, interaction_id)[1] == org.finance.id


def test_a_child_moved_to_another_customer_or_written_by_raw_sql_takes_that_customers_scope(org):
    first, second = make_customer(org.east_rep), make_customer(org.south_rep)
    contact_id, interaction_id = _child(first)
    db.session.execute(update(Contact).where(Contact.id == contact_id).values(customer_id=second.id))
    db.session.execute(update(Interaction).where(Interaction.id == interaction_id).values(customer_id=second.id))
    db.session.commit()
    assert _in_step(second.id, contact_id, interaction_id)[0] == org.south_rep.id

    # a writer that sets the columns wrongly (or not at all) is corrected on insert
    db.session.execute(text("INSERT INTO contact (customer_id, name, is_primary, created_at, owner_id) "
                            "VALUES (:c, '原始', :f, CURRENT_TIMESTAMP, :o)"),
                       {"c": first.id, "f": False, "o": org.south_rep.id})
    db.session.commit()
    raw = db.session.scalar(select(Contact.id).where(Contact.customer_id == first.id, Contact.name == "原始"))
    assert _columns(Contact, raw)[:2] == (org.east_rep.id, org.east.id)


def test_merged_customers_children_take_the_survivors_scope(org):
    keep, gone = make_customer(org.east_rep), make_customer(org.south_rep)
    contact_id, interaction_id = _child(gone)
    merging.merge_customers(org.admin, keep.id, gone.id)
    assert _in_step(keep.id, contact_id, interaction_id)[:2] == (org.east_rep.id, org.east.id)


def test_the_scope_on_the_childrens_columns_is_the_customers_scope_for_everyone(org):
    mine, colleague, south = make_customer(org.east_rep), make_customer(org.east_rep2), make_customer(org.south_rep)
    pooled = make_customer(org.south_rep)
    for customer in (mine, colleague, south, pooled):
        _child(customer)
    _to_pool(pooled)
    customers = registry.get("customers")
    for user in (org.admin, org.manager, org.east_rep, org.east_rep2, org.south_rep, org.finance_user, org.readonly):
        visible = select(Customer.id).where(scope_clause(customers, user)) \
            if scope_clause(customers, user) is not None else select(Customer.id)
        for name, model in (("contacts", Contact), ("interactions", Interaction)):
            clause = scope_clause(registry.get(name), user)
            new = set(db.session.scalars(select(model.id).where(clause) if clause is not None else select(model.id)))
            old = set(db.session.scalars(select(model.id).where(model.customer_id.in_(visible))))
            assert new == old, (user.username, name)
    contacts = registry.get("contacts")
    seen = set(db.session.scalars(select(Contact.customer_id).where(scope_clause(contacts, org.east_rep))))
    assert mine.id in seen and pooled.id in seen and colleague.id not in seen and south.id not in seen
