"""The base class of the screens that registry.py generates from a ModuleSpec (the REST API's is in
rest_views.py).

Validation from the service comes back as DomainError: a screen shows it next to the field and
keeps what the user typed; the API answers 400 with field messages. Nothing is half-saved.
"""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.exceptions import FABException
from flask_appbuilder.urltools import get_filter_args, get_order_args, get_page_args, get_page_size_args
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import DateTime, Numeric, desc, func, inspect as sa_inspect, select
from wtforms import HiddenField

from app.core import exports, listing, versions
from app.core.filter_panel import ModuleSearchWidget
from app.core.listing import ModuleListWidget
from app.core import detail, forms
from app.core.custom_fields import record as custom_record
from app.core.custom_fields import listing as custom_fields_listing
from app.core.audit import AuditLog, history_of
from app.core.charts import chart_rows, echarts_option
from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.core.panels import edit_notices, record_bar, tab_of, tabs_for
from app.core.webhooks import local_time
from app.extensions import db

VIEW_PERMISSIONS = {
    "list": "read", "show": "read", "show_tab": "read", "chart": "read", "chart_data": "read",
    "add": "write", "edit": "write", "action": "write", "action_post": "write",
    "delete": "delete", "export": "export",
}


def _attach_errors(form, error: DomainError) -> None:
    """Put the service's messages next to their fields; the rest becomes a flash message."""
    errors = error.errors if isinstance(error, ValidationErrors) else {error.field: [error.message]}
    for field_name, messages in errors.items():
        if field_name and field_name in form:
            form[field_name].errors = list(form[field_name].errors) + list(messages)
        else:
            for message in messages:
                flash(message, "danger")


