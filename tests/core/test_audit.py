"""One audit mechanism records every create, update and delete of business records."""
from app.core.audit import AuditLog, history_of
from app.extensions import db
from app.modules.customers import service
from app.modules.customers.models import Customer
from tests.factories import make_customer


def test_create_update_delete_are_recorded_with_actor_fields_and_values(org):
    customer = make_customer(org.east_rep, credit_limit="100.00")
    cid = str(customer.id)
    customer.credit_limit = "250.50"
    customer.status = "active"
    service.update_customer(org.manager, customer)
    service.delete_customer(org.admin, customer)

    entries = db.session.query(AuditLog).filter_by(table_name="customer", record_id=cid).order_by(AuditLog.id).all()
    assert [e.action for e in entries] == ["create", "update", "delete"]
    created, updated, deleted = entries
    assert created.actor_id == org.east_rep.id and created.changes["credit_limit"] == [None, "100.00"]
    assert updated.actor_id == org.manager.id
    assert updated.changes["credit_limit"] == ["100.00", "250.50"] and updated.changes["status"] == ["potential", "active"]
    assert "name" not in updated.changes
    assert deleted.actor_id == org.admin.id and deleted.changes["name"][0] == created.changes["name"][1]


def test_a_save_that_changes_nothing_records_nothing(org):
    customer = make_customer(org.east_rep)
    service.update_customer(org.east_rep, customer)
    assert [e.action for e in history_of(customer)] == ["create"]


def test_a_refused_change_leaves_no_audit_row(org):
    customer = make_customer(org.east_rep)
    customer.phone = "bad"
    try:
        service.update_customer(org.east_rep, customer)
    except Exception:
        pass
    db.session.rollback()
    assert [e.action for e in history_of(db.session.get(Customer, customer.id))] == ["create"]


def test_history_tab_shows_who_changed_what(org, login):
    customer = make_customer(org.east_rep, credit_limit="10.00")
    customer.credit_limit = "20.00"
    service.update_customer(org.east_rep, customer)
    html = login(org.east_rep).get(f"/customers/show/{customer.id}?tab=history").get_data(as_text=True)
    history = html[html.index('id="History"'):]
    assert "10.00" in history and "20.00" in history and org.east_rep.display_name in history


def test_one_save_that_changes_the_owner_writes_one_history_row(org, login):
    customer = make_customer(org.east_rep, credit_limit="10.00")
    resp = login(org.manager).post(f"/customers/edit/{customer.id}", data={
        "name": customer.name, "kind": "company", "status": "active", "credit_limit": "20",
        "owner": str(org.south_rep.id), "department": "__None", "notes": "改派华南"})
    assert resp.status_code == 302
    db.session.expire_all()
    entries = history_of(db.session.get(Customer, customer.id))
    assert [e.action for e in entries] == ["update", "create"]
    changes = entries[0].changes
    assert changes["owner_id"] == [org.east_rep.id, org.south_rep.id]
    assert changes["department_id"] == [org.east.id, org.south.id]
    assert changes["credit_limit"] == ["10.00", "20.00"] and changes["notes"] == [None, "改派华南"]


def test_a_field_changed_and_changed_back_in_one_transaction_leaves_no_row(org):
    from app.core.transaction import unit_of_work

    customer = make_customer(org.east_rep)
    with unit_of_work(org.east_rep):
        customer.notes = "临时"
        db.session.flush()
        customer.notes = None
    assert [e.action for e in history_of(customer)] == ["create"]
