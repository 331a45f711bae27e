"""The contracts module, declared once: screens, API, charts, exports, permissions and the
approval chain its documents go through."""
from pathlib import Path

from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.panels import register_record_rule
from app.core.references import register_alternatives, register_blockers
from app.core.scope import ScopeSpec
from app.core.spec import ActionSpec, ChartSpec, DocumentSpec, ImportSpec, ModuleSpec, NumberingSpec, WorkflowSpec
from app.modules.contracts import import_rules, service
from app.modules.contracts.forms import RemoteSelectField
from app.modules.contracts.models import APPROVED, DRAFT, SIGNED, Contract
from app.modules.contracts.views import CHOICES_URL, describe_customer
from app.modules.customers.api import Customer

CONTRACTS = lazy_pgettext("menu", "Contracts")
DOCUMENTS = Path(__file__).resolve().parent / "documents"

register_blockers(Contract, service.approval_blockers)
register_blockers(Customer, service.customer_approval_blockers)
register_alternatives(Contract, service.alternatives_to_deleting)
# What a contract's detail page offers, by its status.
register_record_rule("contracts", "edit", service.may_edit)
register_record_rule("contracts", "delete", lambda actor, contract: contract.status == DRAFT)
register_record_rule("contracts", "mark_signed", lambda actor, contract: contract.status == APPROVED)
register_record_rule("contracts", "archive", lambda actor, contract: contract.status == SIGNED)

CONTRACT_LABELS = {
    "code": _l("Contract code"), "title": _l("Contract title"), "customer": _l("Customer"),
    "customer_id": _l("Customer"), "customer.name": _l("Customer"), "amount": _l("Contract amount"),
    "standard_terms": _l("Standard terms"), "signed_on": _l("Signed on"), "starts_on": _l("Start date"),
    "ends_on": _l("End date"), "status": _l("Status"), "notes": _l("Notes"), "owner": _l("Owner"),
    "department": _l("Department"), "created_at": _l("Created at"), "updated_at": _l("Updated at"),
    "owner.username": _l("Owner"), "department.name": _l("Department"),
    "owner_id": _l("Owner"), "department_id": _l("Department"),
}
CONTRACT_FORM = ["title", "customer", "amount", "standard_terms", "signed_on", "starts_on", "ends_on",
                 "owner", "department", "notes"]

SPECS = [
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
        list_columns=["code", "title", "customer", "amount", "status", "signed_on", "ends_on", "owner", "department"],
        show_fieldsets=[
            (_l("Basic information"), {"fields": ["code", "title", "customer", "amount", "standard_terms", "status"]}),
            (_l("Term"), {"fields": ["signed_on", "starts_on", "ends_on"]}),
            (_l("Ownership"), {"fields": ["owner", "department", "created_at", "updated_at"]}),
            (_l("Notes"), {"fields": ["notes"], "expanded": False}),
        ],
        add_columns=CONTRACT_FORM,
        edit_columns=CONTRACT_FORM,
        search_columns=["code", "title", "customer", "amount", "status", "standard_terms", "signed_on",
                        "starts_on", "ends_on", "owner", "department", "created_at"],
        order_columns=["code", "title", "amount", "status", "signed_on", "ends_on", "created_at"],
        text_search_columns=["title"],
        export_columns=["code", "title", "customer.name", "amount", "standard_terms", "status", "signed_on",
                        "starts_on", "ends_on", "owner", "department", "created_at"],
        api_columns=["id", "code", "title", "customer_id", "customer.name", "amount", "standard_terms", "status",
                     "signed_on", "starts_on", "ends_on", "owner_id", "department_id", "notes",
                     "created_at", "updated_at"],
        api_write_columns=["title", "customer_id", "amount", "standard_terms", "signed_on", "starts_on", "ends_on",
                           "owner_id", "department_id", "notes"],
        description_columns={
            "amount": _l("In yuan, two decimals."),
            "standard_terms": _l("Untick when the contract departs from the standard terms: "
                                 "the legal department then reviews it."),
        },
        scope=ScopeSpec(owner="owner_id", department="department_id"),
        status_tones={"draft": "default", "in_approval": "processing", "approved": "success",
                      "rejected": "error", "signed": "success", "archived": "default"},
        key_figures=["amount", "signed_on", "ends_on"],
        card_columns=["code", "customer", "amount", "status"],
        global_search=["code", "title"],
        numbering=NumberingSpec(code="contract", name=_l("Contract code"), pattern="HT-{yyyy}-{seq:05d}"),
        charts=[
            ChartSpec(name="by_status", title=_l("Contracts by status"), group_by="status", kind="pie"),
            ChartSpec(name="amount_by_month", title=_l("Contract amount by month"), group_by="created_at",
                      period="month", measure="sum:amount", kind="line"),
        ],
        actions=[
            ActionSpec(name="mark_signed", label=_l("Mark as signed"), handler=service.mark_signed,
                       confirmation=_l("Mark the selected contracts as signed?"), icon="fa-pencil-square-o"),
            ActionSpec(name="archive", label=_l("Archive"), handler=service.archive,
                       confirmation=_l("Archive the selected contracts?"), icon="fa-archive"),
        ],
        workflow=WorkflowSpec(name="contract_approval", status_field="status"),
        # Customers number in the hundreds of thousands: chosen by typing, never from a full list.
        form_fields={"customer": RemoteSelectField(_l("Customer"), model=Customer, url=CHOICES_URL,
                                                   describe=describe_customer)},
        documents=[DocumentSpec("contract", _l("Contract"), str(DOCUMENTS / "contract.html"), filename="合同-{code}")],
        related=[],
        service=service.contracts,
        importing=ImportSpec(columns=import_rules.COLUMNS, defaults=import_rules.DEFAULTS,
                             choices={"status": (DRAFT,)}, help=import_rules.help_texts(),
                             check_row=import_rules.check_row),
    ),
]
