"""Screens of invoicing beyond the generated ones: 开票 from orders (one or several of a customer's) and from a
contract's payment plan instalment, 作废 / 红冲 of an invoice, and the 发票 tabs of orders and contracts with what
is invoiced and what is not."""
from __future__ import annotations

from flask import current_app, flash, redirect, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.core.clock import company_today
from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.core.scope import can_see, scope_clause
from app.extensions import db
from app.modules.contracts.api import Contract, ContractInstalment
from app.modules.invoices import service
from app.modules.invoices.models import (ISSUED, KIND_CHOICES, ORDINARY, STATUS_CHOICES, VOID_NONE, VOID_REJECTED,
                                         Invoice, InvoiceLine, InvoiceVoidReason)
from app.modules.orders.api import NOT_INVOICEABLE, SalesOrder, SalesOrderLine

TAB_ROWS = 20
BUYER_FIELDS = ("buyer_name", "buyer_tax_id", "buyer_address_phone", "buyer_bank_account")


def _errors_of(exc: DomainError) -> dict:
    return exc.errors if isinstance(exc, ValidationErrors) else {"": [exc.message]}


def _buyer_of(customer) -> dict:
    return {"buyer_name": customer.name, "buyer_tax_id": customer.tax_id or "",
            "buyer_address_phone": " ".join(p for p in (customer.address, customer.phone) if p),
            "buyer_bank_account": ""}


class InvoiceIssueView(BaseView):
    """/invoices_issue/orders?ids=…: one invoice for orders of one customer; /invoices_issue/instalment/<id>: for a
    contract's payment plan instalment."""

    route_base = "/invoices_issue"
    class_permission_name = "invoices"
    method_permission_name = {"orders": "write", "instalment": "write"}
    base_permissions = ["can_write"]

    @expose("/orders", methods=["GET", "POST"])
    @has_access
    def orders(self):
        actor = current_actor()
        raw = request.values.getlist("ids") or request.values.get("id", "").split(",")
        ids = sorted({int(v) for v in raw if str(v).strip().isdigit() and int(v) < 2 ** 31})
        orders = [o for o in (db.session.get(SalesOrder, i) for i in ids) if o is not None and
                  can_see("orders", actor, o.id)]
        if not orders:
            return self.render_template("invoices/issue.html", title=_("Issue an invoice"), orders=[],
                                        error=_("The order does not exist or you may not see it.")), 404
        errors, status = {}, 200
        if request.method == "POST":
            quantities = {int(k.split("_", 1)[1]): v for k, v in request.form.items()
                          if k.startswith("qty_") and k.split("_", 1)[1].isdigit()}
            try:
                invoice = service.issue_from_orders(
                    actor, [o.id for o in orders], request.form.get("kind", ORDINARY), quantities,
                    request.form.get("issue_date"), {k: request.form.get(k, "") for k in BUYER_FIELDS},
                    request.form.get("notes", ""))
                flash(_("Invoice %(code)s issued.", code=invoice.code), "success")
                return redirect(f"/invoices/show/{invoice.id}")
            except DomainError as exc:
                db.session.rollback()
                errors, status = _errors_of(exc), getattr(exc, "status", 400)
                orders = [db.session.get(SalesOrder, o.id) for o in orders]
        customer = orders[0].customer
        others = [o for o in db.session.scalars(
            select(SalesOrder).where(SalesOrder.customer_id == customer.id, SalesOrder.id.notin_([o.id for o in orders]),
                                     SalesOrder.status.notin_(NOT_INVOICEABLE)).order_by(SalesOrder.id.desc()).limit(20))
            if can_see("orders", actor, o.id) and service.order_summary(o)["uninvoiced"] > 0]
        return self.render_template(
            "invoices/issue.html", title=_("Issue an invoice"), orders=orders,
            summaries={o.id: service.order_summary(o) for o in orders}, others=others, customer=customer,
            kinds=[(k, str(v)) for k, v in KIND_CHOICES], form=request.form, errors=errors,
            buyer={k: request.form.get(k, v) for k, v in _buyer_of(customer).items()} if request.method == "POST"
            else _buyer_of(customer), today=company_today().isoformat()), status

    @expose("/instalment/<int:instalment_id>", methods=["GET", "POST"])
    @has_access
    def instalment(self, instalment_id: int):
        actor = current_actor()
        item = db.session.get(ContractInstalment, instalment_id) if instalment_id < 2 ** 31 else None
        if item is None or not can_see("contracts", actor, item.contract_id):
            return self.render_template("invoices/issue_instalment.html", title=_("Issue an invoice"), item=None,
                                        error=_("The payment plan instalment does not exist or you may not see it.")
                                        ), 404
        errors, status = {}, 200
        if request.method == "POST":
            try:
                invoice = service.issue_from_instalment(
                    actor, item.id, request.form.get("kind", ORDINARY), request.form.get("issue_date"),
                    {k: request.form.get(k, "") for k in BUYER_FIELDS}, request.form.get("amount"))
                flash(_("Invoice %(code)s issued.", code=invoice.code), "success")
                return redirect(f"/invoices/show/{invoice.id}")
            except DomainError as exc:
                db.session.rollback()
                errors, status = _errors_of(exc), getattr(exc, "status", 400)
                item = db.session.get(ContractInstalment, instalment_id)
        contract = db.session.get(Contract, item.contract_id)
        left = item.amount - service.invoiced_of_instalments([item.id]).get(item.id, 0)
        buyer = _buyer_of(contract.customer)
        if request.method == "POST":
            buyer = {k: request.form.get(k, v) for k, v in buyer.items()}
        return self.render_template(
            "invoices/issue_instalment.html", title=_("Issue an invoice"), item=item, contract=contract, left=left,
            kinds=[(k, str(v)) for k, v in KIND_CHOICES], form=request.form, errors=errors, buyer=buyer,
            today=company_today().isoformat()), status


