"""The inventory's stock screens: 仓库 (with its 分区 and 货位), 库存 (stock levels, read-only), 库存流水 (stock
moves, read-only), the 库存操作 page (receive, ship, adjust, move between bins or warehouses), the product
page's 库存 tab (refreshing itself while open) and /api/v1/stock/ for the same operations.

Permissions (app/security/access.csv): `warehouses` (places), `stock_levels` (reading stock and
availability: the 库存 list, the product tab, GET /api/v1/stock/availability/<id>) and `stock_moves` (reading
the moves; `write` on it posts operations on the page and through the API). Everything here is
company-wide (scope all): warehouses serve every department.
"""
from __future__ import annotations

from decimal import Decimal

from flask import abort, current_app, jsonify, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import BaseApi, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext
from markupsafe import Markup
from sqlalchemy import select

from app.core.datamodel import current_actor
from app.core.errors import DomainError
from app.core.org import AppUser
from app.core.panels import ShowTab, register_record_rule, register_tab
from app.core.remote_select import RemoteSelectField
from app.core.spec import ModuleSpec
from app.extensions import db
from app.modules.inventory import places, service
from app.modules.inventory.models import StockLevel, StockMove, Warehouse, WarehouseBin, WarehouseZone
from app.modules.products.filters import FilterInCategoryTree
from app.modules.products.models import Product

INVENTORY = lazy_pgettext("menu", "Inventory")
MENU = "menu:inventory"
LEVELS, MOVES, WAREHOUSES = "stock_levels", "stock_moves", "warehouses"
REFRESH_SECONDS = 3

OPERATIONS = {
    "receive": _l("Receipt"),
    "ship": _l("Shipment"),
    "adjust": _l("Adjustment"),
    "transfer": _l("Move to another bin or warehouse"),
}

PLACE_LABELS = {
    "code": _l("Code"), "name": _l("Name"), "address": _l("Address"), "manager": _l("Warehouse manager"),
    "manager_id": _l("Warehouse manager"), "active": _l("In use"), "warehouse": _l("Warehouse"),
    "warehouse_id": _l("Warehouse"), "warehouse.name": _l("Warehouse"), "zone": _l("Zone"), "zone_id": _l("Zone"),
    "zone.name": _l("Zone"),
}
STOCK_LABELS = {
    "product": _l("Product"), "product_id": _l("Product"), "product.sku": _l("SKU"), "product.name": _l("Product name"),
    "product.category": _l("Product category"), "warehouse": _l("Warehouse"), "warehouse_id": _l("Warehouse"),
    "warehouse.name": _l("Warehouse"), "bin": _l("Bin"), "bin_id": _l("Bin"), "bin.code": _l("Bin"), "bin_key": _l("Bin"),
    "on_hand": _l("On hand"), "reserved": _l("Reserved"), "available": _l("Available"),
    "in_transit": _l("In transit"), "updated_at": _l("Updated at"), "kind": _l("Move kind"),
    "quantity": _l("Quantity"), "doc_type": _l("Document type"), "doc_ref": _l("Document"), "user": _l("By"),
    "user_id": _l("By"), "user.username": _l("By"), "note": _l("Note"), "created_at": _l("Time"),
}


def _quantity(value) -> str:
    """A quantity as people write it: 12, 12.5 (not 12.0000 nor money's 12.00)."""
    return "" if value is None else f"{Decimal(value).normalize():,f}"


QUANTITIES = {column: _quantity for column in ("on_hand", "reserved", "available", "in_transit", "quantity")}

# The documents behind stock moves, by the doc_type the modules write; others are shown as written.
DOC_TYPES = {
    "manual": lazy_pgettext("stock document", "Manual entry"),
    "order": lazy_pgettext("stock document", "Sales order"),
    "purchase": lazy_pgettext("stock document", "Purchase receipt"),
    "purchase_order": lazy_pgettext("stock document", "Purchase order"),
    "transfer": lazy_pgettext("stock document", "Transfer"),
    "stock_transfer": lazy_pgettext("stock document", "Transfer"),
    "count": lazy_pgettext("stock document", "Stock count"),
    "stock_count": lazy_pgettext("stock document", "Stock count"),
    "shipment": lazy_pgettext("stock document", "Shipment"),
}


