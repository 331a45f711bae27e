"""The contracts module, declared once: screens, API, charts, exports, permissions and the
approval chain its documents go through."""
from pathlib import Path

from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.panels import register_record_rule
from app.core.references import register_alternatives, register_blockers
from app.core.scope import ScopeSpec
from app.core.spec import ActionSpec, ChartSpec, DocumentSpec, ImportSpec, ModuleSpec, NumberingSpec, WorkflowSpec
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from app.core.forms import MoneyField
from app.core.spec import QuickFilter
from app.modules.contracts import import_rules, lifecycle, lines, service, signing
from app.modules.contracts.forms import RemoteSelectField
from app.modules.contracts.models import (APPROVED, ARCHIVED, DRAFT, EXPIRED, EXPIRING, IN_APPROVAL, REJECTED,
                                          RENEWED, SIGNED, SIGNING, TERMINATED, Contract, ContractInstalment,
                                          ContractLine, ContractSeal, ContractType)
from app.modules.contracts.views import CHOICES_URL, CONTACTS_URL, describe_contact, describe_customer
from app.modules.customers.api import Contact
from app.modules.products.api import Product
from app.modules.customers.api import Customer

CONTRACTS = lazy_pgettext("menu", "Contracts")
DOCUMENTS = Path(__file__).resolve().parent / "documents"

register_blockers(Contract, service.approval_blockers)
register_blockers(Customer, service.customer_approval_blockers)
register_alternatives(Contract, service.alternatives_to_deleting)
# What a contract's detail page offers, by its status.
register_record_rule("contracts", "edit", service.may_edit)
register_record_rule("contracts", "delete", lambda actor, contract: contract.status == DRAFT)
register_record_rule("contracts", "mark_signed", lambda actor, contract: contract.status in (APPROVED, SIGNING))
register_record_rule("contracts", "start_signing", lambda actor, contract: contract.status == APPROVED)
register_record_rule("contracts", "archive", lambda actor, contract: contract.status in service.ARCHIVABLE)
register_record_rule("contracts", "renew", lambda actor, contract: contract.status in (SIGNED, EXPIRING, EXPIRED))
register_record_rule("contracts", "make_order", lambda actor, contract: contract.status in (SIGNED, EXPIRING))
register_record_rule("contracts", "terminate", lambda actor, contract: contract.status in (SIGNED, EXPIRING))
for _child in ("contract_lines", "contract_instalments"):
    register_record_rule(_child, "edit", lambda actor, item: item.contract.status in lines.EDITABLE)
    register_record_rule(_child, "delete", lambda actor, item: item.contract.status in lines.EDITABLE)

CONTRACT_LABELS = {
    "code": _l("Contract code"), "title": _l("Contract title"), "customer": _l("Customer"),
    "customer_id": _l("Customer"), "customer.name": _l("Customer"), "amount": _l("Contract amount"),
    "standard_terms": _l("Standard terms"), "signed_on": _l("Signed on"), "starts_on": _l("Start date"),
    "ends_on": _l("End date"), "status": _l("Status"), "notes": _l("Notes"), "owner": _l("Owner"),
    "department": _l("Department"), "created_at": _l("Created at"), "updated_at": _l("Updated at"),
    "owner.username": _l("Owner"), "department.name": _l("Department"),
    "owner_id": _l("Owner"), "department_id": _l("Department"),
    "type": _l("Contract type"), "type_id": _l("Contract type"), "type.name": _l("Contract type"),
    "contact": _l("Customer contact"), "contact_id": _l("Customer contact"), "terms": _l("Contract terms"),
    "terminate_reason": _l("Why terminated"), "renewed_from": _l("Renews"), "renewed_from_id": _l("Renews"),
    "pdf_sha256": _l("SHA-256 of the approved PDF"), "signing_state": _l("Signing status"),
    "signing_sha256": _l("SHA-256 of the PDF being signed"),
}
CONTRACT_FORM = ["title", "type", "customer", "contact", "amount", "standard_terms", "signed_on", "starts_on",
                 "ends_on", "owner", "department", "terms", "notes"]
