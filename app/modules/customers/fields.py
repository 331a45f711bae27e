"""The customers module's field labels and form layouts: shared by its screens (module.py), its
import (import_rows, import_views) and merging, so that none of them imports another for words."""
from flask_babel import lazy_gettext as _l

CUSTOMER_LABELS = {
    "code": _l("Customer code"), "name": _l("Customer name"), "kind": _l("Type"),
    "industry": _l("Industry"), "region": _l("Region"), "address": _l("Address"),
    "phone": _l("Phone"), "email": _l("E-mail"), "source": _l("Source"), "status": _l("Status"),
    "tax_id": _l("Tax ID"), "credit_limit": _l("Credit limit"), "notes": _l("Notes"), "owner": _l("Owner"),
    "department": _l("Department"), "created_at": _l("Created at"), "updated_at": _l("Updated at"),
    "owner.username": _l("Owner"), "department.name": _l("Department"),
    "grade": _l("Grade"), "paid_12m": _l("Paid in the last 12 months"), "cooperating_since": _l("Cooperating since"),
    "total_ordered": _l("Total ordered"), "total_paid": _l("Total paid"), "total_outstanding": _l("Outstanding"),
    "last_interaction_at": _l("Last interaction"), "next_follow_up_on": _l("Next follow-up"),
    "pooled_at": _l("In the shared pool since"), "lost_at": _l("Lost on"), "tags": _l("Tags"),
}
CONTACT_LABELS = {
    "customer": _l("Customer"), "name": _l("Contact name"), "title": _l("Job title"),
    "phone": _l("Phone"), "email": _l("E-mail"), "is_primary": _l("Primary contact"),
    "notes": _l("Notes"), "created_at": _l("Created at"), "customer.name": _l("Customer"),
}
INTERACTION_LABELS = {
    "customer": _l("Customer"), "contact": _l("Contact"), "kind": _l("Interaction kind"), "subject": _l("Subject"),
    "content": _l("Content"), "occurred_at": _l("Time"), "duration_minutes": _l("Duration (minutes)"),
    "outcome": _l("Outcome"), "next_follow_up_on": _l("Next follow-up"), "user": _l("Logged by"),
    "created_at": _l("Created at"), "customer.name": _l("Customer"), "contact.name": _l("Contact"),
    "user.username": _l("Logged by"),
}
CUSTOMER_FORM = ["name", "kind", "industry", "tax_id", "region", "address", "phone", "email", "source",
                 "status", "credit_limit", "tags", "owner", "department", "cooperating_since", "notes"]
CONTACT_FORM = ["customer", "name", "title", "phone", "email", "is_primary", "notes"]
# The contact is chosen on the customer's timeline form, which offers only that customer's
# contacts; a select of every contact here would list millions.
INTERACTION_FORM = ["customer", "kind", "occurred_at", "duration_minutes", "outcome", "subject", "content",
                    "next_follow_up_on"]
