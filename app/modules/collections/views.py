"""Screens of 回款管理 beyond the generated ones: the 回款 tab of an invoice, the customer's statement (对账单, a page
and a PDF to send), the aging report (账龄分析), the collection rate and DSO by month, settling a payment by hand
(手工核销), and the 应收 tab and warnings of a customer."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Response, abort, current_app, flash, jsonify, redirect, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from app.core.clock import company_today
from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.core.registry import registry
from app.core.scope import can_see, scope_clause
from app.extensions import db
from app.modules.collections import reports, service
from app.modules.collections.models import REGISTERED, Payment, PaymentAllocation
from app.modules.collections.service import ZERO
from app.modules.customers.api import Customer
from app.modules.invoices.api import ISSUED, Invoice

OVERDUE_DAYS = 90


def render_invoice_tab(spec, item):
    if not current_app.appbuilder.sm.has_access("can_read", "payments"):
        return None
    rows = list(db.session.execute(
        select(PaymentAllocation, Payment).join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == item.id, Payment.status == REGISTERED).order_by(PaymentAllocation.id)))
    paid = sum((allocation.amount for allocation, _payment in rows), ZERO)
    return Markup(current_app.jinja_env.get_template("collections/invoice_tab.html").render(
        invoice=item, rows=rows, paid=paid,
        outstanding=item.total - item.paid if not item.red and item.status == ISSUED else ZERO))


# -- warnings on a customer's page and on their draft orders --------------------------------------------------
def customer_warnings(customer) -> list[str]:
    """Over the credit limit (what their invoices owe beyond it) and debt overdue more than 90 days."""
    out = []
    limit, owed = Decimal(customer.credit_limit or 0), Decimal(customer.total_outstanding or 0)
    if limit > 0 and owed > limit:
        out.append(_("Over the credit limit: the invoices owe ¥%(owed)s, the limit is ¥%(limit)s.",
                     owed=f"{owed:,.2f}", limit=f"{limit:,.2f}"))
    if owed > 0:
        old = db.session.scalar(select(func.sum(Invoice.total - Invoice.paid)).where(
            Invoice.customer_id == customer.id, Invoice.status == ISSUED, ~Invoice.red,
            Invoice.paid < Invoice.total, Invoice.due_date < company_today() - dt.timedelta(days=OVERDUE_DAYS)))
        if old:
            out.append(_("Debt overdue more than %(days)d days: ¥%(amount)s.", days=OVERDUE_DAYS,
                         amount=f"{Decimal(old):,.2f}"))
    return out


def order_warnings(order) -> list[str]:
    if order.status != "draft" or order.customer is None:
        return []
    return [_("Customer %(name)s — %(warning)s", name=order.customer.name, warning=warning)
            for warning in customer_warnings(order.customer)]


def render_customer_tab(spec, item):
    """The 应收 tab of a customer: what they owe by age, their credit, the open invoices, and the statement."""
    sm = current_app.appbuilder.sm
    if not (sm.has_access("can_read", "payments") and sm.has_access("can_read", "invoices")):
        return None
    actor = current_actor()
    stmt = select(Invoice).where(Invoice.customer_id == item.id, Invoice.status == ISSUED, ~Invoice.red,
                                 Invoice.paid < Invoice.total)
    clause = scope_clause(registry.get("invoices"), actor)
    if clause is not None:
        stmt = stmt.where(clause)
    invoices = list(db.session.scalars(stmt.order_by(Invoice.due_date, Invoice.id).limit(51)))
    return Markup(current_app.jinja_env.get_template("collections/customer_tab.html").render(
        customer=item, invoices=invoices[:50], more=len(invoices) > 50, today=company_today(),
        credit=service.credit_of(item.id), warnings=customer_warnings(item)))


def _period():
    errors: dict = {}
    start = reports.parse_day(request.args.get("start"), "start", errors)
    end = reports.parse_day(request.args.get("end"), "end", errors)
    default_start, default_end = reports.default_period()
    return start or default_start, end or default_end, errors


class StatementView(BaseView):
    """/collections_statement/<customer id>: 对账单 — a customer's statement for a period, as a page, a PDF, and an
    e-mail to their contact."""

    route_base = "/collections_statement"
    default_view = "index"
    class_permission_name = "payments"
    method_permission_name = {"index": "read", "show": "read", "pdf": "read", "mail": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def index(self):
        """Customers who owe the most (in the user's scope), and a search by name."""
        actor = current_actor()
        text = (request.args.get("q") or "").strip()[:100]
        stmt = select(Customer).where(Customer.total_outstanding > 0)
        if text:
            stmt = select(Customer).where(Customer.name.contains(text, autoescape=True))
        clause = scope_clause(registry.get("customers"), actor)
        if clause is not None:
            stmt = stmt.where(clause)
        found = list(db.session.scalars(stmt.order_by(Customer.total_outstanding.desc(), Customer.id).limit(50)))
        return self.render_template("collections/statement_index.html", title=_("Customer statements"),
                                    customers=found, q=text)

    def _statement(self, customer_id):
        start, end, errors = _period()
        if errors:
            return None, errors
        try:
            return reports.statement(current_actor(), customer_id, start, end), {}
        except ValidationErrors as exc:
            return None, exc.errors

    @expose("/<int:customer_id>")
    @has_access
    def show(self, customer_id):
        from app.modules.collections.dunning import contact_of

        customer = db.session.get(Customer, customer_id) if customer_id < 2 ** 31 else None
        if customer is None or not can_see("customers", current_actor(), customer_id):
            abort(404)
        result, errors = self._statement(customer_id)
        for messages in errors.values():
            for message in messages:
                flash(message, "danger")
        return self.render_template(
            "collections/statement.html", title=_("Statement of %(name)s", name=customer.name), customer=customer,
            result=result, args=request.args, contact=contact_of(customer_id), errors=errors,
            query=request.query_string.decode()[:200],
            can_mail=self.appbuilder.sm.has_access("can_write", "payments")), 400 if errors else 200

    @expose("/<int:customer_id>.pdf")
    @has_access
    def pdf(self, customer_id):
        customer = db.session.get(Customer, customer_id) if customer_id < 2 ** 31 else None
        if customer is None or not can_see("customers", current_actor(), customer_id):
            abort(404)
        result, errors = self._statement(customer_id)
        if result is None:
            return jsonify(message=next(iter(errors.values()))[0]), 400
        data = statement_pdf(result)
        name = f"statement-{customer.code or customer.id}-{result.start:%Y%m%d}-{result.end:%Y%m%d}.pdf"
        return Response(data, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})

    @expose("/<int:customer_id>/mail", methods=["POST"])
    @has_access
    def mail(self, customer_id):
        """The statement e-mailed to the customer's contact."""
        from app.core.notify import mail_html, send_mail
        from app.core.transaction import unit_of_work
        from app.modules.collections.dunning import contact_of

        actor = current_actor()
        customer = db.session.get(Customer, customer_id) if customer_id < 2 ** 31 else None
        if customer is None or not can_see("customers", actor, customer_id):
            abort(404)
        result, errors = self._statement(customer_id)
        back = f"/collections_statement/{customer_id}?start={result.start}&end={result.end}" if result else \
            f"/collections_statement/{customer_id}"
        contact = contact_of(customer_id)
        if result is None or contact is None:
            flash(next(iter(errors.values()))[0] if errors else
                  _("%(name)s has no contact with an e-mail address.", name=customer.name), "danger")
            return redirect(back)
        subject = _("Statement of %(name)s, %(start)s to %(end)s", name=customer.name, start=result.start,
                    end=result.end)
        body = statement_text(result)
        with unit_of_work(actor) as uow:
            send_mail(uow, contact.email, subject, body, html=mail_html(subject, body), customer_id=customer.id,
                      contact_id=contact.id)
        flash(_("The statement was sent to %(name)s <%(email)s>.", name=contact.name, email=contact.email), "success")
        return redirect(back)


