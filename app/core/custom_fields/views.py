"""系统管理 ▸ 自定义字段: admins add fields to any module, change their labels, help, choices and
order, retire and restore them. Read permission shows the screen; write permission changes it."""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l

from app.core.custom_fields import service
from app.core.custom_fields.definitions import CHOICE_KINDS, KIND_LABELS, KINDS
from app.core.custom_fields.models import CustomField
from app.core.custom_fields.values import display, load
from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.extensions import db

PERMISSION_VIEW = "CustomFields"
BASE = "/custom-fields/"


def _choices_text(row) -> str:
    return "\n".join(v if v == label else f"{v}={label}" for v, label in (row.choices or []))


def _default_text(row) -> str:
    if row is None or row.default in (None, "", []):
        return ""
    from app.core.custom_fields.definitions import FieldDef

    field = FieldDef(module=row.module, name=row.name, label=row.label, kind=row.kind,
                     choices=tuple(tuple(c) for c in (row.choices or [])))
    value = load(field, row.default)
    if row.kind == "multichoice":
        return ",".join(value or [])
    if row.kind == "boolean":
        return "是" if value else "否"
    if row.kind == "user":
        return display(field, value)
    return "" if value is None else str(value)


class CustomFieldsView(BaseView):
    route_base = "/custom-fields"
    class_permission_name = PERMISSION_VIEW
    matrix_label = _l("Custom fields")
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"index": "read", "create": "write", "edit": "write", "retire": "write",
                              "restore": "write", "move": "write"}
    default_view = "index"

    def _may_write(self) -> bool:
        return bool(self.appbuilder.sm.has_access("can_write", PERMISSION_VIEW))

    @expose("/")
    @has_access
    def index(self):
        chosen = request.args.get("module", "")
        groups = []
        for spec in service.modules():
            if chosen and spec.name != chosen:
                continue
            rows = (db.session.query(CustomField).filter_by(module=spec.name)
                    .order_by(CustomField.retired, CustomField.position, CustomField.id).all())
            groups.append({"spec": spec, "rows": rows})
        return self.render_template("custom_fields/index.html", groups=groups, kinds=KIND_LABELS,
                                    may_write=self._may_write(), modules=service.modules(), chosen=chosen,
                                    title=_("Custom fields"))

    def _form(self, spec, row, values: dict, errors: dict, status: int):
        return self.render_template(
            "custom_fields/form.html", spec=spec, row=row, values=values, errors=errors, kinds=KINDS,
            kind_labels=KIND_LABELS, choice_kinds=CHOICE_KINDS, modules=service.modules(),
            title=_("Edit custom field") if row is not None else _("New custom field")), status

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def create(self):
        module = request.values.get("module", "")
        try:
            spec = service.module_named(module) if module else None
        except DomainError:
            abort(404)
        if request.method == "POST":
            if spec is None:
                return self._form(None, None, request.form, {"module": [_("Choose the module.")]}, 400)
            try:
                row = service.create_field(current_actor(), spec.name, request.form.to_dict())
            except ValidationErrors as error:
                db.session.rollback()
                return self._form(spec, None, request.form, error.errors, 400)
            except DomainError as error:
                db.session.rollback()
                return self._form(spec, None, request.form, {"": [error.message]}, error.status)
            flash(_("The field “%(label)s” is added: it shows at once in the forms, lists and API of %(module)s.",
                    label=row.label, module=spec.label_plural), "success")
            return redirect(f"{BASE}?module={spec.name}")
        return self._form(spec, None, {"kind": "text"}, {}, 200)

    @expose("/<int:field_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, field_id):
        try:
            row = service.field_row(field_id)
            spec = service.module_named(row.module)
        except DomainError:
            abort(404)
        if request.method == "POST":
            try:
                service.update_field(current_actor(), field_id, request.form.to_dict())
            except ValidationErrors as error:
                db.session.rollback()
                return self._form(spec, row, request.form, error.errors, 400)
            except DomainError as error:
                db.session.rollback()
                return self._form(spec, row, request.form, {"": [error.message]}, error.status)
            flash(_("The field “%(label)s” is saved.", label=row.label), "success")
            return redirect(f"{BASE}?module={spec.name}")
        values = {"label": row.label, "help_text": row.help_text, "required": row.required,
                  "choices": _choices_text(row), "default": _default_text(row), "position": row.position}
        return self._form(spec, row, values, {}, 200)

    def _change(self, field_id, done):
        try:
            row = service.field_row(field_id)
            done(row)
        except DomainError as error:
            db.session.rollback()
            if error.status == 404:
                abort(404)
            flash(error.message, "danger")
            return redirect(BASE)
        return redirect(f"{BASE}?module={row.module}")

    @expose("/<int:field_id>/retire", methods=["POST"])
    @has_access
    def retire(self, field_id):
        def done(row):
            service.set_retired(current_actor(), field_id, True)
            flash(_("The field “%(label)s” is retired: it is hidden everywhere and its values are kept.",
                    label=row.label), "success")
        return self._change(field_id, done)

    @expose("/<int:field_id>/restore", methods=["POST"])
    @has_access
    def restore(self, field_id):
        def done(row):
            service.set_retired(current_actor(), field_id, False)
            flash(_("The field “%(label)s” is back, with its values.", label=row.label), "success")
        return self._change(field_id, done)

    @expose("/<int:field_id>/move", methods=["POST"])
    @has_access
    def move(self, field_id):
        direction = -1 if request.form.get("direction") == "up" else 1
        return self._change(field_id, lambda row: service.move(current_actor(), field_id, direction))


def register_views(appbuilder) -> None:
    from app.core.registry import registry
    from app.core.system import SYSTEM

    appbuilder.add_view(CustomFieldsView, "menu:custom_fields", label=_l("Custom fields"), icon="fa-sliders",
                        category="menu:system", category_label=SYSTEM)
    registry.menu_names[PERMISSION_VIEW] = ["menu:system", "menu:custom_fields"]
