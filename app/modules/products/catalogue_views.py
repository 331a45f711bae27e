"""The catalogue (产品目录): cards with main image, name, SKU, price and key parameters, filtered by
category and parameter values; the product page's 参数 and 图片 tabs; the catalogue's export and
import with parameters; and the cost figure kept from roles without the product_costs permission."""
from __future__ import annotations

import json

from flask import Response, current_app, flash, jsonify, make_response, redirect, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext
from markupsafe import Markup

from app.core.errors import DomainError
from app.core.names import VIEW_LABELS
from app.core.panels import ShowTab, register_tab
from app.extensions import db
from app.modules.products import catalogue, exchange, images, parameter_form, service
from app.modules.products.models import Product

PERMISSION = "products"
COSTS_PERMISSION = "product_costs"
MENU = "menu:products"
# The cost permission has no menu entry to be named after: the roles screens name it by this label.
VIEW_LABELS.setdefault(COSTS_PERMISSION, _l("Product cost"))


def _may(permission: str, view_name: str = PERMISSION) -> bool:
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return False
    return bool(current_app.appbuilder.sm.has_access(f"can_{permission}", view_name))


def may_read_cost(actor=None) -> bool:
    """Whether the signed-in user (session or API token) may read products' cost."""
    actor = actor or _actor()
    if actor is None or not getattr(actor, "is_active", True):
        return False
    return bool(current_app.appbuilder.sm._has_view_access(actor, "can_read", COSTS_PERMISSION))


def _actor():
    from app.core.datamodel import current_actor

    return current_actor()


def _refused(view, message: str, status: int):
    return make_response(view.render_template("products/compare_refused.html", title=_("Product catalogue"),
                                              message=message), status)


class ProductCatalogueView(BaseView):
    """/products/catalogue/: the cards; …/parameter-fields: the form's parameter inputs for a
    category; …/<id>/images, …/<id>/main-image/<a>: the gallery; …/export, …/import: the catalogue
    with parameters as a workbook."""

    route_base = "/products/catalogue"
    default_view = "index"
    class_permission_name = PERMISSION
    method_permission_name = {"index": "read", "parameter_fields": "read", "compare": "read",
                              "add_images": "write", "main_image": "write", "export": "export",
                              "import_file": "write"}
    base_permissions = ["can_read", "can_write", "can_export"]

    @expose("/")
    @has_access
    def index(self):
        if not _may("read"):
            return _refused(self, _("You may not read products."), 403)
        query = catalogue.read_query(request.args)
        found = catalogue.search(query)
        parameters = service.parameters_of(query.category_id) if query.category_id else []
        pictures = images.main_images_for(found["products"])
        return self.render_template(
            "products/catalogue.html", title=_("Product catalogue"), query=query, found=found,
            parameters=parameters, tree=catalogue.category_tree(), price_lists=catalogue.price_lists(),
            pictures=pictures, args=request.args, may_export=_may("export"), may_write=_may("write"),
            page_link=_page_link)

    @expose("/parameter-fields")
    @has_access
    def parameter_fields(self):
        if not _may("read"):
            return Response(status=403)
        raw = request.args.get("category_id", "")
        category_id = int(raw) if raw.isdigit() and int(raw) < 2**31 else None
        try:
            values = json.loads(request.args.get("values") or "{}")
        except ValueError:
            values = {}
        values = {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}
        return Response(parameter_form.render_fields(category_id, values), mimetype="text/html")

    @expose("/compare/<int:product_id>", methods=["POST"])
    @has_access
    def compare(self, product_id):
        from app.modules.products.showcase_views import add_to_comparison

        product = db.session.get(Product, product_id) if _may("read") else None
        if product is None:
            return _refused(self, _("The product does not exist or was deleted."), 404)
        answer = add_to_comparison(_actor(), [product])
        if isinstance(answer, str):
            flash(answer, "info")
            back = request.referrer or ""
            return redirect(back if back.startswith(request.host_url) else "/products/catalogue/")
        return answer

    @expose("/<int:product_id>/images", methods=["POST"])
    @has_access
    def add_images(self, product_id):
        files = [(f.filename or "", f.stream) for f in request.files.getlist("images") if f and f.filename]
        try:
            added = images.add_images(_actor(), product_id, files)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash(_("%(count)s images added.", count=len(added)), "success")
        return redirect(f"/products/show/{product_id}?tab=images")

    @expose("/<int:product_id>/main-image/<int:attachment_id>", methods=["POST"])
    @has_access
    def main_image(self, product_id, attachment_id):
        try:
            images.set_main_image(_actor(), product_id, attachment_id)
        except DomainError as exc:
            db.session.rollback()
            if request.accept_mimetypes.best == "application/json":
                return jsonify(message=exc.message), exc.status
            flash(exc.message, "danger")
        else:
            flash(_("The main image was changed."), "success")
        return redirect(f"/products/show/{product_id}?tab=images")

    @expose("/export")
    @has_access
    def export(self):
        raw = request.args.get("category", "")
        category_id = int(raw) if raw.isdigit() and int(raw) < 2**31 else None
        with_cost = may_read_cost()
        if request.args.get("format") == "csv":
            body, mimetype, ext = exchange.export_csv(exchange.export_query(category_id), with_cost), "text/csv", "csv"
        else:
            body = exchange.export_xlsx(exchange.export_query(category_id), with_cost)
            mimetype, ext = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
        from urllib.parse import quote

        response = Response(body, mimetype=mimetype)
        name = f"{_('Product catalogue')}.{ext}"
        response.headers["Content-Disposition"] = f"attachment; filename=catalogue.{ext}; filename*=UTF-8''{quote(name)}"
        return response

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def import_file(self):
        result, problems = None, []
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                flash(_("Choose a file to import."), "danger")
            else:
                try:
                    result = exchange.import_file(_actor(), upload.stream, upload.filename, may_read_cost())
                except exchange.ImportRefused as exc:
                    db.session.rollback()
                    problems = exc.problems
                    flash(exc.message, "danger")
                    return make_response(self.render_template(
                        "products/catalogue_import.html", title=_("Import the catalogue"), result=None,
                        problems=problems), 400)
        return self.render_template("products/catalogue_import.html", title=_("Import the catalogue"),
                                    result=result, problems=problems)