def statement_text(result) -> str:
    lines = [_("Opening balance on %(day)s: ¥%(amount)s", day=result.start, amount=f"{result.opening:,.2f}")]
    for line in result.lines:
        lines.append(f"{line.day}  {line.text} {line.code}  " + (
            _("invoiced ¥%(amount)s", amount=f"{line.debit:,.2f}") if line.kind == "invoice" else
            _("received ¥%(amount)s", amount=f"{line.credit:,.2f}")))
    lines += [_("Invoiced in the period: ¥%(amount)s", amount=f"{result.invoiced:,.2f}"),
              _("Received in the period: ¥%(amount)s", amount=f"{result.received:,.2f}"),
              _("Closing balance on %(day)s: ¥%(amount)s", day=result.end, amount=f"{result.closing:,.2f}")]
    return "\n".join(lines)


def statement_pdf(result) -> bytes:
    """The statement drawn with the shipped template (documents/statement.html), the Chinese font embedded."""
    import os

    from app.core.branding import company_name
    from app.core.printing.render import render_pdf

    with open(os.path.join(os.path.dirname(__file__), "documents", "statement.html"), encoding="utf-8") as f:
        body = f.read()
    customer = result.customer
    context = {
        "company": company_name(),
        "customer": {"name": customer.name, "code": customer.code or "", "tax_id": customer.tax_id or "",
                     "address": customer.address or ""},
        "start": result.start, "end": result.end, "opening": result.opening, "invoiced": result.invoiced,
        "received": result.received, "closing": result.closing, "overdue": result.overdue,
        "lines": [{"day": line.day, "text": line.text, "code": line.code, "debit": line.debit, "credit": line.credit,
                   "balance": line.balance} for line in result.lines],
        "printed_on": company_today(),
    }
    return render_pdf(body, context, current_app.config)


