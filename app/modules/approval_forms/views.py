"""Screens of approval forms: 发起审批 (the forms a user may submit, grouped), a form to fill in
with its route preview, a request's page (values, lines with sums, files, 人民币大写, the
approval timeline), and the administrators' form definitions (审批单)."""
from __future__ import annotations

import re
from decimal import Decimal

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l

from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.core.printing.render import rmb_upper
from app.core.scope import is_admin
from app.core.system import short_time
from app.modules.approval_forms import fields as kinds, service

PERMISSION = service.DOCUMENT
ROW_KEY = re.compile(r"^f-([a-z][a-z0-9_]*)-(\d{1,3})-([a-z][a-z0-9_]*)$")


def raw_values(fields: list[dict], form, files) -> dict:
    """What the page posted, shaped as `fields.Values` reads it (f-<name>, f-<name>-start,
    f-<table>-<row>-<column>)."""
    raw = {}
    for field in fields:
        key, kind = f"f-{field['name']}", field["kind"]
        if kind == "daterange":
            raw[field["name"]] = {part: form.get(f"{key}-{part}", "") for part in ("start", "end", "start_half",
                                                                                   "end_half")}
        elif kind == "multichoice":
            raw[field["name"]] = form.getlist(key)
        elif kind == "attachment":
            raw[field["name"]] = [f for f in files.getlist(key) if f.filename]
        elif kind == "table":
            rows: dict[int, dict] = {}
            for source in (form, files):
                for name in source.keys():
                    match = ROW_KEY.match(name)
                    if match and match.group(1) == field["name"]:
                        row = rows.setdefault(int(match.group(2)), {})
                        if source is files:
                            row[match.group(3)] = [f for f in files.getlist(name) if f.filename]
                        else:
                            row[match.group(3)] = form.get(name, "")
            raw[field["name"]] = [rows[n] for n in sorted(rows)]
        else:
            raw[field["name"]] = form.get(key, "")
    return raw


def posted_picks(form) -> dict:
    """{pick key: [values]} of the `pick:<key>` fields a form posted."""
    return {name[len("pick:"):]: form.getlist(name) for name in form if name.startswith("pick:")}


def _users():
    from app.workflow.views_common import active_users

    return active_users()


def _departments():
    from sqlalchemy import select

    from app.core.org import Department
    from app.extensions import db

    return list(db.session.scalars(select(Department).order_by(Department.name).limit(500)))


def money(value) -> str:
    return f"{Decimal(value):,.2f}"


def shown_values(fields: list[dict], values: dict) -> list[dict]:
    """The request's values as its page shows them: [{field, text | rows, sums, files}]."""
    users, depts = kinds.people_named(fields, values)
    user_names, dept_names = kinds.names_of(users, depts)
    out = []
    for field in fields:
        value = values.get(field["name"])
        item = {"field": field, "value": value, "text": ""}
        kind = field["kind"]
        if value is None:
            pass
        elif kind == "daterange":
            half = {"am": _("morning"), "pm": _("afternoon")}
            start = value["start"] + (f" {half[value['start_half']]}" if field.get("half_day") else "")
            end = value["end"] + (f" {half[value['end_half']]}" if field.get("half_day") else "")
            days = Decimal(value["days"])
            item["text"] = _("%(start)s to %(end)s, %(days)s days", start=start, end=end,
                             days=days.normalize() if days == days.to_integral() else days)
        elif kind == "amount":
            item["text"] = f"¥{Decimal(value):,.2f}"
        elif kind == "multichoice":
            item["text"] = "、".join(value)
        elif kind == "user":
            item["text"] = user_names.get(value, "")
        elif kind == "department":
            item["text"] = dept_names.get(value, "")
        elif kind == "table":
            item["sums"] = kinds.column_sums(field, value)
        elif kind != "attachment":
            item["text"] = str(value)
        out.append(item)
    return out


def editor_data(text: str) -> dict:
    """What the fields editor (approval_form_editor.js) starts from: the fields in the box when
    they read as a list, else none (the editor then says to use the box)."""
    import json

    import yaml

    try:
        fields = yaml.safe_load(text or "") if (text or "").strip() else []
    except yaml.YAMLError:
        fields = None
    words = {"label": _("Label"), "name": _("Name (letters)"), "kind": _("Kind"), "required": _("Required"),
             "help": _("Help text"), "options": _("Options, separated by 、"), "half_day": _("Half days"),
             "columns": _("Columns of each line"), "add": _("Add a field"), "add_column": _("Add a column"),
             "remove": _("Remove"), "up": _("Move up"), "down": _("Move down"),
             "typed": _("The fields below are not a list the editor can show; correct them in the box.")}
    return {"fields_json": json.dumps(fields if isinstance(fields, list) else None, ensure_ascii=False),
            "kinds_json": json.dumps({k: str(v) for k, v in kinds.KINDS.items()}, ensure_ascii=False),
            "line_kinds_json": json.dumps(list(kinds.LINE_KINDS)),
            "editor_text": json.dumps(words, ensure_ascii=False)}


