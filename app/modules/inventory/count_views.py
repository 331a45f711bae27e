"""盘点单's screens, declared once: the counts list and page with their lines as a tab (counted quantities
typed there), the 开始盘点 / 完成盘点 / 重新盘点 / 取消 actions, 提交审批 through 库存盘点审批, and the phone page
that counts by scanning barcodes (/inventory/counts/<id>/scan). Permission `stock_counts` (Warehouse writes;
Manager, Finance, Purchasing and ReadOnly read)."""
from __future__ import annotations

from flask import jsonify, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext

from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.core.panels import register_record_rule
from app.core.remote_select import RemoteSelectField
from app.core.spec import ActionSpec, ModuleSpec, NumberingSpec, WorkflowSpec
from app.extensions import db
from app.modules.inventory import count_service
from app.modules.inventory.count_models import (CANCELLED, COUNTED, COUNTING, IN_APPROVAL, PLANNED, POSTED,
                                                REJECTED, StockCount, StockCountLine)
from app.modules.inventory.models import Warehouse, WarehouseBin, WarehouseZone
from app.modules.inventory.stock_views import QUANTITIES

INVENTORY = lazy_pgettext("menu", "Inventory")
PERMISSION = "stock_counts"

LABELS = {
    "code": _l("Count number"), "status": _l("Status"), "warehouse": _l("Warehouse"), "warehouse_id": _l("Warehouse"),
    "zone": _l("Zone"), "zone_id": _l("Zone"), "bin": _l("Bin"), "bin_id": _l("Bin"), "note": _l("Note"),
    "owner": _l("Owner"), "owner_id": _l("Owner"), "created_at": _l("Created at"), "started_at": _l("Started at"),
    "posted_at": _l("Posted at"), "warehouse.name": _l("Warehouse"),
}
LINE_LABELS = {"count": _l("Stock count"), "count_id": _l("Stock count"), "product": _l("Product"),
               "product_id": _l("Product"), "product.sku": _l("SKU"), "bin": _l("Bin"), "bin_id": _l("Bin"),
               "expected": _l("Expected"), "counted": _l("Counted"), "difference": _l("Difference"),
               "counted_by": _l("Counted by"), "counted_at": _l("Counted at"), "count.code": _l("Count number"),
               "bin.code": _l("Bin")}
FORM = ["warehouse", "zone", "bin", "note"]


def _field(model, column, label):
    return RemoteSelectField(label, model=model, url=f"/relation-search/{PERMISSION}/{column}")


def _post(actor, count):
    count_service.post(actor, count)


def _scan(actor, items):
    """扫码盘点: opens the phone page of the (first) chosen count."""
    from flask import redirect

    return redirect(f"/inventory/counts/{items[0].id}/scan")


for _name, _states in (("start", (PLANNED,)), ("finish", (COUNTING,)), ("recount", (COUNTED,)),
                       ("cancel", (PLANNED, COUNTING, COUNTED)), ("edit", (PLANNED,)), ("delete", (PLANNED,)),
                       ("scan", (COUNTING,))):
    register_record_rule(PERMISSION, _name, lambda actor, item, states=_states: item.status in states)
register_record_rule("stock_count_lines", "edit", lambda actor, item: item.count.status == COUNTING)
register_record_rule("stock_count_lines", "delete", lambda actor, item: False)


def _difference(value) -> str:
    return "" if value is None else f"{value.normalize():+,f}".replace("+0", "0")


