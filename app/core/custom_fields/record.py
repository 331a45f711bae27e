"""Custom fields on a module's generated screens and API: form fields built per request from the
current definitions (so a new field shows without a restart), the values read back from a form,
the 自定义字段 section of the detail page, and the `custom` object of the REST API."""
from __future__ import annotations

from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget, Select2ManyWidget, Select2Widget
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import BooleanField, Field, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import ValidationError

from app.core.custom_fields.definitions import FieldDef, fields_of, has_custom
from app.core.custom_fields.values import CustomValueError, coerce, defaults, display, dump, load
from app.core.errors import ValidationErrors

PREFIX = "custom__"
SECTION = _l("Custom fields")


def all_fields(spec) -> list[FieldDef]:
    """Also the retired ones: a record's history still names them."""
    return fields_of(spec.name, retired=True) if spec is not None and has_custom(spec.model) else []


def form_name(field: FieldDef) -> str:
    return PREFIX + field.name


def active_fields(spec) -> list[FieldDef]:
    return fields_of(spec.name) if spec is not None and has_custom(spec.model) else []


class _Checked:
    """Runs the field's own rules (values.coerce) on what the form read, so a form, the API and an
    import refuse the same values with the same message."""

    def __init__(self, field: FieldDef):
        self.field = field

    def __call__(self, form, wtfield):
        if wtfield.process_errors:       # the field could not read what was typed: its own message says so
            return
        raw = wtfield.data
        if self.field.kind == "boolean":
            raw = bool(raw)
        try:
            wtfield.custom_value = coerce(self.field, raw)
        except CustomValueError as error:
            raise ValidationError(error.message.split("：", 1)[-1]) from None


