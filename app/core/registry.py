"""Turns each module's SPEC into its screens, REST API, charts, menu entries and permissions.

app/__init__.py names the modules (one line each); the registry imports `<module>.module` and
reads its SPECS. Nothing else needs editing to add a module.
"""
from __future__ import annotations

import datetime as dt
import importlib

from flask import Response, current_app, flash, redirect, request
from flask_babel import gettext as _, lazy_gettext as _l
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import ValidationError, fields as ma_fields, validate
from sqlalchemy import Boolean, DateTime, Integer, Numeric
from flask_appbuilder.fieldwidgets import Select2Widget
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, Optional as OptionalValidator

from app.core import api_errors, forms, inputs, kept, openapi, relation_search, versions
from app.core.datamodel import ModuleInterface, current_actor
from app.core.errors import DomainError
from app.core.spec import ModuleSpec, SpecError, check_spec
from app.core.webhooks import local_time
from app.core.listing import ModuleListWidget
from app.core.rest_views import API_PERMISSIONS, ModuleRestApi
from app.core.views import VIEW_PERMISSIONS, ModuleModelView
from app.extensions import db


def column_choices(model) -> dict:
    """{column: [(value, label), ...]} declared as Column(info={"choices": ...}) on the model."""
    return {c.key: c.info["choices"] for c in model.__table__.columns if "choices" in c.info}


def _money(value) -> str:
    """Amounts as clerks read them: 1,234,567.80."""
    return "" if value in (None, "") else f"{Decimal(str(value)):,.2f}"


def _yes_no(value) -> str:
    return "" if value is None else (_("Yes") if value else _("No"))


def _choice_formatter(choices):
    labels = dict(choices)
    return lambda value: labels.get(value, value) if value is not None else ""