LINE_LABELS = {
    "contract": _l("Contract"), "contract_id": _l("Contract"), "contract.code": _l("Contract code"),
    "product": _l("Product"), "product_id": _l("Product"), "product.sku": _l("SKU"), "product.name": _l("Product"),
    "quantity": _l("Quantity"), "unit_price": _l("Unit price"), "discount": _l("Discount (%)"),
    "tax_rate": _l("Tax rate (%)"), "amount": _l("Amount before tax"), "tax": _l("Tax"), "total": _l("Line amount"),
}
LINE_FORM = ["contract", "product", "quantity", "unit_price", "discount", "tax_rate"]
PLAN_LABELS = {
    "contract": _l("Contract"), "contract_id": _l("Contract"), "contract.code": _l("Contract code"),
    "seq": _l("No."), "name": _l("Instalment"), "basis": _l("Falls due"), "due_on": _l("Due date"),
    "days": _l("Days after"), "percent": _l("Percentage (%)"), "amount": _l("Amount"), "notes": _l("Notes"),
}
PLAN_FORM = ["contract", "seq", "name", "basis", "due_on", "days", "percent", "amount", "notes"]
TYPE_LABELS = {"name": _l("Name"), "notice_days": _l("Expiry notice (days)"),
               "reminder_days": _l("Reminder days before the end"), "active": _l("In use"),
               "sort_order": _l("Sort order"), "sign_order": _l("Signing order"),
               "signer": _l("Our authorised signer"), "signer_id": _l("Our authorised signer")}
TYPE_FORM = ["name", "notice_days", "reminder_days", "sign_order", "signer", "active", "sort_order"]
TYPE_API = ["signer_id" if column == "signer" else column for column in TYPE_FORM]
SEAL_LABELS = {"name": _l("Seal name"), "active": _l("In use"), "notes": _l("Notes"), "created_at": _l("Created at")}
SEAL_FORM = ["name", "active", "notes"]


def _quantity(value) -> str:
    from decimal import Decimal

    return "" if value is None else f"{Decimal(value).normalize():,f}"


def _type_name(value) -> str:
    from app.extensions import db

    found = db.session.get(ContractType, value) if value else None
    return found.name if found is not None else str(_l("No type"))

def _document_lines(contract) -> dict:
    """The contract's lines as its document prints them, each with its product's name and SKU."""
    return {"lines": [{"product": line.product.name, "sku": line.product.sku, "quantity": line.quantity,
                       "unit_price": line.unit_price, "discount": line.discount, "tax_rate": line.tax_rate,
                       "amount": line.amount, "tax": line.tax, "total": line.total} for line in contract.lines]}


def _ending_name(value) -> str:
    from app.modules.contracts.models import STATUS_CHOICES

    return str(dict(STATUS_CHOICES).get(value, _l("In force or not signed")))


