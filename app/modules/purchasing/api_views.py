"""/api/v1/purchasing/: what a buyer's or a warehouse clerk's phone app does beyond the generated CRUD endpoints
(/api/v1/purchase_orders/, /api/v1/supplier_invoices/ …) and the approvals (/api/v1/approvals/): an order's
progress, placing, receiving, cancelling and closing it, registering a supplier invoice against it, and recording
a payment as paid. Each refusal is a 4xx with a message in the user's language; nothing is written then."""
from __future__ import annotations

import datetime as dt

from flask import current_app, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext as _

from app.core.datamodel import current_actor
from app.core.errors import DomainError
from app.core.scope import visible
from app.extensions import db
from app.modules.purchasing import order_service, payables, receipts
from app.modules.purchasing.order_models import PurchaseOrder, STATUS_CHOICES


def _may(permission: str, view_name: str) -> bool:
    return bool(current_app.appbuilder.sm.has_access(f"can_{permission}", view_name))


def _payload() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("api.bad_body", _("Send a JSON object."))
    return data


def _answer(http_status: int, /, **data):
    """A JSON answer (BaseApi.response takes `code` for the HTTP status, and our documents have codes)."""
    from flask import jsonify

    return jsonify(data), http_status


def _day(value, field: str):
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise DomainError("validation", _("Please enter a date such as 2026-03-01."), field=field) from None