class Registry:
    def __init__(self):
        self.specs: dict[str, ModuleSpec] = {}
        self.modules: list = []          # imported app.modules.<name>.module modules
        self.frame_packages: list[str] = []
        self.views: dict[str, type] = {}
        self.apis: dict[str, type] = {}
        self.menu_names: dict[str, list[str]] = {}  # permission name -> menu entries it opens
        self.write_menu_names: dict[str, list[str]] = {}  # … entries only writers see (a form to post)

    # -- declaration -------------------------------------------------------------------------
    def load(self, module_paths: list[str], frame_specs: list[ModuleSpec] = (), frame_packages: list[str] = ()) -> None:
        """Import each module package's module.py and register its SPECS (idempotent).

        `frame_packages` (e.g. "app.workflow") have no specs but may have jobs, views, seed and
        setup parts like a module.

        Raises SpecError listing every problem (spec.Exxx ids) before anything is served.
        """
        for spec in frame_specs:
            self.specs[spec.name] = spec
        self.frame_packages = list(frame_packages)
        for path in module_paths:
            mod = importlib.import_module(f"{path}.module")
            if mod not in self.modules:
                self.modules.append(mod)
            for spec in mod.SPECS:
                self.specs[spec.name] = spec
        errors = [e for spec in self.specs.values() for e in check_spec(spec, self.specs)]
        if errors:
            raise SpecError("\n".join(errors))

    def get(self, name: str) -> ModuleSpec:
        return self.specs[name]

    def parts(self, part: str) -> list:
        """The `part` submodule (jobs, views, seed, setup) of every module and frame package that has one."""
        packages = [mod.__name__.rsplit(".", 1)[0] for mod in self.modules] + self.frame_packages
        found = []
        for package in packages:
            try:
                found.append(importlib.import_module(f"{package}.{part}"))
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{part}":
                    raise
        return found

    # -- generation --------------------------------------------------------------------------
    def build(self, appbuilder) -> None:
        self.views, self.apis, self.menu_names, self.write_menu_names = {}, {}, {}, {}
        # Input no screen or API may see (NUL characters, bad list arguments, ids beyond range).
        app = current_app._get_current_object()
        inputs.install(app, appbuilder)
        api_errors.install(app)
        openapi.install(app)
        relation_search.install(app)
        kept.install(app)
        # Children first: a parent's show page embeds their views as tabs (a child may have children).
        depth: dict[str, int] = {}

        def depth_of(name: str) -> int:
            if name not in depth:
                depth[name] = 1 + max((depth_of(child) for child in self.specs[name].related), default=-1)
            return depth[name]

        for spec in sorted(self.specs.values(), key=lambda s: depth_of(s.name)):
            self.views[spec.name] = self._make_view(spec)
            self.apis[spec.name] = self._make_api(spec)
        ordered = sorted(self.specs.values(), key=lambda s: len(s.related))
        for spec in ordered:
            view = self.views[spec.name]
            if spec.show_in_menu:
                # Menu names live beside permission view names in FAB's tables: keep them apart.
                category = f"menu:{spec.category_key or spec.name}"
                appbuilder.add_view(view, f"menu:{spec.name}", label=spec.label_plural, icon=spec.icon,
                                    category=category, category_label=spec.category,
                                    category_icon=spec.category_icon)
                names = self.menu_names.setdefault(spec.permission_name, [category])
                names.append(f"menu:{spec.name}")
                if spec.charts:
                    chart_entry = f"menu:{spec.name}:chart"
                    appbuilder.add_link(chart_entry, href=f"/{spec.name}/chart/", icon="fa-bar-chart",
                                        label=_l("%(module)s analysis", module=spec.label_plural),
                                        category=category)
                    names.append(chart_entry)
            else:
                appbuilder.add_view_no_menu(view)
            appbuilder.add_api(self.apis[spec.name])
        # A module's own screens beyond the generated ones (imports, boards, show-page tabs).
        for views in self.parts("views"):
            views.register_views(appbuilder)

    def _form_fields(self, spec: ModuleSpec, columns: list[str]) -> dict:
        fields = {}
        for col, choices in column_choices(spec.model).items():
            if col in columns:
                nullable = spec.model.__table__.columns[col].nullable
                fields[col] = SelectField(
                    spec.label_columns.get(col, col),
                    widget=Select2Widget(),
                    choices=([("", "—")] if nullable else []) + [(v, l) for v, l in choices],
                    validators=[OptionalValidator() if nullable else DataRequired()],
                    description=spec.description_columns.get(col, ""),
                )
        for column in spec.model.__table__.columns:
            # An unticked checkbox sends nothing, so FAB's "required" would refuse every "no".
            if column.key in columns and isinstance(column.type, Boolean) and not column.nullable:
                default = column.default.arg if column.default is not None and column.default.is_scalar else False
                fields[column.key] = BooleanField(spec.label_columns.get(column.key, column.key), default=default,
                                                  description=spec.description_columns.get(column.key, ""))
        fields.update(forms.default_fields(spec, columns))
        fields.update({col: fld for col, fld in spec.form_fields.items() if col in columns})
        return fields

    def _make_view(self, spec: ModuleSpec) -> type:
        columns = spec.model.__table__.columns
        formatters = {c.key: local_time for c in columns if isinstance(c.type, DateTime)}
        formatters.update({c.key: _yes_no for c in columns if isinstance(c.type, Boolean)})
        formatters.update({c.key: _money for c in columns if isinstance(c.type, Numeric)})
        formatters.update({col: _choice_formatter(ch) for col, ch in column_choices(spec.model).items()})
        formatters.update(spec.formatters)
        widget = type(f"{spec.model.__name__}ListWidget", (ModuleListWidget,), {"spec": spec})
        attrs = {
            "spec": spec,
            "datamodel": ModuleInterface.for_spec(spec),
            "route_base": f"/{spec.name}",
            "class_permission_name": spec.permission_name,
            "method_permission_name": dict(VIEW_PERMISSIONS),
            "list_title": spec.label_plural,
            "show_title": spec.label,
            "add_title": _l("Add %(name)s", name=spec.label),
            "edit_title": _l("Edit %(name)s", name=spec.label),
            "label_columns": dict(spec.label_columns),
            "description_columns": dict(spec.description_columns),
            "list_columns": list(spec.list_columns),
            "show_fieldsets": list(spec.show_fieldsets),
            "add_columns": list(spec.add_columns),
            "add_fieldsets": forms.fieldsets(spec, spec.add_columns),
            "edit_fieldsets": forms.fieldsets(spec, spec.edit_columns),
            "edit_columns": list(spec.edit_columns),
            "search_columns": list(spec.search_columns),
            "order_columns": list(spec.order_columns),
            "base_order": spec.base_order,
            "page_size": spec.page_size,
            "formatters_columns": formatters,
            "add_form_extra_fields": self._form_fields(spec, spec.add_columns),
            "edit_form_extra_fields": self._form_fields(spec, spec.edit_columns),
            "search_form_extra_fields": {c: f for c, f in spec.form_fields.items() if c in spec.search_columns},
            "list_widget": widget,
            "related_views": [self.views[name] for name in spec.related],
        }
        for action in spec.actions:
            attr = f"action_{action.name}"
            attrs[attr] = _make_action(action, attr)
            attrs["method_permission_name"][attr] = action.permission
        return type(f"{spec.model.__name__}View", (ModuleModelView,), attrs)

    def _make_api(self, spec: ModuleSpec) -> type:
        validators = {col: validate.OneOf([v for v, _label in ch]) for col, ch in column_choices(spec.model).items()}
        read_columns = list(spec.api_columns or spec.list_columns)
        write_columns = list(spec.api_write_columns or spec.add_columns)
        attrs = {
            "spec": spec,
            "datamodel": ModuleInterface.for_spec(spec),
            "resource_name": spec.name,
            "class_permission_name": spec.permission_name,
            "method_permission_name": dict(API_PERMISSIONS),
            "list_title": spec.label_plural,
            "show_title": spec.label,
            "add_title": _l("Add %(name)s", name=spec.label),
            "edit_title": _l("Edit %(name)s", name=spec.label),
            "openapi_spec_tag": spec.name,
            "list_columns": read_columns,
            "show_columns": read_columns,
            "add_columns": write_columns,
            "edit_columns": write_columns,
            "search_columns": list(spec.search_columns),
            "order_columns": [c for c in spec.order_columns if "." not in c],
            # The API writes relations by id (customer_id): they take the relation's label.
            "label_columns": {**{f"{k}_id": v for k, v in spec.label_columns.items()}, **spec.label_columns},
            "description_columns": dict(spec.description_columns),
            "validators_columns": validators,
            "base_order": spec.base_order,
            "page_size": spec.page_size,
            "tighten_schemas": lambda api, schemas: _tighten_schemas(schemas, spec.model),
        }
        if not write_columns:
            # Records made elsewhere (a form submitted into an approval): the API only reads them.
            # (FAB would take an empty column list as "every column".)
            attrs["include_route_methods"] = {"get", "get_list", "info", "delete"}
        return type(f"{spec.model.__name__}Api", (ModuleRestApi,), attrs)


