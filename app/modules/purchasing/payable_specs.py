"""The payables of purchasing, declared once: supplier invoices matched three ways with their lines, and supplier
payments (付款单) with 付款审批 — screens, API, charts, exports and permissions (module.py adds them to SPECS)."""
from flask_babel import lazy_gettext as _l

from app.core.panels import register_record_rule
from app.core.remote_select import RemoteSelectField
from app.core.scope import ScopeSpec
from app.core.spec import ActionSpec, ChartSpec, ModuleSpec, NumberingSpec, QuickFilter, WorkflowSpec
from app.modules.purchasing import payables
from app.modules.purchasing.formatting import PURCHASING, money as _money, quantity as _quantity
from app.modules.purchasing.formatting import supplier_name as _supplier_name
from app.modules.purchasing.payable_models import (APPROVED as PAY_APPROVED, CANCELLED as PAY_CANCELLED, DIFFERENCE,
                                                   DONE, DRAFT as PAY_DRAFT, IN_APPROVAL as PAY_IN_APPROVAL, OPEN,
                                                   PAID, PART_PAID, REJECTED as PAY_REJECTED, VOIDED,
                                                   SupplierInvoice, SupplierInvoiceLine, SupplierPayment)

# What the detail page of an invoice or a payment offers, by its status.
register_record_rule("supplier_invoices", "pay", lambda actor, invoice: invoice.status in (OPEN, PART_PAID)
                     and invoice.match_status != DIFFERENCE)
register_record_rule("supplier_invoices", "accept", lambda actor, invoice: invoice.match_status == DIFFERENCE
                     and invoice.status != VOIDED)
register_record_rule("supplier_invoices", "void", lambda actor, invoice: invoice.status == OPEN
                     and invoice.paid == 0)
register_record_rule("supplier_payments", "record_paid", lambda actor, payment: payment.status == PAY_APPROVED)
register_record_rule("supplier_payments", "cancel",
                     lambda actor, payment: payment.status in (PAY_DRAFT, PAY_REJECTED, PAY_APPROVED))
register_record_rule("supplier_payments", "edit", lambda actor, payment: payment.status in (PAY_DRAFT, PAY_REJECTED))
register_record_rule("supplier_payments", "delete",
                     lambda actor, payment: payment.status in (PAY_DRAFT, PAY_REJECTED))

INVOICE_LABELS = {
    "code": _l("Supplier invoice record"), "number": _l("Supplier's invoice number"), "supplier": _l("Supplier"),
    "supplier_id": _l("Supplier"), "supplier.name": _l("Supplier"), "order": _l("Purchase order"),
    "order_id": _l("Purchase order"), "order.code": _l("Purchase order number"), "invoice_date": _l("Invoice date"),
    "due_date": _l("Due date"), "untaxed": _l("Amount before tax"), "tax": _l("Tax"), "amount": _l("Amount"),
    "expected": _l("Expected from the order and receipts"), "paid": _l("Paid"), "owed": _l("Still owed"),
    "difference": _l("Difference"), "status": _l("Status"), "match_status": _l("Three-way match"),
    "match_note": _l("Why the differences were accepted"), "owner": _l("Buyer"), "owner_id": _l("Buyer"),
    "department": _l("Department"), "department_id": _l("Department"), "created_at": _l("Created at"),
    "updated_at": _l("Updated at"), "lines": _l("Invoice lines"),
    "invoice": _l("Supplier invoice"), "invoice_id": _l("Supplier invoice"), "invoice.code": _l("Supplier invoice"),
    "product": _l("Product"), "product_id": _l("Product"), "product.sku": _l("SKU"), "product.name": _l("Product"),
    "quantity": _l("Invoiced quantity"), "unit_price": _l("Invoiced unit price"), "tax_rate": _l("Tax rate (%)"),
    "ordered_price": _l("Ordered unit price"), "received_open": _l("Received, not invoiced before"),
    "quantity_diff": _l("Quantity beyond the receipts"), "price_diff": _l("Price difference"),
    "flagged": _l("Differs"), "order_line_id": _l("Purchase order line"),
    "order_line": _l("Purchase order line"),
}
PAYMENT_LABELS = {
    "code": _l("Payment number"), "supplier": _l("Supplier"), "supplier_id": _l("Supplier"),
    "supplier.name": _l("Supplier"), "invoice": _l("Supplier invoice"), "invoice_id": _l("Supplier invoice"),
    "invoice.code": _l("Supplier invoice"), "amount": _l("Amount"), "method": _l("Payment method"),
    "pay_on": _l("Planned payment date"), "paid_on": _l("Paid on"), "reference": _l("Bank reference"),
    "status": _l("Status"), "notes": _l("Notes"), "owner": _l("Applicant"), "owner_id": _l("Applicant"),
    "department": _l("Department"), "department_id": _l("Department"), "created_at": _l("Created at"),
    "updated_at": _l("Updated at"),
}
PAYMENT_FORM = ["invoice", "amount", "method", "pay_on", "notes"]


