"""The invoices module (发票管理), declared once: invoices and their lines (issued from orders and contracts, never
typed), the void reasons admins keep, the invoice document, charts, exports and 发票作废审批."""
from pathlib import Path

from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.panels import register_record_rule
from app.core.scope import ScopeSpec
from app.core.spec import ActionSpec, ChartSpec, DocumentSpec, DocumentVariant, ModuleSpec, QuickFilter, WorkflowSpec
from app.modules.invoices import service
from app.modules.invoices.models import (ISSUED, KIND_CHOICES, REVERSED, VOID_DONE, VOID_NONE, VOID_REJECTED, VOID_RUNNING,
                                         VOIDED, Invoice, InvoiceLine, InvoiceVoidReason)

INVOICES = lazy_pgettext("menu", "Invoices")
DOCUMENTS = Path(__file__).resolve().parent / "documents"

LABELS = {
    "code": _l("Invoice number"), "kind": _l("Invoice type"), "red": _l("Red-letter"), "original": _l("Reverses"),
    "original_id": _l("Reverses"), "status": _l("Status"), "customer": _l("Customer"), "customer_id": _l("Customer"),
    "customer.name": _l("Customer"), "order": _l("Order"), "order_id": _l("Order"), "order.code": _l("Order"),
    "contract": _l("Contract"), "contract_id": _l("Contract"), "contract.code": _l("Contract"),
    "issue_date": _l("Issue date"), "due_date": _l("Due date"), "paid": _l("Received"), "buyer_name": _l("Buyer"),
    "buyer_tax_id": _l("Buyer's tax id"),
    "buyer_address_phone": _l("Buyer's address and phone"), "buyer_bank_account": _l("Buyer's bank and account"),
    "amount": _l("Amount before tax"), "tax": _l("Tax"), "total": _l("Total"), "notes": _l("Notes"),
    "platform_ref": _l("Tax platform reference"), "void_state": _l("Void approval"), "void_reason": _l("Void reason"),
    "void_reason_id": _l("Void reason"), "void_note": _l("Why voided"), "voided_at": _l("Voided at"),
    "print_count": _l("Times printed"), "printed_at": _l("Last printed at"), "printed_by": _l("Last printed by"),
    "owner": _l("Owner"), "owner_id": _l("Owner"), "department": _l("Department"),
    "department_id": _l("Department"), "created_at": _l("Created at"), "updated_at": _l("Updated at"),
    "lines": _l("Invoice lines"),
}
LINE_LABELS = {
    "invoice": _l("Invoice"), "invoice_id": _l("Invoice"), "invoice.code": _l("Invoice number"),
    "description": _l("Goods or service"), "unit": _l("Unit"), "quantity": _l("Quantity"),
    "unit_price": _l("Unit price before tax"), "tax_rate": _l("Tax rate (%)"), "amount": _l("Amount before tax"),
    "tax": _l("Tax"), "total": _l("Total"), "product": _l("Product"), "product_id": _l("Product"),
    "order_line_id": _l("Order line"), "instalment_id": _l("Payment plan instalment"),
}
REASON_LABELS = {"name": _l("Reason"), "active": _l("In use"), "sort_order": _l("Sort order")}
REASON_FORM = ["name", "active", "sort_order"]

register_record_rule("invoices", "void", lambda actor, item: item.status == ISSUED and not item.red
                     and item.void_state in (VOID_NONE, VOID_REJECTED))
register_record_rule("invoice_lines", "edit", lambda actor, item: False)
register_record_rule("invoice_lines", "delete", lambda actor, item: False)
register_record_rule("invoices", "edit", lambda actor, item: False)
register_record_rule("invoices", "delete", lambda actor, item: False)


def _quantity(value) -> str:
    from decimal import Decimal

    return "" if value is None else f"{Decimal(value).normalize():,f}"


def _document_lines(invoice) -> dict:
    from app.core.branding import company_name

    return {"seller": {"name": company_name()}, "lines": [{"description": line.description, "unit": line.unit or "", "quantity": line.quantity,
                       "unit_price": line.unit_price, "tax_rate": line.tax_rate, "amount": line.amount,
                       "tax": line.tax, "total": line.total} for line in invoice.lines]}