class UserChoiceField(Field):
    """A user chosen by typing part of the name (the relation search's people of the module)."""

    def __init__(self, label=None, validators=None, url: str = "", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.url = url

    def __call__(self, **kwargs):
        from markupsafe import Markup, escape
        from wtforms.widgets import html_params

        kwargs.setdefault("id", self.id)
        attrs = {"data-ajax--url": self.url, "data-ajax--delay": "250", "data-ajax--cache": "true",
                 "data-minimum-input-length": "1", "data-allow-clear": "true",
                 "data-placeholder": _("Type part of the name")}
        current = ""
        if self.data not in (None, ""):
            from app.core.custom_fields.values import _user_name

            current = f'<option value="{escape(self.data)}" selected>{escape(_user_name(self.data))}</option>'
        return Markup(f'<select {html_params(name=self.name, **{"class": "my_select2 form-control"}, **kwargs, **attrs)}>'
                      f'<option value=""></option>{current}</select>')

    def _value(self):
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist and valuelist[0] else None


def _wtfield(spec, field: FieldDef):
    from app.core import forms

    checks = [_Checked(field)]
    label, help_text = field.label, field.help_text
    kind = field.kind
    if kind == "textarea":
        return TextAreaField(label, checks, widget=BS3TextAreaFieldWidget(), description=help_text)
    if kind == "date":
        return forms.LocalDateField(label, checks, description=help_text)
    if kind == "datetime":
        return forms.LocalDateTimeField(label, checks, description=help_text)
    if kind == "choice":
        return SelectField(label, checks, choices=[("", "—")] + list(field.choices), widget=Select2Widget(),
                           description=help_text, validate_choice=False)
    if kind == "multichoice":
        return SelectMultipleField(label, checks, choices=list(field.choices), widget=Select2ManyWidget(),
                                   description=help_text, validate_choice=False)
    if kind == "boolean":
        return BooleanField(label, checks, description=help_text)
    if kind == "user":
        from app.core.relation_search import endpoint_url

        return UserChoiceField(label, checks, url=endpoint_url(spec.name, field.key), description=help_text)
    if kind in ("integer", "decimal"):
        # Numbers are typed like amounts (1,234.50): a number keypad on phones, separators allowed.
        return StringField(label, checks, widget=BS3TextFieldWidget(), description=help_text,
                           render_kw={"inputmode": "decimal" if kind == "decimal" else "numeric",
                                      "autocomplete": "off", "class": "zwt-number"})
    return StringField(label, checks, widget=BS3TextFieldWidget(), description=help_text)


_classes: dict = {}


def form_class(base, spec, fields: list[FieldDef]):
    """`base` (FAB's generated form class) with the custom fields added; made once per set of
    definitions."""
    if not fields:
        return base
    key = (base, tuple(fields))
    found = _classes.get(key)
    if found is None:
        if len(_classes) > 200:
            _classes.clear()
        found = _classes[key] = type(base.__name__, (base,), {form_name(f): _wtfield(spec, f) for f in fields})
    return found


def section(fields: list[FieldDef]) -> tuple:
    return (SECTION, {"fields": [form_name(f) for f in fields],
                      "required": [form_name(f) for f in fields if f.required]})


def _form_value(field: FieldDef, value):
    """A stored value as its form field shows it."""
    value = load(field, value)
    if value is None:
        return [] if field.kind == "multichoice" else None
    if field.kind in ("integer", "decimal"):
        return display(field, value)      # with thousands separators, as typed
    return value


def fill(form, item, fields: list[FieldDef], new: bool = False) -> None:
    stored = defaults(fields) if new else (getattr(item, "custom", None) or {})
    for field in fields:
        name = form_name(field)
        if name in form:
            form[name].data = _form_value(field, stored.get(field.name))


def take(form, item, fields: list[FieldDef], only: set | None = None) -> None:
    """Move the custom fields' checked values from the form onto the record and out of the form
    (so FAB's populate_obj never sees them)."""
    values = dict(getattr(item, "custom", None) or {})
    for field in fields:
        name = form_name(field)
        if name not in form:
            continue
        wtfield = form[name]
        if only is None or name in only:
            value = getattr(wtfield, "custom_value", None)
            stored = dump(field, value)
            if stored is None or stored == []:
                values.pop(field.name, None)
            else:
                values[field.name] = stored
        del form[name]
    item.custom = values


def shown_section(fields: list[FieldDef], item) -> dict | None:
    """The detail page's 自定义字段 group: every active field, "—" where empty."""
    if not fields:
        return None
    stored = getattr(item, "custom", None) or {}
    rows = []
    for field in fields:
        text = display(field, load(field, stored.get(field.name)))
        rows.append({"name": field.key, "label": field.label, "value": text or "—",
                     "kind": "text" if text else "empty", "wide": field.kind == "textarea"})
    return {"title": str(SECTION), "fields": rows, "folded": False}


# -- REST API ------------------------------------------------------------------------------------
def api_values(item, fields: list[FieldDef]) -> dict:
    stored = getattr(item, "custom", None) or {}
    return {f.name: stored.get(f.name) for f in fields}


def api_read(spec, payload, item, creating: bool) -> dict:
    """The stored `custom` of a record after applying the API's `custom` object; ValidationErrors
    (400) naming each bad field as custom.<name>."""
    fields = active_fields(spec)
    current = dict(getattr(item, "custom", None) or {}) if item is not None else defaults(fields)
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise ValidationErrors({"custom": [_("custom must be an object of field names and values.")]})
    known = {f.name: f for f in fields}
    errors: dict[str, list[str]] = {}
    for name in payload:
        if name not in known:
            errors.setdefault(f"custom.{str(name)[:40]}", []).append(_("No such custom field."))
    for field in fields:
        if field.name in payload:
            try:
                stored = dump(field, coerce(field, payload[field.name]))
            except CustomValueError as error:
                errors.setdefault(field.key, []).append(error.message)
                continue
            if stored is None or stored == []:
                current.pop(field.name, None)
            else:
                current[field.name] = stored
        elif creating and field.required and current.get(field.name) in (None, "", []):
            errors.setdefault(field.key, []).append(_("%(label)s：this field is required.", label=field.label))
    if errors:
        raise ValidationErrors(errors)
    return current


OPENAPI_TYPES = {
    "text": {"type": "string", "maxLength": 200}, "textarea": {"type": "string", "maxLength": 5000},
    "integer": {"type": "integer"}, "decimal": {"type": "string", "format": "decimal", "example": "12.5"},
    "date": {"type": "string", "format": "date"}, "datetime": {"type": "string", "format": "date-time"},
    "boolean": {"type": "boolean"}, "user": {"type": "integer", "description": "user id"},
}


def openapi_schema(spec) -> dict:
    """The `custom` object of a module as OpenAPI describes it: one property per active field."""
    properties = {}
    for field in active_fields(spec):
        if field.kind == "choice":
            schema = {"type": "string", "enum": [v for v, _label in field.choices]}
        elif field.kind == "multichoice":
            schema = {"type": "array", "items": {"type": "string", "enum": [v for v, _label in field.choices]}}
        else:
            schema = dict(OPENAPI_TYPES.get(field.kind, {"type": "string"}))
        schema["title"] = field.label
        if field.help_text:
            schema["description"] = field.help_text
        schema["nullable"] = True
        properties[field.name] = schema
    required = [f.name for f in active_fields(spec) if f.required]
    out = {"type": "object", "properties": properties, "additionalProperties": False,
           "description": str(_("Custom fields of this module (系统管理 ▸ 自定义字段)."))}
    if required:
        out["required"] = required
    return out
