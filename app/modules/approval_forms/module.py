"""Approval forms (审批单), declared once: the requests' list, show page, API and permissions,
and the approval chain each request goes through (its form's chain)."""
from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.scope import ScopeSpec
from app.core.spec import ModuleSpec, NumberingSpec, WorkflowSpec
from app.modules.approval_forms import service
from app.modules.approval_forms.models import ApprovalRequest

APPROVALS = lazy_pgettext("menu", "Approvals")

REQUEST_LABELS = {
    "code": _l("Request number"), "title": _l("Title"), "form": _l("Form"), "approval_form": _l("Form"),
    "approval_form.name": _l("Form"), "form_version": _l("Form version"), "chain": _l("Approval chain"),
    "status": _l("Status"), "days": _l("Days"), "total": _l("Total"), "category": _l("Type"),
    "submitter": _l("Submitter"), "submitter_id": _l("Submitter"), "department": _l("Department"),
    "department_id": _l("Department"), "created_at": _l("Submitted at"), "updated_at": _l("Updated at"),
    "values": _l("Values filled in"),
}

SPECS = [
    ModuleSpec(
        name=service.DOCUMENT,
        model=ApprovalRequest,
        label=_l("Approval request"),
        label_plural=_l("My requests"),
        category=APPROVALS,
        category_key="approvals",
        category_icon="fa-check-square-o",
        icon="fa-paper-plane-o",
        label_columns=REQUEST_LABELS,
        list_columns=["code", "title", "approval_form", "status", "total", "days", "submitter", "created_at"],
        show_fieldsets=[
            (_l("Request"), {"fields": ["code", "title", "approval_form", "category", "days", "total", "status"]}),
            (_l("Ownership"), {"fields": ["submitter", "department", "created_at"]}),
        ],
        add_columns=[],
        edit_columns=[],
        search_columns=["code", "title", "approval_form", "status", "category", "total", "days", "submitter",
                        "department", "created_at"],
        order_columns=["code", "title", "status", "total", "days", "created_at"],
        export_columns=["code", "title", "approval_form.name", "category", "days", "total", "status", "submitter",
                        "department", "created_at"],
        api_columns=["id", "code", "title", "form", "form_version", "category", "days", "total", "status",
                     "values", "submitter_id", "department_id", "created_at"],
        api_write_columns=[],
        scope=ScopeSpec(owner="submitter_id", department="department_id"),
        status_tones={"draft": "default", "in_approval": "processing", "approved": "success", "rejected": "error"},
        key_figures=["total", "days", "created_at"],
        card_columns=["code", "title", "status", "total"],
        global_search=["code", "title"],
        numbering=NumberingSpec(code=service.NUMBERING, name=_l("Approval request number"),
                                pattern="SP-{yyyy}-{seq:05d}"),
        workflow=WorkflowSpec(name="general_request", status_field="status", chain=service.chain_of),
        service=service.requests_service,
    ),
]
