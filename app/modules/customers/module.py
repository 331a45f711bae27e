"""The customers module, declared once: screens, API, charts, exports and permissions follow."""
from pathlib import Path

from flask import g, has_request_context
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext

from app.core import notify
from app.core.panels import register_record_rule
from app.core.references import register_alternatives
from app.core.remote_select import RemoteSelectField
from app.core.scope import ScopeSpec
from app.core.spec import ActionSpec, ChartSpec, DocumentSpec, ImportSpec, ModuleSpec, NumberingSpec
from app.modules.customers import grading, import_rules, pool, service, tags, views
from app.modules.customers.fields import (CONTACT_FORM, CONTACT_LABELS, CUSTOMER_FORM, CUSTOMER_LABELS,
                                          INTERACTION_FORM, INTERACTION_LABELS)
from app.modules.customers.filters import FilterFollowUpOverdue, FilterInPool, FilterNoInteractionFor
from app.modules.customers.interactions import interactions, record_mail
from app.modules.customers.models import Contact, Customer, GradeRule, Interaction, Tag

CUSTOMERS = lazy_pgettext("menu", "Customers")
# Tags and grade rules are set up by administrators only (no row in access.csv but Admin's).
SETTINGS_PERMISSION = "customer_settings"



def _owner_or_pool(owner) -> str:
    return str(owner) if owner is not None else _("Shared pool")


def _grade(code) -> str:
    if not code:
        return ""
    names = g.setdefault("_zwt_grade_names", None) if has_request_context() else None
    if names is None:
        names = grading.grade_names()
        if has_request_context():
            g._zwt_grade_names = names
    return f"{code} {names[code]}" if code in names else code


register_alternatives(Customer, service.alternatives_to_deleting)


def _manageable(actor, customer) -> bool:
    return service.may_manage(actor, customer)


def _customer_manageable(actor, record) -> bool:
    return record.customer is None or service.may_manage(actor, record.customer)


# What a customer's detail page offers: a pooled customer can only be claimed by those whose
# scope does not reach it on its own; an owned one cannot be claimed.
for _what in ("edit", "delete", "tag", "untag", "transfer", "regrade"):
    register_record_rule("customers", _what, _manageable)
register_record_rule("customers", "claim", lambda actor, customer: customer.pooled_at is not None)
register_record_rule("customers", "release_to_pool",
                     lambda actor, customer: _manageable(actor, customer) and pool.is_inactive(customer))
register_record_rule("customers", "mark_lost",
                     lambda actor, customer: _manageable(actor, customer) and customer.status != "lost")
for _spec in ("contacts", "interactions"):
    for _what in ("edit", "delete"):
        register_record_rule(_spec, _what, _customer_manageable)

if record_mail not in notify.mail_listeners:
    notify.mail_listeners.append(record_mail)

