"""The orders module (订单管理), declared once: sales orders with their lines, their lifecycle actions,
charts and permissions. The service (app.modules.orders.service) reserves and ships stock through the
inventory service and reports its orders to 智能推荐."""
from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.panels import register_record_rule
from app.core.remote_select import RemoteSelectField
from app.core.scope import ScopeSpec
from app.core.spec import ActionSpec, ChartSpec, ModuleSpec, NumberingSpec, WorkflowSpec
from app.modules.customers.api import Customer
from app.modules.inventory.models import Warehouse
from app.modules.orders import service
from app.modules.orders.models import (CANCELLED, COMPLETED, CONFIRMED, DRAFT, PARTIAL, PREPARING, RECEIVED,
                                       SHIPPED, SalesOrder, SalesOrderLine, Shipment)
from app.modules.products.models import Product

ORDERS = lazy_pgettext("menu", "Orders")
ANALYSIS_TOP = 10          # 订单统计's top customers, products, owners …

LABELS = {
    "code": _l("Order number"), "customer": _l("Customer"), "customer_id": _l("Customer"),
    "customer.name": _l("Customer"), "warehouse": _l("Ship from"), "warehouse_id": _l("Ship from"),
    "order_date": _l("Order date"), "delivery_address": _l("Delivery address"), "status": _l("Status"),
    "untaxed": _l("Amount before tax"), "tax": _l("Tax"), "total": _l("Total"), "cancel_reason": _l("Why cancelled"),
    "notes": _l("Notes"), "owner": _l("Owner"), "owner_id": _l("Owner"), "department": _l("Department"),
    "department_id": _l("Department"), "created_at": _l("Created at"), "updated_at": _l("Updated at"),
    "shipped_at": _l("Shipped at"), "discount_rate": _l("Price ratio after discounts"),
    "contract": _l("Contract"), "contract_id": _l("Contract"), "approval": _l("Approval"),
    "credit_excess": _l("Over the credit limit by"),
}
LINE_LABELS = {
    "order": _l("Order"), "order_id": _l("Order"), "order.code": _l("Order number"), "product": _l("Product"),
    "product_id": _l("Product"), "product.sku": _l("SKU"), "quantity": _l("Quantity"), "unit_price": _l("Unit price"),
    "discount": _l("Discount (%)"), "tax_rate": _l("Tax rate (%)"), "amount": _l("Amount before tax"),
    "tax": _l("Tax"), "total": _l("Total"), "shipped": _l("Shipped quantity"),
}
SHIPMENT_LABELS = {
    "order": _l("Order"), "order_id": _l("Order"), "carrier": _l("Carrier"), "tracking_no": _l("Tracking number"),
    "shipped_at": _l("Shipped at"), "shipped_by": _l("Shipped by"), "note": _l("Notes"), "summary": _l("What shipped"),
    "lines": _l("What shipped"), "shipped_by_id": _l("Shipped by"),
}
FORM = ["customer", "warehouse", "order_date", "delivery_address", "owner", "notes"]
LINE_FORM = ["order", "product", "quantity", "unit_price", "discount", "tax_rate"]

for _what, _states in (("edit", (DRAFT,)), ("delete", (DRAFT,)), ("confirm", (DRAFT,)), ("prepare", (CONFIRMED,)),
                       ("ship", service.SHIPPABLE), ("ship_part", service.SHIPPABLE), ("receive", (SHIPPED,)),
                       ("complete", (RECEIVED,)), ("cancel", service.CANCELLABLE)):
    register_record_rule("orders", _what, lambda actor, item, states=_states: item.status in states)
register_record_rule("order_lines", "edit", lambda actor, item: item.order.status == DRAFT)
register_record_rule("order_lines", "delete", lambda actor, item: item.order.status == DRAFT)


def _name_of(model_path: str, column: str = "name"):
    """A chart key (an id) named by its record: a customer's, a person's or a department's name."""
    def name(value):
        from importlib import import_module

        from app.extensions import db

        module, _sep, cls = model_path.rpartition(".")
        record = db.session.get(getattr(import_module(module), cls), value) if value else None
        return str(getattr(record, column, None) or record or value) if record is not None else str(value or "")
    return name


def _quantity(value) -> str:
    from decimal import Decimal

    return "" if value is None else f"{Decimal(value).normalize():,f}"