INT32 = (-(2**31), 2**31 - 1)
MONEY_METADATA = {"type": "string", "format": "decimal", "pattern": r"^-?\d{1,16}(\.\d{1,2})?$", "example": "2500.00"}


class UtcDateTime(ma_fields.DateTime):
    """Times are stored in UTC without a zone: a time with a zone (2026-01-05T10:00:00Z,
    +08:00) is converted to UTC; one without is taken as UTC. They are sent with their offset
    (2026-01-05T10:00:00+00:00), so no client mistakes them for local time."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed is not None and parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return parsed


def _fits_column(bound: int):
    """A plain validator, so that the OpenAPI description keeps amounts as text without bounds."""
    def fits(value) -> None:
        if value is not None and abs(value) >= bound:
            raise ValidationError(_("The amount is out of range."))
    return fits


def _replace_field(schema, name: str, new_field) -> None:
    schema._bind_field(name, new_field)
    for mapping in (schema.fields, schema.load_fields, schema.dump_fields, schema.declared_fields):
        if name in mapping:
            mapping[name] = new_field


def _tighten_schemas(schemas: dict, model) -> None:
    """Money is rounded half up at 0.01 (marshmallow would round half even before the service
    sees it) and fits its column; foreign-key ids must be integers (FAB leaves them untyped);
    whole numbers fit an INTEGER column on every database; times with a zone are accepted.
    `schemas`: {"list" | "show" | "add" | "edit": schema} of one API (rest_views.py builds them)."""
    columns = model.__table__.columns
    for schema in schemas.values():
        for name, fld in list(schema.fields.items()):
            if isinstance(fld, ma_fields.Decimal):
                # Amounts travel as text with two decimals ("2500.00"), never as binary floats.
                fld.metadata.update(MONEY_METADATA)
            elif type(fld) is ma_fields.DateTime:
                _replace_field(schema, name, UtcDateTime(required=fld.required, allow_none=fld.allow_none,
                                                         validate=fld.validators, metadata=fld.metadata))
    for schema in (schemas["add"], schemas["edit"]):
        for name, fld in list(schema.fields.items()):
            column = columns.get(name)
            if isinstance(fld, ma_fields.Decimal):
                fld.rounding = ROUND_HALF_UP
                if column is not None and isinstance(column.type, Numeric) and column.type.precision:
                    fld.validators.append(_fits_column(10 ** (column.type.precision - (column.type.scale or 0))))
            elif isinstance(fld, ma_fields.Inferred) and column is not None and isinstance(column.type, Integer):
                typed = ma_fields.Integer(allow_none=column.nullable, required=False, validate=validate.Range(*INT32))
                _replace_field(schema, name, typed)
            elif isinstance(fld, ma_fields.Integer) and not isinstance(fld, ma_fields.Boolean):
                fld.validators.append(validate.Range(*INT32))


def _make_action(action, attr_name: str):
    def run(self, items):
        items = [i for i in (items if isinstance(items, list) else [items]) if i is not None]
        shown = {key[len(versions.FIELD) + 1:]: value for key, value in request.form.items()
                 if key.startswith(versions.FIELD + "_")}
        refusal = versions.stale_rows(items, shown, self._describe, every=request.form.get(versions.FIELD))
        if refusal:
            db.session.rollback()
            flash(refusal, "danger")
            self.update_redirect()
            return redirect(self.get_redirect())
        try:
            message = action.handler(current_actor(), items)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            if isinstance(message, Response):  # the action asks for more (a small form page)
                return message
            flash(message or _("Done."), "success")
        self.update_redirect()
        return redirect(self.get_redirect())

    run.__name__ = attr_name
    run._action = (action.name, action.label, action.confirmation, action.icon, True, True)
    return run


registry = Registry()
