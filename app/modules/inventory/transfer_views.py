"""调拨单's screens, declared once: the transfers list and page with their lines as a tab, and the 发出 / 到货 /
取消 actions. Permission `stock_transfers` (Warehouse writes; Manager, Finance, Purchasing and ReadOnly read)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.panels import register_record_rule
from app.core.remote_select import RemoteSelectField
from app.core.spec import ActionSpec, ModuleSpec, NumberingSpec
from app.modules.inventory import transfer_service
from app.modules.inventory.models import Warehouse, WarehouseBin
from app.modules.inventory.stock_views import QUANTITIES
from app.modules.inventory.transfer_models import DRAFT, IN_TRANSIT, StockTransfer, StockTransferLine
from app.modules.products.models import Product

INVENTORY = lazy_pgettext("menu", "Inventory")
PERMISSION = "stock_transfers"

LABELS = {
    "code": _l("Transfer number"), "status": _l("Status"), "from_warehouse": _l("From warehouse"),
    "from_warehouse_id": _l("From warehouse"), "from_bin": _l("From bin"), "from_bin_id": _l("From bin"),
    "to_warehouse": _l("To warehouse"), "to_warehouse_id": _l("To warehouse"), "to_bin": _l("To bin"),
    "to_bin_id": _l("To bin"), "note": _l("Note"), "created_by": _l("Made by"), "created_by_id": _l("Made by"),
    "created_at": _l("Created at"), "sent_at": _l("Sent at"), "arrived_at": _l("Arrived at"),
    "from_warehouse.name": _l("From warehouse"), "to_warehouse.name": _l("To warehouse"),
}
LINE_LABELS = {"transfer": _l("Transfer"), "transfer_id": _l("Transfer"), "product": _l("Product"),
               "product_id": _l("Product"), "product.sku": _l("SKU"), "quantity": _l("Quantity"),
               "transfer.code": _l("Transfer number")}
FORM = ["from_warehouse", "from_bin", "to_warehouse", "to_bin", "note"]


def _field(model, spec_name, column, label):
    return RemoteSelectField(label, model=model, url=f"/relation-search/{spec_name}/{column}")


register_record_rule(PERMISSION, "send", lambda actor, item: item.status == DRAFT)
register_record_rule(PERMISSION, "arrive", lambda actor, item: item.status == IN_TRANSIT)
register_record_rule(PERMISSION, "cancel", lambda actor, item: item.status == DRAFT)
register_record_rule(PERMISSION, "edit", lambda actor, item: item.status == DRAFT)
register_record_rule(PERMISSION, "delete", lambda actor, item: item.status == DRAFT)
register_record_rule("stock_transfer_lines", "edit", lambda actor, item: item.transfer.status == DRAFT)
register_record_rule("stock_transfer_lines", "delete", lambda actor, item: item.transfer.status == DRAFT)

TRANSFER_SPECS = [
    ModuleSpec(
        name="stock_transfer_lines",
        model=StockTransferLine,
        label=_l("Transfer line"),
        label_plural=_l("Transfer lines"),
        category=INVENTORY,
        category_key="inventory",
        permission_name=PERMISSION,
        show_in_menu=False,
        label_columns=LINE_LABELS,
        list_columns=["product.sku", "product", "quantity"],
        show_fieldsets=[(_l("Transfer line"), {"fields": ["transfer", "product", "quantity"]})],
        add_columns=["transfer", "product", "quantity"],
        edit_columns=["transfer", "product", "quantity"],
        form_fields={"transfer": _field(StockTransfer, "stock_transfer_lines",
                                        "transfer", _l("Transfer")),
                     "product": _field(Product, "stock_transfer_lines", "product", _l("Product"))},
        search_columns=["transfer", "product", "quantity"],
        order_columns=["quantity"],
        base_order=("id", "asc"),
        export_columns=["transfer.code", "product.sku", "product.name", "quantity"],
        api_columns=["id", "transfer_id", "product_id", "product.sku", "quantity"],
        api_write_columns=["transfer_id", "product_id", "quantity"],
        title_column="product",
        formatters=QUANTITIES,
        service=transfer_service.transfer_lines,
    ),
    ModuleSpec(
        name=PERMISSION,
        model=StockTransfer,
        label=_l("Transfer"),
        label_plural=_l("Transfers"),
        category=INVENTORY,
        category_key="inventory",
        category_icon="fa-archive",
        icon="fa-random",
        label_columns=LABELS,
        list_columns=["code", "from_warehouse", "from_bin", "to_warehouse", "to_bin", "status", "sent_at",
                      "arrived_at"],
        show_fieldsets=[
            (_l("Transfer"), {"fields": ["code", "status", "from_warehouse", "from_bin", "to_warehouse", "to_bin",
                                         "note"]}),
            (_l("Progress"), {"fields": ["created_by", "created_at", "sent_at", "arrived_at"]}),
        ],
        form_fieldsets=[(_l("Transfer"), {"fields": FORM})],
        add_columns=FORM,
        edit_columns=FORM,
        form_fields={
            "from_warehouse": _field(Warehouse, PERMISSION, "from_warehouse", _l("From warehouse")),
            "to_warehouse": _field(Warehouse, PERMISSION, "to_warehouse", _l("To warehouse")),
            "from_bin": _field(WarehouseBin, PERMISSION, "from_bin", _l("From bin")),
            "to_bin": _field(WarehouseBin, PERMISSION, "to_bin", _l("To bin")),
        },
        search_columns=["code", "status", "from_warehouse", "to_warehouse", "from_bin", "to_bin", "created_at",
                        "sent_at", "arrived_at"],
        order_columns=["code", "status", "created_at", "sent_at", "arrived_at"],
        text_search_columns=["code"],
        export_columns=["code", "status", "from_warehouse.name", "to_warehouse.name", "note", "created_at",
                        "sent_at", "arrived_at"],
        api_columns=["id", "code", "status", "from_warehouse_id", "from_bin_id", "to_warehouse_id", "to_bin_id",
                     "note", "created_at", "sent_at", "arrived_at"],
        api_write_columns=["from_warehouse_id", "from_bin_id", "to_warehouse_id", "to_bin_id", "note"],
        status_tones={"draft": "default", "in_transit": "processing", "arrived": "success", "done": "success",
                      "cancelled": "warning"},
        title_column="code",
        code_column="code",
        global_search=["code"],
        key_figures=["from_warehouse", "to_warehouse", "sent_at"],
        numbering=NumberingSpec(code=transfer_service.NUMBERING, name=_l("Transfer number"),
                                pattern="DB-{yyyy}{mm}-{seq:05d}", reset="monthly"),
        actions=[
            ActionSpec(name="send", label=_l("Send"), handler=transfer_service.send_action,
                       confirmation=_l("Send the selected transfers? Their products leave the source warehouse."),
                       icon="fa-truck"),
            ActionSpec(name="arrive", label=_l("Arrived"), handler=transfer_service.arrive_action,
                       confirmation=_l("Receive the selected transfers into their destination?"), icon="fa-check"),
            ActionSpec(name="cancel", label=_l("Cancel the transfer"), handler=transfer_service.cancel_action,
                       confirmation=_l("Cancel the selected draft transfers?"), icon="fa-ban", main=False),
        ],
        related=["stock_transfer_lines"],
        service=transfer_service.transfers,
    ),
]