class InvoiceVoidView(BaseView):
    """/invoices_void/<id>: 作废 in the month of issue (through 发票作废审批), else 红冲 with a red-letter invoice."""

    route_base = "/invoices_void"
    class_permission_name = "invoices"
    method_permission_name = {"void": "write"}
    base_permissions = ["can_write"]

    @expose("/<int:invoice_id>", methods=["GET", "POST"])
    @has_access
    def void(self, invoice_id: int):
        actor = current_actor()
        invoice = db.session.get(Invoice, invoice_id) if invoice_id < 2 ** 31 else None
        if invoice is None or not can_see("invoices", actor, invoice.id):
            return self.render_template("invoices/void.html", title=_("Void an invoice"), invoice=None,
                                        error=_("The invoice does not exist or you may not see it.")), 404
        same_month = service._same_month(invoice)
        errors, status = {}, 200
        if request.method == "POST":
            try:
                if same_month:
                    service.ask_void(actor, invoice.id, request.form.get("reason"), request.form.get("note", ""))
                    flash(_("Invoice %(code)s was sent to 发票作废审批.", code=invoice.code), "success")
                    return redirect(f"/invoices/show/{invoice.id}")
                red = service.red_letter(actor, invoice.id, request.form.get("note", ""))
                flash(_("Red-letter invoice %(code)s issued.", code=red.code), "success")
                return redirect(f"/invoices/show/{red.id}")
            except DomainError as exc:
                db.session.rollback()
                errors, status = _errors_of(exc), getattr(exc, "status", 400)
                invoice = db.session.get(Invoice, invoice_id)
        reasons = list(db.session.scalars(select(InvoiceVoidReason).where(InvoiceVoidReason.active.is_(True))
                                          .order_by(InvoiceVoidReason.sort_order, InvoiceVoidReason.name)))
        possible = invoice.status == ISSUED and not invoice.red and invoice.void_state in (VOID_NONE, VOID_REJECTED)
        return self.render_template("invoices/void.html", title=_("Void an invoice"), invoice=invoice,
                                    same_month=same_month, reasons=reasons, errors=errors, form=request.form,
                                    possible=possible), status


def _chosen_invoices() -> tuple:
    """(selection, invoices, errors, status) of the range in the address (printing and 发票核查 choose alike)."""
    from app.modules.invoices import printing as invoice_printing

    try:
        chosen = invoice_printing.parse(request.args)
    except ValidationErrors as exc:
        return invoice_printing.Selection(), [], exc.errors, 400
    if chosen.empty:
        return chosen, [], {}, 200
    found = invoice_printing.invoices(current_actor(), chosen)
    if len(found) > invoice_printing.MAX_INVOICES:
        return chosen, [], {"": [_("More than %(n)d invoices: narrow the range.",
                                   n=invoice_printing.MAX_INVOICES)]}, 400
    return chosen, found, {}, 200


class InvoicePrintView(BaseView):
    """/invoices_print/: choose invoices by range or ticked rows and a template, see which lack data, print the
    complete ones in one batch."""

    route_base = "/invoices_print"
    default_view = "index"
    class_permission_name = "invoices"
    method_permission_name = {"index": "read"}
    base_permissions = ["can_read"]

    @expose("/", methods=["GET"])
    @has_access
    def index(self):
        from app.core.printing import service as printing
        from app.modules.invoices import printing as invoice_printing

        chosen, found, errors, status = _chosen_invoices()
        complete, incomplete = invoice_printing.check(found)
        return self.render_template(
            "invoices/print.html", title=_("Print invoices"), args=request.args, errors=errors, chosen=chosen,
            found=found, complete=complete, incomplete=incomplete,
            templates=printing.templates_of("invoices", "invoice"),
            kinds={kind: str(label) for kind, label in KIND_CHOICES}), status


class InvoiceCheckView(BaseView):
    """/invoices_check/: 发票核查 over a range (the same choices as printing): each invoice that disagrees with its
    customer, order, contract or its own arithmetic, with the differences."""

    route_base = "/invoices_check"
    default_view = "index"
    class_permission_name = "invoices"
    method_permission_name = {"index": "read"}
    base_permissions = ["can_read"]

    @expose("/", methods=["GET"])
    @has_access
    def index(self):
        from app.modules.invoices import checks

        chosen, found, errors, status = _chosen_invoices()
        flagged = [(invoice, differences) for invoice in found
                   for differences in [checks.differences(invoice)] if differences]
        return self.render_template("invoices/check.html", title=_("Check invoices"), args=request.args,
                                    errors=errors, chosen=chosen, found=found, flagged=flagged), status


