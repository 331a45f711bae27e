"""Flask-AppBuilder's own screens in the user's language and time zone.

FAB prints stored codes as they are (role `Admin`, permission `can read on RoleModelView`,
`True`, the blank choice `__None`) and times as Python writes them (UTC, with microseconds).
Once every view is registered, install() makes every ModelView — FAB's security screens as much
as ours — show:
  * roles, permissions and view menus by their labels (app.core.names), codes unchanged;
  * stored UTC times in the user's zone without seconds (webhooks.local_time);
  * yes / no for booleans, and a readable blank choice in selects.
"""
from __future__ import annotations

import datetime as dt
import functools

from flask_appbuilder import ModelView
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, ViewMenu
from flask_appbuilder.security.views import UserGroupModelView
from flask.globals import _cv_app
import flask_babel
from flask_babel import Domain, get_translations, gettext as _, lazy_gettext as _l
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from sqlalchemy import Boolean, DateTime
from wtforms.fields.core import UnboundField

from app.core.names import permission_label, permission_view_label, role_label, view_menu_label
from app.core.webhooks import local_time


def yes_no(value) -> str:
    return "" if value is None else (_("Yes") if value else _("No"))


def shown(value):
    """A value of a list or show page as people read it."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, (list, tuple, set)) or type(value).__name__ == "InstrumentedList":
        return "、".join(str(shown(v)) for v in value)
    return value


class GroupView(UserGroupModelView):
    """FAB's 用户组 screens name no labels, so FAB prints its column names in English."""

    label_columns = {"name": _l("Name"), "label": _l("Label"), "description": _l("Description"),
                     "users": _l("Users"), "roles": _l("Roles")}


_FAB_LABELS = {
    Role: lambda self: role_label(self.name),
    Permission: lambda self: permission_label(self.name),
    ViewMenu: lambda self: view_menu_label(self.name),
    PermissionView: lambda self: permission_view_label(getattr(self.permission, "name", None),
                                                       getattr(self.view_menu, "name", None)),
}
_NAME_FORMATTERS = {Role: role_label, Permission: permission_label, ViewMenu: view_menu_label}


def _blank_choice_text(original):
    # FAB's relation selects offer a blank choice whose text is empty; the browser then shows
    # its value, "__None".
    def iter_choices(self):
        for choice in original(self):
            if choice[0] == "__None" and not choice[1]:
                choice = (choice[0], _("(none)"), *choice[2:])
            yield choice

    iter_choices.zwt_localised = True
    return iter_choices


def install(app, appbuilder) -> None:
    for model, label in _FAB_LABELS.items():
        model.__str__ = label   # __repr__ (logs) keeps the code
    if not getattr(QuerySelectField.iter_choices, "zwt_localised", False):
        QuerySelectField.iter_choices = _blank_choice_text(QuerySelectField.iter_choices)
    if not getattr(Domain.get_translations, "zwt_kept", False):
        Domain.get_translations = _kept_domain_translations(Domain.get_translations)
        flask_babel.get_domain = _request_domain(flask_babel.get_domain)
    _install_template_gettext(app)
    app.jinja_env.filters["shown"] = shown
    app.jinja_env.filters["role_label"] = role_label
    # JSON for a page with Chinese kept as characters (a third of the bytes of \u escapes), as
    # safe in HTML as `tojson` (<, >, & and ' escaped).
    text_dumps = functools.partial(app.json.dumps, ensure_ascii=False)
    app.jinja_env.filters["tojson_text"] = lambda value: Markup(htmlsafe_json_dumps(value, dumps=text_dumps))
    for view in appbuilder.baseviews:
        if isinstance(view, ModelView):
            _localise_view(view)


def _localise_view(view) -> None:
    model = getattr(view.datamodel, "obj", None)
    if model is None:
        return
    formatters = view.formatters_columns = dict(view.formatters_columns or {})
    if model in _NAME_FORMATTERS:
        formatters.setdefault("name", _NAME_FORMATTERS[model])
    # Relations FAB gives no label, so it prints their column names in English.
    if model is Role:
        view.label_columns.update({"user": _l("Users"), "groups": _l("Groups")})
    elif model is PermissionView:
        view.label_columns["role"] = _l("Role")
    for form in (view.search_form, getattr(view, "add_form", None), getattr(view, "edit_form", None)):
        if form is not None:
            _relabel(form, view.label_columns)
    table = getattr(model, "__table__", None)
    for column in table.columns if table is not None else []:
        if column.key in formatters:
            continue
        if isinstance(column.type, DateTime):
            formatters[column.key] = local_time
        elif isinstance(column.type, Boolean):
            formatters[column.key] = yes_no


def _relabel(form_class, labels: dict) -> None:
    """Give a form class's fields the (translated) labels of `labels`: FAB built its forms when
    the view was created, from the labels it had then."""
    for name in dir(form_class):
        field = getattr(form_class, name, None)
        if not isinstance(field, UnboundField) or name not in labels or not isinstance(labels[name], LazyString):
            continue
        if "label" in field.kwargs or not field.args:
            field.kwargs["label"] = labels[name]
        else:
            field.args = (labels[name], *field.args[1:])


def _request_translations():
    """The translations of the current language: Flask-Babel's get_translations(), which (with
    _request_domain and _kept_domain_translations installed) reads what the request keeps."""
    return get_translations()


def _request_domain(babel_get_domain):
    """flask_babel.get_domain (which its gettext, ngettext … look up at each call) reading the
    domain Flask-Babel keeps in the request's state without going through `g`'s proxy three times."""
    def get_domain():
        context = _cv_app.get(None)
        space = context.g.__dict__.get("_flask_babel") if context is not None else None
        domain = space.__dict__.get("babel_domain") if space is not None else None
        return domain if domain is not None else babel_get_domain()

    return get_domain


def _kept_domain_translations(babel_get_translations):
    """Domain.get_translations that keeps its answer beside Flask-Babel's per-context state while
    the language stays the same: the code's gettext and lazy labels (a list page says about seventy)
    no longer look the locale up and rebuild its key for each string."""
    def get_translations(self):
        context = _cv_app.get(None)
        space = context.g.__dict__.get("_flask_babel") if context is not None else None
        if space is None:
            return babel_get_translations(self)
        state = space.__dict__
        locale = state.get("babel_locale")
        kept = state.get("_zwt_domain_translations")
        if kept is not None and locale is not None and kept[0] is locale and kept[1] is self:
            return kept[2]
        translations = babel_get_translations(self)
        state["_zwt_domain_translations"] = (state.get("babel_locale"), self, translations)
        return translations

    get_translations.zwt_kept = True
    return get_translations


def _install_template_gettext(app) -> None:
    """The templates' _(), ngettext … through _request_translations (newstyle, as Flask-Babel
    installs them)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
    )
    # _() and {% trans %} call these directly (Jinja's alias and newstyle wrapper called through the
    # context twice per word): the same answer, Markup where the template escapes, then formatted.
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"] = _template_gettext


@pass_eval_context
def _template_gettext(eval_context, string, **variables):
    text = _request_translations().ugettext(string)
    if eval_context.autoescape:
        text = Markup(text)
    return text % variables
