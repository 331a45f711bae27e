"""The payables screens of purchasing: 登记供应商发票 against a placed order (/supplier_invoice_new/<order>),
差异确认 and 作废 with a reason, and 应付账龄 (/purchase_payables/)."""
from __future__ import annotations

from flask import request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core.datamodel import current_actor
from app.core.errors import ValidationErrors
from app.core.reason_form import ReasonView
from app.extensions import db


class SupplierInvoiceEntryView(BaseView):
    """/supplier_invoice_new/<order id>: 登记供应商发票 — the supplier's invoice number and date, and per order line
    the invoiced quantity and unit price, shown beside what was ordered and received so differences stand out."""

    route_base = "/supplier_invoice_new"
    class_permission_name = "supplier_invoices"
    method_permission_name = {"new": "write"}
    base_permissions = ["can_write"]

    @expose("/<int:order_id>", methods=["GET", "POST"])
    @has_access
    def new(self, order_id: int):
        from flask import abort, flash, redirect

        from app.core.errors import DomainError
        from app.core.scope import visible
        from app.modules.purchasing import payables, receipts
        from app.modules.purchasing.order_models import PurchaseOrder

        order = visible("purchase_orders", current_actor(), order_id)
        if order is None:
            abort(404)
        errors, status = {}, 200
        if request.method == "POST":
            lines = {line.id: {"quantity": request.form.get(f"quantity_{line.id}", ""),
                               "unit_price": request.form.get(f"unit_price_{line.id}", "")} for line in order.lines}
            try:
                day = _day(request.form.get("invoice_date"), "invoice_date", errors)
                due = _day(request.form.get("due_date"), "due_date", errors)
                if errors:
                    raise ValidationErrors(errors)
                invoice = payables.register_invoice(current_actor(), order.id, request.form.get("number", ""),
                                                    lines, invoice_date=day, due_date=due)
            except ValidationErrors as exc:
                db.session.rollback()
                errors, status = exc.errors, 400
            except DomainError as exc:
                db.session.rollback()
                errors, status = {"": [exc.message]}, exc.status
            else:
                if invoice.match_status == "difference":
                    flash(_("Supplier invoice %(code)s registered: it differs from the order or the receipts and is "
                            "not paid until the differences are accepted.", code=invoice.code), "warning")
                else:
                    flash(_("Supplier invoice %(code)s registered: it matches the order and the receipts.",
                            code=invoice.code), "success")
                return redirect(f"/supplier_invoices/show/{invoice.id}")
            order = db.session.get(PurchaseOrder, order_id)
        return self.render_template("purchasing/supplier_invoice.html", title=_("Register a supplier invoice"),
                                    order=order, errors=errors, form=request.form, open=payables.received_open,
                                    qty=receipts.plain), status


def _day(raw, field, errors):
    import datetime as dt

    raw = (raw or "").strip()[:20]
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[field] = [_("Please enter a date such as 2026-03-01.")]
        return None


def _invoice_reason_form(kind):
    from markupsafe import Markup

    from app.core.reason_form import ReasonForm
    from app.modules.purchasing import payables
    from app.modules.purchasing.payable_models import SupplierInvoice

    common = dict(module="supplier_invoices", model=SupplierInvoice, records_label=_("Supplier invoices"),
                  describe=lambda i: Markup("<strong>{}</strong> {} {}").format(i.code, i.number, i.supplier.name),
                  missing=_("None of these supplier invoices exists or you may not see it."),
                  back=lambda rows: f"/supplier_invoices/show/{rows[0].id}" if len(rows) == 1
                  else "/supplier_invoices/list/")
    if kind == "accept":
        return ReasonForm(operation=payables.accept_differences, title=_("Accept the differences"),
                          note=_("The invoice may then be paid as it is, differences included."),
                          label=_("Why the differences are accepted"), button=_("Accept the differences"),
                          icon="fa-check", form_id="zwt-si-accept", done=lambda _rows: _("Differences accepted."),
                          **common)
    return ReasonForm(operation=payables.void_invoice, title=_("Void supplier invoices"),
                      note=_("A voided invoice owes nothing; its quantities may be invoiced again."),
                      label=_("Why voided"), button=_("Void the invoices"), icon="fa-ban", form_id="zwt-si-void",
                      done=lambda _rows: _("Voided."), **common)


class SupplierInvoiceAcceptView(ReasonView):
    """/supplier_invoices_accept/?ids=…: 差异确认 with a reason."""

    route_base = "/supplier_invoices_accept"
    class_permission_name = "supplier_invoices"

    def form(self):
        return _invoice_reason_form("accept")


class SupplierInvoiceVoidView(ReasonView):
    """/supplier_invoices_void/?ids=…: 作废 with a reason."""

    route_base = "/supplier_invoices_void"
    class_permission_name = "supplier_invoices"

    def form(self):
        return _invoice_reason_form("void")


class PayablesView(BaseView):
    """/purchase_payables/: 应付账款 — what the supplier invoices in force still owe, by supplier and by how long
    it is overdue, with its chart and exports."""

    route_base = "/purchase_payables"
    default_view = "index"
    class_permission_name = "supplier_invoices"
    method_permission_name = {"index": "read", "chart": "read", "export": "export"}
    base_permissions = ["can_read", "can_export"]

    def _rows(self):
        from app.modules.purchasing import payables

        errors: dict = {}
        as_of = _day(request.args.get("as_of"), "as_of", errors)
        if errors:
            return as_of, None, None, errors
        rows, grand = payables.aging(current_actor(), as_of, name=(request.args.get("q") or "").strip()[:100])
        return as_of, rows, grand, errors

    @expose("/")
    @has_access
    def index(self):
        from flask import current_app

        from app.core.aging import BUCKETS
        from app.core.clock import company_today

        as_of, rows, grand, errors = self._rows()
        return self.render_template(
            "purchasing/payables.html", title=_("Payables aging"), as_of=as_of or company_today(), rows=rows or [],
            grand=grand, buckets=BUCKETS, errors=errors, q=(request.args.get("q") or "").strip()[:100],
            query=request.query_string.decode()[:200],
            can_export=current_app.appbuilder.sm.has_access("can_export", "supplier_invoices")), \
            400 if errors else 200

    @expose("/chart.json")
    @has_access
    def chart(self):
        from flask import jsonify

        from app.core.aging import chart_option

        _as_of, rows, _grand, errors = self._rows()
        if errors:
            return jsonify(message=next(iter(errors.values()))[0]), 400
        return jsonify(option=chart_option(_("Payables aging"), rows), table=[])

    @expose("/export.<fmt>")
    @has_access
    def export(self, fmt):
        from flask import abort, jsonify

        from app.core.aging import export_response

        if fmt not in ("csv", "xlsx"):
            abort(404)
        _as_of, rows, grand, errors = self._rows()
        if errors:
            return jsonify(message=next(iter(errors.values()))[0]), 400
        return export_response(fmt, rows, grand, _("Supplier"), _("Payables aging"))
