"""The purchasing module's own screens beyond the generated ones: 报价对比 (/supplier_quotes_compare/) and a
product's 报价 tab."""
from __future__ import annotations

from flask import request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l

from app.core.datamodel import current_actor
from app.core.reason_form import ReasonView
from app.core.errors import ValidationErrors
from app.extensions import db


class QuoteComparisonView(BaseView):
    """/supplier_quotes_compare/?product=<id>&quantity=<n>&rule=cheapest|fastest: the valid quotes of one product
    side by side, the best by the chosen rule highlighted."""

    route_base = "/supplier_quotes_compare"
    default_view = "index"
    class_permission_name = "supplier_quotes"
    method_permission_name = {"index": "read"}
    base_permissions = ["can_read"]

    @expose("/", methods=["GET"])
    @has_access
    def index(self):
        from app.core.relation_search import endpoint_url
        from app.modules.products.api import Product
        from app.modules.purchasing import quotes

        from app.core.scope import can_see
        from app.modules.purchasing.rfq_models import QuoteRequest

        raw = request.args.get("product", "")
        product = db.session.get(Product, int(raw)) if raw.isdigit() and int(raw) < 2 ** 31 else None
        raw_request = request.args.get("request", "")
        asked = db.session.get(QuoteRequest, int(raw_request)) \
            if raw_request.isdigit() and 0 < int(raw_request) < 2 ** 31 else None
        if asked is not None and not can_see("quote_requests", current_actor(), asked.id):
            asked = None
        rule = request.args.get("rule", "cheapest")
        errors, offers, status = {}, [], 200
        if raw_request and asked is None:
            errors["request"] = [_("The request for quotation does not exist.")]
            status = 404
        elif asked is not None:
            product = asked.product
        try:
            quantity = quotes.parse_quantity(request.args.get("quantity") or (
                str(asked.quantity) if asked is not None else None))
        except ValidationErrors as exc:
            errors, quantity, status = exc.errors, None, 400
        if raw and product is None:
            errors["product"] = [_("Choose a product from the list.")]
            status = 404
        if product is not None and quantity is not None and not errors:
            offers = quotes.compare(current_actor(), product.id, quantity, rule,
                                    request_id=asked.id if asked is not None else None)
        return self.render_template("purchasing/compare.html", title=_("Compare quotes"), product=product,
                                    quantity=request.args.get("quantity") or (
                                        receipts_plain(asked.quantity) if asked is not None else "1"),
                                    rule=rule, offers=offers, asked=asked,
                                    errors=errors, rules=[("cheapest", _("Cheapest")), ("fastest", _("Fastest")),
                                                              ("score", _("Best rating"))],
                                    search_url=endpoint_url("supplier_quotes", "product")), status


def receipts_plain(value) -> str:
    from app.modules.purchasing.receipts import plain

    return plain(value)


def _cancel_form():
    from markupsafe import Markup

    from app.core.reason_form import ReasonForm
    from app.modules.purchasing import order_service
    from app.modules.purchasing.order_models import PurchaseOrder

    return ReasonForm(
        module="purchase_orders", model=PurchaseOrder, operation=order_service.cancel,
        title=_("Cancel purchase orders"), records_label=_("Purchase orders to cancel"),
        describe=lambda o: Markup("<strong>{}</strong> {}").format(o.code, o.supplier.name),
        note=_("An order with goods received cannot be cancelled: close it instead."),
        label=_("Why cancelled"), button=_("Cancel the purchase orders"), icon="fa-ban",
        missing=_("None of these purchase orders exists or you may not see it."), form_id="zwt-po-cancel",
        back=lambda _rows: "/purchase_orders/list/", done=lambda _rows: _("Cancelled."))


class PurchaseOrderCancelView(ReasonView):
    """/purchase_orders_cancel/?ids=…: the reason, then the chosen purchase orders are cancelled (each on its own)."""

    route_base = "/purchase_orders_cancel"
    class_permission_name = "purchase_orders"

    def form(self):
        return _cancel_form()


