"""Suppliers (供应商): numbered GY…, refused when another supplier has the same tax id or the same name (as
customers are), checked field by field in Chinese, never deleted once they have quoted; the buyers' reminders of
licences that expire; roles on the screens and the API."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.purchasing import reminders, service
from app.modules.purchasing.models import Supplier, SupplierCertificate, SupplierContact
from tests.conftest import unique
from tests.factories import make_user
from tests.modules.inventory.helpers import product
from tests.modules.purchasing.helpers import quote, supplier, tax_id


@pytest.fixture
def buyer(org):
    return make_user("Purchasing", org.company)


def test_suppliers_are_numbered_and_duplicates_refused(buyer):
    number = tax_id()
    first = supplier(buyer, name=unique("华东精密") + "有限公司", tax_id=number.lower())
    second = supplier(buyer)
    assert first.code.startswith("GY") and int(second.code[2:]) == int(first.code[2:]) + 1
    assert first.tax_id == number and first.department_id == buyer.department_id
    base = first.name.removesuffix("有限公司")
    for name, fields, field in ((f" {base} 股份有限公司", {}, "name"),              # the same name, another suffix
                                (unique("别名"), {"tax_id": number}, "tax_id")):     # the same tax id
        with pytest.raises(ValidationErrors) as refused:
            supplier(buyer, name=name, **fields)
        assert first.code in refused.value.errors[field][0]
        db.session.rollback()
    for fields, field in (({"tax_id": "123"}, "tax_id"), ({"phone": "12345"}, "phone"),
                          ({"bank_account": "账号"}, "bank_account"), ({"status": "whatever"}, "status"),
                          ({"name": "  "}, "name")):
        with pytest.raises(ValidationErrors) as refused:
            supplier(buyer, **fields)
        assert field in refused.value.errors
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Supplier).where(Supplier.name.like(f"%{base}%"))) == 1


def test_a_supplier_that_has_quoted_is_suspended_not_deleted(buyer):
    kept, fresh = supplier(buyer), supplier(buyer)
    quote(buyer, kept, product(), "10.00")
    with pytest.raises(DomainError) as refused:
        service.delete_supplier(buyer, kept)
    assert "停用" in refused.value.message
    db.session.rollback()
    service.delete_supplier(buyer, db.session.get(Supplier, fresh.id))
    assert db.session.get(Supplier, fresh.id) is None
    service.suspend(buyer, [db.session.get(Supplier, kept.id)])
    assert db.session.get(Supplier, kept.id).status == "suspended"


def test_expiring_licences_are_reminded_once_per_expiry_date(buyer):
    from app.core.notify import Notification

    today = dt.date.today()
    mine = supplier(buyer)
    soon = service.save_certificate(buyer, SupplierCertificate(supplier_id=mine.id, name="营业执照",
                                                               expires_on=today + dt.timedelta(days=10)))
    service.save_certificate(buyer, SupplierCertificate(supplier_id=mine.id, name="ISO 9001",
                                                        expires_on=today + dt.timedelta(days=200)))

    def notes():
        return db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == buyer.id, Notification.title.contains(mine.name)))

    reminders.remind_certificates(today)
    assert notes() == 1
    reminders.remind_certificates(today)                          # the job runs twice: still one reminder
    assert notes() == 1
    certificate = db.session.get(SupplierCertificate, soon.id)
    certificate.expires_on = today + dt.timedelta(days=5)         # a corrected date is reminded again
    service.save_certificate(buyer, certificate)
    reminders.remind_certificates(today)
    assert notes() == 2


def test_roles_on_the_screens_and_the_api(org, login, api_token, buyer):
    client = login(buyer)
    page = client.get("/suppliers/add")
    assert page.status_code == 200 and "供应商名称" in page.get_data(as_text=True)
    name = unique("屏幕录入") + "有限公司"
    saved = client.post("/suppliers/add", data={"name": name, "tax_id": tax_id(), "status": "trial",
                                                "owner": str(buyer.id)})
    assert saved.status_code == 302, saved.get_data(as_text=True)[-500:]
    made = db.session.scalar(select(Supplier).where(Supplier.name == name))
    assert made is not None and made.code.startswith("GY")
    bad = client.post("/suppliers/add", data={"name": unique("坏"), "tax_id": "ABC", "owner": str(buyer.id)})
    assert bad.status_code in (200, 400) and "统一社会信用代码" in bad.get_data(as_text=True)
    contact = client.post("/supplier_contacts/add", data={"supplier": str(made.id), "name": "王建华",
                                                          "phone": "13912345678"})
    assert contact.status_code == 302
    assert db.session.scalar(select(SupplierContact.name).where(SupplierContact.supplier_id == made.id)) == "王建华"
    show = client.get(f"/suppliers/show/{made.id}").get_data(as_text=True)
    tabs = re.findall(r'data-src="([^"]+)"', show)
    assert "王建华" in client.get(next(src for src in tabs if "Contact" in src)).get_data(as_text=True)

    finance = login(org.finance_user)
    assert made.code in finance.get("/suppliers/list/").get_data(as_text=True)
    assert finance.get("/suppliers/add").status_code in (302, 403)
    assert login(org.east_rep).get("/suppliers/list/").status_code in (302, 403)

    api = current_app.test_client()
    headers = api_token(buyer)
    response = api.post("/api/v1/suppliers/", json={"name": unique("接口") + "有限公司", "tax_id": "123"},
                        headers=headers)
    assert response.status_code == 400 and "tax_id" in response.get_data(as_text=True)
    response = api.post("/api/v1/suppliers/", json={"name": unique("接口") + "有限公司"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert api.get("/api/v1/suppliers/", headers=api_token(org.east_rep)).status_code in (401, 403)
