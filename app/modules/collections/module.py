"""The collections module (回款管理), declared once: payments received and how they settle invoices, the bank
statement lines waiting to become payments, and the dunning reminder rules."""
from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.panels import register_record_rule
from app.core.remote_select import RemoteSelectField
from app.core.scope import ScopeSpec
from app.core.spec import ActionSpec, ChartSpec, ImportSpec, ModuleSpec, NumberingSpec, WorkflowSpec
from app.modules.collections import bank, dunning, service
from app.modules.collections.models import (NEW, REFUND_DONE, REFUND_NONE, REFUND_REJECTED, REFUND_RUNNING,
                                            REGISTERED, REVERSED, UNMATCHED, BankLine, DunningRule, Payment,
                                            PaymentAllocation)
from app.modules.customers.api import Customer
from app.modules.invoices.api import when_out_of_force

COLLECTIONS = lazy_pgettext("menu", "Collections")
LABELS = {
    "code": _l("Payment number"), "customer": _l("Customer"), "customer_id": _l("Customer"),
    "customer.name": _l("Customer"), "amount": _l("Amount received"), "received_on": _l("Received on"),
    "method": _l("Paid by"), "bank_ref": _l("Bank reference"), "payer": _l("Payer"),
    "unallocated": _l("Credit left"), "status": _l("Status"), "notes": _l("Notes"), "owner": _l("Owner"),
    "owner_id": _l("Owner"), "department": _l("Department"), "department_id": _l("Department"),
    "created_at": _l("Created at"), "updated_at": _l("Updated at"), "idempotency_key": _l("Idempotency key"),
    "allocations": _l("Settled invoices"), "refund_state": _l("Reversal approval"),
}
LINE_FORM = ["booked_on", "amount", "payer", "payer_account", "bank_ref", "memo"]
LINE_LABELS = {"booked_on": _l("Booked on"), "amount": _l("Amount"), "payer": _l("Payer"),
               "payer_account": _l("Payer's account"), "bank_ref": _l("Bank reference"), "memo": _l("Memo"),
               "status": _l("Status"), "customer": _l("Customer"), "customer_id": _l("Customer"),
               "payment": _l("Payment"), "payment_id": _l("Payment"), "note": _l("Matching"),
               "owner": _l("Imported by"), "owner_id": _l("Imported by"), "department": _l("Department"),
               "department_id": _l("Department"), "created_at": _l("Imported at"), "updated_at": _l("Updated at")}
RULE_FORM = ["name", "days", "notify_owner", "mail_contact", "active"]
RULE_LABELS = {"name": _l("Name"), "days": _l("Days after the due date"), "notify_owner": _l("Notify the owner"),
               "mail_contact": _l("E-mail the customer's contact"), "active": _l("In use")}
FORM = ["customer", "amount", "received_on", "method", "bank_ref", "payer", "owner", "notes"]
ALLOCATION_LABELS = {"payment": _l("Payment"), "payment_id": _l("Payment"), "invoice": _l("Invoice"),
                     "invoice_id": _l("Invoice"), "invoice.code": _l("Invoice number"), "amount": _l("Amount settled"),
                     "created_at": _l("Settled at")}

when_out_of_force(service.release_invoice)
register_record_rule("payments", "edit", lambda actor, item: False)
register_record_rule("payments", "delete", lambda actor, item: False)
for _action in ("match", "ignore", "register"):
    register_record_rule("bank_lines", _action, lambda actor, item: item.status in (NEW, UNMATCHED))
register_record_rule("bank_lines", "edit", lambda actor, item: False)
register_record_rule("bank_lines", "delete", lambda actor, item: False)
register_record_rule("payments", "allocate", lambda actor, item: item.status == REGISTERED
                     and item.refund_state != REFUND_RUNNING)