class InvoiceNumbersView(BaseView):
    """/invoices_numbers/: the numbering report of one series and period."""

    route_base = "/invoices_numbers"
    default_view = "index"
    class_permission_name = "invoices"
    method_permission_name = {"index": "read"}
    base_permissions = ["can_read"]

    @expose("/", methods=["GET"])
    @has_access
    def index(self):
        from app.modules.invoices import numbers

        key = request.args.get("series", "special")
        period = (request.args.get("period") or company_today().strftime("%Y%m")).strip()
        error, result, status = "", {"rows": [], "counts": {}}, 200
        try:
            result = numbers.report(key, period)
        except ValueError as exc:
            error, status = str(exc), 400
        states = {"issued": _("Issued"), "voided": _("Voided"), "reversed": _("Reversed"), "red": _("Red-letter"),
                  "missing": _("Missing")}
        return self.render_template("invoices/numbers.html", title=_("Invoice numbering report"),
                                    series=numbers.series(), key=key, period=period, error=error, result=result,
                                    states=states), status


def render_check_tab(spec, item):
    from app.modules.invoices import checks

    return Markup(current_app.jinja_env.get_template("invoices/check_tab.html").render(
        invoice=item, differences=checks.differences(item)))


# -- the 发票 tabs of orders and contracts --------------------------------------------------------------------
def _invoices_where(column, value) -> list[Invoice]:
    from app.core.registry import registry

    stmt = select(Invoice).where(column == value)
    clause = scope_clause(registry.get("invoices"), current_actor())
    if clause is not None:
        stmt = stmt.where(clause)
    return list(db.session.scalars(stmt.order_by(Invoice.id.desc()).limit(TAB_ROWS)))


def _labels() -> dict:
    return {"kind": {k: str(v) for k, v in KIND_CHOICES}, "status": {k: str(v) for k, v in STATUS_CHOICES}}


def render_order_tab(spec, item):
    sm = current_app.appbuilder.sm
    if not sm.has_access("can_read", "invoices"):
        return None
    billed = select(InvoiceLine.invoice_id).join(SalesOrderLine, InvoiceLine.order_line_id == SalesOrderLine.id) \
        .where(SalesOrderLine.order_id == item.id)
    return Markup(current_app.jinja_env.get_template("invoices/order_tab.html").render(
        order=item, summary=service.order_summary(item), invoices=_invoices_where(Invoice.id.in_(billed), True),
        labels=_labels(), can_issue=sm.has_access("can_write", "invoices") and item.status not in NOT_INVOICEABLE))


def render_contract_tab(spec, item):
    from app.modules.contracts.api import IN_FORCE

    sm = current_app.appbuilder.sm
    if not sm.has_access("can_read", "invoices"):
        return None
    return Markup(current_app.jinja_env.get_template("invoices/contract_tab.html").render(
        contract=item, summary=service.contract_summary(item), invoices=_invoices_where(Invoice.contract_id, item.id),
        labels=_labels(), can_issue=sm.has_access("can_write", "invoices") and item.status in IN_FORCE))


def register_views(appbuilder) -> None:
    from flask_babel import lazy_pgettext

    from app.core.panels import ShowTab, register_tab
    from app.core.registry import registry

    register_tab(ShowTab(key="invoices", label=_l("Invoices"), render=render_order_tab,
                         applies=lambda spec: spec.name == "orders", order=40))
    register_tab(ShowTab(key="contract_invoices", label=_l("Invoices"), render=render_contract_tab,
                         applies=lambda spec: spec.name == "contracts", order=40))
    appbuilder.add_view_no_menu(InvoiceIssueView)
    appbuilder.add_view_no_menu(InvoiceVoidView)
    register_tab(ShowTab(key="invoice_check", label=_l("Check"), render=render_check_tab,
                         applies=lambda spec: spec.name == "invoices", order=20, lazy=False))
    appbuilder.add_view(InvoiceCheckView, "menu:invoices_check", label=lazy_pgettext("menu", "Check invoices"),
                        icon="fa-check-square-o", category="menu:invoices")
    appbuilder.add_view(InvoiceNumbersView, "menu:invoices_numbers",
                        label=lazy_pgettext("menu", "Invoice numbering report"), icon="fa-sort-numeric-asc",
                        category="menu:invoices")
    appbuilder.add_view(InvoicePrintView, "menu:invoices_print", label=lazy_pgettext("menu", "Print invoices"),
                        icon="fa-print", category="menu:invoices")
    names = registry.menu_names.setdefault("invoices", ["menu:invoices"])
    for entry in ("menu:invoices_check", "menu:invoices_print", "menu:invoices_numbers"):
        if entry not in names:
            names.append(entry)