class ModuleModelView(ModelView):
    """The list / show / add / edit / export / chart screens of one module."""

    spec = None
    list_template = "zwt/list.html"
    show_template = "zwt/show.html"
    add_template = "zwt/add.html"
    edit_template = "zwt/edit.html"
    add_widget = forms.ModuleFormWidget
    edit_widget = forms.ModuleFormWidget
    chart_template = "zwt/chart.html"
    list_widget = ModuleListWidget
    search_widget = ModuleSearchWidget
    base_permissions = ["can_read", "can_write", "can_delete", "can_export"]
    method_permission_name = VIEW_PERMISSIONS

    def render_template(self, template, **kwargs):
        kwargs.setdefault("view_name", self.__class__.__name__)
        kwargs.setdefault("has_charts", bool(self.spec.charts))
        if "related_views" in kwargs:
            kwargs["related_views"] = self._readable_related_views()
        page = super().render_template(template, **kwargs)
        status = g.pop("zwt_status", None)   # a refused save answers 409 with its form
        return (page, status) if status else page

    # -- records made elsewhere (shipments, invoices): no add or edit screen --------------------
    def _not_entered_here(self):
        message = _("%(things)s are not entered or edited on this screen: they are made by their own steps.",
                    things=self.spec.label_plural)
        return listing.refusal(405, message, url_for(f"{self.__class__.__name__}.list"))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        if self.spec.made_elsewhere:
            return self._not_entered_here()
        return super().add()

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        if self.spec.made_elsewhere:
            return self._not_entered_here()
        return super().edit(pk)

    # -- the list: search box, chips, the user's columns ---------------------------------------
    @expose("/list/")
    @has_access
    def list(self):
        refused = listing.refusal_of_args(self)
        if refused is not None:
            return refused
        self.update_redirect()
        try:
            widgets = self._list()
        except FABException as exc:
            flash(str(exc), "warning")
            return redirect(self.get_redirect())
        return self.render_template(self.list_template, title=self.list_title, widgets=widgets,
                                    **listing.page_context(self))

    def _get_list_widget(self, filters, **kwargs):
        return listing.list_widget(self, filters, **kwargs)

    def _list(self, **kwargs):
        """FAB's, but the search form is built only if the filter panel is drawn with the page (a
        filter is active); otherwise the panel fetches its inputs when first opened."""
        order_column, order_direction = get_order_args().get(self.__class__.__name__) or ("", "")
        get_filter_args(self._filters)
        widgets = self._get_list_widget(filters=self._filters, order_column=order_column,
                                        order_direction=order_direction,
                                        page=get_page_args().get(self.__class__.__name__),
                                        page_size=get_page_size_args().get(self.__class__.__name__), **kwargs)
        self.update_redirect()
        return self._get_search_widget(form=_FormOnUse(self.search_form), widgets=widgets)

    @expose("/columns", methods=["POST"])
    def columns(self):
        """The columns this user sees in the list; checked for read access by listing."""
        return listing.save_columns(self)

    def _list_filters(self):
        """FAB's filters of this request, the base filters and the list's own arguments."""
        get_filter_args(self._filters)
        return listing.narrowed(self, self._filters.get_joined_filters(self._base_filters))

    # -- related tabs, only for those who may read them --------------------------------------
    def _readable_related_views(self) -> list:
        """The related modules' tabs the user may read. Data scope alone is not enough: a role
        without read on contracts would still see, on a customer's page, contracts it owns."""
        sm = self.appbuilder.sm
        return [view for view in self._related_views if sm.has_access("can_read", view.class_permission_name)]

    def _get_related_views_widgets(self, item, orders=None, pages=None, page_sizes=None, widgets=None, **args):
        widgets = widgets or {}
        widgets["related_views"] = []
        for view in self._readable_related_views():
            name = view.__class__.__name__
            order_column, order_direction = orders.get(name) or ("", "")
            widgets["related_views"].append(self._get_related_view_widget(
                item, view, order_column, order_direction, page=pages.get(name), page_size=page_sizes.get(name)))
        return widgets

    # -- add / edit / delete with the service's messages ------------------------------------
    def process_form(self, form, is_created):
        """An emptied optional field is stored as NULL, not as an empty string."""
        columns = self.datamodel.obj.__table__.columns
        for field in form:
            if field.name in columns and columns[field.name].nullable and field.data == "":
                field.data = None

    def _default_owner(self, form) -> None:
        """A new record belongs to whoever creates it unless they choose someone else."""
        scope = self.spec.scope
        if scope is None or scope.via or not scope.owner:
            return
        relation = next((rel.key for rel in sa_inspect(self.datamodel.obj).relationships
                         if [c.key for c in rel.local_columns] == [scope.owner]), None)
        if relation and relation in form and form[relation].data is None:
            form[relation].data = current_actor()

    # -- custom fields (自定义字段): built per request from the current definitions ----------
    def _custom_fields(self):
        return custom_record.active_fields(self.spec)

    def _custom_form(self, base):
        return custom_record.form_class(base, self.spec, self._custom_fields())

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        widgets = super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)
        return self._with_custom_section(widgets, "add", self.add_fieldsets, self.add_columns)

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        widgets = super()._get_edit_widget(form, exclude_cols=exclude_cols, widgets=widgets)
        return self._with_custom_section(widgets, "edit", self.edit_fieldsets, self.edit_columns)

    def _with_custom_section(self, widgets, key, fieldsets, columns):
        fields = self._custom_fields()
        if fields:
            sections = list(fieldsets or [(None, {"fields": list(columns)})]) + [custom_record.section(fields)]
            widgets[key].template_args["fieldsets"] = sections
        return widgets

    def _add(self):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        custom = self._custom_fields()
        form = self._custom_form(self.add_form).refresh()
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                self.process_form(form, True)
                item = self.datamodel.obj()
                custom_record.take(form, item, custom)
                form.populate_obj(item)
                try:
                    self.datamodel.add(item)
                except DomainError as error:
                    db.session.rollback()
                    _attach_errors(form, error)
                else:
                    flash(self.add_row_message, "success")
                    return None
        else:
            self._default_owner(form)
            custom_record.fill(form, None, custom, new=True)
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        custom = self._custom_fields()
        edit_form = self._custom_form(self.edit_form)
        if request.method == "POST":
            form = edit_form.refresh(request.form)
            self._fill_form_exclude_cols(exclude_cols, form)
            form._id = pk
            if form.validate():
                seen = versions.read(form[versions.FIELD].data)
                versions.lock(item)
                current = versions.version_of(item)
                if seen is not None and seen[0] != current:
                    form, item = self._stale(pk, item, form, seen, current)
                else:
                    changed = self._changed(form, seen)
                    token = form[versions.FIELD].data
                    del form[versions.FIELD]
                    custom_record.take(form, item, custom, only=changed)
                    self.process_form(form, False)
                    for name, field in form._fields.items():
                        if name in changed:
                            field.populate_obj(item, name)
                    try:
                        self.datamodel.edit(item)
                    except DomainError as error:
                        db.session.rollback()
                        form = self._with_version(edit_form.refresh(request.form), token)
                        form.validate()
                        _attach_errors(form, error)
                    else:
                        flash(self.edit_row_message, "success")
                        return None
        else:
            form = edit_form.refresh(obj=item)
            custom_record.fill(form, item, custom)
            self.prefill_form(form, pk)
            form[versions.FIELD].data = versions.sign(versions.version_of(item), self._shown(form))
            self.update_redirect()
            for notice in edit_notices(self.spec, item):
                flash(notice, "warning")
        # The edit page shows the form alone: no related tabs to query.
        return self._get_edit_widget(form=form, exclude_cols=exclude_cols)

    # -- edits carry the version they started from ------------------------------------------
    def _init_forms(self):
        super()._init_forms()
        setattr(self.edit_form, versions.FIELD, HiddenField())

    def _compared(self, form) -> list[str]:
        """The fields whose shown value tells whether the user changed them: the edit columns and
        the custom fields."""
        return [name for name in self.edit_columns if name in form] + [
            name for name in form._fields if name.startswith(custom_record.PREFIX)]

    def _shown(self, form) -> dict:
        return {name: versions.shown(form[name]) for name in self._compared(form)}

    def _changed(self, form, seen) -> set:
        """The fields the user changed on the page: without a version (an old page) all of them."""
        columns = self._compared(form)
        if seen is None:
            return set(columns) | {name for name in form._fields if name not in (versions.FIELD, "csrf_token")}
        return {name for name in columns if versions.shown(form[name]) != seen[1].get(name)}

    def _with_version(self, form, token):
        form[versions.FIELD].data = token
        return form

    def _stale(self, pk, item, form, seen, current):
        """Refuse a save started from an older version: say who changed what since, and give the
        form back with their changes and the user's own typing, at the current version."""
        entries = versions.changes_since(item, seen[0])
        changed = self._changed(form, seen)
        db.session.rollback()   # nothing was written; let go of the row
        item = self.datamodel.get(pk, self._base_filters)
        fresh = self._custom_form(self.edit_form)(formdata=None, obj=item)   # not the posted data Flask-WTF would take
        custom_record.fill(fresh, item, self._custom_fields())
        self.prefill_form(fresh, pk)
        fresh[versions.FIELD].data = versions.sign(current, self._shown(fresh))
        for name in changed:
            if name in fresh:
                fresh[name].process(request.form)
        flash(versions.conflict_message(entries, self._describe), "danger")
        g.zwt_status = 409
        return fresh, item

    def _delete(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        try:
            self.datamodel.delete(item)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(self.delete_row_message, "success")
        self.update_redirect()

    # -- show: the header, the Detail tab and every tab's count; a tab's content when opened ----
    HISTORY_LIMIT = 200

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        pk = self._deserialize_pk_if_composite(pk)
        item = self.datamodel.get(pk, self._base_filters)   # read once for the widgets and the page
        if not item:
            abort(404)
        widgets = self._get_show_widget(pk, item)
        self.update_redirect()
        related = self._readable_related_views()
        extra = tabs_for(self.spec, item, active=request.args.get("tab"))
        active = self._active_tab(related, [tab["key"] for tab in extra])
        widgets["related_views"] = [self._related_widget(item, view) if view.__class__.__name__ == active
                                    else None for view in related]
        tabs = self._tabs(pk, item, related, extra, widgets, active)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            tabs=tabs,
            active_tab=active or "detail",
            history=[self._describe(entry) for entry in history_of(item, self.HISTORY_LIMIT)]
            if active == "history" else None,
            record_bar=record_bar(self, item),
            **detail.show_context(self, item),
        )

    @expose("/show/<pk>/tab/<key>", methods=["GET"])
    @has_access
    def show_tab(self, pk, key):
        """One tab's content (an HTML fragment) of the record's page, which fetches it when the tab
        is opened: the same permission, data scope and 404s as the page."""
        pk = self._deserialize_pk_if_composite(pk)
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        if key == "history":
            html = render_template("zwt/_history.html", history=[
                self._describe(entry) for entry in history_of(item, self.HISTORY_LIMIT)])
        elif tab_of(self.spec, key) is not None:
            html = tab_of(self.spec, key).render(self.spec, item)
        else:
            view = next((v for v in self._readable_related_views() if v.__class__.__name__ == key), None)
            widget = self._related_widget(item, view) if view is not None else None
            html = Markup(widget(pk=pk)) if widget is not None else None
        if html is None:
            abort(404)
        return current_app.response_class(str(html), mimetype="text/html",
                                          headers={"Cache-Control": "no-store", "Vary": "Cookie"})

    def _active_tab(self, related, extra_keys) -> str | None:
        """The tab to draw with the page: ?tab=<key>, or the related list whose page, size or
        order the address sets (its own links reload the page); None for the Detail tab."""
        names = [view.__class__.__name__ for view in related]
        key = request.args.get("tab", "")
        if key and key in ("history", *names, *extra_keys):
            return key
        for arg in request.args:
            for prefix in ("page_", "psize_", "_oc_", "_od_"):
                if arg.startswith(prefix) and arg[len(prefix):] in names:
                    return arg[len(prefix):]
        return None

    def _related_widget(self, item, view):
        name = view.__class__.__name__
        order_column, order_direction = get_order_args().get(name) or ("", "")
        return self._get_related_view_widget(item, view, order_column, order_direction,
                                             page=get_page_args().get(name), page_size=get_page_size_args().get(name))

    def _related_count(self, item, view):
        """The select of a related list's (capped) count on `item`'s page, or None."""
        model = view.datamodel
        fk = model.get_related_fk(self.datamodel.obj)
        if not fk or not model.is_relation_many_to_one(fk):
            return None
        filters = model.get_filters()
        filters.add_filter_related_view(fk, self.datamodel.FilterRelationOneToManyEqual,
                                        self.datamodel.get_pk_value(item))
        joined = filters.get_joined_filters(view._base_filters)
        keys = sa_inspect(model.obj).primary_key
        statement = model.count_statement(model.session.query(model.obj), joined, order=[desc(keys[0])]) \
            if hasattr(model, "count_statement") else None
        if statement is None:
            inner = model._apply_inner_all(model.session.query(model.obj), joined, select_columns=None,
                                           aliases_mapping={})
            statement = select(func.count()).select_from(inner.order_by(None).with_entities(*keys).subquery())
        return statement

    def _history_count(self, item):
        record = ",".join(str(v) for v in sa_inspect(item).mapper.primary_key_from_instance(item) if v is not None)
        return select(func.count()).select_from(
            select(AuditLog.id).where(AuditLog.table_name == item.__tablename__, AuditLog.record_id == record)
            .limit(self.HISTORY_LIMIT).subquery())

    def _tabs(self, pk, item, related, extra, widgets, active) -> list[dict]:
        """Every tab after Detail: {key, pane, link_id, label, badge, html, src}, html None until
        opened. The counts of the related lists, of the tabs that give theirs as a select and of
        the history are read in one statement."""
        counts = {}
        for view in related:
            counts[view.__class__.__name__] = self._related_count(item, view)
        for tab in extra:
            counts[tab["key"]] = tab["count"]
        counts["history"] = self._history_count(item)
        asked = {key: statement for key, statement in counts.items() if statement is not None}
        values = dict(zip(asked, db.session.execute(select(*[
            statement.scalar_subquery().label(f"count_{i}") for i, statement in enumerate(asked.values())])).one())) \
            if asked else {}

        def src(key):
            return url_for(f"{self.__class__.__name__}.show_tab", pk=pk, key=key)

        tabs = []
        drawn = widgets.get("related_views") or []
        for index, view in enumerate(related):
            name = view.__class__.__name__
            cap = getattr(getattr(view.datamodel, "spec", None), "count_cap", None)
            widget = drawn[index] if index < len(drawn) else None
            tabs.append({"key": name, "pane": name, "link_id": None, "label": view.title,
                         "badge": detail.capped(values.get(name), cap),
                         "html": Markup(widget(pk=pk)) if widget is not None and name == active else None,
                         "src": src(name)})
        for tab in extra:
            badge = tab["badge"] if tab["count"] is None else (values.get(tab["key"]) or None)
            tabs.append({"key": tab["key"], "pane": f"zwt-tab-{tab['key']}", "link_id": f"zwt-{tab['key']}-tab",
                         "label": tab["label"], "badge": badge, "html": tab["html"], "src": src(tab["key"])})
        history = values.get("history", 0)
        tabs.append({"key": "history", "pane": "History", "link_id": "zwt-history-tab", "label": _("History"),
                     "badge": history, "html": None, "src": src("history")})
        return tabs

    def _describe(self, entry) -> dict:
        """An audit entry as people read it: field labels, choice labels, related records'
        names and local times instead of column names, codes, ids and UTC."""
        model = self.datamodel.obj
        relations = {next(iter(rel.local_columns)).key: rel for rel in sa_inspect(model).relationships
                     if rel.direction.name == "MANYTOONE" and len(rel.local_columns) == 1}

        custom = {f.key: f for f in custom_record.all_fields(self.spec)}

        def label(field):
            if field in custom:
                return custom[field].label
            if field in relations:
                field = relations[field].key
            return str(self.label_columns.get(field, field))

        def shown(field, value):
            if value is None or value == "":
                return ""
            if field in custom:
                return custom_record.display(custom[field], value)
            if field in relations:
                related = db.session.get(relations[field].mapper.class_, value)
                return str(related) if related is not None else f"#{value}"
            column = model.__table__.columns.get(field)
            if column is not None and isinstance(column.type, DateTime):
                return local_time(dt.datetime.fromisoformat(value))
            formatter = self.formatters_columns.get(field)
            if formatter is None:
                return str(value)
            drawn = formatter(value)   # a label drawn as markup (a coloured tag) stays markup
            return drawn if hasattr(drawn, "__html__") else str(drawn)

        changes = [(label(f), shown(f, old), shown(f, new)) for f, (old, new) in entry.changes.items()
                   if f not in ("id", "updated_at")]
        return {"at": entry.at, "actor": entry.actor, "action": entry.action, "changes": changes}

    # -- export ------------------------------------------------------------------------------
    @expose("/export/<fmt>", methods=["GET"])
    @has_access
    def export(self, fmt):
        if fmt not in ("csv", "xlsx"):
            abort(404)
        refused = listing.refusal_of_args(self)
        if refused is not None:
            return refused
        filters = self._list_filters()
        order_column, order_direction = get_order_args().get(self.__class__.__name__, ("", ""))
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        query = self.datamodel.export_query(filters, order_column, order_direction)
        columns = self.spec.export_columns
        labels = [str(self.label_columns.get(c, c)) for c in columns]
        filename = f"{self.spec.label_plural}"
        maker = exports.csv_response if fmt == "csv" else exports.xlsx_response
        # Amounts leave as numbers (Excel sums them); codes and times as people read them.
        numeric = {c.key for c in self.datamodel.obj.__table__.columns if isinstance(c.type, Numeric)}
        formatters = {k: f for k, f in self.formatters_columns.items() if k not in numeric}
        columns, labels, formatters = custom_fields_listing.export_columns(self, columns, labels, formatters)
        return maker(query, columns, labels, filename, formatters, current_app.config["EXPORT_MAX_ROWS"])

    # -- charts ------------------------------------------------------------------------------
    @expose("/chart/", methods=["GET"])
    @has_access
    def chart(self):
        return self.render_template(
            self.chart_template,
            title=_("%(module)s analysis", module=self.spec.label_plural),
            charts=[*self.spec.charts, *custom_fields_listing.charts(self.spec)],
            query_string=request.query_string.decode(),
        )

    @expose("/chart/<name>.json", methods=["GET"])
    @has_access
    def chart_data(self, name):
        chart = next((c for c in [*self.spec.charts, *custom_fields_listing.charts(self.spec)] if c.name == name), None)
        if chart is None:
            abort(404)
        try:
            filters = self._list_filters()
        except listing.ListArgError as error:
            return jsonify(message=str(error)), 400
        rows = chart_rows(self.datamodel, chart, filters)
        formatter = self.formatters_columns.get(chart.group_by.replace("custom.", custom_fields_listing.PREFIX, 1)) \
            if chart.period is None else None

        def label_of(key):
            if key is None or key == "":
                return _("(none)")
            return str(formatter(key)) if formatter else str(key)

        option = echarts_option(chart, rows, label_of)
        return jsonify(option=option, table=[[label_of(k), str(v)] for k, v in rows])


class _FormOnUse:
    """A list's search form, built (`refresh()`) the first time something reads it."""

    def __init__(self, form_class):
        self._form_class, self._form = form_class, None

    def _built(self):
        if self._form is None:
            self._form = self._form_class.refresh()
        return self._form

    def __getitem__(self, name):
        return self._built()[name]

    def __contains__(self, name):
        return name in self._built()

    def __iter__(self):
        return iter(self._built())

    def __getattr__(self, name):
        return getattr(self._built(), name)
