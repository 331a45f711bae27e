"""The purchasing module (采购管理), declared once: suppliers with their contacts, certificates and the categories
they supply, and their quotes per product — screens, API, charts, exports, imports and permissions."""
from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.remote_select import RemoteSelectField
from app.core.scope import ScopeSpec
from app.core.spec import ActionSpec, ChartSpec, ImportSpec, ModuleSpec, NumberingSpec, QuickFilter
from app.modules.products.api import Product
from app.modules.purchasing import service
from app.modules.purchasing.models import (CURRENCY_CHOICES, QUALIFIED, STATUS_CHOICES, SUSPENDED, TRIAL, Supplier, SupplierCertificate,
                                           SupplierContact, SupplierQuote)

PURCHASING = lazy_pgettext("menu", "Purchasing")

SUPPLIER_LABELS = {
    "code": _l("Supplier code"), "name": _l("Supplier name"), "tax_id": _l("Tax id"), "address": _l("Address"),
    "phone": _l("Phone"), "bank_name": _l("Bank"), "bank_account": _l("Bank account"), "status": _l("Status"),
    "notes": _l("Notes"), "owner": _l("Buyer in charge"), "owner_id": _l("Buyer in charge"),
    "department": _l("Department"), "department_id": _l("Department"), "categories": _l("Categories supplied"),
    "created_at": _l("Created at"), "updated_at": _l("Updated at"), "owner.username": _l("Buyer in charge"),
}
SUPPLIER_FORM = ["name", "tax_id", "status", "categories", "phone", "address", "bank_name", "bank_account", "owner",
                 "notes"]
CONTACT_LABELS = {"supplier": _l("Supplier"), "supplier_id": _l("Supplier"), "name": _l("Name"),
                  "title": _l("Job title"), "phone": _l("Phone"), "email": _l("E-mail"), "notes": _l("Notes")}
CERTIFICATE_LABELS = {"supplier": _l("Supplier"), "supplier_id": _l("Supplier"),
                      "name": _l("Licence or certificate"), "number": _l("Certificate number"),
                      "expires_on": _l("Expires on"), "reminded_for": _l("Reminded of the expiry on"),
                      "notes": _l("Notes")}
QUOTE_LABELS = {
    "supplier": _l("Supplier"), "supplier_id": _l("Supplier"), "supplier.name": _l("Supplier"),
    "product": _l("Product"), "product_id": _l("Product"), "product.sku": _l("SKU"), "product.name": _l("Product"),
    "price": _l("Unit price"), "currency": _l("Currency"), "min_quantity": _l("Minimum quantity"),
    "lead_days": _l("Lead time (days)"), "valid_from": _l("Valid from"), "valid_to": _l("Valid until"),
    "notes": _l("Notes"), "created_at": _l("Created at"),
}
QUOTE_FORM = ["supplier", "product", "price", "currency", "min_quantity", "lead_days", "valid_from", "valid_to",
              "notes"]


def _quantity(value) -> str:
    from decimal import Decimal

    return "" if value is None else f"{Decimal(value).normalize():,f}"


def _status_name(value) -> str:
    return str(dict(STATUS_CHOICES).get(value, value or ""))


def _currency_name(value) -> str:
    return str(dict(CURRENCY_CHOICES).get(value, value or ""))


