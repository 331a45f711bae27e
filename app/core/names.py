"""How codes stored in the database read in the user's language: role names (the code stays
`Admin`, `Sales` ...; screens show 管理员, 销售 ...), FAB's permission names (`can_read`) and
view-menu names (`customers`, `menu:customer_pool`, `RoleModelView`)."""
from __future__ import annotations

from flask_babel import lazy_pgettext

ROLE_LABELS = {
    "Admin": lazy_pgettext("role", "Admin"),
    "Manager": lazy_pgettext("role", "Manager"),
    "Sales": lazy_pgettext("role", "Sales"),
    "Finance": lazy_pgettext("role", "Finance"),
    "Warehouse": lazy_pgettext("role", "Warehouse"),
    "Purchasing": lazy_pgettext("role", "Purchasing"),
    "Marketing": lazy_pgettext("role", "Marketing"),
    "ReadOnly": lazy_pgettext("role", "ReadOnly"),
    "Public": lazy_pgettext("role", "Public"),
}


def role_label(name: str | None) -> str:
    """A role's name as the user reads it; roles an admin created keep the name they were given."""
    if name is None:
        return ""
    label = ROLE_LABELS.get(name)
    return str(label) if label is not None else name