def doc_type_label(value) -> str:
    return str(DOC_TYPES.get(value, value or ""))


class FilterStockInCategory(FilterInCategoryTree):
    """Stock of the products of a category or of any of its sub-categories (value: the category's id)."""

    def apply(self, query, value):
        from app.modules.products.service import descendants

        text = str((value[0] if isinstance(value, (list, tuple)) and value else value) or "").strip()
        if not text.isdigit():
            return query.filter(StockLevel.id.is_(None))
        return query.filter(StockLevel.product_id.in_(
            select(Product.id).where(Product.category_id.in_(descendants(int(text))))))


def _place_field(model, spec_name, column, label):
    return RemoteSelectField(label, model=model, url=f"/relation-search/{spec_name}/{column}")


# Levels and moves are written by stock operations only: no record offers 编辑 or 删除.
for _name in (LEVELS, MOVES):
    for _what in ("edit", "delete"):
        register_record_rule(_name, _what, lambda actor, item: False)

STOCK_SPECS = [
    ModuleSpec(
        name=WAREHOUSES,
        model=Warehouse,
        label=_l("Warehouse"),
        label_plural=_l("Warehouses"),
        category=INVENTORY,
        category_key="inventory",
        category_icon="fa-archive",
        icon="fa-building-o",
        label_columns=PLACE_LABELS,
        list_columns=["code", "name", "address", "manager", "active"],
        show_fieldsets=[(_l("Warehouse"), {"fields": ["code", "name", "address", "manager", "active"]})],
        add_columns=["code", "name", "address", "manager", "active"],
        edit_columns=["code", "name", "address", "manager", "active"],
        form_fields={"manager": _place_field(AppUser, WAREHOUSES, "manager", _l("Warehouse manager"))},
        search_columns=["code", "name", "address", "manager", "active"],
        order_columns=["code", "name", "active"],
        base_order=("code", "asc"),
        text_search_columns=["code", "name", "address"],
        export_columns=["code", "name", "address", "active"],
        api_columns=["id", "code", "name", "address", "manager_id", "active"],
        api_write_columns=["code", "name", "address", "manager_id", "active"],
        title_column="name",
        code_column="code",
        global_search=["code", "name"],
        related=["warehouse_zones", "warehouse_bins", LEVELS],
        service=places.warehouses,
    ),
    ModuleSpec(
        name="warehouse_zones",
        model=WarehouseZone,
        label=_l("Zone"),
        label_plural=_l("Zones"),
        category=INVENTORY,
        category_key="inventory",
        permission_name=WAREHOUSES,
        show_in_menu=False,
        label_columns=PLACE_LABELS,
        list_columns=["warehouse", "code", "name"],
        show_fieldsets=[(_l("Zone"), {"fields": ["warehouse", "code", "name"]})],
        add_columns=["warehouse", "code", "name"],
        edit_columns=["warehouse", "code", "name"],
        form_fields={"warehouse": _place_field(Warehouse, "warehouse_zones", "warehouse", _l("Warehouse"))},
        search_columns=["warehouse", "code", "name"],
        order_columns=["code", "name"],
        base_order=("code", "asc"),
        export_columns=["warehouse.name", "code", "name"],
        api_columns=["id", "warehouse_id", "code", "name"],
        api_write_columns=["warehouse_id", "code", "name"],
        title_column="name",
        code_column="code",
        service=places.warehouse_zones,
    ),
    ModuleSpec(
        name="warehouse_bins",
        model=WarehouseBin,
        label=_l("Bin"),
        label_plural=_l("Bins"),
        category=INVENTORY,
        category_key="inventory",
        permission_name=WAREHOUSES,
        show_in_menu=False,
        label_columns={**PLACE_LABELS, "code": _l("Bin code")},
        list_columns=["warehouse", "zone", "code", "active"],
        show_fieldsets=[(_l("Bin"), {"fields": ["warehouse", "zone", "code", "active"]})],
        add_columns=["warehouse", "zone", "code", "active"],
        edit_columns=["warehouse", "zone", "code", "active"],
        form_fields={"warehouse": _place_field(Warehouse, "warehouse_bins", "warehouse", _l("Warehouse")),
                     "zone": _place_field(WarehouseZone, "warehouse_bins", "zone", _l("Zone"))},
        search_columns=["warehouse", "zone", "code", "active"],
        order_columns=["code"],
        base_order=("code", "asc"),
        text_search_columns=["code"],
        export_columns=["warehouse.name", "zone.name", "code", "active"],
        api_columns=["id", "warehouse_id", "zone_id", "code", "active"],
        api_write_columns=["warehouse_id", "zone_id", "code", "active"],
        title_column="code",
        code_column="code",
        service=places.warehouse_bins,
    ),
    ModuleSpec(
        name=LEVELS,
        model=StockLevel,
        label=_l("Stock level"),
        label_plural=_l("Stock"),
        category=INVENTORY,
        category_key="inventory",
        category_icon="fa-archive",
        icon="fa-cubes",
        label_columns=STOCK_LABELS,
        list_columns=["product.sku", "product", "warehouse", "bin", "on_hand", "reserved", "available",
                      "in_transit", "updated_at"],
        show_fieldsets=[(_l("Stock level"), {"fields": ["product", "warehouse", "bin", "on_hand", "reserved",
                                                        "available", "in_transit", "updated_at"]})],
        search_columns=["product", "warehouse", "bin", "on_hand", "reserved", "updated_at"],
        search_filters={"product": [FilterStockInCategory]},
        order_columns=["on_hand", "reserved", "in_transit", "updated_at"],
        base_order=("id", "desc"),
        export_columns=["product.sku", "product.name", "warehouse.name", "bin.code", "on_hand", "reserved",
                        "available", "in_transit", "updated_at"],
        api_columns=["id", "product_id", "product.sku", "product.name", "warehouse_id", "warehouse.name", "bin_id",
                     "bin.code", "on_hand", "reserved", "available", "in_transit", "updated_at"],
        title_column="product",
        key_figures=["on_hand", "reserved", "available", "in_transit"],
        card_columns=["warehouse", "bin", "on_hand", "available"],
        date_column="updated_at",
        formatters=QUANTITIES,
        service=places.read_only,
    ),
    ModuleSpec(
        name=MOVES,
        model=StockMove,
        label=_l("Stock move"),
        label_plural=_l("Stock moves"),
        category=INVENTORY,
        category_key="inventory",
        category_icon="fa-archive",
        icon="fa-exchange",
        label_columns=STOCK_LABELS,
        list_columns=["created_at", "kind", "product.sku", "product", "warehouse", "bin", "quantity", "doc_type",
                      "doc_ref", "user"],
        show_fieldsets=[(_l("Stock move"), {"fields": ["created_at", "kind", "product", "warehouse", "bin",
                                                       "quantity", "doc_type", "doc_ref", "user", "note"]})],
        search_columns=["created_at", "kind", "product", "warehouse", "bin", "doc_type", "doc_ref", "user"],
        order_columns=["created_at", "quantity"],
        base_order=("id", "desc"),
        export_columns=["created_at", "kind", "product.sku", "product.name", "warehouse.name", "bin.code",
                        "quantity", "doc_type", "doc_ref", "user.username", "note"],
        api_columns=["id", "created_at", "kind", "product_id", "product.sku", "warehouse_id", "warehouse.name",
                     "bin_id", "bin.code", "quantity", "doc_type", "doc_ref", "user_id", "note"],
        status_column="kind",
        status_tones={"receipt": "success", "shipment": "processing", "transfer_out": "warning",
                      "transfer_in": "success", "adjustment": "default", "count": "default"},
        title_column="product",
        card_columns=["kind", "warehouse", "quantity", "created_at"],
        date_column="created_at",
        formatters={**QUANTITIES, "doc_type": doc_type_label},
        service=places.read_only,
    ),
]