class PurchasingApi(BaseApi):
    resource_name = "purchasing"
    openapi_spec_tag = "purchasing"
    class_permission_name = "purchase_orders"
    base_permissions = ["can_read"]
    method_permission_name = {"progress": "read", "order_step": "read", "invoice": "read", "paid": "read"}

    def _refused(self, exc: DomainError):
        db.session.rollback()
        return self.response(exc.status if 400 <= exc.status < 500 else 400, **exc.as_dict())

    def _order(self, order_id: int):
        return visible("purchase_orders", current_actor(), order_id)

    @expose("/orders/<int:order_id>", methods=["GET"])
    @protect(allow_browser_login=True)
    @safe
    def progress(self, order_id):
        """A purchase order's progress: its status along the path, and per line what is ordered, received and
        invoiced.
        ---
        get:
          summary: A purchase order's progress
          parameters:
          - {in: path, name: order_id, required: true, schema: {type: integer}}
          responses:
            200: {description: "{id, code, status, status_label, path, amount, lines: [...], receipts: [...]}"}
            403: {description: No permission to read purchase orders}
            404: {description: No such order in your data scope}
        """
        from app.modules.purchasing.order_models import PATH
        from app.modules.purchasing.receipt_models import GoodsReceipt

        order = self._order(order_id)
        if order is None:
            return self.response(404, message=_("The purchase order does not exist."))
        labels = {key: str(label) for key, label in STATUS_CHOICES}
        found = db.session.query(GoodsReceipt).filter(GoodsReceipt.order_id == order.id).order_by(GoodsReceipt.id)
        return _answer(200, id=order.id, code=order.code, status=order.status,
                             status_label=labels.get(order.status, order.status),
                             path=[{"status": key, "label": labels[key]} for key in PATH],
                             supplier=order.supplier.name, amount=str(order.amount),
                             expected_date=order.expected_date.isoformat() if order.expected_date else None,
                             lines=[{"id": line.id, "product_id": line.product_id, "product": line.product.name,
                                     "quantity": receipts.plain(line.quantity),
                                     "received": receipts.plain(line.received),
                                     "invoiced": receipts.plain(line.invoiced),
                                     "left_to_receive": receipts.plain(receipts.left_to_receive(line)),
                                     "unit_price": str(line.unit_price)} for line in order.lines],
                             receipts=[{"id": r.id, "code": r.code, "received_on": r.received_on.isoformat()}
                                       for r in found])

    @expose("/orders/<int:order_id>/<step>", methods=["POST"])
    @protect(allow_browser_login=True)
    @safe
    def order_step(self, order_id, step):
        """Place (下单), receive (收货入库), cancel (with a reason) or close a purchase order.
        ---
        post:
          summary: A step of a purchase order
          parameters:
          - {in: path, name: order_id, required: true, schema: {type: integer}}
          - {in: path, name: step, required: true, schema: {type: string, enum: [place, receive, cancel, close]}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    lines: {type: object, description: "receive: {order line id: {accepted, rejected, reason, bin_id}}"}
                    note: {type: string}
                    quality_rating: {type: integer, minimum: 1, maximum: 5}
                    service_rating: {type: integer, minimum: 1, maximum: 5}
                    reason: {type: string, description: "cancel: why"}
          responses:
            200: {description: "{id, code, status} after the step; receive adds {receipt}"}
            400: {description: "Refused: {error, message, field}; nothing changed"}
            403: {description: No permission to write purchase orders}
            404: {description: No such order or step}
            409: {description: The order's status does not allow the step}
        """
        if step not in ("place", "receive", "cancel", "close"):
            return self.response(404, message=_("Choose a step from the list."))
        if not _may("write", "purchase_orders"):
            return self.response(403, message=_("You may not change purchase orders."))
        order = self._order(order_id)
        if order is None:
            return self.response(404, message=_("The purchase order does not exist."))
        actor, extra = current_actor(), {}
        try:
            data = _payload() if step in ("receive", "cancel") else (request.get_json(silent=True) or {})
            if step == "place":
                done = order_service.place(actor, order.id)
            elif step == "close":
                done = order_service.close(actor, order.id)
            elif step == "cancel":
                done = order_service.cancel(actor, order.id, str(data.get("reason") or ""))
            else:
                lines = data.get("lines")
                if not isinstance(lines, dict):
                    raise DomainError("validation", _("Enter what arrived on at least one line."), field="lines")
                receipt = receipts.receive(actor, order.id, {k: v if isinstance(v, dict) else {}
                                                             for k, v in lines.items()},
                                           str(data.get("note") or ""), quality=data.get("quality_rating"),
                                           service=data.get("service_rating"))
                extra = {"receipt": receipt.code}
                done = db.session.get(PurchaseOrder, order.id)
        except DomainError as exc:
            return self._refused(exc)
        return _answer(200, id=done.id, code=done.code, status=done.status, **extra)

    @expose("/orders/<int:order_id>/invoices", methods=["POST"])
    @protect(allow_browser_login=True)
    @safe
    def invoice(self, order_id):
        """Register the supplier's invoice against the order's lines; the answer says how it matched.
        ---
        post:
          summary: A supplier invoice against a purchase order (three-way match)
          parameters:
          - {in: path, name: order_id, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [number, lines]
                  properties:
                    number: {type: string}
                    invoice_date: {type: string, format: date}
                    due_date: {type: string, format: date}
                    lines: {type: object, description: "{order line id: {quantity, unit_price}}"}
          responses:
            200: {description: "{id, code, amount, expected, match_status}"}
            400: {description: "Refused: {error, message}; nothing changed"}
            403: {description: No permission to write supplier invoices}
            404: {description: No such order}
        """
        if not _may("write", "supplier_invoices"):
            return self.response(403, message=_("You may not register supplier invoices."))
        order = self._order(order_id)
        if order is None:
            return self.response(404, message=_("The purchase order does not exist."))
        try:
            data = _payload()
            lines = data.get("lines")
            if not isinstance(lines, dict):
                raise DomainError("validation", _("Enter the invoiced quantity of at least one line."), field="lines")
            invoice = payables.register_invoice(
                current_actor(), order.id, str(data.get("number") or ""),
                {k: v if isinstance(v, dict) else {} for k, v in lines.items()},
                invoice_date=_day(data.get("invoice_date"), "invoice_date"),
                due_date=_day(data.get("due_date"), "due_date"))
        except DomainError as exc:
            return self._refused(exc)
        return _answer(200, id=invoice.id, code=invoice.code, amount=str(invoice.amount),
                             expected=str(invoice.expected), match_status=invoice.match_status)

    @expose("/payments/<int:payment_id>/paid", methods=["POST"])
    @protect(allow_browser_login=True)
    @safe
    def paid(self, payment_id):
        """Record an approved supplier payment as paid.
        ---
        post:
          summary: 已付款 for an approved supplier payment
          parameters:
          - {in: path, name: payment_id, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    paid_on: {type: string, format: date}
                    reference: {type: string}
          responses:
            200: {description: "{id, code, status, invoice_status}"}
            400: {description: "Refused: {error, message}; nothing changed"}
            403: {description: No permission to write supplier payments}
            404: {description: No such payment}
            409: {description: Not approved, or paid already}
        """
        if not _may("write", "supplier_payments"):
            return self.response(403, message=_("You may not record payments."))
        try:
            data = request.get_json(silent=True) or {}
            if not isinstance(data, dict):
                raise DomainError("api.bad_body", _("Send a JSON object."))
            payment = payables.record_paid(current_actor(), payment_id if 0 < payment_id < 2 ** 31 else 0,
                                           paid_on=_day(data.get("paid_on"), "paid_on"),
                                           reference=str(data.get("reference") or ""))
        except DomainError as exc:
            if exc.code == "purchasing.no_payment":
                db.session.rollback()
                return self.response(404, **exc.as_dict())
            return self._refused(exc)
        return _answer(200, id=payment.id, code=payment.code, status=payment.status,
                             invoice_status=payment.invoice.status)
