"""A many-to-one field chosen by typing: the browser asks the server for matches (a module's own
look-up, or the relation search: /relation-search/<module>/<column>, scoped to the user, at most
20 rows), so no form ever carries a select of a whole table (a customer select of a million
customers weighed 64 MB)."""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms import Field
from wtforms.widgets import html_params

from app.extensions import db


class RemoteSelectWidget:
    """A Select2 box whose options come from `field.url` (Select2 reads the data-ajax--url
    attribute; FAB's script sets up every .my_select2 element), holding only the current choice."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        kwargs["class"] = "my_select2 form-control"
        kwargs["style"] = "width:250px"
        attrs = {"data-ajax--url": field.url, "data-ajax--delay": "250",
                 "data-ajax--cache": "false" if field.with_field else "true",
                 "data-minimum-input-length": str(field.minimum), "data-allow-clear": "true",
                 "data-placeholder": field.placeholder or _("Type part of the name or the code")}
        if field.with_field:   # form.js sends that field's value along (e.g. the contacts of the chosen customer)
            attrs["data-zwt-with"] = field.with_field
        current = field.current()
        option = (f'<option value="{escape(current[0])}" selected>{escape(current[1])}</option>'
                  if current else '<option value=""></option>')
        return Markup(f"<select {html_params(name=field.name, **kwargs, **attrs)}>{option}</select>")


class RemoteSelectField(Field):
    """A many-to-one relation chosen by search: the form posts the primary key, the field hands
    the record (or None) to the service, which decides whether the user may use it."""

    widget = RemoteSelectWidget()

    def __init__(self, label=None, validators=None, model=None, url: str = "", describe=str, with_field: str = "",
                 minimum: int = 1, placeholder=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.model, self.url, self.describe = model, url, describe
        self.with_field, self.minimum, self.placeholder = with_field, minimum, placeholder

    def current(self) -> tuple[str, str] | None:
        """(value, text) of the chosen record, for the one option the page carries."""
        if self.data is None:
            return None
        return str(self.data.id), self.describe(self.data)

    def _value(self) -> str:
        return str(self.data.id) if self.data is not None else ""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0]:
            try:
                self.data = db.session.get(self.model, int(valuelist[0]))
            except (TypeError, ValueError):
                self.data = None