class AgingView(BaseView):
    """/collections_aging/: 账龄分析 — what is owed by how long it is overdue, by customer, owner or department."""

    route_base = "/collections_aging"
    default_view = "index"
    class_permission_name = "payments"
    method_permission_name = {"index": "read", "chart": "read", "export": "export"}
    base_permissions = ["can_read", "can_export"]

    def _rows(self):
        by = request.args.get("by") or "customer"
        errors: dict = {}
        as_of = reports.parse_day(request.args.get("as_of"), "as_of", errors)
        if by not in reports.GROUPINGS:
            errors["by"] = [_("Group the aging by customer, owner or department.")]
        if errors:
            return by, as_of, None, None, errors
        rows, grand = reports.aging(current_actor(), by, as_of,
                                    customer_name=(request.args.get("q") or "").strip()[:100])
        return by, as_of, rows, grand, errors

    @expose("/")
    @has_access
    def index(self):
        by, as_of, rows, grand, errors = self._rows()
        for messages in errors.values():
            for message in messages:
                flash(message, "danger")
        return self.render_template(
            "collections/aging.html", title=_("Receivables aging"), by=by, as_of=as_of or company_today(),
            rows=rows or [], grand=grand, buckets=reports.BUCKETS, groupings=reports.GROUPINGS, errors=errors,
            q=(request.args.get("q") or "").strip()[:100],
            query=request.query_string.decode()[:200],
            can_export=self.appbuilder.sm.has_access("can_export", "payments")), 400 if errors else 200

    @expose("/chart.json")
    @has_access
    def chart(self):
        from app.core.aging import chart_option

        _by, _as_of, rows, _grand, errors = self._rows()
        if errors:
            return jsonify(message=next(iter(errors.values()))[0]), 400
        return jsonify(option=chart_option(_("Receivables aging"), rows), table=[])

    @expose("/export.<fmt>")
    @has_access
    def export(self, fmt):
        from app.core.aging import export_response

        if fmt not in ("csv", "xlsx"):
            abort(404)
        by, _as_of, rows, grand, errors = self._rows()
        if errors:
            return jsonify(message=next(iter(errors.values()))[0]), 400
        return export_response(fmt, rows, grand, str(reports.GROUPINGS[by]), _("Receivables aging"))


