"""A placed purchase order goes to the supplier: its PDF (the purchase order's default print template) is kept
among the order's files (附件) and mailed to the supplier's first contact with an e-mail address; the buyer is told
which address it went to — or that the supplier has no contact with one, so that it is sent another way."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.purchasing.models import SupplierContact
from app.modules.purchasing.order_models import PurchaseOrder

DOCUMENT = "purchase_order"


def send_order(order_id: int) -> str:
    """What became of the order's PDF: "mailed", "no e-mail" or "nothing to do" (no such order)."""
    from app.core.files.service import attach_generated
    from app.core.notify import notify, send_mail
    from app.core.printing import service as printing
    from app.core.registry import registry

    with unit_of_work(None) as uow:
        order = db.session.execute(select(PurchaseOrder).where(PurchaseOrder.id == order_id)
                                   .options(lazyload("*"))).scalar()
        if order is None:
            return "nothing to do"
        spec = registry.get("purchase_orders")
        document = printing.document_of(spec, DOCUMENT)
        body, _row = printing.template_for(spec, document, None, order)
        data = printing.render_body(spec, document, order, body)
        name = printing.file_name(spec, document, order)
        attach_generated("purchase_orders", order.id, data, name)
        contact = db.session.scalars(select(SupplierContact).where(
            SupplierContact.supplier_id == order.supplier_id, SupplierContact.email.is_not(None),
            SupplierContact.email != "").order_by(SupplierContact.id).limit(1)).first()
        link = f"/purchase_orders/show/{order.id}"
        if contact is None:
            notify(uow, [order.owner], _("Purchase order %(code)s was not mailed", code=order.code),
                   _("%(supplier)s has no contact with an e-mail address: send the PDF on the order's files "
                     "another way.", supplier=order.supplier.name), link)
            return "no e-mail"
        send_mail(uow, contact.email, _("Purchase order %(code)s", code=order.code),
                  _("Dear %(name)s,\n\nplease find our purchase order %(code)s attached: %(amount)s yuan, tax "
                    "included, to be delivered by %(date)s. Please confirm it and put its number on your delivery "
                    "note and invoice.\n\n%(buyer)s", name=contact.name, code=order.code,
                    amount=f"{order.amount:,.2f}", date=order.expected_date or "—",
                    buyer=order.owner.display_name),
                  attachments=[(name, data, "application/pdf")], supplier_id=order.supplier_id)
        notify(uow, [order.owner], _("Purchase order %(code)s mailed to %(email)s", code=order.code,
                                     email=contact.email), "", link, mail=False)
    return "mailed"


def order_context(order) -> dict:
    """What the purchase order's print template adds to the record: its lines, warehouse and our company."""
    from app.core.branding import company_name

    return {
        "lines": [{"product": line.product.name, "sku": line.product.sku, "unit": line.product.unit or "",
                   "quantity": line.quantity, "unit_price": line.unit_price, "tax_rate": line.tax_rate,
                   "amount": line.amount, "delivery_date": line.delivery_date or order.expected_date}
                  for line in order.lines],
        "warehouse": order.warehouse.name if order.warehouse is not None else "",
        "buyer_company": company_name(),
    }
