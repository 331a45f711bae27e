"""The customers module, declared once: screens, API, charts, exports and permissions follow."""
from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.scope import ScopeSpec
from app.core.spec import ActionSpec, ChartSpec, ModuleSpec, NumberingSpec
from app.modules.customers import service
from app.modules.customers.models import Contact, Customer

CUSTOMERS = lazy_pgettext("menu", "Customers")

CUSTOMER_LABELS = {
    "code": _l("Customer code"), "name": _l("Customer name"), "kind": _l("Type"),
    "industry": _l("Industry"), "region": _l("Region"), "address": _l("Address"),
    "phone": _l("Phone"), "email": _l("E-mail"), "source": _l("Source"), "status": _l("Status"),
    "tax_id": _l("Tax ID"), "credit_limit": _l("Credit limit"), "notes": _l("Notes"), "owner": _l("Owner"),
    "department": _l("Department"), "created_at": _l("Created at"), "updated_at": _l("Updated at"),
    "owner.username": _l("Owner"), "department.name": _l("Department"),
}
CONTACT_LABELS = {
    "customer": _l("Customer"), "name": _l("Contact name"), "title": _l("Job title"),
    "phone": _l("Phone"), "email": _l("E-mail"), "is_primary": _l("Primary contact"),
    "notes": _l("Notes"), "created_at": _l("Created at"), "customer.name": _l("Customer"),
}
CUSTOMER_FORM = ["name", "kind", "industry", "tax_id", "region", "address", "phone", "email", "source",
                 "status", "credit_limit", "owner", "department", "notes"]
CONTACT_FORM = ["customer", "name", "title", "phone", "email", "is_primary", "notes"]

SPECS = [
    ModuleSpec(
        name="contacts",
        model=Contact,
        label=_l("Contact"),
        label_plural=_l("Contacts"),
        category=CUSTOMERS,
        category_key="customers",
        category_icon="fa-users",
        icon="fa-address-book",
        permission_name="customers",
        label_columns=CONTACT_LABELS,
        list_columns=["name", "customer", "title", "phone", "email", "is_primary"],
        show_fieldsets=[(_l("Contact"), {"fields": CONTACT_FORM})],
        add_columns=CONTACT_FORM,
        edit_columns=CONTACT_FORM,
        search_columns=["name", "customer", "phone", "email", "title", "is_primary"],
        order_columns=["name", "title", "phone", "email", "is_primary"],
        export_columns=["customer.name", "name", "title", "phone", "email", "is_primary", "notes"],
        api_columns=["id", "customer_id", "customer.name", "name", "title", "phone", "email", "is_primary", "notes"],
        api_write_columns=["customer_id", "name", "title", "phone", "email", "is_primary", "notes"],
        scope=ScopeSpec(via="customer_id", via_module="customers"),
        service=service.contacts,
    ),
    ModuleSpec(
        name="customers",
        model=Customer,
        label=_l("Customer"),
        label_plural=_l("Customers"),
        category=CUSTOMERS,
        category_key="customers",
        category_icon="fa-users",
        icon="fa-building",
        label_columns=CUSTOMER_LABELS,
        list_columns=["code", "name", "kind", "industry", "region", "status", "owner", "department", "created_at"],
        show_fieldsets=[
            (_l("Basic information"), {"fields": ["code", "name", "kind", "industry", "tax_id", "status", "source"]}),
            (_l("Contact details"), {"fields": ["phone", "email", "region", "address"]}),
            (_l("Credit and ownership"), {"fields": ["credit_limit", "owner", "department", "created_at", "updated_at"]}),
            (_l("Notes"), {"fields": ["notes"], "expanded": False}),
        ],
        add_columns=CUSTOMER_FORM,
        edit_columns=CUSTOMER_FORM,
        search_columns=["code", "name", "kind", "industry", "region", "phone", "tax_id", "status", "source",
                        "owner", "department", "created_at", "credit_limit"],
        order_columns=["code", "name", "industry", "region", "status", "created_at", "credit_limit"],
        text_search_columns=["name"],
        export_columns=["code", "name", "kind", "industry", "tax_id", "region", "address", "phone", "email",
                        "source", "status", "credit_limit", "owner", "department", "created_at"],
        api_columns=["id", "code", "name", "kind", "industry", "tax_id", "region", "address", "phone", "email",
                     "source", "status", "credit_limit", "owner_id", "department_id", "created_at", "updated_at"],
        api_write_columns=["name", "kind", "industry", "tax_id", "region", "address", "phone", "email", "source",
                           "status", "credit_limit", "owner_id", "department_id", "notes"],
        description_columns={"credit_limit": _l("In yuan, two decimals.")},
        scope=ScopeSpec(owner="owner_id", department="department_id"),
        numbering=NumberingSpec(code="customer", name=_l("Customer code"), pattern="KH-{yyyy}-{seq:05d}"),
        charts=[
            ChartSpec(name="by_industry", title=_l("Customers by industry"), group_by="industry", kind="pie"),
            ChartSpec(name="by_month", title=_l("New customers by month"), group_by="created_at",
                      period="month", kind="line"),
        ],
        actions=[
            ActionSpec(name="mark_lost", label=_l("Mark as lost"), handler=service.mark_lost,
                       confirmation=_l("Mark the selected customers as lost?"), icon="fa-user-times"),
        ],
        related=["contacts", "contracts"],
        service=service.customers,
    ),
]