class CollectionRateView(BaseView):
    """/collections_rate/: 回款率 and DSO by month."""

    route_base = "/collections_rate"
    default_view = "index"
    class_permission_name = "payments"
    method_permission_name = {"index": "read", "chart": "read", "export": "export"}
    base_permissions = ["can_read", "can_export"]

    def _months(self) -> int:
        raw = (request.args.get("months") or "12").strip()
        return int(raw) if raw.isdigit() and 1 <= int(raw) <= 36 else 12

    @expose("/")
    @has_access
    def index(self):
        months = self._months()
        return self.render_template(
            "collections/rate.html", title=_("Collection rate and DSO"), rows=reports.by_month(current_actor(),
                                                                                             months),
            months=months, can_export=self.appbuilder.sm.has_access("can_export", "payments"))

    @expose("/chart.json")
    @has_access
    def chart(self):
        rows = reports.by_month(current_actor(), self._months())
        return jsonify(option={
            "title": {"text": _("Collection rate and DSO"), "left": "center"},
            "tooltip": {"trigger": "axis"},
            "legend": {"bottom": 0},
            "grid": {"left": 48, "right": 48, "bottom": 64, "containLabel": True},
            "xAxis": {"type": "category", "data": [row.month for row in rows]},
            "yAxis": [{"type": "value", "name": _("Collection rate (per cent)")},
                      {"type": "value", "name": _("DSO (days)")}],
            "series": [{"type": "bar", "name": _("Collection rate (per cent)"),
                        "data": [float(row.rate) if row.rate is not None else None for row in rows]},
                       {"type": "line", "name": _("DSO (days)"), "yAxisIndex": 1, "smooth": True,
                        "data": [float(row.dso) if row.dso is not None else None for row in rows]}],
        }, table=[])

    @expose("/export.<fmt>")
    @has_access
    def export(self, fmt):
        from app.core import exports

        if fmt not in ("csv", "xlsx"):
            abort(404)
        rows = reports.by_month(current_actor(), self._months())
        keys = ["month", "opening", "invoiced", "received", "closing", "rate", "dso"]
        labels = [_("Month"), _("Receivable at the start"), _("Invoiced"), _("Received"), _("Receivable at the end"),
                  _("Collection rate (per cent)"), _("DSO (days)")]
        table = exports.AggregateRows([{"month": r.month, "opening": r.opening, "invoiced": r.invoiced,
                                        "received": r.received, "closing": r.closing, "rate": r.rate, "dso": r.dso}
                                       for r in rows])
        maker = exports.csv_response if fmt == "csv" else exports.xlsx_response
        return maker(table, keys, labels, _("Collection rate and DSO"), {}, current_app.config["EXPORT_MAX_ROWS"])


def _refusal(call):
    """Run a service call of a form's POST: (its result, [], 200), or (None, the messages of its refusal, its
    status) with the transaction rolled back."""
    try:
        return call(), [], 200
    except ValidationErrors as exc:
        db.session.rollback()
        return None, [m for ms in exc.errors.values() for m in ms], 400
    except DomainError as exc:
        db.session.rollback()
        return None, [exc.message], exc.status