class ReorderView(BaseView):
    """/purchase_suggestions/: the inventory's reorder suggestions with the supplier each would be bought from;
    生成采购订单 makes draft purchase orders of the ticked ones (one per supplier and warehouse)."""

    route_base = "/purchase_suggestions"
    default_view = "index"
    class_permission_name = "purchase_orders"
    method_permission_name = {"index": "write", "make": "write"}
    base_permissions = ["can_write"]

    @staticmethod
    def _warehouse():
        raw = request.values.get("warehouse", "")
        return int(raw) if raw.isdigit() and int(raw) < 2 ** 31 else None

    @expose("/", methods=["GET"])
    @has_access
    def index(self):
        from sqlalchemy import select

        from app.modules.inventory.api import Warehouse
        from app.modules.purchasing import replenish

        rows = replenish.suggestions(self._warehouse(), limit=200)
        warehouses = db.session.execute(select(Warehouse.id, Warehouse.name).where(Warehouse.active.is_(True))
                                        .order_by(Warehouse.name)).all()
        return self.render_template("purchasing/suggestions.html", title=_("Reorder suggestions to purchase"),
                                    rows=rows, warehouses=warehouses, warehouse=self._warehouse())

    @expose("/", methods=["POST"])
    @has_access
    def make(self):
        from flask import flash, redirect

        from app.core.errors import DomainError
        from app.modules.purchasing import replenish

        picked = set(request.form.getlist("pick"))
        rows = [row for row in replenish.suggestions(self._warehouse(), limit=200)
                if f"{row['product_id']}:{row['warehouse_id']}" in picked]
        if not rows:
            flash(_("Tick the suggestions to order."), "warning")
            return redirect("/purchase_suggestions/")
        try:
            outcome = replenish.make_orders(current_actor(), rows)
        except (DomainError, ValidationErrors) as error:
            db.session.rollback()
            flash(getattr(error, "message", None) or _("The purchase orders could not be made."), "danger")
            return redirect("/purchase_suggestions/")
        if outcome.orders:
            flash(_("%(n)s draft purchase orders made: %(codes)s.", n=len(outcome.orders),
                    codes="、".join(o.code for o in outcome.orders)), "success")
        if outcome.no_quote:
            flash(_("No valid quote for %(products)s: add one, then order them.",
                    products="、".join(row["product"] for row in outcome.no_quote)), "warning")
        if outcome.on_order:
            flash(_("Already on an open purchase order: %(products)s.",
                    products="、".join(row["product"] for row in outcome.on_order)), "info")
        return redirect("/purchase_orders/list/" if outcome.orders else "/purchase_suggestions/")


class ReceiveView(BaseView):
    """/purchase_receive/<order id>: 收货入库 — what arrived on each line of a placed purchase order, accepted into
    the order's warehouse (a bin may be chosen) or rejected with why."""

    route_base = "/purchase_receive"
    class_permission_name = "purchase_orders"
    method_permission_name = {"receive": "write"}
    base_permissions = ["can_write"]

    @expose("/<int:order_id>", methods=["GET", "POST"])
    @has_access
    def receive(self, order_id: int):
        from flask import abort, flash, redirect
        from sqlalchemy import select

        from app.core.errors import DomainError
        from app.core.scope import visible
        from app.modules.inventory.api import WarehouseBin
        from app.modules.purchasing import receipts
        from app.modules.purchasing.order_models import PurchaseOrder

        order = visible("purchase_orders", current_actor(), order_id)
        if order is None:
            abort(404)
        errors, status = {}, 200
        if request.method == "POST":
            lines = {line.id: {"accepted": request.form.get(f"accepted_{line.id}", ""),
                               "rejected": request.form.get(f"rejected_{line.id}", ""),
                               "reason": request.form.get(f"reason_{line.id}", ""),
                               "bin_id": request.form.get(f"bin_{line.id}", "")} for line in order.lines}
            try:
                receipt = receipts.receive(current_actor(), order.id, lines, request.form.get("note"),
                                           quality=request.form.get("quality_rating"),
                                           service=request.form.get("service_rating"))
            except ValidationErrors as exc:
                db.session.rollback()
                errors, status = exc.errors, 400
            except DomainError as exc:
                db.session.rollback()
                errors, status = {"": [exc.message]}, exc.status
            else:
                flash(_("Goods receipt %(code)s recorded.", code=receipt.code), "success")
                return redirect(f"/purchase_orders/show/{order.id}")
            order = db.session.get(PurchaseOrder, order_id)
        bins = db.session.execute(select(WarehouseBin.id, WarehouseBin.code).where(
            WarehouseBin.warehouse_id == order.warehouse_id).order_by(WarehouseBin.code).limit(500)).all() \
            if order.warehouse_id else []
        return self.render_template("purchasing/receive.html", title=_("Receive goods"), order=order, errors=errors,
                                    form=request.form, bins=bins, left=receipts.left_to_receive,
                                    qty=receipts.plain), status


