"""The orders module's own screens beyond the generated ones: 取消订单 asks for the reason; the orders are
reported to 智能推荐 as order history."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.core.reason_form import ReasonView
from app.extensions import db
from app.modules.orders import board, service
from app.modules.orders.models import SalesOrder


def _cancel_form():
    from markupsafe import Markup

    from app.core.reason_form import ReasonForm

    return ReasonForm(
        module="orders", model=SalesOrder, operation=service.cancel, title=_("Cancel orders"),
        records_label=_("Orders to cancel"),
        describe=lambda o: Markup("<strong>{}</strong> {}").format(o.code, o.customer.name),
        note=_("A confirmed order gives its reserved stock back; a shipped order cannot be cancelled."),
        label=_("Why cancelled"), button=_("Cancel the orders"), icon="fa-ban",
        missing=_("None of these orders exists or you may not see it."), form_id="zwt-order-cancel",
        back=lambda _rows: "/orders/list/", done=lambda _rows: _("Cancelled."))


class OrderCancelView(ReasonView):
    """/orders_cancel/?ids=…: the reason, then the chosen orders are cancelled (each on its own)."""

    route_base = "/orders_cancel"
    class_permission_name = "orders"

    def form(self):
        return _cancel_form()


class OrderFromContractView(BaseView):
    """/orders_from_contract/<contract id>: what the contract still leaves unordered, and 生成订单."""

    route_base = "/orders_from_contract"
    class_permission_name = "orders"
    method_permission_name = {"make": "write"}
    base_permissions = ["can_write"]

    @expose("/<int:contract_id>", methods=["GET", "POST"])
    @has_access
    def make(self, contract_id: int):
        from app.core.scope import can_see
        from app.modules.contracts.api import IN_FORCE, Contract

        actor = current_actor()
        contract = db.session.get(Contract, contract_id) if contract_id < 2 ** 31 else None
        if contract is not None and not can_see("contracts", actor, contract.id):
            contract = None
        error, status = None, 200 if contract is not None else 404
        if request.method == "POST" and contract is not None:
            try:
                order = service.from_contract(actor, contract.id)
                flash(_("Order %(code)s made from contract %(contract)s.", code=order.code, contract=contract.code),
                      "success")
                return redirect(f"/orders/show/{order.id}")
            except DomainError as exc:
                db.session.rollback()
                error, status = exc.message, exc.status
        rows = []
        if contract is not None:
            left = service.unordered(contract.id)
            for line in contract.lines:
                rows.append({"product": line.product.name, "quantity": service.stock._fmt(line.quantity),
                             "left": service.stock._fmt(max(left.get(line.product_id, 0), 0))})
        can_order = contract is not None and contract.status in IN_FORCE and any(
            v > 0 for v in (service.unordered(contract.id).values() if contract is not None else []))
        if contract is not None and contract.status not in IN_FORCE and error is None:
            error = _("Orders are made from a signed contract in force; %(code)s is not.", code=contract.code)
        return self.render_template("orders/from_contract.html", title=_("Make an order from a contract"),
                                    contract=contract, rows=rows, error=error, can_order=can_order), status


class OrderShipView(BaseView):
    """/orders_ship/<order id>: 分批发货 — the quantities of each line shipping now, carrier and tracking number."""

    route_base = "/orders_ship"
    class_permission_name = "orders"
    method_permission_name = {"ship": "write"}
    base_permissions = ["can_write"]

    @expose("/<int:order_id>", methods=["GET", "POST"])
    @has_access
    def ship(self, order_id: int):
        from app.core.scope import can_see

        actor = current_actor()
        order = db.session.get(SalesOrder, order_id) if order_id < 2 ** 31 else None
        if order is not None and not can_see("orders", actor, order.id):
            order = None
        errors, message, status = {}, None, 200 if order is not None else 404
        form = request.form
        if request.method == "POST" and order is not None:
            quantities = {line.id: form.get(f"line_{line.id}", "") for line in order.lines}
            try:
                service.ship_part(actor, order.id, quantities, form.get("carrier"), form.get("tracking_no"),
                                  form.get("note"))
                flash(_("Shipped."), "success")
                return redirect(f"/orders/show/{order.id}")
            except ValidationErrors as exc:
                db.session.rollback()
                errors, status = exc.errors, 400
                message = exc.errors.get("lines", [None])[0] or _("Correct the quantities marked in red.")
            except DomainError as exc:
                db.session.rollback()
                message, status = exc.message, exc.status
            order = db.session.get(SalesOrder, order_id)
        rows = []
        for line in (order.lines if order is not None else []):
            left = line.quantity - (line.shipped or 0)
            key = f"line_{line.id}"
            rows.append({"key": key, "product": line.product.name, "ordered": service.stock._fmt(line.quantity),
                         "shipped": service.stock._fmt(line.shipped or 0), "left": service.stock._fmt(left),
                         "value": form.get(key, service.stock._fmt(left) if left > 0 else "")})
        return self.render_template("orders/ship.html", title=_("Ship in parts"), order=order, rows=rows,
                                    errors=errors, message=message, carrier=form.get("carrier", ""),
                                    tracking_no=form.get("tracking_no", ""), note=form.get("note", "")), status


BOARD_LIMIT = 30


class OrderBoardView(BaseView):
    """/orders_board/: 订单看板 — the orders the user may see by status; a card moved to another column makes that
    move through the order's own service (/orders_board/move), which refuses what its buttons would refuse."""

    route_base = "/orders_board"
    default_view = "index"
    class_permission_name = "orders"
    method_permission_name = {"index": "read", "move": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def index(self):
        from sqlalchemy import func, select

        from app.core.registry import registry
        from app.core.scope import scope_clause
        from app.modules.orders.models import STATUS_CHOICES

        actor = current_actor()
        mine = request.args.get("mine") == "1"
        clause = scope_clause(registry.get("orders"), actor)
        labels = {value: str(label) for value, label in STATUS_CHOICES}
        may_write = self.appbuilder.sm.has_access("can_write", "orders")
        columns = []
        for status in board.BOARD:
            stmt = select(SalesOrder).where(SalesOrder.status == status)
            if clause is not None:
                stmt = stmt.where(clause)
            if mine:
                stmt = stmt.where(SalesOrder.owner_id == actor.id)
            found = db.session.scalars(stmt.order_by(SalesOrder.id.desc()).limit(BOARD_LIMIT + 1)).all()
            count = len(found) if len(found) <= BOARD_LIMIT else db.session.scalar(
                select(func.count()).select_from(stmt.order_by(None).subquery()))
            cards = [{"id": o.id, "code": o.code, "customer": o.customer.name, "total": f"{o.total:,.2f}",
                      "date": o.order_date.isoformat() if o.order_date else ""} for o in found[:BOARD_LIMIT]]
            targets = [{"status": t, "label": labels[t]} for t in board.BOARD_MOVES.get(status, ())] \
                if may_write else []
            columns.append({"status": status, "label": labels[status], "cards": cards, "count": count,
                            "more": max(count - BOARD_LIMIT, 0), "targets": targets})
        return self.render_template("orders/board.html", title=_("Order board"), columns=columns, mine=mine)

    @expose("/move", methods=["POST"])
    @has_access
    def move(self):
        raw = request.form.get("id", "")
        order_id = int(raw) if raw.isdigit() and len(raw) < 10 else 0
        target = request.form.get("to", "")
        try:
            outcome = board.board_move(current_actor(), order_id, target)
        except ValidationErrors as exc:
            db.session.rollback()
            return jsonify(message=next(iter(exc.errors.values()))[0]), 400
        except DomainError as exc:
            db.session.rollback()
            return jsonify(message=exc.message), exc.status
        if outcome == "reason":
            return jsonify(redirect=f"/orders_cancel/?ids={order_id}")
        return jsonify(message=_("Moved."))


def _analysis_filters():
    import datetime as dt

    from app.modules.orders.analysis import Filters

    errors: dict = {}

    def day(field):
        value = (request.args.get(field) or "").strip()[:20]
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            errors[field] = [_("Please enter a date such as 2026-03-01.")]
            return None

    return Filters(date_from=day("date_from"), date_to=day("date_to")), errors


class OrderAnalysisView(BaseView):
    """/orders_analysis/: 订单统计 — charts with their tables, exported as CSV or Excel."""

    route_base = "/orders_analysis"
    default_view = "index"
    class_permission_name = "orders"
    method_permission_name = {"index": "read", "data": "read", "export": "export"}
    base_permissions = ["can_read", "can_export"]

    @expose("/")
    @has_access
    def index(self):
        from urllib.parse import urlencode

        from app.modules.orders.analysis import CHARTS

        _filters, errors = _analysis_filters()
        for messages in errors.values():
            for message in messages:
                flash(message, "danger")
        return self.render_template(
            "orders/analysis.html", title=_("Order analysis"), charts=CHARTS, errors=errors, args=request.args,
            query_string=urlencode({k: v for k, v in request.args.items() if v and k in ("date_from", "date_to")}),
            can_export=self.appbuilder.sm.has_access("can_export", "orders")), 400 if errors else 200

    def _table(self, name):
        from app.modules.orders import analysis

        chart = analysis.BY_NAME.get(name)
        if chart is None:
            abort(404)
        filters, errors = _analysis_filters()
        if errors:
            abort(400)
        return chart, analysis.rows(name, current_actor(), filters), analysis.labeller(name)

    @expose("/<name>.json")
    @has_access
    def data(self, name):
        from app.core.charts import echarts_option

        chart, rows, label_of = self._table(name)
        return jsonify(option=echarts_option(chart, rows, label_of),
                       table=[[label_of(k), f"{v:,.2f}" if not isinstance(v, int) else str(v)] for k, v in rows])

    @expose("/<name>.<fmt>")
    @has_access
    def export(self, name, fmt):
        from app.core import exports

        if fmt not in ("csv", "xlsx"):
            abort(404)
        chart, rows, label_of = self._table(name)
        table = exports.AggregateRows([{"key": label_of(k), "value": v} for k, v in rows])
        maker = exports.csv_response if fmt == "csv" else exports.xlsx_response
        return maker(table, ["key", "value"], [str(chart.key_label), str(chart.value_label)], str(chart.title), {},
                     current_app.config["EXPORT_MAX_ROWS"])


TAB_ROWS = 20


def render_customer_tab(spec, item):
    """The 订单 tab of a customer's page: their latest orders the user may see."""
    from flask import current_app
    from markupsafe import Markup
    from sqlalchemy import select

    from app.core.registry import registry
    from app.core.scope import scope_clause
    from app.modules.orders.models import STATUS_CHOICES

    sm = current_app.appbuilder.sm
    if not sm.has_access("can_read", "orders"):
        return None
    stmt = select(SalesOrder).where(SalesOrder.customer_id == item.id)
    clause = scope_clause(registry.get("orders"), current_actor())
    if clause is not None:
        stmt = stmt.where(clause)
    found = db.session.scalars(stmt.order_by(SalesOrder.id.desc()).limit(TAB_ROWS + 1)).all()
    return Markup(current_app.jinja_env.get_template("orders/customer_tab.html").render(
        customer=item, orders=found[:TAB_ROWS], more=len(found) > TAB_ROWS,
        statuses={value: str(label) for value, label in STATUS_CHOICES}, can_add=sm.has_access("can_write", "orders")))


def register_views(appbuilder) -> None:
    from flask_babel import lazy_pgettext

    from app.core.registry import registry
    from app.modules.products.recommend_service import register_basket_source

    from flask_babel import lazy_gettext as _l

    from app.core.panels import ShowTab, register_tab

    register_tab(ShowTab(key="orders", label=_l("Orders"), render=render_customer_tab,
                         applies=lambda spec: spec.name == "customers", order=25))
    appbuilder.add_view_no_menu(OrderCancelView)
    appbuilder.add_view_no_menu(OrderFromContractView)
    appbuilder.add_view_no_menu(OrderShipView)
    appbuilder.add_view(OrderBoardView, "menu:order_board", label=lazy_pgettext("menu", "Order board"),
                        icon="fa-columns", category="menu:orders")
    appbuilder.add_view(OrderAnalysisView, "menu:order_analysis", label=lazy_pgettext("menu", "Order analysis"),
                        icon="fa-line-chart", category="menu:orders")
    names = registry.menu_names.setdefault("orders", ["menu:orders"])
    for entry in ("menu:order_board", "menu:order_analysis"):
        if entry not in names:
            names.append(entry)
    register_basket_source(service.baskets)