# -- the operations, shared by the page and the API ---------------------------------------------------
def _int(value, field, message):
    """An id as sent: a whole number within the database's ids (1 … 2³¹ − 1), or the field's message."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError("inventory.bad_choice", message, field=field)
    if not 1 <= number <= 2_147_483_647:
        raise DomainError("inventory.bad_choice", message, field=field)
    return number


def perform(actor, data: dict) -> dict:
    """One stock operation as posted by the 库存操作 page or POST /api/v1/stock/<operation>: the product,
    warehouse, bin (by code), quantity (a signed delta for an adjustment), document and note. Returns what the
    product now has in the warehouse(s) touched. Raises DomainError (nothing changed) for anything refused."""
    operation = data.get("operation")
    if operation not in OPERATIONS:
        raise DomainError("inventory.bad_operation", _("Choose an operation from the list."), field="operation")
    product_id = _int(data.get("product_id"), "product_id", _("Choose a product from the list."))
    if db.session.get(Product, product_id) is None:
        raise DomainError("inventory.no_product", _("Choose a product from the list."), field="product_id")
    warehouse_id = _int(data.get("warehouse_id"), "warehouse_id", _("Choose a warehouse from the list."))
    if db.session.get(Warehouse, warehouse_id) is None:
        raise DomainError("inventory.no_warehouse", _("Choose a warehouse from the list."), field="warehouse_id")
    bin_id = places.bin_by_code(warehouse_id, data.get("bin"))
    quantity = data.get("quantity")
    doc_type = (str(data.get("doc_type") or "").strip() or None)
    doc_ref = (str(data.get("doc_ref") or "").strip()[:64] or None)
    note = (str(data.get("note") or "").strip()[:2000] or None)
    if doc_type is not None and len(doc_type) > 32:
        raise DomainError("inventory.bad_document", _("The document type is at most 32 characters."),
                          field="doc_type")
    touched = [warehouse_id]
    if operation == "receive":
        service.receive(actor, product_id, warehouse_id, quantity, bin_id, doc_type or "manual", doc_ref, note)
    elif operation == "ship":
        service.ship(actor, product_id, warehouse_id, quantity, bin_id, doc_type or "manual", doc_ref, note)
    elif operation == "adjust":
        if not note:
            raise DomainError("inventory.reason_needed", _("Say why the stock is adjusted."), field="note")
        service.adjust(actor, product_id, warehouse_id, quantity, bin_id, doc_type or "manual", doc_ref, note)
    else:
        to_id = _int(data.get("to_warehouse_id") or warehouse_id, "to_warehouse_id",
                     _("Choose a warehouse from the list."))
        if db.session.get(Warehouse, to_id) is None:
            raise DomainError("inventory.no_warehouse", _("Choose a warehouse from the list."),
                              field="to_warehouse_id")
        to_bin = places.bin_by_code(to_id, data.get("to_bin"))
        service.transfer(actor, product_id, warehouse_id, to_id, quantity, bin_id, to_bin, doc_type or "manual",
                         doc_ref, note)
        touched.append(to_id)
    return {"product_id": product_id, "warehouses": [w for w in service.availability(product_id)
                                                       if w["warehouse_id"] in touched]}


def _may(permission: str, view_name: str) -> bool:
    return bool(current_app.appbuilder.sm.has_access(f"can_{permission}", view_name))


def _active_warehouses():
    return db.session.execute(select(Warehouse.id, Warehouse.code, Warehouse.name)
                              .where(Warehouse.active.is_(True)).order_by(Warehouse.code)).all()


def _number(value) -> str:
    return format(Decimal(value).normalize(), "f") if value is not None else "0"


def stock_of(product_id: int) -> dict:
    """A product's stock now: per warehouse (on hand, reserved, available, in transit), per bin, and its last
    moves — what the 库存 tab draws and refreshes."""
    warehouses = [{**row, **{k: _number(row[k]) for k in ("on_hand", "reserved", "available", "in_transit")}}
                  for row in service.availability(product_id)]
    bins = db.session.execute(
        select(Warehouse.name, WarehouseBin.code, StockLevel.on_hand, StockLevel.reserved,
               StockLevel.on_hand - StockLevel.reserved)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .outerjoin(WarehouseBin, WarehouseBin.id == StockLevel.bin_id)
        .where(StockLevel.product_id == product_id, StockLevel.on_hand != 0)
        .order_by(Warehouse.name, WarehouseBin.code).limit(200)).all()
    moves = db.session.execute(
        select(StockMove.id, StockMove.created_at, StockMove.kind, Warehouse.name, StockMove.quantity,
               StockMove.doc_type, StockMove.doc_ref)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .where(StockMove.product_id == product_id).order_by(StockMove.created_at.desc(), StockMove.id.desc())
        .limit(10)).all()
    kinds = dict(StockMove.kind.property.columns[0].info["choices"])
    from app.core.webhooks import local_time

    total = sum((Decimal(w["available"]) for w in warehouses), Decimal(0))
    return {
        "product_id": product_id,
        "available": _number(total),
        "warehouses": warehouses,
        "bins": [{"warehouse": w, "bin": b or "—", "on_hand": _number(o), "reserved": _number(r),
                  "available": _number(a)} for w, b, o, r, a in bins],
        "moves": [{"id": i, "at": local_time(at, "%Y-%m-%d %H:%M:%S"), "kind": str(kinds.get(k, k)),
                   "warehouse": w, "quantity": _number(q), "document": " ".join(p for p in (doc_type_label(dt_), ref) if p) or "—"}
                  for i, at, k, w, q, dt_, ref in moves],
        "version": max([m[0] for m in moves] or [0]),
    }


def render_stock_tab(spec, item):
    """The product page's 库存 tab, for whoever may read stock; it asks for the figures again every few
    seconds while it is open, so a move made elsewhere shows without reloading."""
    if not _may("read", LEVELS):
        return None
    return Markup(current_app.jinja_env.get_template("inventory/stock_tab.html").render(
        stock=stock_of(item.id), may_move=_may("write", MOVES) and _may("read", MOVES),
        refresh=REFRESH_SECONDS, product=item))


class StockView(BaseView):
    """/inventory/stock/<product>.json (the tab's refresh) and /inventory/operations/ (库存操作)."""

    route_base = "/inventory"
    matrix_label = _l("Stock operations")
    class_permission_name = MOVES
    method_permission_name = {"operations": "write", "product_stock": "read"}
    base_permissions = ["can_read", "can_write"]

    @expose("/stock/<int:product_id>.json")
    def product_stock(self, product_id):
        if not _may("read", LEVELS):
            return jsonify(message=_("You may not read stock.")), 403
        if db.session.get(Product, product_id) is None:
            return jsonify(message=_("The product does not exist.")), 404
        return jsonify(stock_of(product_id))

    @expose("/operations/", methods=["GET", "POST"])
    @has_access
    def operations(self):
        form = request.form.to_dict() if request.method == "POST" else request.args.to_dict()
        form.setdefault("operation", "receive")
        error, done, status = None, None, 200
        if request.method == "POST":
            try:
                done = perform(current_actor(), form)
            except DomainError as exc:
                db.session.rollback()
                error, status = exc, exc.status if 400 <= exc.status < 500 else 400
        product = None
        if str(form.get("product_id") or "").isdigit():
            product = db.session.get(Product, int(form["product_id"]))
        if done is not None:   # what was done stays shown; the form is ready for the next line
            form = {"operation": form["operation"], "warehouse_id": form.get("warehouse_id", ""),
                    "to_warehouse_id": form.get("to_warehouse_id", ""), "doc_ref": form.get("doc_ref", "")}
        html = self.render_template(
            "inventory/operations.html", title=_("Stock operations"), form=form, error=error, done=done,
            product=product, done_product=db.session.get(Product, done["product_id"]) if done else None,
            operations=OPERATIONS, warehouses=_active_warehouses(),
            product_url=f"/relation-search/{MOVES}/product")
        return html, status


def _payload() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("api.bad_body", _("Send a JSON object."))
    return data


class StockApi(BaseApi):
    """/api/v1/stock/: a product's availability across warehouses, and the stock operations (receipt,
    shipment, adjustment, move between bins or warehouses). Stock levels and moves themselves are listed by
    /api/v1/stock_levels/ and /api/v1/stock_moves/."""

    resource_name = "stock"
    openapi_spec_tag = "stock"
    # Reading stock opens the API (Sales reads availability); an operation also needs write on stock moves.
    class_permission_name = LEVELS
    base_permissions = ["can_read"]
    method_permission_name = {"availability": "read", "operate": "read"}

    @expose("/availability/<int:product_id>", methods=["GET"])
    @protect(allow_browser_login=True)
    @safe
    def availability(self, product_id):
        """A product's stock per warehouse: on hand, reserved, available (on hand − reserved), in transit.
        ---
        get:
          summary: A product's availability across warehouses
          parameters:
          - {in: path, name: product_id, required: true, schema: {type: integer}}
          responses:
            200: {description: "{product_id, available, warehouses: [...], bins: [...], moves: [...]}"}
            403: {description: No permission to read stock}
            404: {description: No such product}
        """
        if db.session.get(Product, product_id) is None:
            return self.response(404, message=_("The product does not exist."))
        return self.response(200, **stock_of(product_id))

    @expose("/<operation>", methods=["POST"])
    @protect(allow_browser_login=True)
    @safe
    def operate(self, operation):
        """Receive, ship, adjust or move stock; every change is a stock move, never edited afterwards.
        ---
        post:
          summary: A stock operation (receive / ship / adjust / transfer)
          parameters:
          - {in: path, name: operation, required: true, schema: {type: string, enum: [receive, ship, adjust, transfer]}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [product_id, warehouse_id, quantity]
                  properties:
                    product_id: {type: integer}
                    warehouse_id: {type: integer}
                    bin: {type: string, description: the bin's code}
                    quantity: {type: string, description: "a decimal; for adjust a signed delta"}
                    to_warehouse_id: {type: integer}
                    to_bin: {type: string}
                    doc_type: {type: string}
                    doc_ref: {type: string}
                    note: {type: string, description: required for adjust}
          responses:
            200: {description: "{product_id, warehouses: [...]} — the stock after the move"}
            400: {description: "Refused: {error, message, field}; nothing changed"}
            403: {description: No permission to move stock}
            404: {description: Unknown operation}
            409: {description: Not enough stock; nothing changed}
        """
        if not _may("write", MOVES):
            return self.response(403, message=_("You may not move stock."))
        if operation not in OPERATIONS:
            return self.response(404, message=_("Choose an operation from the list."))
        try:
            data = _payload()
            result = perform(current_actor(), {**data, "operation": operation})
        except DomainError as exc:
            db.session.rollback()
            return self.response(exc.status if 400 <= exc.status < 500 else 400, **exc.as_dict())
        for row in result["warehouses"]:
            for key in ("on_hand", "reserved", "available", "in_transit"):
                row[key] = _number(row[key])
        return self.response(200, **result)


def register_views(appbuilder) -> None:
    appbuilder.add_view(StockView, "menu:stock_operations", label=_l("Stock operations"), icon="fa-truck",
                        href="/inventory/operations/", category=MENU, category_label=INVENTORY,
                        category_icon="fa-archive")
    appbuilder.add_api(StockApi)
    register_tab(ShowTab(key="stock", label=_l("Stock"), render=render_stock_tab,
                         applies=lambda spec: spec.name == "products", order=25))
    from app.core.registry import registry

    # The page posts moves: its menu entry is for those who may write them, not every reader.
    names = registry.write_menu_names.setdefault(MOVES, [])
    if "menu:stock_operations" not in names:
        names.append("menu:stock_operations")
