"""How codes stored in the database read in the user's language: role names (the code stays
`Admin`, `Sales` ...; screens show 管理员, 销售 ...), FAB's permission names (`can_read`) and
view-menu names (`customers`, `menu:customer_pool`, `RoleModelView`)."""
from __future__ import annotations

from flask import current_app, has_app_context
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext

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

PERMISSION_LABELS = {
    "can_read": lazy_pgettext("permission", "read"),
    "can_write": lazy_pgettext("permission", "write"),
    "can_delete": lazy_pgettext("permission", "delete"),
    "can_export": lazy_pgettext("permission", "export"),
    "menu_access": lazy_pgettext("permission", "menu access"),
    "can_add": lazy_pgettext("permission", "add"),
    "can_edit": lazy_pgettext("permission", "edit"),
    "can_show": lazy_pgettext("permission", "show"),
    "can_list": lazy_pgettext("permission", "list"),
    "can_get": lazy_pgettext("permission", "API read"),
    "can_info": lazy_pgettext("permission", "API description"),
    "can_post": lazy_pgettext("permission", "API add"),
    "can_put": lazy_pgettext("permission", "API change"),
    "can_download": lazy_pgettext("permission", "download"),
    "can_approve": lazy_pgettext("permission", "approve"),
    "can_create": lazy_pgettext("permission", "create"),
    "can_revoke": lazy_pgettext("permission", "revoke"),
    "can_manage": lazy_pgettext("permission", "manage"),
    "can_chart": lazy_pgettext("permission", "chart"),
    "can_userinfo": lazy_pgettext("permission", "own profile"),
    "can_this_form_get": lazy_pgettext("permission", "open the form"),
    "can_this_form_post": lazy_pgettext("permission", "submit the form"),
    "can_add_role_permissions": lazy_pgettext("permission", "add permissions to roles"),
    "can_list_role_permissions": lazy_pgettext("permission", "list permissions of roles"),
    "can_update_role_groups": lazy_pgettext("permission", "change groups of roles"),
    "can_update_role_users": lazy_pgettext("permission", "change users of roles"),
    "copyrole": lazy_pgettext("permission", "copy roles"),
    "resetmypassword": lazy_pgettext("permission", "change own password"),
    "resetpasswords": lazy_pgettext("permission", "reset passwords"),
    "userinfoedit": lazy_pgettext("permission", "edit own profile"),
    "signout_mine": lazy_pgettext("permission", "sign out own devices"),
    "signout_everywhere": lazy_pgettext("permission", "sign users out everywhere"),
    "unlock": lazy_pgettext("permission", "unlock users"),
    "can_share": lazy_pgettext("permission", "share with roles"),
}

# FAB's own views and APIs that have no menu entry to borrow a label from.
VIEW_LABELS = {
    "Role": lazy_pgettext("view", "Roles API"),
    "User": lazy_pgettext("view", "Users API"),
    "Group": lazy_pgettext("view", "Groups API"),
    "Permission": lazy_pgettext("view", "Permissions API"),
    "ViewMenu": lazy_pgettext("view", "Views/menus API"),
    "PermissionViewMenu": lazy_pgettext("view", "Permissions on views/menus API"),
    "ApiKey": lazy_pgettext("view", "API keys API"),
    "MenuApi": lazy_pgettext("view", "Menu API"),
    "OpenApi": lazy_pgettext("view", "API description"),
    "SwaggerView": lazy_pgettext("view", "API documentation page"),
    "HomeView": lazy_pgettext("view", "Home page"),
    "LocaleView": lazy_pgettext("view", "Language switch"),
    "UtilView": lazy_pgettext("view", "Back link"),
    "MfaView": lazy_pgettext("view", "Two-factor authentication"),
    "MyLoginHistoryView": lazy_pgettext("view", "My login history"),
    "ResetMyPasswordView": lazy_pgettext("view", "Change my password"),
    "ResetPasswordView": lazy_pgettext("view", "Reset a user's password"),
    "UserInfoEditView": lazy_pgettext("view", "Edit my profile"),
    "RegistrationView": lazy_pgettext("view", "Registration"),
    "ZwtAuthDBView": lazy_pgettext("view", "Sign-in page"),
    "ZwtSecurityApi": lazy_pgettext("view", "Sign-in API"),
    "CommentApi": lazy_pgettext("view", "Comments API"),
    "CommentsView": lazy_pgettext("view", "Comments"),
    "SavedViews": lazy_pgettext("view", "Saved views of lists"),
    "notification_settings": _l("Notification settings"),
}


def role_label(name: str | None) -> str:
    """A role's name as the user reads it; roles an admin created keep the name they were given."""
    if name is None:
        return ""
    label = ROLE_LABELS.get(name)
    return str(label) if label is not None else name


def permission_label(name: str | None) -> str:
    """A permission's name as a label: the app's own words, else the label of the list action
    of that name (FAB names an action's permission after the action)."""
    if name is None:
        return ""
    label = PERMISSION_LABELS.get(name)
    if label is None and has_app_context() and getattr(current_app, "appbuilder", None) is not None:
        label = _action_labels().get(name)
    return str(label) if label is not None else name


def _action_labels() -> dict:
    appbuilder = current_app.appbuilder
    cached = getattr(appbuilder, "_zwt_action_labels", None)
    if cached is None:
        cached = {}
        for view in appbuilder.baseviews:
            for name, action in (getattr(view, "actions", None) or {}).items():
                cached.setdefault(name, action.text)
        appbuilder._zwt_action_labels = cached
    return cached


def _menu_labels() -> dict:
    """{view-menu name: label} from the app's menu: its entries and the views behind them."""
    appbuilder = current_app.appbuilder
    cached = getattr(appbuilder, "_zwt_view_labels", None)
    if cached is not None:
        return cached
    from app.core.registry import registry

    labels: dict = {}
    for spec in registry.specs.values():
        if spec.name == spec.permission_name:
            labels[spec.name] = spec.label_plural or spec.label
    stack = list(appbuilder.menu.get_list())
    while stack:
        item = stack.pop()
        stack.extend(item.childs or [])
        if not item.label or item.name == "-":
            continue
        labels.setdefault(item.name, item.label)
        baseview = item.baseview
        if baseview is not None and getattr(baseview, "class_permission_name", None):
            labels.setdefault(baseview.class_permission_name, item.label)
    appbuilder._zwt_view_labels = labels
    return labels


def view_menu_label(name: str | None) -> str:
    """A view or menu name (`customers`, `menu:customer_pool`, `RoleModelView`) as a label; a
    name the app has no label for is shown as it is (a code)."""
    if name is None:
        return ""
    if name in VIEW_LABELS:
        return str(VIEW_LABELS[name])
    if has_app_context() and getattr(current_app, "appbuilder", None) is not None:
        labels = _menu_labels()
        # A screen added as a link (e.g. the SMS outbox) is known by its menu entry's name.
        label = labels.get(name, labels.get(f"menu:{name}"))
        if label is not None:
            return str(label)
    return name


def permission_view_label(permission: str | None, view_menu: str | None) -> str:
    return _("%(permission)s on %(view)s", permission=permission_label(permission), view=view_menu_label(view_menu))
