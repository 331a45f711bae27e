"""Reminders of suppliers' licences and certificates that expire soon (资质到期提醒)."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.core.clock import company_today
from app.core.jobs import claim_once
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.purchasing.models import Supplier, SupplierCertificate


def remind_certificates(today: dt.date | None = None) -> int:
    """Notify the buyer in charge of each certificate expiring within the notice days (or already expired)
    that has not been reminded for its expiry date; returns how many reminders were sent."""
    from app.core import notify

    today = today or company_today()
    notice = int(current_app.config.get("SUPPLIER_CERTIFICATE_NOTICE_DAYS", 30))
    due = list(db.session.execute(
        select(SupplierCertificate.id, SupplierCertificate.expires_on)
        .join(Supplier, Supplier.id == SupplierCertificate.supplier_id)
        .where(SupplierCertificate.expires_on.is_not(None),
               SupplierCertificate.expires_on <= today + dt.timedelta(days=notice),
               Supplier.status != "suspended",
               (SupplierCertificate.reminded_for.is_(None))
               | (SupplierCertificate.reminded_for != SupplierCertificate.expires_on))
        .order_by(SupplierCertificate.id).limit(5000)))
    sent = 0
    for certificate_id, expires_on in due:
        with unit_of_work(None) as uow:
            certificate = db.session.get(SupplierCertificate, certificate_id)
            if certificate is None or certificate.expires_on != expires_on:
                continue
            if not claim_once(f"supplier-certificate:{certificate_id}:{expires_on.isoformat()}"):
                continue
            supplier = certificate.supplier
            days = (expires_on - today).days
            title = (_("%(certificate)s of %(supplier)s expires in %(days)s days", certificate=certificate.name,
                       supplier=supplier.name, days=days) if days >= 0 else
                     _("%(certificate)s of %(supplier)s has expired", certificate=certificate.name,
                       supplier=supplier.name))
            notify.notify(uow, [supplier.owner], title,
                          _("Expires on %(day)s. Ask the supplier for the renewed document and upload it under Attachments.",
                            day=expires_on.isoformat()), link=f"/suppliers/show/{supplier.id}?tab=supplier_certificates")
            db.session.execute(update(SupplierCertificate).where(SupplierCertificate.id == certificate_id)
                               .values(reminded_for=expires_on))
            sent += 1
    return sent