class ApprovalFormsView(BaseView):
    route_base = "/approval_forms"
    default_view = "launch"
    class_permission_name = PERMISSION
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"launch": "write", "new": "write", "preview": "write", "people": "write",
                              "show": "read", "file": "read", "admin": "write", "edit": "write"}

    # -- 发起审批 --------------------------------------------------------------------------------
    @expose("/")
    @has_access
    def launch(self):
        actor = current_actor()
        return self.render_template("approval_forms/launch.html", title=_("Start an approval"),
                                    groups=service.forms_by_group(actor), admin=is_admin(actor))

    @expose("/new/<code>", methods=["GET", "POST"])
    @has_access
    def new(self, code):
        actor = current_actor()
        try:
            form = service.form_by_code(code)
        except DomainError:
            abort(404)
        fields = service.fields_of(form)
        errors, posted = {}, {}
        if request.method == "POST":
            raw = raw_values(fields, request.form, request.files)
            try:
                made = service.submit_request(actor, code, raw, comment=request.form.get("comment"),
                                              picks=posted_picks(request.form))
            except ValidationErrors as error:
                errors = error.errors
            except DomainError as error:
                errors = {"": [error.message]}
            else:
                flash(_("Your request %(code)s has been submitted.", code=made.code), "success")
                return redirect(url_for("ApprovalFormsView.show", request_id=made.id))
            posted = raw
            g.zwt_status = 400
        page = self.render_template("approval_forms/new.html", title=form.name, form=form, fields=fields,
                                    errors=errors, posted=posted, users=_users(), departments=_departments(),
                                    comment=request.form.get("comment", ""), picks=posted_picks(request.form))
        return (page, 400) if errors else page

    @expose("/preview/<code>", methods=["POST"])
    @has_access
    def preview(self, code):
        try:
            form = service.form_by_code(code)
        except DomainError as error:
            return jsonify(error.as_dict()), 404
        raw = raw_values(service.fields_of(form), request.form, request.files)
        return jsonify(service.route_preview(current_actor(), code, raw, posted_picks(request.form)))

    @expose("/people/<code>")
    @has_access
    def people(self, code):
        """Whom a picker of the form's chain allows, searched as you type (Select2)."""
        try:
            found = service.pickable_people(current_actor(), code, request.args.get("key", ""),
                                            request.args.get("q", ""))
        except DomainError as error:
            return jsonify({**error.as_dict(), "results": []}), error.status
        return jsonify({"results": found})

    # -- a request -------------------------------------------------------------------------------
    @expose("/request/<int:request_id>")
    @has_access
    def show(self, request_id):
        from app.workflow import reading
        from app.workflow.views_common import view_of

        actor = current_actor()
        try:
            item = service.visible_request(actor, request_id)
        except DomainError:
            abort(404)
        fields = service.fields_of(item.approval_form, item.form_version)
        views = [view_of(instance, actor) for instance in reading.instances_of(service.DOCUMENT, item.id)]
        from app.core.files.models import Attachment
        from app.extensions import db
        from sqlalchemy import select

        ids = kinds.attachment_ids(fields, item.values or {})
        files = {a.id: a for a in db.session.scalars(select(Attachment).where(Attachment.id.in_(ids)))} if ids else {}
        total_upper = rmb_upper(item.total) if item.total is not None else ""
        return self.render_template("approval_forms/show.html", title=item.title, item=item, fields=fields,
                                    shown=shown_values(fields, item.values or {}), files=files, views=views,
                                    total_upper=total_upper, here=request.path, error=None, form={},
                                    short_time=short_time, money=money,
                                    users=_users() if any(v.actions.task for v in views) else [])

    @expose("/request/<int:request_id>/file/<int:attachment_id>")
    @has_access
    def file(self, request_id, attachment_id):
        from app.core.files.views import file_response

        actor = current_actor()
        try:
            item = service.visible_request(actor, request_id)
            attachment, stream = service.request_attachment(actor, item, attachment_id)
        except DomainError:
            abort(404)
        return file_response(attachment, stream, inline=request.args.get("inline") == "1")

    # -- 审批单 (administrators) -------------------------------------------------------------------
    @expose("/admin/")
    @has_access
    def admin(self):
        if not is_admin(current_actor()):
            abort(403)
        from sqlalchemy import select

        from app.extensions import db
        from app.modules.approval_forms.models import ApprovalForm

        forms = list(db.session.scalars(select(ApprovalForm).order_by(ApprovalForm.group_name, ApprovalForm.position,
                                                                      ApprovalForm.id)))
        return self.render_template("approval_forms/admin.html", title=_("Approval forms"), forms=forms)

    @expose("/admin/edit/", methods=["GET", "POST"])
    @expose("/admin/edit/<code>", methods=["GET", "POST"])
    @has_access
    def edit(self, code=None):
        actor = current_actor()
        if not is_admin(actor):
            abort(403)
        from app.workflow.models import WorkflowDefinition
        from app.extensions import db
        from sqlalchemy import select

        form = service.form_by_code(code, active_only=False) if code else None
        values = {"code": form.code, "name": form.name, "icon": form.icon, "description": form.description or "",
                  "group": form.group_name, "chain": form.chain, "active": form.active, "position": form.position,
                  "fields": service.fields_text(service.fields_of(form))} if form else \
            {"code": "", "name": "", "icon": "fa-file-text-o", "description": "", "group": "", "chain": "",
             "active": True, "position": 0, "fields": ""}
        errors = {}
        if request.method == "POST":
            values = {k: request.form.get(k, "") for k in ("code", "name", "icon", "description", "group", "chain",
                                                              "position", "fields")}
            values["active"] = request.form.get("active") == "1"
            if form is not None:
                values["code"] = form.code
            try:
                values["position"] = int(values["position"] or 0)
            except ValueError:
                values["position"] = 0
            try:
                service.save_form(actor, **values)
            except ValidationErrors as error:
                errors = error.errors
            except DomainError as error:
                errors = {"": [error.message]}
            else:
                flash(_("The approval form %(name)s has been saved.", name=values["name"]), "success")
                return redirect(url_for("ApprovalFormsView.admin"))
        rows = db.session.execute(select(WorkflowDefinition.name, WorkflowDefinition.title).where(
            WorkflowDefinition.document == service.DOCUMENT).order_by(WorkflowDefinition.name)).all()
        chains = [name for name, _title in rows]
        page = self.render_template("approval_forms/edit.html", title=_("Approval form"), form=form, values=values,
                                    errors=errors, chains=chains, chain_titles={n: t or n for n, t in rows},
                                    icons=service.ICONS, icon_names=ICON_NAMES, kinds=kinds.KINDS,
                                    **editor_data(values["fields"]))
        return (page, 400) if errors else page