SPECS = [
    ModuleSpec(
        name="suppliers",
        model=Supplier,
        label=_l("Supplier"),
        label_plural=_l("Suppliers"),
        category=PURCHASING,
        category_key="purchasing",
        category_icon="fa-truck",
        icon="fa-industry",
        label_columns=SUPPLIER_LABELS,
        list_columns=["code", "name", "status", "phone", "owner", "created_at"],
        show_fieldsets=[
            (_l("Basic information"), {"fields": ["code", "name", "tax_id", "status", "categories", "owner",
                                                  "department"]}),
            (_l("Contact and bank"), {"fields": ["phone", "address", "bank_name", "bank_account"]}),
            (_l("Notes"), {"fields": ["notes", "created_at", "updated_at"], "expanded": False}),
        ],
        form_fieldsets=[
            (_l("Basic information"), {"fields": ["name", "tax_id", "status", "categories", "owner"]}),
            (_l("Contact and bank"), {"fields": ["phone", "address", "bank_name", "bank_account"]}),
            (_l("Notes"), {"fields": ["notes"]}),
        ],
        add_columns=SUPPLIER_FORM,
        edit_columns=SUPPLIER_FORM,
        search_columns=["code", "name", "tax_id", "phone", "status", "owner", "created_at"],
        order_columns=["code", "name", "status", "created_at"],
        text_search_columns=["code", "name"],
        export_columns=["code", "name", "tax_id", "status", "phone", "address", "bank_name", "bank_account",
                        "owner.username", "notes", "created_at"],
        api_columns=["id", "code", "name", "tax_id", "status", "phone", "address", "bank_name", "bank_account",
                     "owner_id", "department_id", "notes", "created_at", "updated_at"],
        api_write_columns=["name", "tax_id", "status", "phone", "address", "bank_name", "bank_account", "owner_id",
                           "notes"],
        description_columns={"tax_id": _l("The unified social credit code has 18 letters and digits."),
                             "status": _l("Qualified: orders may be placed; on trial: being tried out; suspended: no new quotes or orders.")},
        scope=ScopeSpec(owner="owner_id", department="department_id"),
        status_tones={QUALIFIED: "success", TRIAL: "processing", SUSPENDED: "warning"},
        title_column="name",
        code_column="code",
        status_column="status",
        key_figures=["status", "phone", "owner"],
        card_columns=["code", "status", "phone", "owner"],
        global_search=["code", "name", "phone"],
        quick_filters=[QuickFilter("qualified", _l("Qualified"), {"_flt_0_status": QUALIFIED})],
        numbering=NumberingSpec(code=service.NUMBERING, name=_l("Supplier code"), pattern="GY{seq:06d}",
                                reset="never"),
        charts=[ChartSpec(name="by_status", title=_l("Suppliers by status"), group_by="status", kind="pie"),
                ChartSpec(name="by_month", title=_l("New suppliers by month"), group_by="created_at",
                          period="month", kind="line")],
        formatters={"status": _status_name},
        actions=[ActionSpec(name="suspend", label=_l("Suspend"), handler=service.suspend,
                            confirmation=_l("Suspend the selected suppliers? They give no new quotes."),
                            icon="fa-ban")],
        importing=ImportSpec(columns=("name", "tax_id", "status", "phone", "address", "bank_name", "bank_account",
                                      "notes"), required=("name",), text_columns=("tax_id", "phone", "bank_account"),
                             choices={"status": (QUALIFIED, TRIAL, SUSPENDED)}),
        related=["supplier_contacts", "supplier_certificates", "supplier_quotes"],
        service=service.suppliers,
    ),
    ModuleSpec(
        name="supplier_contacts",
        model=SupplierContact,
        label=_l("Supplier contact"),
        label_plural=_l("Supplier contacts"),
        category=PURCHASING,
        category_key="purchasing",
        permission_name="suppliers",
        show_in_menu=False,
        label_columns=CONTACT_LABELS,
        list_columns=["name", "title", "phone", "email"],
        show_fieldsets=[(_l("Supplier contact"), {"fields": ["supplier", "name", "title", "phone", "email",
                                                           "notes"]})],
        add_columns=["supplier", "name", "title", "phone", "email", "notes"],
        edit_columns=["supplier", "name", "title", "phone", "email", "notes"],
        search_columns=["supplier", "name", "phone", "email"],
        order_columns=["name"],
        base_order=("id", "asc"),
        api_columns=["id", "supplier_id", "name", "title", "phone", "email", "notes"],
        api_write_columns=["supplier_id", "name", "title", "phone", "email", "notes"],
        scope=ScopeSpec(via="supplier_id", via_module="suppliers"),
        form_fields={"supplier": RemoteSelectField(_l("Supplier"), model=Supplier,
                                                   url="/relation-search/supplier_contacts/supplier")},
        service=service.supplier_contacts,
    ),
    ModuleSpec(
        name="supplier_certificates",
        model=SupplierCertificate,
        label=_l("Supplier certificate"),
        label_plural=_l("Licences and certificates"),
        category=PURCHASING,
        category_key="purchasing",
        permission_name="suppliers",
        show_in_menu=False,
        label_columns=CERTIFICATE_LABELS,
        list_columns=["name", "number", "expires_on"],
        show_fieldsets=[(_l("Supplier certificate"), {"fields": ["supplier", "name", "number", "expires_on",
                                                               "reminded_for", "notes"]})],
        add_columns=["supplier", "name", "number", "expires_on", "notes"],
        edit_columns=["supplier", "name", "number", "expires_on", "notes"],
        search_columns=["supplier", "name", "expires_on"],
        order_columns=["name", "expires_on"],
        base_order=("expires_on", "asc"),
        api_columns=["id", "supplier_id", "name", "number", "expires_on", "notes"],
        api_write_columns=["supplier_id", "name", "number", "expires_on", "notes"],
        scope=ScopeSpec(via="supplier_id", via_module="suppliers"),
        form_fields={"supplier": RemoteSelectField(_l("Supplier"), model=Supplier,
                                                   url="/relation-search/supplier_certificates/supplier")},
        service=service.supplier_certificates,
    ),
    ModuleSpec(
        name="supplier_quotes",
        model=SupplierQuote,
        label=_l("Quote"),
        label_plural=_l("Quotes"),
        category=PURCHASING,
        category_key="purchasing",
        category_icon="fa-truck",
        icon="fa-tags",
        label_columns=QUOTE_LABELS,
        list_columns=["supplier", "product", "price", "currency", "min_quantity", "lead_days", "valid_from",
                      "valid_to"],
        show_fieldsets=[(_l("Quote"), {"fields": ["supplier", "product", "price", "currency", "min_quantity",
                                                  "lead_days", "valid_from", "valid_to", "notes", "created_at"]})],
        add_columns=QUOTE_FORM,
        edit_columns=QUOTE_FORM,
        search_columns=["supplier", "product", "price", "currency", "valid_from", "valid_to"],
        order_columns=["price", "lead_days", "valid_from", "valid_to"],
        export_columns=["supplier.name", "product.sku", "product.name", "price", "currency", "min_quantity",
                        "lead_days", "valid_from", "valid_to", "notes"],
        api_columns=["id", "supplier_id", "product_id", "price", "currency", "min_quantity", "lead_days",
                     "valid_from", "valid_to", "notes", "created_at"],
        api_write_columns=["supplier_id", "product_id", "price", "currency", "min_quantity", "lead_days",
                           "valid_from", "valid_to", "notes"],
        description_columns={"price": _l("Per unit, tax included, in the quote's currency."),
                             "valid_to": _l("Empty: valid until further notice.")},
        scope=ScopeSpec(via="supplier_id", via_module="suppliers"),
        permission_name="supplier_quotes",
        title_column="supplier",
        date_column="valid_from",
        form_fields={"supplier": RemoteSelectField(_l("Supplier"), model=Supplier,
                                                   url="/relation-search/supplier_quotes/supplier"),
                     "product": RemoteSelectField(_l("Product"), model=Product,
                                                  url="/relation-search/supplier_quotes/product")},
        formatters={"min_quantity": _quantity, "currency": _currency_name},
        service=service.supplier_quotes,
    ),
]