SPECS = [
    ModuleSpec(
        name="contract_lines",
        model=ContractLine,
        label=_l("Contract line"),
        label_plural=_l("Contract lines"),
        category=CONTRACTS,
        category_key="contracts",
        permission_name="contracts",
        show_in_menu=False,
        label_columns=LINE_LABELS,
        list_columns=["product.sku", "product", "quantity", "unit_price", "discount", "tax_rate", "amount", "tax",
                      "total"],
        show_fieldsets=[(_l("Contract line"), {"fields": LINE_FORM + ["amount", "tax", "total"]})],
        add_columns=LINE_FORM,
        edit_columns=LINE_FORM,
        form_fields={"contract": RemoteSelectField(_l("Contract"), model=Contract,
                                                   url="/relation-search/contract_lines/contract"),
                     "product": RemoteSelectField(_l("Product"), model=Product,
                                                  url="/relation-search/contract_lines/product")},
        description_columns={"unit_price": _l("Empty: the product's list price."),
                             "tax_rate": _l("Empty: the product's tax rate.")},
        search_columns=["contract", "product", "quantity", "total"],
        order_columns=["quantity", "unit_price", "total"],
        base_order=("id", "asc"),
        export_columns=["contract.code", "product.sku", "product.name", "quantity", "unit_price", "discount",
                        "tax_rate", "amount", "tax", "total"],
        api_columns=["id", "contract_id", "product_id", "product.sku", "quantity", "unit_price", "discount",
                     "tax_rate", "amount", "tax", "total"],
        api_write_columns=["contract_id", "product_id", "quantity", "unit_price", "discount", "tax_rate"],
        scope=ScopeSpec(via="contract_id", via_module="contracts"),
        title_column="product",
        formatters={"quantity": _quantity},
        service=lines.contract_lines,
    ),
    ModuleSpec(
        name="contract_instalments",
        model=ContractInstalment,
        label=_l("Payment plan instalment"),
        label_plural=_l("Payment plan"),
        category=CONTRACTS,
        category_key="contracts",
        permission_name="contracts",
        show_in_menu=False,
        label_columns=PLAN_LABELS,
        list_columns=["seq", "name", "basis", "due_on", "days", "percent", "amount", "notes"],
        show_fieldsets=[(_l("Payment plan instalment"), {"fields": PLAN_FORM})],
        add_columns=PLAN_FORM,
        edit_columns=PLAN_FORM,
        form_fields={"contract": RemoteSelectField(_l("Contract"), model=Contract,
                                                   url="/relation-search/contract_instalments/contract"),
                     "seq": IntegerField(_l("No."), validators=[Optional(), NumberRange(1, 999)]),
                     "amount": MoneyField(_l("Amount"), validators=[Optional()])},
        description_columns={
            "seq": _l("Empty: after the last instalment."),
            "basis": _l("On a date, or a number of days after signing or delivery."),
            "percent": _l("Of the contract amount; leave empty to enter the amount."),
            "amount": _l("Used when no percentage is given; the plan must add up to the contract amount."),
        },
        search_columns=["contract", "name", "basis", "due_on", "amount"],
        order_columns=["seq", "due_on", "amount"],
        base_order=("seq", "asc"),
        export_columns=["contract.code", "seq", "name", "basis", "due_on", "days", "percent", "amount", "notes"],
        api_columns=["id", "contract_id", "seq", "name", "basis", "due_on", "days", "percent", "amount", "notes"],
        api_write_columns=["contract_id", "seq", "name", "basis", "due_on", "days", "percent", "amount", "notes"],
        scope=ScopeSpec(via="contract_id", via_module="contracts"),
        title_column="name",
        service=lines.contract_instalments,
    ),
    ModuleSpec(
        name="contracts",
        model=Contract,
        label=_l("Contract"),
        label_plural=_l("Contracts"),
        category=CONTRACTS,
        category_key="contracts",
        category_icon="fa-file-text",
        icon="fa-file-text",
        label_columns=CONTRACT_LABELS,
        list_columns=["code", "title", "type", "customer", "amount", "status", "signing_state", "signed_on",
                      "ends_on", "owner", "department"],
        show_fieldsets=[
            (_l("Basic information"), {"fields": ["code", "title", "type", "customer", "contact", "amount",
                                                  "standard_terms", "status", "renewed_from", "terminate_reason"]}),
            (_l("Term"), {"fields": ["signed_on", "starts_on", "ends_on"]}),
            (_l("Ownership"), {"fields": ["owner", "department", "created_at", "updated_at"]}),
            (_l("Contract file"), {"fields": ["pdf_sha256", "signing_state", "signing_sha256"], "expanded": False}),
            (_l("Contract terms"), {"fields": ["terms"], "expanded": False}),
            (_l("Notes"), {"fields": ["notes"], "expanded": False}),
        ],
        add_columns=CONTRACT_FORM,
        edit_columns=CONTRACT_FORM,
        search_columns=["code", "title", "type", "customer", "amount", "status", "signing_state", "standard_terms",
                        "signed_on",
                        "starts_on", "ends_on", "owner", "department", "created_at"],
        order_columns=["code", "title", "amount", "status", "signed_on", "ends_on", "created_at"],
        text_search_columns=["title"],
        export_columns=["code", "title", "customer.name", "amount", "standard_terms", "status", "signed_on",
                        "starts_on", "ends_on", "owner", "department", "created_at", "type.name"],
        api_columns=["id", "code", "title", "type_id", "customer_id", "customer.name", "contact_id", "amount",
                     "standard_terms", "status", "signed_on", "starts_on", "ends_on", "owner_id", "department_id",
                     "terms", "notes", "terminate_reason", "renewed_from_id", "pdf_sha256", "signing_state",
                     "signing_sha256", "created_at",
                     "updated_at"],
        api_write_columns=["title", "type_id", "customer_id", "contact_id", "amount", "standard_terms", "signed_on",
                           "starts_on", "ends_on", "owner_id", "department_id", "terms", "notes"],
        description_columns={
            "amount": _l("In yuan, two decimals."),
            "standard_terms": _l("Untick when the contract departs from the standard terms: "
                                 "the legal department then reviews it."),
            "amount_lines": _l("A contract with lines is worth their total."),
        },
        scope=ScopeSpec(owner="owner_id", department="department_id"),
        status_tones={DRAFT: "default", IN_APPROVAL: "processing", APPROVED: "success", REJECTED: "error",
                      SIGNING: "processing", SIGNED: "success", EXPIRING: "warning", EXPIRED: "default",
                      RENEWED: "success", TERMINATED: "error", ARCHIVED: "default"},
        lifecycle=lifecycle.path,
        quick_filters=[QuickFilter("expiring", _l("Expiring soon"), {"_flt_0_status": EXPIRING})],
        key_figures=["amount", "signed_on", "ends_on"],
        card_columns=["code", "customer", "amount", "status"],
        global_search=["code", "title"],
        numbering=NumberingSpec(code="contract", name=_l("Contract code"), pattern="HT-{yyyy}-{seq:05d}"),
        charts=[
            ChartSpec(name="by_status", title=_l("Contracts by status"), group_by="status", kind="pie"),
            ChartSpec(name="amount_by_month", title=_l("Contract amount by month"), group_by="created_at",
                      period="month", measure="sum:amount", kind="line"),
            ChartSpec(name="amount_by_type", title=_l("Contract amount by type"), group_by="type_id",
                      measure="sum:amount"),
            ChartSpec(name="endings", title=_l("How contracts ended (renewal rate)"), group_by="ended_as",
                      kind="pie"),
        ],
        # 订单统计's signed contracts turned into orders (app/modules/orders/analysis.py), kept current on PostgreSQL:
        # signed contracts counted by how many of their orders are confirmed or beyond.
        report_totals=[ChartSpec(name="analysis_conversion", title=_l("Signed contracts turned into orders"),
                                 group_by="order_count", limit=1000,
                                 exclude=(("status", (DRAFT, IN_APPROVAL, APPROVED, REJECTED, SIGNING)),))],
        formatters={"type_id": _type_name, "ended_as": _ending_name},
        actions=[
            ActionSpec(name="start_signing", label=_l("Send for signing"), handler=signing.start_action,
                       confirmation=_l("Send this contract for electronic signing? The parties are asked to sign "
                                       "in the contract type's order."), icon="fa-pencil"),
            ActionSpec(name="mark_signed", label=_l("Mark as signed"), handler=service.mark_signed,
                       confirmation=_l("Mark the selected contracts as signed?"), icon="fa-pencil-square-o"),
            ActionSpec(name="renew", label=_l("Renew"), handler=lifecycle.renew_action, icon="fa-refresh",
                       confirmation=_l("Make a renewal of this contract? A new draft is made with its lines and "
                                       "payment plan, for the following term.")),
            ActionSpec(name="make_order", label=_l("Make an order"), handler=lifecycle.order_action,
                       icon="fa-shopping-cart", main=False),
            ActionSpec(name="terminate", label=_l("Terminate"), handler=lifecycle.terminate_action,
                       icon="fa-stop-circle", main=False),
            ActionSpec(name="archive", label=_l("Archive"), handler=service.archive,
                       confirmation=_l("Archive the selected contracts?"), icon="fa-archive"),
        ],
        workflow=WorkflowSpec(name="contract_approval", status_field="status", on_submit=lines.before_submit,
                              on_approved=lifecycle.on_approved),
        # Customers number in the hundreds of thousands: chosen by typing, never from a full list.
        form_fields={"customer": RemoteSelectField(_l("Customer"), model=Customer, url=CHOICES_URL,
                                                   describe=describe_customer),
                     "contact": RemoteSelectField(_l("Customer contact"), model=Contact, url=CONTACTS_URL,
                                                  describe=describe_contact, with_field="customer", minimum=0,
                                                  placeholder=_l("Choose one of the customer's contacts"))},
        documents=[DocumentSpec("contract", _l("Contract"), str(DOCUMENTS / "contract.html"), filename="合同-{code}",
                               context=_document_lines)],
        related=["contract_lines", "contract_instalments"],
        service=service.contracts,
        importing=ImportSpec(columns=import_rules.COLUMNS, defaults=import_rules.DEFAULTS,
                             choices={"status": (DRAFT,)}, help=import_rules.help_texts(),
                             check_row=import_rules.check_row),
    ),
    ModuleSpec(
        name="contract_types",
        model=ContractType,
        label=_l("Contract type"),
        label_plural=_l("Contract types"),
        category=CONTRACTS,
        category_key="contracts",
        category_icon="fa-file-text",
        icon="fa-list",
        label_columns=TYPE_LABELS,
        list_columns=TYPE_FORM,
        show_fieldsets=[(_l("Contract type"), {"fields": TYPE_FORM})],
        add_columns=TYPE_FORM,
        edit_columns=TYPE_FORM,
        description_columns={
            "notice_days": _l("A signed contract of this type is 即将到期 this many days before it ends."),
            "reminder_days": _l("Its owner and their manager are reminded this many days before the end, "
                                "e.g. 30,15,7,0 (0: on the day)."),
            "sign_order": _l("Who signs a contract of this type first when it is sent for electronic signing."),
            "signer": _l("Signs contracts of this type for our company, in the app."),
        },
        search_columns=["name", "active"],
        order_columns=["name", "sort_order", "notice_days"],
        base_order=("sort_order", "asc"),
        export_columns=TYPE_FORM,
        api_columns=["id"] + TYPE_API,
        api_write_columns=TYPE_API,
        title_column="name",
        service=service.contract_types,
    ),
    ModuleSpec(
        name="contract_seals",
        model=ContractSeal,
        label=_l("Company seal"),
        label_plural=_l("Company seals"),
        category=CONTRACTS,
        category_key="contracts",
        category_icon="fa-file-text",
        icon="fa-certificate",
        label_columns=SEAL_LABELS,
        list_columns=["name", "active", "notes", "created_at"],
        show_fieldsets=[(_l("Company seal"), {"fields": SEAL_FORM + ["created_at"]})],
        add_columns=SEAL_FORM,
        edit_columns=SEAL_FORM,
        description_columns={"name": _l("Upload the seal's picture (PNG with a transparent background) in the "
                                        "Attachments tab; the newest picture is used.")},
        search_columns=["name", "active"],
        order_columns=["name", "created_at"],
        base_order=("name", "asc"),
        export_columns=SEAL_FORM,
        api_columns=["id"] + SEAL_FORM + ["created_at"],
        api_write_columns=SEAL_FORM,
        title_column="name",
        service=service.contract_seals,
    ),
]
