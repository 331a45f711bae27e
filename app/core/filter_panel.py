"""A list's advanced filter panel (高级筛选): FAB's filters, with relation filters as search-as-you-type
boxes (relation_search.py) and the panel's settings fetched when it is first opened."""
from __future__ import annotations

from flask import current_app
from flask_appbuilder.widgets import SearchWidget
from flask_babel import gettext as _

from app.core.view_index import views_at


class ModuleSearchWidget(SearchWidget):
    """FAB's advanced filters, keeping the search box and chips when they are applied. A filter
    that chooses a row of another table (owner, customer, department) is a search-as-you-type
    box (relation_search.py) holding only the chosen rows, never a list of the whole table.

    The panel's settings (each filter's input and operators, 8 KB for customers) and its
    添加筛选条件 menu are on the page only while a filter is active (its row is drawn at once);
    otherwise js/list.js fetches them from relation_search.filters_url when the panel is first
    opened."""

    template = "zwt/widgets/search.html"

    def _view(self):
        route_base = self.template_args.get("route_base")
        return next((v for v in views_at(current_app.appbuilder, route_base)
                     if getattr(v, "spec", None) is not None or getattr(v, "relation_urls", None)), None)

    def settings(self, view=None, active=None) -> dict:
        """{labels, fields, filters, active}: what FAB's AdminFilters draws the panel's rows from."""
        from markupsafe import Markup, escape

        from app.core import relation_search
        from app.core.custom_fields import listing as custom

        form = self.template_args["form"]
        view = view if view is not None else self._view()
        spec = getattr(view, "spec", None)
        if spec is not None:
            custom.sync(view)
            self.template_args["include_cols"] = list(view.search_columns)
        # A view of no module (the users list …) names the search of each of its relation filters.
        urls = dict(getattr(view, "relation_urls", None) or {}) if spec is None else {}
        relations = set(relation_search.relation_columns(view)) if spec is not None else set(urls)
        active = self.filters.get_filters_values_tojson() if active is None else active
        dict_filters = self.filters.get_search_filters()
        labels, fields, names = {}, {}, {}
        for col in self.template_args["include_cols"]:
            field = custom.field_of_column(spec, col) if spec is not None and col not in form else None
            if field is not None:
                labels[col] = str(field.label)
                names[col] = [str(flt.name) for flt in custom.filters_for(field, view.datamodel)]
                fields[col] = custom.filter_input(field)
                continue
            if col not in form:
                continue
            labels[col] = str(form[col].label.text)
            names[col] = [str(flt.name) for flt in dict_filters[col]]
            if col in relations:
                values = [v for name, _f, value in active if name == col
                          for v in (value if isinstance(value, (list, tuple)) else [value])]
                chosen = relation_search.labels_of(view, col, values)
                options = "".join(f'<option value="{escape(pk)}">{escape(text)}</option>' for pk, text in chosen.items())
                fields[col] = Markup(
                    f'<select class="form-control zwt-relation-filter" style="width: 100%" '
                    f'data-url="{escape(urls.get(col) or relation_search.endpoint_url(spec.name, col))}" '
                    f'data-placeholder="{escape(_("Type to search"))}">{options}</select>')
            else:
                fields[col] = form[col]()
        # `columns`: the 添加筛选条件 menu's order (a JSON object's keys may come back sorted).
        return {"labels": labels, "fields": fields, "filters": names, "active": active,
                "columns": [col for col in self.template_args["include_cols"] if col in labels]}

    def __call__(self, **kwargs):
        from app.core import relation_search

        view = self._view()
        active = self.filters.get_filters_values_tojson()
        if active or view is None or getattr(view, "spec", None) is None:
            config = self.settings(view, active)
            kwargs.update(label_columns=config["labels"], form_fields=config["fields"],
                          search_filters=config["filters"], active_filters=active, settings=config)
        else:
            self.template_args["include_cols"] = []
            kwargs.update(label_columns={}, active_filters=[], settings_url=relation_search.filters_url(view.spec.name))
        return super(SearchWidget, self).__call__(**kwargs)
