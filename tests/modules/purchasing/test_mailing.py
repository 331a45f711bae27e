"""向供应商下单: once placed, a job in a real worker draws the purchase order's PDF, keeps it among the order's files
and mails it to the supplier's contact; without a contact e-mail the buyer is told. The buyer hears of receipts
made by someone else."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.core.files.models import Attachment
from app.core.notify import MailMessage, Notification, mail_attachments
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.purchasing import order_service, receipts, service
from app.modules.purchasing.models import SupplierContact
from app.modules.purchasing.order_models import PurchaseOrder, PurchaseOrderLine
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401  (job_env is a fixture)
from tests.conftest import unique
from tests.factories import make_user
from tests.modules.inventory.helpers import product, warehouse
from tests.modules.purchasing.helpers import supplier


@pytest.fixture
def buyer(org):
    return make_user("Purchasing", org.company)


def _approved(buyer, email=None):
    ours = supplier(buyer)
    if email is not None:
        service.supplier_contacts.create(buyer, SupplierContact(supplier_id=ours.id, name="王经理", email=email))
    order = order_service.create(buyer, PurchaseOrder(supplier_id=ours.id, warehouse_id=warehouse().id))
    order_service.save_line(buyer, PurchaseOrderLine(order_id=order.id, product_id=product().id, quantity="3",
                                                     unit_price="113.00"))
    with unit_of_work(None):
        db.session.get(PurchaseOrder, order.id).status = "approved"
    return db.session.get(PurchaseOrder, order.id)


def _notes(user):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all()


def test_a_placed_order_is_mailed_to_the_supplier_as_a_pdf(buyer, job_env):  # noqa: F811
    address = unique("sales") + "@supplier.example.com"
    order = _approved(buyer, email=address)
    order_service.place(buyer, order.id)
    run_worker_burst(job_env)
    db.session.expire_all()
    message = db.session.scalars(select(MailMessage).where(MailMessage.to == address)).one()
    assert order.code in message.subject and "339.00" in message.body
    [(name, data, kind)] = mail_attachments(message)
    assert name == f"采购订单-{order.code}.pdf" and kind == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert order.code in text and "叁佰叁拾玖元整" in text
    kept = db.session.scalars(select(Attachment).where(Attachment.spec == "purchase_orders",
                                                       Attachment.record_id == order.id)).one()
    assert kept.file_name == name
    assert any(address in note.title for note in _notes(buyer))


def test_without_a_contact_e_mail_the_buyer_is_told(buyer, job_env):  # noqa: F811
    order = _approved(buyer)
    order_service.place(buyer, order.id)
    run_worker_burst(job_env)
    db.session.expire_all()
    assert any(order.code in note.title and "未" in note.title for note in _notes(buyer))


def test_the_buyer_hears_of_goods_received_by_the_warehouse(org, buyer):
    order = _approved(buyer)
    with unit_of_work(None):
        db.session.get(PurchaseOrder, order.id).status = "ordered"
    clerk = make_user("Warehouse", org.company)
    line = db.session.scalars(select(PurchaseOrderLine).where(PurchaseOrderLine.order_id == order.id)).one()
    receipts.receive(clerk, order.id, {line.id: {"accepted": "1"}})
    assert any(order.code in note.title for note in _notes(buyer))