SPECS = [
    ModuleSpec(
        name="payment_allocations",
        made_elsewhere=True,
        model=PaymentAllocation,
        label=_l("Settled invoice"),
        label_plural=_l("Settled invoices"),
        category=COLLECTIONS,
        category_key="payments",
        permission_name="payments",
        show_in_menu=False,
        label_columns=ALLOCATION_LABELS,
        list_columns=["invoice", "amount", "created_at"],
        show_fieldsets=[(_l("Settled invoice"), {"fields": ["payment", "invoice", "amount", "created_at"]})],
        search_columns=["invoice", "amount"],
        order_columns=["amount", "created_at"],
        base_order=("id", "asc"),
        export_columns=["invoice.code", "amount", "created_at"],
        api_columns=["id", "payment_id", "invoice_id", "amount", "created_at"],
        scope=ScopeSpec(via="payment_id", via_module="payments"),
        title_column="invoice",
        service=service.allocations,
    ),
    ModuleSpec(
        name="payments",
        model=Payment,
        label=_l("Payment received"),
        label_plural=_l("Payments received"),
        category=COLLECTIONS,
        category_key="payments",
        category_icon="fa-money",
        icon="fa-money",
        label_columns=LABELS,
        list_columns=["code", "customer", "amount", "received_on", "method", "bank_ref", "unallocated", "status",
                      "refund_state", "owner"],
        show_fieldsets=[
            (_l("Payment received"), {"fields": ["code", "customer", "amount", "received_on", "method", "bank_ref",
                                                 "payer", "unallocated", "status", "notes"]}),
            (_l("Ownership"), {"fields": ["owner", "department", "created_at"]}),
        ],
        add_columns=FORM,
        search_columns=["code", "customer", "amount", "received_on", "method", "bank_ref", "payer", "status",
                        "owner", "department"],
        order_columns=["code", "amount", "received_on", "unallocated"],
        text_search_columns=["payer"],
        export_columns=["code", "customer.name", "amount", "received_on", "method", "bank_ref", "payer",
                        "unallocated", "status", "owner", "department"],
        api_columns=["id", "code", "customer_id", "customer.name", "amount", "received_on", "method", "bank_ref",
                     "payer", "unallocated", "status", "notes", "owner_id", "department_id", "created_at"],
        api_write_columns=["customer_id", "amount", "received_on", "method", "bank_ref", "payer", "notes",
                           "idempotency_key"],
        description_columns={
            "bank_ref": _l("The bank's reference of the transfer: the same reference of one customer is registered "
                           "once."),
            "amount": _l("Settles the customer's open invoices oldest first; the rest stays as their credit."),
        },
        form_fields={"customer": RemoteSelectField(_l("Customer"), model=Customer,
                                                   url="/relation-search/payments/customer")},
        scope=ScopeSpec(owner="owner_id", department="department_id"),
        status_tones={REGISTERED: "success", REVERSED: "default"},
        key_figures=["amount", "unallocated", "received_on"],
        card_columns=["code", "customer", "amount", "received_on"],
        global_search=["code", "bank_ref"],
        date_column="received_on",
        numbering=NumberingSpec(code="payment", name=_l("Payment number"), pattern="SK-{yyyy}-{seq:06d}"),
        charts=[ChartSpec(name="by_month", title=_l("Payments received by month"), group_by="received_on",
                          period="month", measure="sum:amount", kind="line"),
                ChartSpec(name="by_method", title=_l("Payments by method"), group_by="method", kind="pie")],
        # 回款率 / DSO (reports.by_month) reads the registered payments by month received from these totals, kept
        # current on PostgreSQL.
        report_totals=[ChartSpec(name="received_by_month", title=_l("Payments received by month"),
                                 group_by="received_on", period="month", measure="sum:amount", kind="line",
                                 exclude=(("status", (REVERSED,)),))],
        actions=[ActionSpec(name="allocate", label=_l("Settle invoices by hand"), handler=service.allocate_action,
                            icon="fa-random", main=False),
                 ActionSpec(name="credit", label=_l("Settle open invoices with the credit"),
                            handler=service.credit_action, icon="fa-exchange", main=False)],
        workflow=WorkflowSpec(name="payment_refund_approval", status_field="refund_state", draft=REFUND_NONE,
                              in_approval=REFUND_RUNNING, approved=REFUND_DONE, rejected=REFUND_REJECTED,
                              on_submit=service.before_refund, on_approved=service.on_refund_approved),
        status_column="status",
        related=["payment_allocations"],
        service=service.payments,
    ),
    ModuleSpec(
        name="dunning_rules",
        model=DunningRule,
        label=_l("Dunning reminder"),
        label_plural=_l("Dunning reminders"),
        category=COLLECTIONS,
        category_key="payments",
        category_icon="fa-money",
        icon="fa-bell-o",
        label_columns=RULE_LABELS,
        list_columns=RULE_FORM,
        show_fieldsets=[(_l("Dunning reminder"), {"fields": RULE_FORM})],
        add_columns=RULE_FORM,
        edit_columns=RULE_FORM,
        search_columns=["name", "days", "active"],
        order_columns=["name", "days"],
        base_order=("days", "asc"),
        export_columns=RULE_FORM,
        api_columns=["id"] + RULE_FORM,
        api_write_columns=RULE_FORM,
        description_columns={
            "days": _l("Days after the due date (negative: before it, 0: on the day). Sent once per invoice."),
            "mail_contact": _l("E-mail the customer's contact what they owe (their primary contact with an "
                               "address)."),
        },
        title_column="name",
        service=dunning.rules,
    ),
    ModuleSpec(
        name="bank_lines",
        model=BankLine,
        label=_l("Bank statement line"),
        label_plural=_l("Bank statements"),
        category=COLLECTIONS,
        category_key="payments",
        category_icon="fa-money",
        icon="fa-university",
        label_columns=LINE_LABELS,
        list_columns=["booked_on", "amount", "payer", "bank_ref", "memo", "status", "customer", "payment", "note"],
        show_fieldsets=[(_l("Bank statement line"), {"fields": LINE_FORM + ["status", "customer", "payment", "note"]}),
                        (_l("Ownership"), {"fields": ["owner", "department", "created_at"]})],
        add_columns=LINE_FORM,
        search_columns=["booked_on", "amount", "payer", "bank_ref", "memo", "status", "customer", "owner"],
        order_columns=["booked_on", "amount", "status"],
        text_search_columns=["payer", "memo"],
        export_columns=LINE_FORM + ["status", "customer.name", "payment.code", "note"],
        api_columns=["id"] + LINE_FORM + ["status", "customer_id", "payment_id", "note", "owner_id", "created_at"],
        api_write_columns=LINE_FORM,
        scope=ScopeSpec(owner="owner_id", department="department_id"),
        status_column="status",
        status_tones={"matched": "success", "unmatched": "warning", "ignored": "default", "new": "processing"},
        date_column="booked_on",
        title_column="payer",
        actions=[ActionSpec(name="register", label=_l("Register as a payment"), handler=bank.register_action,
                            icon="fa-check"),
                 ActionSpec(name="match", label=_l("Match automatically"), handler=bank.match_action,
                            icon="fa-magic", main=False),
                 ActionSpec(name="ignore", label=_l("Ignore"), handler=bank.ignore_action, icon="fa-eye-slash",
                            main=False, confirmation=_l("Ignore the selected lines? They leave the queue."))],
        importing=ImportSpec(columns=tuple(LINE_FORM), required=("booked_on", "amount"),
                             text_columns=("payer_account", "bank_ref"),
                             help={"amount": _l("A credit, in yuan (debits are not imported)."),
                                   "bank_ref": _l("The bank's transaction number: each is imported once.")},
                             check_row=bank.check_row, check_batch=bank.check_batch),
        service=bank.lines,
    ),
]
