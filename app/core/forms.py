"""How generated add / edit forms are drawn and read: sections, money fields, the save bar."""
from __future__ import annotations

from flask_appbuilder.widgets import FormWidget


class ModuleFormWidget(FormWidget):
    template = "zwt/widgets/form.html"


def default_fields(spec, columns: list[str]) -> dict:
    """Form fields replacing the generated ones for `columns` (spec.form_fields still win)."""
    return {}


def fieldsets(spec, columns: list[str]) -> list:
    """The add / edit form's sections for `columns`: [(title, {"fields": [...]})], or [] for one."""
    return []