DOCUMENTS = Path(__file__).resolve().parent / "documents"

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
        # Customers number in the hundreds of thousands: chosen by typing, among those the user sees.
        form_fields={"customer": RemoteSelectField(_l("Customer"), model=Customer,
                                                   url="/relation-search/contacts/customer")},
        search_columns=["name", "customer", "phone", "email", "title", "is_primary"],
        order_columns=["name", "title", "phone", "email", "is_primary"],
        export_columns=["customer.name", "name", "title", "phone", "email", "is_primary", "notes"],
        api_columns=["id", "customer_id", "customer.name", "name", "title", "phone", "email", "is_primary", "notes"],
        api_write_columns=["customer_id", "name", "title", "phone", "email", "is_primary", "notes"],
        # The customer's scope columns copied on the row (customers_0009's triggers).
        scope=ScopeSpec(via="customer_id", via_module="customers", shared="pooled_at", copied=True),
        card_columns=["customer", "phone", "title"],
        global_search=["name", "phone"],
        text_search_columns=["name"],    # bigram index on PostgreSQL (search_0001)
        service=service.contacts,
    ),
    ModuleSpec(
        name="interactions",
        model=Interaction,
        label=_l("Interaction"),
        label_plural=_l("Interactions"),
        category=CUSTOMERS,
        category_key="customers",
        category_icon="fa-users",
        icon="fa-comments",
        permission_name="customers",
        label_columns=INTERACTION_LABELS,
        list_columns=["occurred_at", "customer", "kind", "subject", "contact", "outcome", "next_follow_up_on", "user"],
        show_fieldsets=[
            (_l("Interaction"), {"fields": ["customer", "contact", "kind", "occurred_at", "duration_minutes",
                                           "outcome", "subject", "content"]}),
            (_l("Follow-up"), {"fields": ["next_follow_up_on", "user", "created_at"]}),
        ],
        add_columns=INTERACTION_FORM,
        edit_columns=INTERACTION_FORM[1:],
        form_fields={"customer": RemoteSelectField(_l("Customer"), model=Customer,
                                                   url="/relation-search/interactions/customer")},
        search_columns=["customer", "kind", "subject", "content", "occurred_at", "outcome", "next_follow_up_on", "user"],
        order_columns=["occurred_at", "kind", "outcome", "next_follow_up_on"],
        base_order=("occurred_at", "desc"),
        # 本周 / 本月 / 本季度: when it happened, the list's own order (an index serves both)
        date_column="occurred_at",
        text_search_columns=["subject"],  # bigram index on PostgreSQL (customers_0008)
        export_columns=["occurred_at", "customer.name", "kind", "subject", "content", "contact.name",
                        "duration_minutes", "outcome", "next_follow_up_on", "user"],
        api_columns=["id", "customer_id", "contact_id", "kind", "subject", "content", "occurred_at",
                     "duration_minutes", "outcome", "next_follow_up_on", "user_id", "created_at"],
        api_write_columns=["customer_id", "contact_id", "kind", "subject", "content", "occurred_at",
                           "duration_minutes", "outcome", "next_follow_up_on"],
        description_columns={"occurred_at": _l("When it happened; empty means now."),
                             "next_follow_up_on": _l("The owner is reminded on this day.")},
        # The customer's scope columns copied on the row (customers_0009's triggers).
        scope=ScopeSpec(via="customer_id", via_module="customers", shared="pooled_at", copied=True),
        service=interactions,
    ),
    ModuleSpec(
        name="tags",
        model=Tag,
        label=_l("Tag"),
        label_plural=_l("Tags"),
        category=CUSTOMERS,
        category_key="customers",
        category_icon="fa-users",
        icon="fa-tags",
        permission_name=SETTINGS_PERMISSION,
        label_columns={"name": _l("Tag"), "colour": _l("Colour"), "description": _l("Description"),
                       "created_at": _l("Created at")},
        list_columns=["name", "colour", "description"],
        show_fieldsets=[(_l("Tag"), {"fields": ["name", "colour", "description", "created_at"]})],
        add_columns=["name", "colour", "description"],
        edit_columns=["name", "colour", "description"],
        search_columns=["name", "colour"],
        order_columns=["name", "colour"],
        base_order=("name", "asc"),
        api_columns=["id", "name", "colour", "description"],
        api_write_columns=["name", "colour", "description"],
        count_cap=None,
        formatters={"colour": lambda value: tags.tag_labels([Tag(name=dict(tags.COLOUR_CHOICES).get(value, value),
                                                                 colour=value)])},
        service=tags.tags,
    ),
    ModuleSpec(
        name="grade_rules",
        model=GradeRule,
        label=_l("Grade rule"),
        label_plural=_l("Grade rules"),
        category=CUSTOMERS,
        category_key="customers",
        category_icon="fa-users",
        icon="fa-star",
        permission_name=SETTINGS_PERMISSION,
        label_columns={"code": _l("Grade"), "name": _l("Name"), "min_paid_12m": _l("Paid in the last 12 months at least"),
                       "min_months": _l("Months of cooperation at least"), "sort_order": _l("Sort order"),
                       "description": _l("Description")},
        description_columns={"sort_order": _l("Rules are tried in this order; the first one a customer meets gives its grade."),
                             "min_paid_12m": _l("In yuan.")},
        list_columns=["code", "name", "min_paid_12m", "min_months", "sort_order"],
        show_fieldsets=[(_l("Grade rule"), {"fields": ["code", "name", "min_paid_12m", "min_months", "sort_order",
                                                       "description"]})],
        add_columns=["code", "name", "min_paid_12m", "min_months", "sort_order", "description"],
        edit_columns=["code", "name", "min_paid_12m", "min_months", "sort_order", "description"],
        search_columns=["code", "name"],
        order_columns=["code", "sort_order", "min_paid_12m", "min_months"],
        base_order=("sort_order", "asc"),
        api_columns=["id", "code", "name", "min_paid_12m", "min_months", "sort_order", "description"],
        api_write_columns=["code", "name", "min_paid_12m", "min_months", "sort_order", "description"],
        count_cap=None,
        service=grading.grade_rules,
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
        list_columns=["code", "name", "grade", "tags", "industry", "region", "status", "owner", "department",
                      "last_interaction_at", "created_at"],
        show_fieldsets=[
            (_l("Basic information"), {"fields": ["code", "name", "kind", "industry", "tax_id", "status", "source", "tags"]}),
            (_l("Contact details"), {"fields": ["phone", "email", "region", "address"]}),
            (_l("Grade and follow-up"), {"fields": ["grade", "paid_12m", "cooperating_since", "last_interaction_at",
                                                    "next_follow_up_on", "pooled_at"]}),
            (_l("Credit and ownership"), {"fields": ["credit_limit", "owner", "department", "created_at", "updated_at"]}),
            (_l("Notes"), {"fields": ["notes"], "expanded": False}),
        ],
        add_columns=CUSTOMER_FORM,
        edit_columns=CUSTOMER_FORM,
        search_columns=["code", "name", "kind", "industry", "region", "phone", "tax_id", "status", "source",
                        "owner", "department", "created_at", "credit_limit", "grade", "tags", "pooled_at",
                        "last_interaction_at", "next_follow_up_on"],
        search_filters={"tags": [tags.FilterHasAnyTag, tags.FilterHasAllTags], "pooled_at": [FilterInPool],
                        "last_interaction_at": [FilterNoInteractionFor], "next_follow_up_on": [FilterFollowUpOverdue]},
        order_columns=["code", "name", "industry", "region", "status", "created_at", "credit_limit",
                       "last_interaction_at", "next_follow_up_on"],
        text_search_columns=["name"],
        export_columns=["code", "name", "kind", "industry", "tax_id", "region", "address", "phone", "email",
                        "source", "status", "grade", "credit_limit", "paid_12m", "owner", "department",
                        "last_interaction_at", "next_follow_up_on", "created_at"],
        api_columns=["id", "code", "name", "kind", "industry", "tax_id", "region", "address", "phone", "email",
                     "source", "status", "credit_limit", "owner_id", "department_id", "grade", "paid_12m",
                     "cooperating_since", "total_ordered", "total_paid", "total_outstanding", "last_interaction_at",
                     "next_follow_up_on", "pooled_at", "created_at", "updated_at"],
        api_write_columns=["name", "kind", "industry", "tax_id", "region", "address", "phone", "email", "source",
                           "status", "credit_limit", "owner_id", "department_id", "cooperating_since", "notes"],
        description_columns={"credit_limit": _l("In yuan, two decimals."),
                             "paid_12m": _l("Kept up to date by collections; decides the grade with the months of cooperation."),
                             "cooperating_since": _l("Empty means the day the customer was added.")},
        scope=ScopeSpec(owner="owner_id", department="department_id", shared="pooled_at"),
        numbering=NumberingSpec(code="customer", name=_l("Customer code"), pattern="KH-{yyyy}-{seq:05d}"),
        charts=[
            ChartSpec(name="by_industry", title=_l("Customers by industry"), group_by="industry", kind="pie"),
            ChartSpec(name="by_month", title=_l("New customers by month"), group_by="created_at",
                      period="month", kind="line"),
        ],
        actions=[
            ActionSpec(name="tag", label=_l("Add tags"), handler=views.ask_tags, icon="fa-tag"),
            ActionSpec(name="untag", label=_l("Remove tags"), handler=views.ask_untags, icon="fa-eraser"),
            ActionSpec(name="transfer", label=lazy_pgettext("customers", "Transfer"), handler=views.ask_transfer, icon="fa-exchange"),
            ActionSpec(name="release_to_pool", label=_l("Release to the shared pool"), handler=pool.release_to_pool,
                       confirmation=_l("Release the selected customers to the shared pool? They lose their owner "
                                       "and every sales user can claim them."), icon="fa-inbox"),
            ActionSpec(name="claim", label=_l("Claim"), handler=views.claim_selected,
                       confirmation=_l("Claim the selected customers from the shared pool?"), icon="fa-hand-paper-o"),
            ActionSpec(name="regrade", label=_l("Grade now"), handler=grading.regrade_selected, icon="fa-star"),
            ActionSpec(name="mark_lost", label=_l("Mark as lost"), handler=service.mark_lost,
                       confirmation=_l("Mark the selected customers as lost?"), icon="fa-user-times"),
        ],
        documents=[DocumentSpec("customer_card", _l("Customer card"), str(DOCUMENTS / "customer_card.html"),
                                filename="客户资料卡-{code}")],
        related=["contacts", "contracts"],
        status_tones={"potential": "processing", "active": "success", "dormant": "warning", "lost": "default"},
        key_figures=["grade", "credit_limit", "paid_12m", "total_outstanding"],
        card_columns=["code", "status", "owner", "last_interaction_at"],
        global_search=["code", "name", "phone"],
        formatters={"owner": _owner_or_pool, "tags": tags.tag_labels, "grade": _grade},
        service=service.customers,
        importing=ImportSpec(columns=tuple(import_rules.FIELDS), defaults=import_rules.DEFAULTS,
                             help=import_rules.help_texts(), text_columns=("phone", "tax_id"),
                             check_row=import_rules.check_row, check_batch=import_rules.check_batch,
                             writer=import_rules.writer),
    ),
]
