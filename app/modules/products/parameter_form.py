"""The product form's parameters (参数): the chosen category's parameters (and its parents') as
typed fields — a number with its unit, text, a list for a choice; required ones required — checked
by the same rules as the API and the import (service.clean_parameters), with the message next to
the parameter it is about. Choosing another category redraws the fields (products_params.js asks
/products/catalogue/parameter-fields for them)."""
from __future__ import annotations

import json

from flask import render_template, request
from markupsafe import Markup
from wtforms import Field
from wtforms.validators import StopValidation

from app.core.errors import ValidationErrors
from app.extensions import db
from app.security.sessions import csp_nonce
from app.modules.products import service
from app.modules.products.models import Product

PREFIX = "param__"


def render_fields(category_id, values: dict | None, errors: dict | None = None) -> Markup:
    """The parameters' inputs for a category (an HTML fragment)."""
    parameters = service.parameters_of(category_id) if category_id else []
    return Markup(render_template("products/parameter_fields.html", parameters=parameters, values=values or {},
                                  errors=errors or {}, prefix=PREFIX, category_id=category_id))


def _category_id(value):
    if value is None or value == "":
        return None
    if hasattr(value, "id"):
        return value.id
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ParametersField(Field):
    """A product's params: one input per parameter of its category, posted as param__<name>."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.category_id = None
        self.param_errors: dict = {}

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.data = dict(data) if isinstance(data, dict) else {}
        self.object_data = self.data
        if formdata is not None and any(k.startswith(PREFIX) or k == "category" for k in formdata.keys()):
            self.category_id = _category_id(formdata.get("category"))
            self.data = {k[len(PREFIX):]: v.strip() for k, v in formdata.items()
                         if k.startswith(PREFIX) and v is not None and v.strip()}

    def _value(self):
        return json.dumps({k: str(v) for k, v in (self.data or {}).items() if v not in (None, "")},
                          ensure_ascii=False, sort_keys=True)

    def pre_validate(self, form):
        category = form["category"].data if "category" in form else None
        self.category_id = _category_id(category)
        try:
            self.data = service.clean_parameters(self.category_id, self.data)
        except ValidationErrors as error:
            self.param_errors = {name.split(".", 1)[-1]: messages for name, messages in error.errors.items()}
            raise StopValidation("；".join(m for messages in self.param_errors.values() for m in messages)) from None

    def populate_obj(self, obj, name):
        setattr(obj, name, dict(self.data or {}))

    def _shown_category(self):
        if self.category_id is not None:
            return self.category_id
        pk = (request.view_args or {}).get("pk")
        if pk is not None and str(pk).isdigit():
            return db.session.query(Product.category_id).filter_by(id=int(pk)).scalar()
        return None

    def __call__(self, **kwargs):
        return Markup('<div class="zwt-params" id="{id}" data-url="/products/catalogue/parameter-fields">{body}</div>'
                      '<script src="/static/js/products_params.js" nonce="{nonce}"></script>').format(
            id=self.id, body=render_fields(self._shown_category(), self.data, self.param_errors), nonce=csp_nonce())