PAYABLE_SPECS = [
    ModuleSpec(
        name="supplier_invoices",
        made_elsewhere=True,
        model=SupplierInvoice,
        label=_l("Supplier invoice"),
        label_plural=_l("Supplier invoices"),
        category=PURCHASING,
        category_key="purchasing",
        category_icon="fa-truck",
        icon="fa-file-text-o",
        label_columns=INVOICE_LABELS,
        list_columns=["code", "number", "supplier", "invoice_date", "due_date", "amount", "paid", "match_status",
                      "status"],
        show_fieldsets=[
            (_l("Supplier invoice"), {"fields": ["code", "number", "supplier", "order", "invoice_date", "due_date",
                                                 "status", "owner", "department"]}),
            (_l("Amounts"), {"fields": ["untaxed", "tax", "amount", "paid", "owed"]}),
            (_l("Three-way match"), {"fields": ["match_status", "expected", "difference", "match_note"]}),
        ],
        search_columns=["code", "number", "supplier", "order", "invoice_date", "due_date", "amount", "status",
                        "match_status", "owner"],
        order_columns=["code", "invoice_date", "due_date", "amount", "status"],
        text_search_columns=["code", "number"],
        export_columns=["code", "number", "supplier.name", "order.code", "invoice_date", "due_date", "untaxed", "tax",
                        "amount", "expected", "paid", "status", "match_status", "match_note"],
        api_columns=["id", "code", "number", "supplier_id", "order_id", "invoice_date", "due_date", "untaxed", "tax",
                     "amount", "expected", "paid", "status", "match_status", "match_note", "owner_id",
                     "department_id", "created_at"],
        scope=ScopeSpec(owner="owner_id", department="department_id"),
        status_tones={OPEN: "processing", PART_PAID: "processing", PAID: "success", VOIDED: "warning"},
        title_column="code",
        code_column="code",
        status_column="status",
        date_column="invoice_date",
        key_figures=["amount", "paid", "match_status", "due_date"],
        card_columns=["supplier", "amount", "status", "due_date"],
        global_search=["code", "number"],
        quick_filters=[QuickFilter("differences", _l("With differences"), {"_flt_0_match_status": DIFFERENCE}),
                       QuickFilter("to_pay", _l("To pay"), {"_flt_0_status": OPEN})],
        numbering=NumberingSpec(code=payables.INVOICE_NUMBERING, name=_l("Supplier invoice record"),
                                pattern="CF-{yyyy}-{seq:05d}"),
        charts=[ChartSpec(name="amount_by_month", title=_l("Supplier invoices by month"), group_by="invoice_date",
                          period="month", measure="sum:amount", kind="line"),
                ChartSpec(name="by_match", title=_l("Supplier invoices by three-way match"),
                          group_by="match_status", kind="pie")],
        formatters={"supplier_id": _supplier_name, "owed": _money, "difference": _money},
        actions=[
            ActionSpec(name="pay", label=_l("Pay"), handler=payables.pay_action, icon="fa-credit-card"),
            ActionSpec(name="accept", label=_l("Accept the differences"), handler=payables.accept_action,
                       icon="fa-check", main=False),
            ActionSpec(name="void", label=_l("Void"), handler=payables.void_action, icon="fa-ban", main=False),
        ],
        related=["supplier_invoice_lines", "supplier_payments"],
        service=None,
    ),
    ModuleSpec(
        name="supplier_invoice_lines",
        made_elsewhere=True,
        model=SupplierInvoiceLine,
        label=_l("Supplier invoice line"),
        label_plural=_l("Invoice lines"),
        category=PURCHASING,
        category_key="purchasing",
        permission_name="supplier_invoices",
        show_in_menu=False,
        label_columns=INVOICE_LABELS,
        list_columns=["product", "quantity", "received_open", "unit_price", "ordered_price", "amount",
                      "quantity_diff", "price_diff", "flagged"],
        show_fieldsets=[(_l("Supplier invoice line"), {"fields": [
            "invoice", "product", "quantity", "unit_price", "tax_rate", "amount", "tax", "ordered_price",
            "received_open", "quantity_diff", "price_diff", "flagged"]})],
        search_columns=["invoice", "product", "flagged"],
        order_columns=["amount"],
        base_order=("id", "asc"),
        export_columns=["invoice.code", "product.sku", "product.name", "quantity", "unit_price", "ordered_price",
                        "received_open", "amount", "tax", "quantity_diff", "price_diff", "flagged"],
        api_columns=["id", "invoice_id", "order_line_id", "product_id", "quantity", "unit_price", "tax_rate",
                     "amount", "tax", "ordered_price", "received_open", "quantity_diff", "price_diff", "flagged"],
        scope=ScopeSpec(via="invoice_id", via_module="supplier_invoices"),
        title_column="product",
        formatters={"quantity": _quantity, "received_open": _quantity, "quantity_diff": _quantity},
        service=None,
    ),
    ModuleSpec(
        name="supplier_payments",
        model=SupplierPayment,
        label=_l("Supplier payment"),
        label_plural=_l("Supplier payments"),
        category=PURCHASING,
        category_key="purchasing",
        category_icon="fa-truck",
        icon="fa-credit-card",
        label_columns=PAYMENT_LABELS,
        list_columns=["code", "supplier", "invoice", "amount", "method", "pay_on", "paid_on", "status"],
        show_fieldsets=[(_l("Supplier payment"), {"fields": ["code", "supplier", "invoice", "amount", "method",
                                                           "pay_on", "paid_on", "reference", "status", "owner",
                                                           "department", "notes"]})],
        add_columns=PAYMENT_FORM,
        edit_columns=PAYMENT_FORM,
        search_columns=["code", "supplier", "invoice", "amount", "method", "pay_on", "paid_on", "status", "owner"],
        order_columns=["code", "amount", "pay_on", "paid_on", "status"],
        text_search_columns=["code"],
        export_columns=["code", "supplier.name", "invoice.code", "amount", "method", "pay_on", "paid_on", "reference",
                        "status", "notes"],
        api_columns=["id", "code", "supplier_id", "invoice_id", "amount", "method", "pay_on", "paid_on",
                     "reference", "status", "owner_id", "department_id", "notes", "created_at"],
        api_write_columns=["invoice_id", "amount", "method", "pay_on", "notes"],
        description_columns={"amount": _l("Empty: what the invoice still owes.")},
        scope=ScopeSpec(owner="owner_id", department="department_id"),
        status_tones={PAY_DRAFT: "default", PAY_IN_APPROVAL: "processing", PAY_APPROVED: "processing",
                      PAY_REJECTED: "warning", DONE: "success", PAY_CANCELLED: "warning"},
        title_column="code",
        code_column="code",
        status_column="status",
        date_column="pay_on",
        workflow=WorkflowSpec(name="supplier_payment_approval", status_field="status", draft=PAY_DRAFT,
                              in_approval=PAY_IN_APPROVAL, approved=PAY_APPROVED, rejected=PAY_REJECTED,
                              on_submit=payables.before_submit),
        key_figures=["amount", "status", "pay_on"],
        card_columns=["supplier", "amount", "status", "pay_on"],
        global_search=["code"],
        numbering=NumberingSpec(code=payables.PAYMENT_NUMBERING, name=_l("Payment number"),
                                pattern="FK-{yyyy}-{seq:05d}"),
        charts=[ChartSpec(name="paid_by_month", title=_l("Payments to suppliers by month"), group_by="paid_on",
                          period="month", measure="sum:amount", kind="line")],
        actions=[
            ActionSpec(name="record_paid", label=_l("Record as paid"), handler=payables.record_paid_action,
                       confirmation=_l("Record the selected approved payments as paid today?"), icon="fa-check"),
            ActionSpec(name="cancel", label=_l("Cancel"), handler=payables.cancel_payment_action,
                       confirmation=_l("Cancel the selected payments?"), icon="fa-ban", main=False),
        ],
        form_fields={"invoice": RemoteSelectField(_l("Supplier invoice"), model=SupplierInvoice,
                                                  url="/relation-search/supplier_payments/invoice")},
        service=payables.supplier_payments,
    ),
]