class QuoteRequestWorkView(BaseView):
    """/quote_request_work/<id>: a request for quotation's workspace — ask more suppliers (those supplying the
    product's category or that quoted it before are suggested; any other can be searched), and enter each asked
    supplier's answer; then compare the answers."""

    route_base = "/quote_request_work"
    class_permission_name = "supplier_quotes"
    method_permission_name = {"work": "write"}
    base_permissions = ["can_write"]

    @expose("/<int:request_id>", methods=["GET", "POST"])
    @has_access
    def work(self, request_id: int):
        from flask import abort, flash, redirect

        from app.core.errors import DomainError
        from app.core.relation_search import endpoint_url
        from app.core.scope import can_see
        from app.modules.purchasing import rfq
        from app.modules.purchasing.models import CURRENCY_CHOICES
        from app.modules.purchasing.rfq_models import QuoteRequest

        asked = db.session.get(QuoteRequest, request_id) if request_id < 2 ** 31 else None
        if asked is None or not can_see("quote_requests", current_actor(), asked.id):
            abort(404)
        errors, status, answering = {}, 200, None
        if request.method == "POST":
            step = request.form.get("step", "")
            try:
                if step == "invite":
                    made = rfq.invite(current_actor(), asked.id, request.form.getlist("supplier"))
                    flash(_("%(n)s suppliers asked; %(m)s of them by e-mail.", n=len(made),
                            m=sum(1 for row in made if row.mailed_to)), "success")
                elif step.startswith("answer_") and step[7:].isdigit():
                    answering = int(step[7:])
                    fields = ("price", "currency", "min_quantity", "lead_days", "valid_to")
                    rfq.answer(current_actor(), asked.id, answering,
                               {name: request.form.get(f"{name}_{answering}", "") for name in fields})
                    flash(_("Answer entered."), "success")
                else:
                    abort(400)
            except ValidationErrors as exc:
                db.session.rollback()
                errors, status = exc.errors, 400
            except DomainError as exc:
                db.session.rollback()
                errors, status = {"": [exc.message]}, exc.status
            else:
                return redirect(f"/quote_request_work/{asked.id}")
            asked = db.session.get(QuoteRequest, request_id)
        return self.render_template(
            "purchasing/quote_request.html", title=_("Request for quotation %(code)s", code=asked.code),
            asked=asked, suggestions=rfq.suggestions(asked) if asked.status == "open" else [], errors=errors,
            answering=answering, form=request.form, currencies=CURRENCY_CHOICES, qty=receipts_plain,
            search_url=endpoint_url("supplier_quotes", "supplier")), status


def render_product_tab(spec, item):
    """A product's 报价 tab: its quotes valid today, cheapest first, and the link to compare them; nothing for
    whoever may not read quotes."""
    from decimal import Decimal

    from flask import current_app
    from markupsafe import Markup

    from app.modules.purchasing import quotes

    if not current_app.appbuilder.sm.has_access("can_read", "supplier_quotes"):
        return None
    offers = quotes.compare(current_actor(), item.id, Decimal(1), "cheapest")
    return Markup(current_app.jinja_env.get_template("purchasing/product_tab.html").render(
        product=item, offers=offers))


def register_views(appbuilder) -> None:
    from flask_babel import lazy_pgettext

    from app.core.panels import ShowTab, register_tab
    from app.core.registry import registry

    register_tab(ShowTab(key="quotes", label=_l("Quotes"), render=render_product_tab,
                         applies=lambda spec: spec.name == "products", order=60))
    from app.modules.purchasing.analysis_views import PurchaseAnalysisView
    from app.modules.purchasing.api_views import PurchasingApi
    from app.modules.purchasing.payable_views import (PayablesView, SupplierInvoiceAcceptView, SupplierInvoiceEntryView,
                                                      SupplierInvoiceVoidView)

    appbuilder.add_api(PurchasingApi)
    appbuilder.add_view_no_menu(PurchaseOrderCancelView)
    appbuilder.add_view_no_menu(ReceiveView)
    appbuilder.add_view_no_menu(SupplierInvoiceEntryView)
    appbuilder.add_view_no_menu(QuoteRequestWorkView)
    appbuilder.add_view_no_menu(SupplierInvoiceAcceptView)
    appbuilder.add_view_no_menu(SupplierInvoiceVoidView)
    appbuilder.add_view(PayablesView, "menu:purchase_payables", label=lazy_pgettext("menu", "Payables aging"),
                        icon="fa-hourglass-half", category="menu:purchasing")
    appbuilder.add_view(PurchaseAnalysisView, "menu:purchase_analysis",
                        label=lazy_pgettext("menu", "Purchasing analysis"), icon="fa-bar-chart",
                        category="menu:purchasing")
    readers = registry.menu_names.setdefault("purchase_orders", ["menu:purchasing"])
    if "menu:purchase_analysis" not in readers:
        readers.append("menu:purchase_analysis")
    names = registry.menu_names.setdefault("supplier_invoices", ["menu:purchasing"])
    if "menu:purchase_payables" not in names:
        names.append("menu:purchase_payables")
    appbuilder.add_view(ReorderView, "menu:purchase_suggestions", label=lazy_pgettext("menu", "Reorder suggestions"),
                        icon="fa-refresh", category="menu:purchasing")
    appbuilder.add_view(QuoteComparisonView, "menu:supplier_quotes_compare",
                        label=lazy_pgettext("menu", "Compare quotes"), icon="fa-balance-scale",
                        category="menu:purchasing")
    names = registry.menu_names.setdefault("supplier_quotes", ["menu:purchasing"])
    if "menu:supplier_quotes_compare" not in names:
        names.append("menu:supplier_quotes_compare")
    writers = registry.write_menu_names.setdefault("purchase_orders", [])   # 补货建议 makes orders: writers only
    if "menu:purchase_suggestions" not in writers:
        writers.append("menu:purchase_suggestions")