class ProductCostsView(BaseView):
    """The permission to read products' cost (成本): the product page, the API and the export show
    it only to roles granted it."""

    route_base = "/products/costs"
    matrix_label = _l("Product cost")      # a column of the roles matrix
    class_permission_name = COSTS_PERMISSION
    method_permission_name = {"check": "read"}
    base_permissions = ["can_read"]

    @expose("/check")
    @has_access
    def check(self):
        return jsonify(allowed=True)


def _page_link(page: int) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "page"] + [("page", page)])


# -- the product page's tabs --------------------------------------------------------------------
def render_parameters_tab(spec, item):
    from flask import render_template

    parameters = service.parameters_of(item.category_id)
    params = dict(item.params or {})
    rows = [(p.name, params.pop(p.name, None), p.unit or "") for p in parameters]
    rows += [(name, value, "") for name, value in params.items()]
    return Markup(render_template("products/parameters_tab.html", rows=rows, product=item))


def render_images_tab(spec, item):
    from flask import render_template

    from app.core.files.service import may_upload

    actor = _actor()
    gallery = images.product_images(actor, item.id)
    main = images.main_image(item, gallery)
    return Markup(render_template("products/images_tab.html", product=item, gallery=gallery, main=main,
                                  may_upload=may_upload(actor, spec)))


# -- cost: hidden from roles without the product_costs permission -------------------------------
def _hide_cost_in_api(api_class) -> None:
    def pre_get(self, data):
        if not may_read_cost() and isinstance(data.get("result"), dict):
            data["result"].pop("cost", None)

    plain_pre_get_list = api_class.pre_get_list

    def pre_get_list(self, data):
        plain_pre_get_list(self, data)
        if not may_read_cost():
            for row in data.get("result") or []:
                if isinstance(row, dict):
                    row.pop("cost", None)
            for key in ("list_columns", "label_columns"):
                value = data.get(key)
                if isinstance(value, list) and "cost" in value:
                    value.remove("cost")
                elif isinstance(value, dict):
                    value.pop("cost", None)

    api_class.pre_get = pre_get
    api_class.pre_get_list = pre_get_list


def _hide_cost_on_pages(view) -> None:
    """The product page's fieldsets without cost for those who may not read it (read per request)."""
    every = list(view.show_fieldsets)
    without = [(title, {**options, "fields": [f for f in options.get("fields", []) if f != "cost"]})
               for title, options in every]
    type(view).show_fieldsets = property(lambda self: every if may_read_cost() else without)


def register_views(appbuilder) -> None:
    from app.core.registry import registry

    appbuilder.add_view(ProductCatalogueView, "menu:product_catalogue", label=lazy_pgettext("menu", "Product catalogue"),
                        icon="fa-th", category=MENU)
    appbuilder.add_view_no_menu(ProductCostsView)
    names = registry.menu_names.setdefault(PERMISSION, [MENU])
    if "menu:product_catalogue" not in names:
        names.append("menu:product_catalogue")
    register_tab(ShowTab(key="parameters", label=_l("Parameters"), render=render_parameters_tab,
                         applies=lambda spec: spec.name == "products", order=5, lazy=False))
    register_tab(ShowTab(key="images", label=_l("Images"), render=render_images_tab,
                         applies=lambda spec: spec.name == "products", order=6))
    if "products" in registry.apis:
        _hide_cost_in_api(registry.apis["products"])
    for view in appbuilder.baseviews:
        if getattr(view, "spec", None) is not None and view.spec.name == "products" and hasattr(view, "show_fieldsets"):
            _hide_cost_on_pages(view)