class PaymentAllocateView(BaseView):
    """/payments_allocate/<id>: 手工核销 — which of the customer's invoices the payment settles, and how much."""

    route_base = "/payments_allocate"
    class_permission_name = "payments"
    method_permission_name = {"edit": "write"}
    base_permissions = ["can_write"]

    @expose("/<int:payment_id>", methods=["GET", "POST"])
    @has_access
    def edit(self, payment_id):
        actor = current_actor()
        payment = db.session.get(Payment, payment_id) if payment_id < 2 ** 31 else None
        if payment is None or not can_see("payments", actor, payment_id):
            abort(404)
        errors, status = [], 200
        if request.method == "POST":
            amounts = {key.split("_", 1)[1]: value for key, value in request.form.items()
                       if key.startswith("invoice_")}
            done, errors, status = _refusal(lambda: service.allocate(actor, payment.id, amounts))
            if done is not None:
                flash(_("Payment %(code)s now settles the invoices as entered.", code=payment.code), "success")
                return redirect(f"/payments/show/{payment.id}")
            payment = db.session.get(Payment, payment_id)
        mine = {row.invoice_id: row.amount for row in db.session.scalars(
            select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id))}
        invoices = list(db.session.scalars(select(Invoice).where(
            Invoice.customer_id == payment.customer_id, Invoice.status == ISSUED, ~Invoice.red,
            (Invoice.paid < Invoice.total) | Invoice.id.in_(list(mine) or [0]))
            .order_by(Invoice.issue_date, Invoice.code).limit(200)))
        entered = request.form if request.method == "POST" else {}
        return self.render_template(
            "collections/allocate.html", title=_("Settle payment %(code)s", code=payment.code), payment=payment,
            invoices=invoices, mine=mine, entered=entered, errors=errors,
            movable=payment.status == REGISTERED), status


class BankLineRegisterView(BaseView):
    """/bank_lines_register/<id>: 登记为回款 — the clerk chooses whose payment a bank statement line is."""

    route_base = "/bank_lines_register"
    class_permission_name = "bank_lines"
    method_permission_name = {"edit": "write"}
    base_permissions = ["can_write"]

    @expose("/<int:line_id>", methods=["GET", "POST"])
    @has_access
    def edit(self, line_id):
        from app.modules.collections import bank
        from app.modules.collections.models import BankLine

        actor = current_actor()
        line = db.session.get(BankLine, line_id) if line_id < 2 ** 31 else None
        if line is None or not can_see("bank_lines", actor, line_id):
            abort(404)
        errors, status, chosen = [], 200, None
        if request.method == "POST":
            chosen = request.form.get("customer", "")
            done, errors, status = _refusal(lambda: bank.register_for(actor, line.id, chosen))
            if done is not None:
                flash(_("Registered as payment %(code)s.", code=done.payment.code), "success")
                return redirect(f"/payments/show/{done.payment_id}")
            line = db.session.get(BankLine, line_id)
        chosen_customer = db.session.get(Customer, int(chosen)) if str(chosen or "").isdigit() and \
            int(chosen) < 2 ** 31 else None
        return self.render_template("collections/bank_register.html", title=_("Register as a payment"), line=line,
                                    errors=errors, chosen=chosen_customer), status


def register_views(appbuilder) -> None:
    from flask_babel import lazy_pgettext

    from app.core.panels import ShowTab, register_record_flag, register_tab

    register_tab(ShowTab(key="invoice_payments", label=_l("Payments"), render=render_invoice_tab,
                         applies=lambda spec: spec.name == "invoices", order=45))
    register_tab(ShowTab(key="receivables", label=_l("Receivables"), render=render_customer_tab,
                         applies=lambda spec: spec.name == "customers", order=35))
    register_record_flag("customers", customer_warnings)
    register_record_flag("orders", order_warnings)
    appbuilder.add_view_no_menu(PaymentAllocateView)
    appbuilder.add_view_no_menu(BankLineRegisterView)
    appbuilder.add_view(StatementView, "menu:collections_statement", label=lazy_pgettext("menu", "Customer statements"),
                        icon="fa-list-alt", category="menu:payments")
    appbuilder.add_view(AgingView, "menu:collections_aging", label=lazy_pgettext("menu", "Receivables aging"),
                        icon="fa-hourglass-half", category="menu:payments")
    appbuilder.add_view(CollectionRateView, "menu:collections_rate",
                        label=lazy_pgettext("menu", "Collection rate and DSO"), icon="fa-percent",
                        category="menu:payments")
    names = registry.menu_names.setdefault("payments", ["menu:payments"])
    for entry in ("menu:collections_statement", "menu:collections_aging", "menu:collections_rate"):
        if entry not in names:
            names.append(entry)