COUNT_SPECS = [
    ModuleSpec(
        name="stock_count_lines",
        model=StockCountLine,
        label=_l("Count line"),
        label_plural=_l("Count lines"),
        category=INVENTORY,
        category_key="inventory",
        permission_name=PERMISSION,
        show_in_menu=False,
        label_columns=LINE_LABELS,
        list_columns=["product.sku", "product", "bin", "expected", "counted", "difference", "counted_by"],
        show_fieldsets=[(_l("Count line"), {"fields": ["count", "product", "bin", "expected", "counted",
                                                       "difference", "counted_by", "counted_at"]})],
        edit_columns=["counted"],
        search_columns=["count", "product", "bin", "counted"],
        order_columns=["expected", "counted"],
        base_order=("id", "asc"),
        export_columns=["count.code", "product.sku", "product.name", "bin.code", "expected", "counted"],
        api_columns=["id", "count_id", "product_id", "product.sku", "bin_id", "expected", "counted", "counted_at"],
        api_write_columns=["counted"],
        title_column="product",
        formatters={**QUANTITIES, "expected": QUANTITIES["quantity"], "counted": QUANTITIES["quantity"],
                    "difference": _difference},
        service=count_service.count_lines,
    ),
    ModuleSpec(
        name=PERMISSION,
        model=StockCount,
        label=_l("Stock count"),
        label_plural=_l("Stock counts"),
        category=INVENTORY,
        category_key="inventory",
        category_icon="fa-archive",
        icon="fa-check-square-o",
        label_columns=LABELS,
        list_columns=["code", "warehouse", "zone", "bin", "status", "owner", "started_at", "posted_at"],
        show_fieldsets=[
            (_l("Stock count"), {"fields": ["code", "status", "warehouse", "zone", "bin", "owner", "note"]}),
            (_l("Progress"), {"fields": ["created_at", "started_at", "posted_at"]}),
        ],
        form_fieldsets=[(_l("Stock count"), {"fields": FORM})],
        add_columns=FORM,
        edit_columns=FORM,
        form_fields={"warehouse": _field(Warehouse, "warehouse", _l("Warehouse")),
                     "zone": _field(WarehouseZone, "zone", _l("Zone")),
                     "bin": _field(WarehouseBin, "bin", _l("Bin"))},
        description_columns={"zone": _l("Leave zone and bin empty to count the whole warehouse."),
                             "bin": _l("One bin only; its zone need not be chosen.")},
        search_columns=["code", "status", "warehouse", "zone", "bin", "owner", "created_at", "started_at"],
        order_columns=["code", "status", "created_at", "started_at", "posted_at"],
        text_search_columns=["code"],
        export_columns=["code", "status", "warehouse.name", "note", "created_at", "started_at", "posted_at"],
        api_columns=["id", "code", "status", "warehouse_id", "zone_id", "bin_id", "note", "owner_id", "created_at",
                     "started_at", "posted_at"],
        api_write_columns=["warehouse_id", "zone_id", "bin_id", "note"],
        status_tones={PLANNED: "default", COUNTING: "processing", COUNTED: "processing", IN_APPROVAL: "processing",
                      POSTED: "success", REJECTED: "error", CANCELLED: "warning"},
        title_column="code",
        code_column="code",
        global_search=["code"],
        key_figures=["warehouse", "zone", "bin", "started_at"],
        numbering=NumberingSpec(code=count_service.NUMBERING, name=_l("Count number"),
                                pattern="PD-{yyyy}{mm}-{seq:04d}", reset="monthly"),
        workflow=WorkflowSpec(name="stock_count_approval", status_field="status", draft=COUNTED,
                              in_approval=IN_APPROVAL, approved=POSTED, rejected=REJECTED, on_approved=_post),
        actions=[
            ActionSpec(name="start", label=_l("Start counting"), handler=count_service.start_action,
                       confirmation=_l("Start the selected counts? Their places are frozen: nothing moves in or "
                                       "out until the count ends."), icon="fa-lock"),
            ActionSpec(name="scan", label=_l("Count by scanning"), handler=_scan, icon="fa-barcode"),
            ActionSpec(name="finish", label=_l("Finish counting"), handler=count_service.finish_action,
                       icon="fa-check"),
            ActionSpec(name="recount", label=_l("Count again"), handler=count_service.recount_action,
                       icon="fa-undo", main=False),
            ActionSpec(name="cancel", label=_l("Cancel the count"), handler=count_service.cancel_action,
                       confirmation=_l("Cancel the selected counts? Their places are free again and nothing is "
                                       "posted."), icon="fa-ban", main=False),
        ],
        related=["stock_count_lines"],
        service=count_service.counts,
    ),
]


class CountScanView(BaseView):
    """/inventory/counts/<id>/scan: the phone page that counts by scanning barcodes (the camera where the
    browser can read barcodes, typing otherwise)."""

    route_base = "/inventory/counts"
    class_permission_name = PERMISSION
    method_permission_name = {"scan": "write", "record": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/<int:count_id>/scan")
    @has_access
    def scan(self, count_id):
        count = db.session.get(StockCount, count_id)
        if count is None:
            return self.render_template("inventory/count_scan.html", title=_("Count by scanning"), count=None,
                                        message=_("The stock count does not exist.")), 404
        return self.render_template("inventory/count_scan.html", title=_("Count by scanning"), count=count,
                                    progress=count_service.progress(count.id), message=None,
                                    counting=count.status == COUNTING, needs_bin=count.bin_id is None and (
                                        count.zone_id is not None or _has_bins(count.warehouse_id)))

    @expose("/<int:count_id>/scan", methods=["POST"])
    @has_access
    def record(self, count_id):
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return jsonify(message=_("Send a JSON object.")), 400
        try:
            result = count_service.record(current_actor(), count_id, str(data.get("code") or ""),
                                          data.get("quantity", 1), data.get("bin"), add=data.get("mode") != "set")
        except ValidationErrors as error:
            db.session.rollback()
            field, messages = next(iter(error.errors.items()))
            return jsonify(message=messages[0], field=field), 400
        except DomainError as error:
            db.session.rollback()
            return jsonify(message=error.message, field=error.field), error.status
        result["counted"] = format(result["counted"].normalize(), "f")
        return jsonify(result)


def _has_bins(warehouse_id) -> bool:
    from sqlalchemy import select

    return db.session.scalar(select(WarehouseBin.id).where(WarehouseBin.warehouse_id == warehouse_id).limit(1)) \
        is not None


def register_views(appbuilder) -> None:
    appbuilder.add_view_no_menu(CountScanView)