SPECS = [
    ModuleSpec(
        name="invoice_lines",
        made_elsewhere=True,
        model=InvoiceLine,
        label=_l("Invoice line"),
        label_plural=_l("Invoice lines"),
        category=INVOICES,
        category_key="invoices",
        permission_name="invoices",
        show_in_menu=False,
        label_columns=LINE_LABELS,
        list_columns=["description", "unit", "quantity", "unit_price", "tax_rate", "amount", "tax", "total"],
        show_fieldsets=[(_l("Invoice line"), {"fields": ["invoice", "description", "unit", "quantity", "unit_price",
                                                        "tax_rate", "amount", "tax", "total"]})],
        search_columns=["invoice", "description", "total"],
        order_columns=["description", "total"],
        base_order=("id", "asc"),
        export_columns=["invoice.code", "description", "unit", "quantity", "unit_price", "tax_rate", "amount", "tax",
                        "total"],
        api_columns=["id", "invoice_id", "order_line_id", "instalment_id", "product_id", "description", "unit",
                     "quantity", "unit_price", "tax_rate", "amount", "tax", "total"],
        scope=ScopeSpec(via="invoice_id", via_module="invoices"),
        title_column="description",
        formatters={"quantity": _quantity},
        service=service.invoice_lines,
    ),
    ModuleSpec(
        name="invoices",
        made_elsewhere=True,
        model=Invoice,
        label=_l("Invoice"),
        label_plural=_l("Invoices"),
        category=INVOICES,
        category_key="invoices",
        category_icon="fa-file-text-o",
        icon="fa-file-text-o",
        label_columns=LABELS,
        list_columns=["code", "kind", "issue_date", "customer", "order", "contract", "total", "paid", "due_date",
                      "status", "void_state", "print_count", "owner"],
        show_fieldsets=[
            (_l("Invoice"), {"fields": ["code", "kind", "red", "original", "status", "issue_date", "due_date", "order",
                                        "contract", "amount", "tax", "total", "paid", "platform_ref", "notes"]}),
            (_l("Buyer"), {"fields": ["customer", "buyer_name", "buyer_tax_id", "buyer_address_phone",
                                      "buyer_bank_account"]}),
            (_l("Void"), {"fields": ["void_state", "void_reason", "void_note", "voided_at"], "expanded": False}),
            (_l("Printing"), {"fields": ["print_count", "printed_at", "printed_by"], "expanded": False}),
            (_l("Ownership"), {"fields": ["owner", "department", "created_at", "updated_at"]}),
        ],
        search_columns=["code", "kind", "status", "void_state", "red", "customer", "order", "contract", "issue_date",
                        "due_date", "total", "paid", "buyer_name", "buyer_tax_id", "owner", "department"],
        order_columns=["code", "issue_date", "due_date", "total", "paid", "status", "created_at"],
        text_search_columns=["buyer_name"],
        export_columns=["code", "kind", "red", "status", "issue_date", "customer.name", "order.code", "contract.code",
                        "buyer_name", "buyer_tax_id", "buyer_address_phone", "buyer_bank_account", "amount", "tax",
                        "total", "paid", "due_date", "void_state", "print_count", "owner", "department"],
        api_columns=["id", "code", "kind", "red", "original_id", "status", "customer_id", "customer.name", "order_id",
                     "contract_id", "issue_date", "due_date", "paid", "buyer_name", "buyer_tax_id",
                     "buyer_address_phone", "buyer_bank_account", "amount", "tax", "total", "notes", "platform_ref",
                     "void_state", "void_reason_id", "void_note", "voided_at", "print_count", "printed_at", "owner_id",
                     "department_id", "created_at"],
        description_columns={"issue_date": _l("Today unless set back, within the days an admin allows and never "
                                              "in a closed month.")},
        scope=ScopeSpec(owner="owner_id", department="department_id"),
        status_column="status",
        status_tones={ISSUED: "success", VOIDED: "default", REVERSED: "warning"},
        quick_filters=[QuickFilter("red", _l("Red-letter"), {"_flt_0_red": "y"}),
                       QuickFilter("void_running", _l("Void in approval"), {"_flt_0_void_state": VOID_RUNNING})],
        key_figures=["total", "issue_date", "kind"],
        card_columns=["code", "customer", "total", "status"],
        global_search=["code", "buyer_name"],
        date_column="issue_date",
        charts=[
            ChartSpec(name="by_month", title=_l("Invoiced amount by month"), group_by="issue_date", period="month",
                      measure="sum:total", kind="line"),
            ChartSpec(name="by_kind", title=_l("Invoices by type"), group_by="kind", kind="pie"),
            ChartSpec(name="by_status", title=_l("Invoices by status"), group_by="status", kind="pie"),
        ],
        # 回款率 / DSO (collections/reports.by_month) reads the invoiced amount by month of issue, voided ones left
        # out, from these totals kept current on PostgreSQL.
        report_totals=[ChartSpec(name="invoiced_by_month", title=_l("Invoiced amount by month"), group_by="issue_date",
                                 period="month", measure="sum:total", kind="line", exclude=(("status", (VOIDED,)),))],
        actions=[
            ActionSpec(name="print", label=_l("Print"), handler=service.print_action, permission="read",
                       icon="fa-print", main=False),
            ActionSpec(name="void", label=_l("Void or reverse"), handler=service.void_or_reverse_action,
                       icon="fa-ban", main=False),
        ],
        workflow=WorkflowSpec(name="invoice_void_approval", status_field="void_state", draft=VOID_NONE,
                              in_approval=VOID_RUNNING, approved=VOID_DONE, rejected=VOID_REJECTED,
                              on_submit=service.before_void, on_approved=service.on_void_approved),
        documents=[DocumentSpec("invoice", _l("Invoice"), str(DOCUMENTS / "vat.html"), filename="发票-{code}",
                                context=_document_lines, printed=service.printed, variant=lambda invoice: invoice.kind,
                                # 专票 and 普票 ship the same layout (vat.html draws each its own way), 收据 its own.
                                variants=tuple(DocumentVariant(kind, label, str(DOCUMENTS / (
                                    "receipt.html" if kind == "receipt" else "vat.html"))) for kind, label in KIND_CHOICES))],
        related=["invoice_lines"],
        service=service.invoices,
    ),
    ModuleSpec(
        name="invoice_void_reasons",
        model=InvoiceVoidReason,
        label=_l("Void reason"),
        label_plural=_l("Void reasons"),
        category=INVOICES,
        category_key="invoices",
        category_icon="fa-file-text-o",
        icon="fa-list",
        label_columns=REASON_LABELS,
        list_columns=REASON_FORM,
        show_fieldsets=[(_l("Void reason"), {"fields": REASON_FORM})],
        add_columns=REASON_FORM,
        edit_columns=REASON_FORM,
        search_columns=["name", "active"],
        order_columns=["name", "sort_order"],
        base_order=("sort_order", "asc"),
        export_columns=REASON_FORM,
        api_columns=["id"] + REASON_FORM,
        api_write_columns=REASON_FORM,
        title_column="name",
        service=service.void_reasons,
    ),
]