SPECS = [
    ModuleSpec(
        name="order_lines",
        model=SalesOrderLine,
        label=_l("Order line"),
        label_plural=_l("Order lines"),
        category=ORDERS,
        category_key="orders",
        permission_name="orders",
        show_in_menu=False,
        label_columns=LINE_LABELS,
        list_columns=["product.sku", "product", "quantity", "unit_price", "discount", "tax_rate", "amount", "tax",
                      "total", "shipped"],
        show_fieldsets=[(_l("Order line"), {"fields": LINE_FORM + ["amount", "tax", "total", "shipped"]})],
        add_columns=LINE_FORM,
        edit_columns=LINE_FORM,
        form_fields={"order": RemoteSelectField(_l("Order"), model=SalesOrder, url="/relation-search/order_lines/order"),
                     "product": RemoteSelectField(_l("Product"), model=Product,
                                                  url="/relation-search/order_lines/product")},
        description_columns={"unit_price": _l("Empty: the product's list price."),
                             "tax_rate": _l("Empty: the product's tax rate.")},
        search_columns=["order", "product", "quantity", "total"],
        order_columns=["quantity", "unit_price", "total"],
        base_order=("id", "asc"),
        export_columns=["order.code", "product.sku", "product.name", "quantity", "unit_price", "discount", "tax_rate",
                        "amount", "tax", "total"],
        api_columns=["id", "order_id", "product_id", "product.sku", "quantity", "unit_price", "discount", "tax_rate",
                     "amount", "tax", "total"],
        api_write_columns=["order_id", "product_id", "quantity", "unit_price", "discount", "tax_rate"],
        scope=ScopeSpec(via="order_id", via_module="orders", copied=True),
        title_column="product",
        # 订单统计 by product (analysis.py): the lines of orders confirmed or beyond, kept current on PostgreSQL.
        report_totals=[ChartSpec(name="analysis_by_product", title=_l("Top products by order amount"),
                                 group_by="product_id", measure="sum:total", limit=ANALYSIS_TOP,
                                 exclude=(("order_status", (DRAFT, CANCELLED)),))],
        formatters={"quantity": _quantity, "shipped": _quantity},
        service=service.order_lines,
    ),
    ModuleSpec(
        name="order_shipments",
        model=Shipment,
        label=_l("Order shipment"),
        label_plural=_l("Order shipments"),
        category=ORDERS,
        category_key="orders",
        permission_name="orders",
        show_in_menu=False,
        label_columns=SHIPMENT_LABELS,
        list_columns=["shipped_at", "carrier", "tracking_no", "summary", "shipped_by", "note"],
        show_fieldsets=[(_l("Order shipment"), {"fields": ["order", "shipped_at", "carrier", "tracking_no", "summary",
                                                     "shipped_by", "note"]})],
        search_columns=["order", "carrier", "tracking_no", "shipped_at"],
        order_columns=["shipped_at", "carrier"],
        base_order=("id", "asc"),
        export_columns=["order.code", "shipped_at", "carrier", "tracking_no", "note"],
        api_columns=["id", "order_id", "carrier", "tracking_no", "shipped_at", "shipped_by_id", "note"],
        scope=ScopeSpec(via="order_id", via_module="orders"),
        title_column="tracking_no",
        service=service.shipments,
    ),
    ModuleSpec(
        name="orders",
        model=SalesOrder,
        label=_l("Order"),
        label_plural=_l("Orders"),
        category=ORDERS,
        category_key="orders",
        category_icon="fa-shopping-cart",
        icon="fa-file-text-o",
        label_columns=LABELS,
        list_columns=["code", "customer", "order_date", "total", "status", "owner", "shipped_at"],
        show_fieldsets=[
            (_l("Order"), {"fields": ["code", "customer", "contract", "order_date", "status", "warehouse",
                                      "delivery_address", "owner", "department", "notes", "cancel_reason"]}),
            (_l("Amounts"), {"fields": ["untaxed", "tax", "total", "discount_rate", "approval", "credit_excess"]}),
            (_l("Progress"), {"fields": ["created_at", "shipped_at", "updated_at"], "expanded": False}),
        ],
        form_fieldsets=[(_l("Order"), {"fields": FORM})],
        add_columns=FORM,
        edit_columns=FORM,
        form_fields={"customer": RemoteSelectField(_l("Customer"), model=Customer,
                                                   url="/contracts/customers/choices.json"),
                     "warehouse": RemoteSelectField(_l("Ship from"), model=Warehouse,
                                                    url="/relation-search/orders/warehouse")},
        search_columns=["code", "customer", "status", "order_date", "total", "owner", "department", "warehouse",
                        "created_at"],
        order_columns=["code", "order_date", "total", "status", "created_at"],
        text_search_columns=["code"],
        export_columns=["code", "customer.name", "order_date", "untaxed", "tax", "total", "status", "owner",
                        "department", "created_at", "shipped_at"],
        api_columns=["id", "code", "customer_id", "customer.name", "contract_id", "warehouse_id", "order_date", "delivery_address",
                     "status", "untaxed", "tax", "total", "cancel_reason", "owner_id", "department_id", "notes",
                     "created_at", "shipped_at"],
        api_write_columns=["customer_id", "warehouse_id", "order_date", "delivery_address", "owner_id", "notes"],
        scope=ScopeSpec(owner="owner_id", department="department_id"),
        status_tones={DRAFT: "default", CONFIRMED: "processing", PREPARING: "processing", PARTIAL: "processing",
                      SHIPPED: "processing", RECEIVED: "success", COMPLETED: "success", CANCELLED: "warning"},
        title_column="code",
        code_column="code",
        status_column="status",
        workflow=WorkflowSpec(name="order_discount_approval", status_field="approval", chain=service.chain_of,
                              on_submit=service.before_submit),
        lifecycle=lambda order: [DRAFT, CANCELLED] if order.status == CANCELLED else
        [DRAFT, CONFIRMED, PREPARING, PARTIAL, SHIPPED, RECEIVED, COMPLETED],
        key_figures=["total", "order_date", "customer"],
        card_columns=["customer", "total", "status", "order_date"],
        global_search=["code"],
        date_column="order_date",
        numbering=NumberingSpec(code=service.NUMBERING, name=_l("Order number"), pattern="DD-{yyyy}-{seq:05d}"),
        charts=[
            ChartSpec(name="amount_by_month", title=_l("Order amount by month"), group_by="order_date",
                      period="month", measure="sum:total", kind="line"),
            ChartSpec(name="by_status", title=_l("Orders by status"), group_by="status", kind="pie"),
            ChartSpec(name="by_owner", title=_l("Order amount by owner"), group_by="owner_id", measure="sum:total"),
            ChartSpec(name="by_customer", title=_l("Top customers by order amount"), group_by="customer_id",
                      measure="sum:total", limit=10),
            ChartSpec(name="by_department", title=_l("Order amount by department"), group_by="department_id",
                      measure="sum:total"),
        ],
        # 订单统计 (analysis.py) reads these totals of the orders confirmed or beyond, kept current on PostgreSQL.
        report_totals=[ChartSpec(name=f"analysis_{name}", title=title, group_by=column, period=period,
                                 measure="sum:total", limit=ANALYSIS_TOP, exclude=(("status", (DRAFT, CANCELLED)),))
                       for name, title, column, period in (
                           ("by_month", _l("Order amount by month"), "order_date", "month"),
                           ("by_customer", _l("Top customers by order amount"), "customer_id", None),
                           ("by_owner", _l("Order amount by owner"), "owner_id", None),
                           ("by_department", _l("Order amount by department"), "department_id", None),
                           ("by_region", _l("Order amount by region"), "customer_region", None))],
        formatters={"owner_id": _name_of("app.core.org.AppUser", "display_name"),
                    "customer_id": _name_of("app.modules.customers.models.Customer"),
                    "department_id": _name_of("app.core.org.Department")},
        actions=[
            ActionSpec(name="confirm", label=_l("Confirm"), handler=service.confirm_action,
                       confirmation=_l("Confirm the selected orders? Their products are reserved in the warehouse."),
                       icon="fa-check"),
            ActionSpec(name="prepare", label=_l("Start preparing"), handler=service.prepare_action, icon="fa-cubes"),
            ActionSpec(name="ship", label=_l("Ship"), handler=service.ship_action,
                       confirmation=_l("Ship the selected orders? What they hold leaves the warehouse."),
                       icon="fa-truck"),
            ActionSpec(name="ship_part", label=_l("Ship in parts"), handler=service.ship_part_action,
                       icon="fa-truck", main=False),
            ActionSpec(name="receive", label=_l("Received by the customer"), handler=service.receive_action,
                       icon="fa-handshake-o"),
            ActionSpec(name="complete", label=_l("Complete"), handler=service.complete_action, icon="fa-flag-checkered"),
            ActionSpec(name="copy", label=_l("Copy"), handler=service.copy_action, icon="fa-copy",
                       main=False),
            ActionSpec(name="cancel", label=_l("Cancel the order"), handler=service.cancel_action, icon="fa-ban",
                       main=False),
        ],
        related=["order_lines", "order_shipments"],
        service=service.orders,
    ),
]