ICON_NAMES = {"fa-calendar": _l("Calendar"), "fa-money": _l("Money"), "fa-certificate": _l("Seal"),
              "fa-file-text-o": _l("Document"), "fa-plane": _l("Trip"), "fa-car": _l("Car"),
              "fa-shopping-cart": _l("Purchase"), "fa-users": _l("People"), "fa-briefcase": _l("Briefcase"),
              "fa-clock-o": _l("Clock"), "fa-home": _l("Home"), "fa-gift": _l("Gift"), "fa-laptop": _l("Laptop"),
              "fa-book": _l("Book")}

SHOW_PATH = re.compile(r"^/approval_requests/show/(\d{1,10})/?$")


def _to_request_page():
    """A request has one page, the one that shows its values and files: the generated show
    page (where the approvals inbox and lists link) leads there."""
    match = SHOW_PATH.match(request.path)
    if match and request.method == "GET":
        return redirect(url_for("ApprovalFormsView.show", request_id=int(match.group(1))))
    return None


def register_views(appbuilder) -> None:
    from flask_babel import lazy_gettext as _l

    from flask import current_app

    current_app.before_request(_to_request_page)
    category = {"category": "menu:approvals"}
    appbuilder.add_view(ApprovalFormsView, "menu:approval_forms_launch", label=_l("Start an approval"),
                        icon="fa-paper-plane", **category)
    appbuilder.add_link("menu:approval_forms_admin", href="/approval_forms/admin/", label=_l("Approval forms"),
                        icon="fa-list-alt", **category)
